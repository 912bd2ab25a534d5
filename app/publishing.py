"""Publish a site version: store it, open its chain, and register what its banner will show
(its text sets, its build and the legal texts it links to).

Proofs name the banner's texts and code by digest, and the intake accepts only digests the
service registered. Registering happens here, when a site is saved and when the service starts
(a deploy may bring new code or translations), never while a banner is served.
"""
from app.banner.bundle import gate_code
from app.banner.config import site_text_sets
from app.ledger.repository import LedgerRepository
from app.sites.deletion import is_deleted
from app.sites.document_store import DocumentStore
from app.sites.repository import SiteRepository

#: Key of session.info naming the sites published in the session's transaction: their banners
#: are photographed once it commits (app.screenshots).
PUBLISHED_SITES = "consent_gate.published_sites"


class SiteDeleted(Exception):
    """A site file names a deleted site: its id stays reserved for the ledger it keeps."""


def publish_site(session, spec, author="cli"):
    """Save a site spec, open the chain of a new site and register its banner; return the outcome."""
    # A deleted site keeps its row so that its proofs stay verifiable; saving over it would
    # revive its banner and intake behind the admin who deleted it.
    if is_deleted(SiteRepository(session).get(spec.id)):
        raise SiteDeleted(f"site {spec.id} is deleted; its id stays reserved for its ledger")
    outcome = SiteRepository(session).save(spec, author=author)
    if outcome.created:
        LedgerRepository(session).open_chain(outcome.site.id)
    register_banner(session, outcome.site)
    session.info.setdefault(PUBLISHED_SITES, set()).add(outcome.site.id)
    return outcome


def register_banner(session, site):
    """Store the build this code serves and the site's text sets in every language (idempotent)."""
    ledger = LedgerRepository(session)
    ledger.store_banner_build(gate_code()[2])
    _register_text_sets(ledger, SiteRepository(session), site)


def register_every_banner(session):
    """Register the banners of every site, as this code and its translations serve them."""
    ledger, repository = LedgerRepository(session), SiteRepository(session)
    ledger.store_banner_build(gate_code()[2])
    sites = repository.list()
    for site in sites:
        _register_text_sets(ledger, repository, site)
    return len(sites)


def _register_text_sets(ledger, repository, site):
    catalog = repository.catalog(site.id, site.catalog_version)
    # The documents the texts link to are stored first: a record proves them by digest.
    DocumentStore(repository.session).store_current(site, catalog)
    for language, texts in site_text_sets(site, catalog).items():
        ledger.store_text_set(site.id, language, texts["digest"], texts)
