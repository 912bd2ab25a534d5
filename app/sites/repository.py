"""Store and load sites: site specs in, Site rows and catalog versions out."""
from dataclasses import dataclass

from sqlalchemy import select

from app.ledger.proof import GENESIS_HASH
from app.models import CatalogVersion, LedgerHead, Site, SiteRevision
from app.sites.catalog import catalog_document, catalog_from_document, content_hash
from app.sites.history import changed_paths, site_document
from app.sites.schema import SiteSpec


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
        if created:
            # The chain's head exists before its first record, so that append locks a committed
            # row like every later one (an export's pin waits on it; see latest_record_id).
            self.session.add(LedgerHead(site_id=site.id, seq=0, head_hash=GENESIS_HASH))
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
    site.name = spec.name
    site.operator_legal_name = spec.operator.legal_name
    site.operator_registration_number = spec.operator.registration_number
    site.operator_address = spec.operator.address
    site.operator_email = str(spec.operator.email)
    site.origins = list(spec.origins)
    site.languages = list(spec.languages)
    site.default_language = spec.default_language
    site.regimes = [regime.value for regime in spec.regime]
    site.privacy_policy_url = spec.privacy_policy.url
    site.privacy_policy_version = spec.privacy_policy.version
    document = spec.consent_document
    site.consent_document_url = document.url if document else None
    site.consent_document_version = document.version if document else None
    site.consent_lifetime_days = spec.consent_lifetime_days
    site.refusal_lifetime_days = spec.refusal_lifetime_days
    site.yandex_metrica_id = spec.trackers.yandex_metrica
    site.ga4_measurement_id = spec.trackers.ga4
    site.meta_pixel_id = spec.trackers.meta_pixel
    site.ga4_consent_mode = spec.ga4_consent_mode.value
    site.gpc_mode = spec.gpc.value
    site.ip_mode = spec.client_ip.value
    site.retention_days = spec.retention_days
    site.text_overrides = {language: dict(texts) for language, texts in spec.texts.items()}


def site_spec(site, catalog_version):
    """Rebuild the spec of a stored site with one of its catalog versions."""
    consent_document = None
    if site.consent_document_url:
        consent_document = {
            "url": site.consent_document_url, "version": site.consent_document_version
        }
    return SiteSpec.model_validate({
        "id": site.id,
        "name": site.name,
        "operator": {
            "legal_name": site.operator_legal_name,
            "registration_number": site.operator_registration_number,
            "address": site.operator_address,
            "email": site.operator_email,
        },
        "origins": site.origins,
        "languages": site.languages,
        "default_language": site.default_language,
        "regime": site.regimes,
        "privacy_policy": {"url": site.privacy_policy_url, "version": site.privacy_policy_version},
        "consent_document": consent_document,
        "consent_lifetime_days": site.consent_lifetime_days,
        "refusal_lifetime_days": site.refusal_lifetime_days,
        "trackers": {
            "yandex_metrica": site.yandex_metrica_id,
            "ga4": site.ga4_measurement_id,
            "meta_pixel": site.meta_pixel_id,
        },
        "ga4_consent_mode": site.ga4_consent_mode,
        "gpc": site.gpc_mode,
        "client_ip": site.ip_mode,
        "retention_days": site.retention_days,
        "texts": site.text_overrides or {},
        "catalog": catalog_from_document(catalog_version.content),
    })
