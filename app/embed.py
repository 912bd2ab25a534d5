"""The one tag a site owner pastes into their pages."""
from urllib.parse import urlsplit

from flask import current_app, url_for


def service_base(request_base_url):
    """Return the service's public base URL: CONSENT_PUBLIC_URL, or the request's host."""
    return current_app.config["PUBLIC_URL"] or request_base_url.rstrip("/")


def service_origin(request_base_url):
    """Return the service's origin (scheme, host, port), as a CSP source names it."""
    parts = urlsplit(service_base(request_base_url))
    return f"{parts.scheme}://{parts.netloc}"


def embed_src(request_base_url, site_id):
    """Return the URL of a site's embed script, as the banner's route spells it."""
    return service_base(request_base_url) + url_for("banner.embed_script", site_id=site_id)


def embed_snippet(request_base_url, site_id):
    """Return the <script> tag that embeds the banner for a site."""
    return f'<script src="{embed_src(request_base_url, site_id)}" async></script>'
