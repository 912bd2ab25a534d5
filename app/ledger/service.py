"""Record a consent: check a parsed report against the site, build the record, append it."""
import hashlib
import threading
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import select, text

from app.ledger.append import EventConflict
from app.ledger.client import anonymize_ip, reduce_user_agent, split_page
from app.ledger.proof import sign_receipt
from app.ledger.report import IntakeError, check_actions, check_choices
from app.ledger.subjects import ConsentIdTaken, SubjectNotProven
from app.models import BannerBuild, CatalogVersion, Site, SiteRevision, TextSet, utc_now
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


class IntakeCache:
    """What the intake reads for every report, kept per process.

    Catalog versions and text sets never change once stored, so they are kept as read. A site
    is kept as a snapshot of its row with the row's updated_at (its stamp); the append reads the
    stamp with the chain head, in the same statement, and refuses a report checked against an
    older snapshot, so an edited or re-imported site applies to every later record.
    """

    def __init__(self):
        self.sites, self.catalogs, self.text_sets, self.builds = {}, {}, {}, set()
        self.lock = threading.Lock()

    def site(self, session, site_id, refresh=False):
        """Return a snapshot of the site's row, or None when there is no such site.

        A kept snapshot is returned without reading the database; refresh reads the row again.
        The append checks the snapshot's stamp against the row, so nothing is recorded under
        settings that have changed since.
        """
        cached = None if refresh else self.sites.get(site_id)
        if cached is not None:
            return cached
        if refresh:
            session.rollback()  # a fresh read transaction sees the latest commit
        # The stamp is read first, so a row newer than its stamp is only checked once more.
        stamp = _site_stamp(session, site_id)
        row = None if stamp is None else session.get(Site, site_id, populate_existing=True)
        if row is None:
            with self.lock:
                self.sites.pop(site_id, None)
            return None
        snapshot = SimpleNamespace(**{column.key: getattr(row, column.key)
                                      for column in Site.__table__.columns})
        snapshot.stamp = stamp
        snapshot.trackers = {}  # catalog version -> {tracker: category}
        # A banner loaded before an update reports the versions it showed: any the site has had.
        snapshot.policy_versions, snapshot.consent_document_versions = served_versions(session, row)
        with self.lock:
            self.sites[site_id] = snapshot
        return snapshot

    def is_current(self, session, snapshot):
        """Tell whether a snapshot still has its site row's stamp (one indexed read)."""
        return _site_stamp(session, snapshot.id) == snapshot.stamp

    def catalog(self, session, site_id, version):
        """Return a stored catalog version (immutable), or None."""
        key = (site_id, version)
        catalog = self.catalogs.get(key)
        if catalog is None:
            row = session.scalar(select(CatalogVersion).filter_by(site_id=site_id, version=version))
            if row is None:
                return None
            catalog = SimpleNamespace(version=row.version, content_hash=row.content_hash,
                                      content=row.content, categories=list(row.content))
            with self.lock:
                self.catalogs[key] = catalog
        return catalog

    def text_set_site(self, session, digest):
        """Return the site a stored text set belongs to, or None."""
        site_id = self.text_sets.get(digest)
        if site_id is None:
            site_id = session.scalar(select(TextSet.site_id).where(TextSet.digest == digest))
            if site_id is not None:
                with self.lock:
                    self.text_sets[digest] = site_id
        return site_id


    def is_served_build(self, session, build):
        """Tell whether this service ever served the banner build (kept once found)."""
        if build in self.builds:
            return True
        if session.get(BannerBuild, build) is None:
            return False
        with self.lock:
            self.builds.add(build)
        return True


def _site_stamp(session, site_id):
    """Return the site row's updated_at raw (untyped SQL), exactly as the append's head read
    sees it."""
    return session.execute(text("SELECT updated_at FROM sites WHERE id = :site"),
                           {"site": site_id}).scalar()


def check_report(report, site, session, cache):
    """Run the checks that need the site: categories, actions, versions; return the catalog."""
    catalog = cache.catalog(session, site.id, report.catalog_version)
    categories = (catalog.categories if catalog else
                  cache.catalog(session, site.id, site.catalog_version).categories)
    check_choices(report, categories)
    check_actions(report)
    if catalog is None:
        raise IntakeError(409, "unknown_catalog_version",
                          f"site {site.id!r} has no catalog version {report.catalog_version}",
                          "catalog_version")
    if cache.text_set_site(session, report.texts_digest) != site.id:
        raise IntakeError(409, "unknown_texts", "these banner texts were never served for the site",
                          "texts_digest")
    if not cache.is_served_build(session, report.banner_build):
        raise IntakeError(409, "unknown_banner_build", "this banner build was never served here",
                          "banner_build")
    if report.policy_version not in site.policy_versions:
        raise IntakeError(409, "unknown_policy_version",
                          f"site {site.id!r} never had privacy policy version "
                          f"{report.policy_version!r}", "policy_version")
    if report.consent_document_version not in site.consent_document_versions:
        raise IntakeError(409, "unknown_consent_document_version",
                          f"site {site.id!r} never had consent document version "
                          f"{report.consent_document_version!r}", "consent_document_version")
    return catalog


def served_versions(session, site):
    """Return the privacy policy and consent document versions the site has had (None: no
    consent document), from its current row and every saved revision of its settings."""
    policies, documents = {site.privacy_policy_version}, {site.consent_document_version}
    for document in session.scalars(select(SiteRevision.document).filter_by(site_id=site.id)):
        policies.add((document.get("privacy_policy") or {}).get("version"))
        documents.add((document.get("consent_document") or {}).get("version"))
    return policies, documents


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
        "subject_secret_hash": hashlib.sha256(report.subject_secret.encode()).hexdigest(),
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
        # Purge reads the retention from here, not from the site's row, which can change.
        "retention_days": site.retention_days,
    }


def _trackers_enabled(site, catalog, choices):
    categories = getattr(site, "trackers", {}).get(catalog.version)
    if categories is None:
        from app.banner.config import tracker_categories

        categories = tracker_categories(site, catalog_from_document(catalog.content))
        if hasattr(site, "trackers"):
            site.trackers[catalog.version] = categories
    return sorted(name for name, category in categories.items() if choices.get(category))


def record_consent(report, site, catalog, append, client, serializer):
    """Build and append the record of a checked report; return (record, created, receipt).

    append(site_id, event_id, content, site_stamp) stores the content durably and returns an
    Appended; it raises SiteChanged when the site's row no longer has site_stamp.
    """
    content = record_content(report, site, catalog, client)
    try:
        appended = append(site.id, report.event_id, content, site.stamp)
    except EventConflict:
        raise IntakeError(409, "event_id_reused",
                          "this event_id already names a different consent event",
                          "event_id") from None
    except SubjectNotProven:
        raise IntakeError(403, "subject_not_proven",
                          "this subject's reports must present the secret of its first report",
                          "subject_secret") from None
    except ConsentIdTaken:
        raise IntakeError(409, "consent_id_reused",
                          "this consent_id already names another subject's consent",
                          "consent_id") from None
    record = appended.record
    receipt = sign_receipt(serializer, site.id, record.record_id, record.record_hash)
    return record, appended.created, receipt
