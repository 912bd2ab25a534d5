"""Which origins may embed a site's banner and report its consents."""
from urllib.parse import urlsplit


def origin_of(url):
    """Return the scheme://host[:port] origin of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(site_origins, service_urls):
    """Return the site's own origins plus the service's (one URL or several: its public one and
    its demo one), whose demo and preview pages embed every site."""
    urls = [service_urls] if isinstance(service_urls, str) else service_urls
    return list(dict.fromkeys([*site_origins, *(origin_of(url) for url in urls if url)]))


def is_allowed_origin(origin, site_origins, service_urls):
    """Tell whether a request's Origin header may act for the site."""
    return bool(origin) and origin.lower() in allowed_origins(site_origins, service_urls)
