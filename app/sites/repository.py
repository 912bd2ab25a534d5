"""Store and load sites: site specs in, Site rows and catalog versions out."""
from dataclasses import dataclass

from sqlalchemy import select

from app.sites.catalog import catalog_document, catalog_from_document, content_hash
from app.sites.columns import columns_from, document_from
from app.sites.history import changed_paths, site_document
from app.sites.schema import SiteSpec
from app.sites.tables import CatalogVersion, Site, SiteRevision


@dataclass(frozen=True)
class ImportOutcome:
    """What storing a site spec changed."""

    site: Site
    created: bool
    catalog_version: int
    new_catalog_version: bool


class SiteRepository:
    """Sites and catalog versions in one SQLAlchemy session."""

    def __init__(self, session):
        self.session = session

    def get(self, site_id):
        """Return the site with this id, or None."""
        return self.session.get(Site, site_id)

    def list(self):
        """Return every site, ordered by id."""
        return list(self.session.scalars(select(Site).order_by(Site.id)))

    def catalog(self, site_id, version):
        """Return one stored catalog version, or None."""
        return self.session.scalar(
            select(CatalogVersion).filter_by(site_id=site_id, version=version)
        )

    def save(self, spec, author="cli"):
        """Create or update a site from its spec; add a catalog version when the catalog changed.

        Every save that changes anything adds a revision naming the author.
        """
        site = self.get(spec.id)
        created = site is None
        if created:
            site = Site(id=spec.id, catalog_version=0)
            self.session.add(site)
        _apply_spec(site, spec)
        document = catalog_document(spec.catalog, spec.default_language)
        digest = content_hash(document)
        current = None if created else self.catalog(site.id, site.catalog_version)
        changed = current is None or current.content_hash != digest
        if changed:
            site.catalog_version += 1
            self.session.add(CatalogVersion(
                site=site, version=site.catalog_version, content_hash=digest, content=document
            ))
        self.session.flush()
        self._add_revision(site, spec, author)
        return ImportOutcome(site, created, site.catalog_version, changed)

    def _add_revision(self, site, spec, author):
        document = site_document(spec)
        latest = self.revisions(site.id, limit=1)
        previous = latest[0] if latest else None
        changes = changed_paths(previous.document if previous else {}, document)
        if previous and not changes:
            return
        self.session.add(SiteRevision(
            site_id=site.id, number=(previous.number if previous else 0) + 1, author=author,
            changes=changes if previous else ["(created)"], catalog_version=site.catalog_version,
            document=document))
        self.session.flush()

    def revisions(self, site_id, limit=None):
        """Return a site's revisions, newest first."""
        statement = select(SiteRevision).filter_by(site_id=site_id).order_by(
            SiteRevision.number.desc()).limit(limit)
        return list(self.session.scalars(statement))

    def revision(self, site_id, number):
        """Return one revision of a site, or None."""
        return self.session.scalar(select(SiteRevision).filter_by(site_id=site_id, number=number))


def _apply_spec(site, spec):
    for column, value in columns_from(site_document(spec)).items():
        setattr(site, column, value)


def site_spec(site, catalog_version):
    """Rebuild the spec of a stored site with one of its catalog versions."""
    # Stored data is read back as saved, even if a guard added since would refuse it now.
    return SiteSpec.model_validate({**document_from(site),
                                    "catalog": catalog_from_document(catalog_version.content)},
                                   context={"stored": True})
