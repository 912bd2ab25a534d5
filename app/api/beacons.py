"""What every small beacon of the banner (impressions, leak reports) checks first."""
from flask import request

from app.embed import service_urls
from app.extensions import db
from app.ledger.client import anonymize_ip
from app.ledger.report import IntakeError
from app.sites.deletion import is_deleted
from app.sites.origins import is_allowed_origin
from app.sites.repository import SiteRepository


def reporting_site(site_id):
    """Return the site a beacon reports for; raise IntakeError when it is unknown, deleted, or
    the request's origin may not report for it."""
    site = SiteRepository(db.session).get(site_id)
    if site is None:
        raise IntakeError("unknown_site", f"no site {site_id!r}", "site")
    if is_deleted(site):
        raise IntakeError("site_deleted", f"site {site_id!r} was deleted", "site")
    if not is_allowed_origin(request.headers.get("Origin"), site.origins,
                             service_urls(request.host_url)):
        raise IntakeError("origin_not_allowed", "this origin may not report for the site",
                          "origin")
    return site


def client_network():
    """Return the request's client network (/24, /48), the key its limits count under."""
    return anonymize_ip(request.remote_addr, "truncate", b"") or "unknown"
