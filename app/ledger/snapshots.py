"""What the intake reads about sites for every report, kept per process (no Flask inside).

Catalog versions, text sets and banner builds never change once stored, so they are kept as
read. A site is kept as a snapshot of its row with the row's updated_at (its stamp); the append
reads the stamp with the chain head, in the same statement, and refuses a report checked
against an older snapshot, so an edited or re-imported site applies to every later record.
"""
import threading
from types import SimpleNamespace

from sqlalchemy import select, text

from app.ledger.tables import BannerBuild, TextSet
from app.sites.catalog import catalog_from_document, tracker_categories
from app.sites.document_store import DocumentStore
from app.sites.documents import CONSENT, POLICY
from app.sites.tables import CatalogVersion, Site, SiteRevision
from app.sites.trackers import site_loadable_trackers


class IntakeCache:
    """Snapshots of sites, and the catalogs, text sets and builds the intake has seen."""

    def __init__(self, current_build=None):
        self.sites, self.catalogs, self.text_sets = {}, {}, {}
        # The build this code serves counts as served even before it was registered, so reports
        # from pages loaded before a restart still go through.
        self.builds = {current_build} if current_build else set()
        self.lock = threading.Lock()

    def reader(self, session):
        """Return this cache read through one session (a request's)."""
        return SiteReader(self, session)


class SiteReader:
    """The intake's view of sites: an IntakeCache filled from one session."""

    def __init__(self, cache, session):
        self.cache, self.session = cache, session

    def site(self, site_id, refresh=False):
        """Return a snapshot of the site's row, or None when there is no such site.

        A kept snapshot is returned without reading the database; refresh reads the row again.
        The append checks the snapshot's stamp against the row, so nothing is recorded under
        settings that have changed since.
        """
        cache = self.cache
        cached = None if refresh else cache.sites.get(site_id)
        if cached is not None:
            return cached
        if refresh:
            self.session.rollback()  # a fresh read transaction sees the latest commit
        # The stamp is read first, so a row newer than its stamp is only checked once more.
        stamp = _site_stamp(self.session, site_id)
        row = None if stamp is None else self.session.get(Site, site_id, populate_existing=True)
        if row is None:
            with cache.lock:
                cache.sites.pop(site_id, None)
            return None
        snapshot = _snapshot(self.session, row, stamp)
        with cache.lock:
            cache.sites[site_id] = snapshot
        return snapshot

    def is_current(self, snapshot):
        """Tell whether a snapshot still has its site row's stamp (one indexed read)."""
        return _site_stamp(self.session, snapshot.id) == snapshot.stamp

    def catalog(self, site_id, version):
        """Return a stored catalog version (immutable), or None."""
        key = (site_id, version)
        catalog = self.cache.catalogs.get(key)
        if catalog is None:
            row = self.session.scalar(select(CatalogVersion).filter_by(site_id=site_id,
                                                                       version=version))
            if row is None:
                return None
            catalog = SimpleNamespace(version=row.version, content_hash=row.content_hash,
                                      content=row.content, categories=list(row.content))
            with self.cache.lock:
                self.cache.catalogs[key] = catalog
        return catalog

    def text_set_site(self, digest):
        """Return the site a stored text set belongs to, or None."""
        site_id = self.cache.text_sets.get(digest)
        if site_id is None:
            site_id = self.session.scalar(select(TextSet.site_id).where(TextSet.digest == digest))
            if site_id is not None:
                with self.cache.lock:
                    self.cache.text_sets[digest] = site_id
        return site_id

    def is_served_build(self, build):
        """Tell whether this service ever served the banner build (kept once found)."""
        if build in self.cache.builds:
            return True
        if self.session.get(BannerBuild, build) is None:
            return False
        with self.cache.lock:
            self.cache.builds.add(build)
        return True

    def tracker_categories(self, site, catalog):
        """Return {tracker: category} of the built-in trackers the gate may load for the site
        under a catalog version (a record never names one that was held back)."""
        categories = site.tracker_categories.get(catalog.version)
        if categories is None:
            categories = tracker_categories(site_loadable_trackers(site),
                                            catalog_from_document(catalog.content))
            site.tracker_categories[catalog.version] = categories
        return categories


def _snapshot(session, row, stamp):
    snapshot = SimpleNamespace(**{column.key: getattr(row, column.key)
                                  for column in Site.__table__.columns})
    snapshot.stamp = stamp
    snapshot.tracker_categories = {}  # catalog version -> {tracker: category}
    # A banner loaded before an update reports the versions it showed: any the site has had.
    snapshot.document_digests = DocumentStore(session).digests(row.id)
    snapshot.policy_versions, snapshot.consent_document_versions = served_versions(
        session, row, snapshot.document_digests)
    return snapshot


def _site_stamp(session, site_id):
    """Return the site row's updated_at raw (untyped SQL), exactly as the append's head read
    sees it."""
    return session.execute(text("SELECT updated_at FROM sites WHERE id = :site"),
                           {"site": site_id}).scalar()


def served_versions(session, site, document_digests=None):
    """Return the privacy policy and consent document versions the site has had (None: no
    consent document), from its current row, every saved revision of its settings and every
    legal text stored for it (generated consent documents have no other trace)."""
    policies, documents = {site.privacy_policy_version}, {site.consent_document_version}
    for document in session.scalars(select(SiteRevision.document).filter_by(site_id=site.id)):
        policies.add((document.get("privacy_policy") or {}).get("version"))
        documents.add((document.get("consent_document") or {}).get("version"))
    for kind, version in document_digests or ():
        {POLICY: policies, CONSENT: documents}[kind].add(version)
    return policies, documents
