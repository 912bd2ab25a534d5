"""The demo origin: demo pages run vendor scripts, so they live on a host the console never does.

Cookies belong to a host whatever its port, so with CONSENT_DEMO_URL on another host a tracker
that a demo page loads cannot act with a console session: the demo host answers only what a
visitor's page needs (demo pages, static files, the banner, the API, legal texts), and the
demo pages on any other host redirect there. Without CONSENT_DEMO_URL, app.demo.views serves the
pages sandboxed, in an origin of their own.
"""
from urllib.parse import urlsplit

from flask import current_app, redirect, request
from werkzeug.exceptions import NotFound

#: What the demo host serves; everything else (the console above all) is a 404 there.
DEMO_HOST_AREAS = frozenset({"demo", "banner", "documents", "api", "health"})
DEFAULT_PORTS = {"http": 80, "https": 443}
SERVE, NOT_FOUND, TO_DEMO = "serve", "not_found", "to_demo"


def init_app(app):
    """Keep the console off the demo host and the demo pages on it."""
    app.before_request(keep_demo_apart)


def host_port(host, scheme):
    """Return (hostname, port) of a Host header value or URL netloc, the port filled in."""
    parts = urlsplit(f"//{host}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "", port or DEFAULT_PORTS.get(scheme))


def route_for_host(host, area, demo_url):
    """Decide what a request to an area (blueprint name, "static") on a host gets: SERVE,
    NOT_FOUND or TO_DEMO (a redirect to the demo host)."""
    if not demo_url:
        return SERVE
    demo = urlsplit(demo_url)
    on_demo_host = host_port(host, demo.scheme) == host_port(demo.netloc, demo.scheme)
    if on_demo_host:
        return SERVE if area in DEMO_HOST_AREAS or area == "static" else NOT_FOUND
    return TO_DEMO if area == "demo" else SERVE


def keep_demo_apart():
    """Answer 404 for the console on the demo host; send demo pages elsewhere to the demo host."""
    demo_url = current_app.config["DEMO_URL"]
    area = "static" if request.endpoint == "static" else request.blueprint
    decision = route_for_host(request.host, area, demo_url)
    if decision == NOT_FOUND:
        # A bare 404, not the console's error page: that one names whoever is logged in.
        return NotFound().get_response()
    if decision == TO_DEMO:
        query = request.query_string.decode("latin-1")
        return redirect(demo_url + request.script_root + request.path + (f"?{query}" if query else ""))
    return None
