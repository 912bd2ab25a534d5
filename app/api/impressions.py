"""POST /api/v1/impressions: the banner counts each time its first layer is shown."""
import json
import re
from datetime import UTC, datetime

from flask import current_app, request

from app.api.blueprint import bp
from app.api.cors import allow_checked_origin
from app.embed import service_urls
from app.extensions import db
from app.ledger.client import anonymize_ip
from app.ledger.report import IntakeError
from app.ledger.stats import count_impression
from app.runtime import runtime
from app.sites.deletion import is_deleted
from app.sites.origins import is_allowed_origin
from app.sites.repository import SiteRepository

MAX_IMPRESSION_BYTES = 256
FIELD_PATTERNS = {"site": re.compile(r"[a-z0-9-]{2,40}"),
                  "language": re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,2}")}


@bp.post("/impressions", endpoint="record_impression")
def impressions():
    """Count one display of a site's banner in one language; nothing about the visitor is kept."""
    request.max_content_length = MAX_IMPRESSION_BYTES
    site_id, language = _parse(request.get_data(cache=False))
    site = SiteRepository(db.session).get(site_id)
    if site is None:
        raise IntakeError("unknown_site", f"no site {site_id!r}", "site")
    if is_deleted(site):
        raise IntakeError("site_deleted", f"site {site_id!r} was deleted", "site")
    if not is_allowed_origin(request.headers.get("Origin"), site.origins,
                             service_urls(request.host_url)):
        raise IntakeError("origin_not_allowed", "this origin may not report for the site",
                          "origin")
    if language not in site.languages:
        raise IntakeError("unknown_language", f"{language!r} is not a language of the site",
                          "language")
    client = anonymize_ip(request.remote_addr, "truncate", b"") or "unknown"
    wait = runtime().report_limiter.wait(f"imp:{client}", f"imp:{site.id}")
    if wait:
        raise IntakeError("rate_limited", "too many reports; retry later", retry_after=wait)
    count_impression(db.session, site.id, language, datetime.now(UTC).date())
    db.session.commit()
    return allow_checked_origin(current_app.response_class(status=204))


def _parse(raw):
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise IntakeError("invalid_json", "the body is not JSON", "body") from None
    if not isinstance(body, dict):
        raise IntakeError("invalid_json", "the body must be a JSON object", "body")
    for field, pattern in FIELD_PATTERNS.items():
        if not isinstance(body.get(field), str) or not pattern.fullmatch(body[field]):
            raise IntakeError("invalid_field",
                              f"{field}: must match {pattern.pattern}", field)
    return body["site"], body["language"]
