"""Which origins may embed a site's banner and report its consents."""
from urllib.parse import urlsplit


def origin_of(url):
    """Return the scheme://host[:port] origin of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(site_origins, service_url):
    """Return the site's own origins plus the service's, whose demo and preview pages embed it."""
    return list(dict.fromkeys([*site_origins, origin_of(service_url)]))


def is_allowed_origin(origin, site_origins, service_url):
    """Tell whether a request's Origin header may act for the site."""
    return bool(origin) and origin.lower() in allowed_origins(site_origins, service_url)
