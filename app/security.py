"""Request hooks that every response passes: proxies and security headers."""
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
#: Static documents (the demo's embedded page) may be framed by this service's own pages.
STATIC_CSP = DEFAULT_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


def init_app(app):
    """Trust the configured proxies and add security headers to every response."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    app.after_request(add_security_headers)


def add_security_headers(response):
    """Set conservative headers unless a view chose its own."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    csp = STATIC_CSP if request.endpoint == "static" else DEFAULT_CSP
    headers.setdefault("Content-Security-Policy", csp)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
