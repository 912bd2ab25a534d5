"""The one tag a site owner pastes into their pages, and the addresses this service answers at."""
from urllib.parse import urlsplit

from flask import current_app, url_for


def service_base(request_base_url):
    """Return the service's public base URL: CONSENT_PUBLIC_URL, or (tests and development
    only: serving refuses to start without it) the request's host."""
    return current_app.config["PUBLIC_URL"] or request_base_url.rstrip("/")


def is_host_derived():
    """Tell whether service URLs come from the request's host (no CONSENT_PUBLIC_URL)."""
    return not current_app.config["PUBLIC_URL"]


def service_urls(request_base_url):
    """Return the URLs of this service's own pages: its public one and its demo one, if any."""
    return tuple(url for url in (service_base(request_base_url), current_app.config["DEMO_URL"])
                 if url)


def service_origin(request_base_url):
    """Return the service's origin (scheme, host, port), as a CSP source names it."""
    parts = urlsplit(service_base(request_base_url))
    return f"{parts.scheme}://{parts.netloc}"


def embed_src(request_base_url, site_id):
    """Return the URL of a site's embed script, as the banner's route spells it."""
    return service_base(request_base_url) + url_for("banner.embed_script", site_id=site_id)


def embed_snippet(request_base_url, site_id):
    """Return the tags that embed the banner for a site: a preconnect hint, then the script."""
    # No crossorigin: the script tag fetches without CORS, with credentials, and a browser reuses
    # a preconnected socket only for requests of the same credentials mode.
    return (f'<link rel="preconnect" href="{service_origin(request_base_url)}">\n'
            f'<script src="{embed_src(request_base_url, site_id)}" async></script>')
