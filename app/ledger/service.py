"""The consent path as one service: check a report, count it, append it, answer with a receipt.

Its collaborators are passed in (cosmicpython's service layer): `sites` reads snapshots of the
site settings (app.ledger.snapshots.SiteReader), `ledger` appends durably (a
app.ledger.writer.BoundWriter), `limiter` counts reports (app.ledger.limits.ReportLimiter),
`clock` tells the time and `receipts` signs receipts. No Flask inside: the web layer parses,
calls and maps each IntakeError's code to an HTTP status.
"""
import hashlib
from dataclasses import dataclass

from app.ledger.append import EventConflict, SiteChanged
from app.ledger.client import anonymize_ip, reduce_user_agent, split_page
from app.ledger.proof import ReceiptError, chain_hash, read_receipt, sign_receipt
from app.ledger.report import IntakeError, check_actions, check_choices
from app.ledger.subjects import ConsentIdTaken, SubjectNotProven
from app.sites.deletion import is_deleted
from app.sites.documents import CONSENT, POLICY, pick_language
from app.sites.origins import is_allowed_origin

#: A report checked against a site that changed before its record was appended is checked again
#: against the new settings, this many times at most.
CHECK_ATTEMPTS = 3


@dataclass(frozen=True)
class ClientContext:
    """What the request says about the visitor, before it is reduced, and where it came from."""

    ip: str | None
    user_agent: str
    #: The key of keyed IP hashes, derived from the service's secret.
    ip_key: bytes
    origin: str | None = None
    #: The service's own URLs (public, demo): its demo and preview pages may report for every site.
    service_urls: tuple[str, ...] | str = ()


@dataclass(frozen=True)
class Recorded:
    """A stored record, whether this report stored it (False: a retry), and its receipt."""

    record: object
    created: bool
    receipt: str


def record_consent(report, client, *, sites, ledger, limiter, clock, receipts):
    """Check a parsed report against its site's current settings, count it against the rate
    limits, append its record; return Recorded, or raise IntakeError."""
    rated = False
    for attempt in range(CHECK_ATTEMPTS):
        site = sites.site(report.site, refresh=attempt > 0)
        try:
            catalog = check_report(report, site, client, sites)
        except IntakeError:
            # Settings kept in memory may be older than the row: refuse on current ones only.
            if site is None or attempt > 0 or sites.is_current(site):
                raise
            continue
        if not rated:
            _count(limiter, client, site)
            rated = True
        content = record_content(report, site, catalog, client, clock(),
                                 sites.tracker_categories(site, catalog))
        try:
            appended = _append(ledger, site, report, content)
        except SiteChanged:
            continue
        record = appended.record
        receipt = sign_receipt(receipts, site.id, record.record_id, record.record_hash)
        return Recorded(record, appended.created, receipt)
    raise IntakeError("site_changing", "the site's settings are being changed; retry")


def check_report(report, site, client, sites):
    """Run the checks that need the site: origin, categories, actions, versions; return the
    catalog version the report names."""
    if site is None:
        raise IntakeError("unknown_site", f"no site {report.site!r}", "site")
    if is_deleted(site):
        raise IntakeError("site_deleted", f"site {report.site!r} was deleted; it takes no reports",
                          "site")
    if not is_allowed_origin(client.origin, site.origins, client.service_urls):
        raise IntakeError("origin_not_allowed", "this origin may not report for the site", "origin")
    catalog = sites.catalog(site.id, report.catalog_version)
    categories = (catalog.categories if catalog else
                  sites.catalog(site.id, site.catalog_version).categories)
    check_choices(report, categories)
    check_actions(report)
    if catalog is None:
        raise IntakeError("unknown_catalog_version",
                          f"site {site.id!r} has no catalog version {report.catalog_version}",
                          "catalog_version")
    if sites.text_set_site(report.texts_digest) != site.id:
        raise IntakeError("unknown_texts", "these banner texts were never served for the site",
                          "texts_digest")
    if not sites.is_served_build(report.banner_build):
        raise IntakeError("unknown_banner_build", "this banner build was never served here",
                          "banner_build")
    _check_versions(report, site)
    return catalog


def _check_versions(report, site):
    if report.policy_version not in site.policy_versions:
        raise IntakeError("unknown_policy_version",
                          f"site {site.id!r} never had privacy policy version "
                          f"{report.policy_version!r}", "policy_version")
    if report.consent_document_version not in site.consent_document_versions:
        raise IntakeError("unknown_consent_document_version",
                          f"site {site.id!r} never had consent document version "
                          f"{report.consent_document_version!r}", "consent_document_version")


def _count(limiter, client, site):
    network = anonymize_ip(client.ip, "truncate", b"") or "unknown"
    wait = limiter.wait(network, site.id)
    if wait:
        raise IntakeError("rate_limited", "too many reports; retry later", retry_after=wait)


def record_content(report, site, catalog, client, now, tracker_categories):
    """Build the hashed content of a record from a checked report, at the time now."""
    try:
        origin, path = split_page(report.page)
    except ValueError:
        raise IntakeError("invalid_field", "page: is not a valid URL", "page") from None
    return {
        "event_id": report.event_id,
        "consent_id": report.consent_id,
        "subject_id": report.subject_id,
        "subject_secret_hash": hashlib.sha256(report.subject_secret.encode()).hexdigest(),
        "site": site.id,
        "event": report.event,
        "ui_action": report.ui_action,
        "choices": dict(sorted(report.choices.items())),
        "trackers": sorted(name for name, category in tracker_categories.items()
                           if report.choices.get(category)),
        "server_time": now.isoformat(),
        "client_time": report.client_time,
        "expires_at": report.expires,
        "language": report.language,
        "regime": list(site.regime),
        "policy_version": report.policy_version,
        "consent_document_version": report.consent_document_version,
        # The exact texts behind those versions, in the visitor's language (None: a url only).
        "policy_digest": document_digest(site, POLICY, report.policy_version, report.language),
        "consent_document_digest": document_digest(site, CONSENT, report.consent_document_version,
                                                   report.language),
        "catalog_version": catalog.version,
        "catalog_hash": catalog.content_hash,
        "banner_build": report.banner_build,
        "texts_digest": report.texts_digest,
        "gpc": report.gpc,
        # The banner's defaults were a refusal because of the GPC signal: this choice overrode,
        # or kept, that default.
        "gpc_applied": report.gpc and site.gpc == "refuse",
        "page_origin": origin,
        "page_path": path,
        "user_agent": reduce_user_agent(client.user_agent),
        "client_ip": anonymize_ip(client.ip, site.client_ip, client.ip_key),
        # Purge reads the retention from here, not from the site's row, which can change.
        "retention_days": site.retention_days,
    }


def document_digest(site, kind, version, language):
    """Return the digest of the site's stored text of a kind and version that a visitor in
    language read (else the default language's), or None when none is stored."""
    digests = site.document_digests.get((kind, version)) or {}
    chosen = pick_language(digests, language, site.default_language)
    return digests[chosen] if chosen else None


def _append(ledger, site, report, content):
    try:
        return ledger.append(site.id, report.event_id, content, site.stamp)
    except EventConflict:
        raise IntakeError("event_id_reused", "this event_id already names a different consent "
                          "event", "event_id") from None
    except SubjectNotProven:
        raise IntakeError("subject_not_proven", "this subject's reports must present the secret "
                          "of its first report", "subject_secret") from None
    except ConsentIdTaken:
        raise IntakeError("consent_id_reused", "this consent_id already names another subject's "
                          "consent", "consent_id") from None


def check_receipt(receipt, *, ledger, receipts):
    """Verify a receipt against the ledger; return the record, whether its hashes hold, the
    texts shown and the subject's history, as plain data."""
    try:
        site_id, record_id, record_hash = read_receipt(receipts, receipt)
    except ReceiptError as error:
        raise IntakeError("invalid_receipt", str(error), "receipt") from None
    record = ledger.by_record_id(record_id)
    if record is None or record.site_id != site_id:
        raise IntakeError("record_not_found", "the record is no longer in the ledger (retention "
                          "may have purged it)", "receipt")
    intact = (record.record_hash == record_hash and
              chain_hash(record.prev_hash, record.content) == record_hash)
    texts = ledger.text_set(record.content["texts_digest"])
    history = [{"record_id": r.record_id, "seq": r.seq, "event": r.event,
                "server_time": r.content["server_time"], "choices": r.content["choices"]}
               for r in ledger.history(site_id, record.subject_id)]
    return {"record": {**record.content, "prev_hash": record.prev_hash,
                       "record_hash": record.record_hash},
            "verified": intact, "texts": texts.content if texts else None, "history": history}
