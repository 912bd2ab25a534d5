"""CORS for the API: only a site's own origins (and this service's) get an answer they can read."""
from flask import request

from app.embed import service_urls
from app.sites.origins import is_allowed_origin


def allow_origin(response, site):
    """Add CORS headers when the request's Origin may act for the site.

    Methods, headers and max-age matter to a preflight only, so other answers go without them.
    """
    if site is None or not is_allowed_origin(request.headers.get("Origin"), site.origins,
                                             service_urls(request.host_url)):
        response.vary.add("Origin")
        return response
    allow_checked_origin(response)
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def allow_checked_origin(response):
    """Let the request's Origin read the answer: one the view has already checked for the site."""
    response.vary.add("Origin")
    response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
    return response


def allow_known_origin(response, sites):
    """Add CORS headers when any site lists the Origin, so its banner can read the answer."""
    origin = request.headers.get("Origin")
    site = next((site for site in sites
                 if is_allowed_origin(origin, site.origins, service_urls(request.host_url))), None)
    return allow_origin(response, site)
