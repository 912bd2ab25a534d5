"""POST /api/v1/leaks: a sampled banner reports trackers that escaped the gate on one page view."""
from flask import current_app, request

from app.api.beacons import client_network, reporting_site
from app.api.blueprint import bp
from app.api.cors import allow_checked_origin
from app.extensions import db
from app.leaks.report import MAX_LEAK_REPORT_BYTES, parse_leak_report
from app.leaks.settings import leak_sample
from app.leaks.store import record_leaks
from app.ledger.report import IntakeError
from app.runtime import runtime
from app.tables import utc_now


@bp.post("/leaks", endpoint="record_leaks")
def leaks():
    """Count what one page view saw escape the gate; nothing about the visitor is kept."""
    request.max_content_length = MAX_LEAK_REPORT_BYTES
    report = parse_leak_report(request.get_data(cache=False))
    site = reporting_site(report.site)
    if not leak_sample(site):
        raise IntakeError("leak_reports_off", "the site takes no leak reports", "site")
    network = client_network()
    wait = runtime().rate_window.hit(f"leaks:{network}", current_app.config["RATE_LIMIT_LEAKS"])
    if wait:
        raise IntakeError("rate_limited", "too many reports; retry later", retry_after=wait)
    record_leaks(db.session, report, utc_now())
    db.session.commit()
    return allow_checked_origin(current_app.response_class(status=204))
