"""Photograph the current build of a site's banner in every language, and store what is new."""
from dataclasses import dataclass, field

from app.banner.bundle import build_bundle, build_deferred_bundle, gate_code
from app.banner.config import banner_config, deferred_texts, site_text_sets
from app.evidence.capture import SERVICE, BannerScripts, capture
from app.evidence.store import ScreenshotStore, Shot
from app.evidence.tables import LAYERS, VIEWPORTS
from app.sites.repository import SiteRepository

#: Every (layer, viewport) a complete set of one language holds.
COMPLETE = {(layer, viewport) for layer in LAYERS for viewport in VIEWPORTS}


@dataclass
class Outcome:
    """What one site's snapshot did."""

    site_id: str
    build: str
    stored: int = 0
    skipped: int = 0
    languages: list = field(default_factory=list)


def banner_scripts(site, catalog):
    """Return the site's banner as this code serves it, with its text sets per language."""
    _code, css, build = gate_code()
    text_sets = site_text_sets(site, catalog)
    deferred = f"{SERVICE}/c/{site.id}/{build}/"
    # Real-looking report addresses, so the banner behaves as served; capture aborts them.
    urls = {"api": f"{SERVICE}/api/v1/consents", "deferred": deferred}
    embed = {language: build_bundle(banner_config(site, catalog, text_sets, urls, build, css,
                                                  language=language)).body
             for language in text_sets}
    parts = {texts["digest"]: build_deferred_bundle(deferred_texts(texts)).body
             for texts in text_sets.values()}
    return BannerScripts(site.id, embed, deferred, parts), text_sets, build


def snapshot_site(session, site_id, chromium, force=False):
    """Capture the languages of a site's current build that miss a screenshot; store them.

    Rows are never replaced: with force every language is captured again, and what is already
    stored is kept. The caller commits.
    """
    sites = SiteRepository(session)
    site = sites.get(site_id)
    if site is None:
        raise LookupError(site_id)
    scripts, text_sets, build = banner_scripts(site, sites.catalog(site.id, site.catalog_version))
    store, outcome = ScreenshotStore(session), Outcome(site_id, build)
    wanted = [language for language, texts in text_sets.items()
              if force or store.taken(site_id, build, texts["digest"]) != COMPLETE]
    outcome.skipped = (len(text_sets) - len(wanted)) * len(COMPLETE)
    if not wanted:
        return outcome
    # No transaction stays open while Chromium draws (SQLite writers would wait on it).
    session.rollback()
    for photo in capture(chromium, scripts, wanted):
        stored = store.store(Shot(
            site_id=site_id, build=build, language=photo.language,
            texts_digest=text_sets[photo.language]["digest"], layer=photo.layer,
            viewport=photo.viewport, width=photo.width, height=photo.height,
            captured_at=photo.captured_at, png=photo.png))
        outcome.stored += stored
        outcome.skipped += not stored
    outcome.languages = wanted
    return outcome
