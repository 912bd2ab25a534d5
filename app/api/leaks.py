"""POST /api/v1/leaks: a sampled banner reports trackers that escaped the gate on one page view."""
from flask import current_app, request

from app.api.blueprint import bp
from app.api.cors import allow_checked_origin
from app.embed import service_urls
from app.extensions import db
from app.leaks.report import MAX_LEAK_REPORT_BYTES, parse_leak_report
from app.leaks.settings import leak_sample
from app.leaks.store import record_leaks
from app.ledger.client import anonymize_ip
from app.ledger.report import IntakeError
from app.runtime import runtime
from app.sites.deletion import is_deleted
from app.sites.origins import is_allowed_origin
from app.sites.repository import SiteRepository
from app.tables import utc_now


@bp.post("/leaks", endpoint="record_leaks")
def leaks():
    """Count what one page view saw escape the gate; nothing about the visitor is kept."""
    request.max_content_length = MAX_LEAK_REPORT_BYTES
    report = parse_leak_report(request.get_data(cache=False))
    site = SiteRepository(db.session).get(report.site)
    if site is None:
        raise IntakeError("unknown_site", f"no site {report.site!r}", "site")
    if is_deleted(site):
        raise IntakeError("site_deleted", f"site {report.site!r} was deleted", "site")
    if not is_allowed_origin(request.headers.get("Origin"), site.origins,
                             service_urls(request.host_url)):
        raise IntakeError("origin_not_allowed", "this origin may not report for the site",
                          "origin")
    if not leak_sample(site):
        raise IntakeError("leak_reports_off", "the site takes no leak reports", "site")
    network = anonymize_ip(request.remote_addr, "truncate", b"") or "unknown"
    wait = runtime().rate_window.hit(f"leaks:{network}", current_app.config["RATE_LIMIT_LEAKS"])
    if wait:
        raise IntakeError("rate_limited", "too many reports; retry later", retry_after=wait)
    record_leaks(db.session, report, utc_now())
    db.session.commit()
    return allow_checked_origin(current_app.response_class(status=204))
