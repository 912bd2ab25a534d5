"""POST /api/v1/impressions: the banner counts each time its first layer is shown."""
import re
from datetime import UTC, datetime

from flask import current_app, request

from app.api.beacons import client_network, reporting_site
from app.api.blueprint import bp
from app.api.cors import allow_checked_origin
from app.extensions import db
from app.ledger.report import IntakeError, json_object
from app.ledger.stats import count_impression
from app.runtime import runtime

MAX_IMPRESSION_BYTES = 256
FIELD_PATTERNS = {"site": re.compile(r"[a-z0-9-]{2,40}"),
                  "language": re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,2}")}


@bp.post("/impressions", endpoint="record_impression")
def impressions():
    """Count one display of a site's banner in one language; nothing about the visitor is kept."""
    request.max_content_length = MAX_IMPRESSION_BYTES
    site_id, language = _parse(request.get_data(cache=False))
    site = reporting_site(site_id)
    if language not in site.languages:
        raise IntakeError("unknown_language", f"{language!r} is not a language of the site",
                          "language")
    client = client_network()
    wait = runtime().report_limiter.wait(f"imp:{client}", f"imp:{site.id}")
    if wait:
        raise IntakeError("rate_limited", "too many reports; retry later", retry_after=wait)
    count_impression(db.session, site.id, language, datetime.now(UTC).date())
    db.session.commit()
    return allow_checked_origin(current_app.response_class(status=204))


def _parse(raw):
    body = json_object(raw)
    for field, pattern in FIELD_PATTERNS.items():
        if not isinstance(body.get(field), str) or not pattern.fullmatch(body[field]):
            raise IntakeError("invalid_field",
                              f"{field}: must match {pattern.pattern}", field)
    return body["site"], body["language"]
