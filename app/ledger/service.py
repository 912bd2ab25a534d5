"""Record a consent: check a parsed report against the site, build the record, append it."""
from dataclasses import dataclass

from app.ledger.client import anonymize_ip, reduce_user_agent, split_page
from app.ledger.proof import sign_receipt
from app.ledger.report import IntakeError, check_actions, check_choices
from app.ledger.repository import EventConflict
from app.models import utc_now
from app.sites.catalog import catalog_from_document

#: Built-in trackers by the site column that switches them on.
TRACKER_COLUMNS = (("yandex_metrica", "yandex_metrica_id"), ("ga4", "ga4_measurement_id"),
                   ("meta_pixel", "meta_pixel_id"))


@dataclass(frozen=True)
class ClientContext:
    """What the request says about the visitor, before it is reduced."""

    ip: str | None
    user_agent: str
    ip_key: bytes


def check_report(report, site, sites, ledger):
    """Run the checks that need the site: categories, actions, versions; return the catalog."""
    catalog = sites.catalog(site.id, report.catalog_version)
    categories = (list(catalog.content) if catalog else
                  list(sites.catalog(site.id, site.catalog_version).content))
    check_choices(report, categories)
    check_actions(report)
    if catalog is None:
        raise IntakeError(409, "unknown_catalog_version",
                          f"site {site.id!r} has no catalog version {report.catalog_version}",
                          "catalog_version")
    text_set = ledger.text_set(report.texts_digest)
    if text_set is None or text_set.site_id != site.id:
        raise IntakeError(409, "unknown_texts", "these banner texts were never served for the site",
                          "texts_digest")
    return catalog


def record_content(report, site, catalog, client):
    """Build the hashed content of a record from a checked report."""
    try:
        origin, path = split_page(report.page)
    except ValueError:
        raise IntakeError(400, "invalid_field", "page: is not a valid URL", "page") from None
    now = utc_now()
    return {
        "event_id": report.event_id,
        "consent_id": report.consent_id,
        "subject_id": report.subject_id,
        "site": site.id,
        "event": report.event,
        "ui_action": report.ui_action,
        "choices": dict(sorted(report.choices.items())),
        "trackers": _trackers_enabled(site, catalog, report.choices),
        "server_time": now.isoformat(),
        "client_time": report.client_time,
        "expires_at": report.expires,
        "language": report.language,
        "regime": list(site.regimes),
        "policy_version": report.policy_version,
        "consent_document_version": report.consent_document_version,
        "catalog_version": catalog.version,
        "catalog_hash": catalog.content_hash,
        "banner_build": report.banner_build,
        "texts_digest": report.texts_digest,
        "gpc": report.gpc,
        "page_origin": origin,
        "page_path": path,
        "user_agent": reduce_user_agent(client.user_agent),
        "client_ip": anonymize_ip(client.ip, site.ip_mode, client.ip_key),
    }


def _trackers_enabled(site, catalog, choices):
    from app.banner.config import tracker_categories

    categories = tracker_categories(site, catalog_from_document(catalog.content))
    return sorted(name for name, category in categories.items() if choices.get(category))


def record_consent(report, site, catalog, ledger, client, serializer):
    """Build and append the record of a checked report; return (record, created, receipt)."""
    content = record_content(report, site, catalog, client)
    try:
        appended = ledger.append(site.id, report.event_id, content)
    except EventConflict:
        raise IntakeError(409, "event_id_reused",
                          "this event_id already names a different consent event",
                          "event_id") from None
    record = appended.record
    receipt = sign_receipt(serializer, site.id, record.record_id, record.record_hash)
    return record, appended.created, receipt
