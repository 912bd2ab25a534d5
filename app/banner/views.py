"""GET /c/<site id>.js, the embed script, and its deferred part: cacheable and compressed."""
import re
from functools import lru_cache

from flask import Response, current_app, request, url_for

from app.banner.blueprint import bp
from app.banner.bundle import build_bundle, build_deferred_bundle, build_texts_bundle, gate_code
from app.banner.config import banner_config, deferred_texts, first_layer_texts, site_text_sets
from app.banner.languages import accepted_tags, negotiate, texts_version
from app.embed import is_host_derived, service_base
from app.extensions import db
from app.leaks.rules import watcher_rules
from app.leaks.settings import leak_sample
from app.ledger.repository import LedgerRepository
from app.sites.repository import SiteRepository
from app.sites.vendors import vendor_additions

SCRIPT_TYPE = "text/javascript"
#: Browsers revalidate within minutes, so a catalog change reaches visitors quickly.
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
#: Without CONSENT_PUBLIC_URL (tests, development) the script names the request's host: no shared
#: cache may keep it, or one request with a forged Host would point every visitor elsewhere.
HOST_DERIVED_CACHE_CONTROL = "private, no-cache"
#: A deferred part's URL names its code (the build) and its texts (their digest): it never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
DIGEST = re.compile(r"[0-9a-f]{64}")


@bp.get("/c/<site_id>.js")
def embed_script(site_id):
    """Serve a site's banner and gate in the visitor's language; a harmless script for an
    unknown site.

    ?lang= names the language (a page that knows its own); without it, Accept-Language
    chooses among the site's languages, and caches must keep one copy per language.
    """
    site = SiteRepository(db.session).get(site_id)
    if site is None:
        return _unknown_site(site_id)
    if site.deleted_at is not None:
        # 410, and only briefly cached: pages still embedding the tag get a harmless comment.
        return _not_found(f"site {site.id!r} was deleted", "public, max-age=60", status=410)
    asked = request.args.get("lang")
    tags = [asked] if asked else accepted_tags(request.headers.get("Accept-Language", ""))
    language = negotiate(tags, site.languages, site.default_language)
    bundle = _cached_bundle(site.id, site.updated_at.isoformat(), site.catalog_version,
                            service_base(request.host_url), language)
    negotiated = not asked and len(site.languages) > 1
    cache_control = HOST_DERIVED_CACHE_CONTROL if is_host_derived() else CACHE_CONTROL
    return _script_response(bundle, cache_control, vary_language=negotiated, language=language)


@bp.get("/c/<site_id>/<build>/<version>/<language>.js")
def texts_script(site_id, build, version, language):
    """Serve one language's first-layer texts, for a banner whose page asks for another language
    than the one its script carries.

    The URL names the build and every text set of the site (texts_version), so it never
    changes; a banner of another build or from before a site change gets a 404 no one caches,
    and shows the language its script carries.
    """
    site = SiteRepository(db.session).get(site_id)
    if site is None or build != gate_code()[2] or language not in site.languages:
        return _not_found("no such texts", "no-store")
    text_sets = _cached_text_sets(site.id, site.updated_at.isoformat(), site.catalog_version)
    if version != texts_version(text_sets):
        return _not_found("no such texts", "no-store")
    texts = first_layer_texts(text_sets[language], language)
    return _script_response(build_texts_bundle(texts), IMMUTABLE, language=language)


@bp.get("/c/<site_id>/<build>/<digest>.js")
def deferred_script(site_id, build, digest):
    """Serve the deferred part of one build with one text set, as the site's banner asks for it.

    Only the current build is here: a banner of another build (a stale copy after a deploy) gets
    a harmless 404 that no one caches, and its visitor can still accept or reject on the first
    layer; the Settings button tries again.
    """
    if build != gate_code()[2] or not DIGEST.fullmatch(digest):
        safe_build = "".join(ch for ch in build if ch.isalnum())[:16]
        return _not_found(f"no build {safe_build!r} here", "no-store")
    site = SiteRepository(db.session).get(site_id)
    try:
        bundle = _cached_deferred_bundle(site_id, digest, site and site.catalog_version,
                                         site and leak_sample(site) > 0)
    except LookupError:
        return _not_found("no such text set", "no-store")
    return _script_response(bundle, IMMUTABLE)


def _script_response(bundle, cache_control, vary_language=False, language=None):
    body, encoding = bundle.encoded(request.headers.get("Accept-Encoding", ""))
    etag = f"{bundle.digest}-{encoding or 'identity'}"
    headers = {"Cache-Control": cache_control,
               "Vary": "Accept-Encoding, Accept-Language" if vary_language else "Accept-Encoding",
               "Cross-Origin-Resource-Policy": "cross-origin", "ETag": f'"{etag}"'}
    if language:
        headers["Content-Language"] = language
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(body, mimetype=SCRIPT_TYPE, headers=headers)


def _unknown_site(site_id):
    safe_id = "".join(ch for ch in site_id if ch.isalnum() or ch in "-_")[:40]
    return _not_found(f"no site {safe_id!r} is configured here", "public, max-age=60")


def _not_found(why, cache_control, status=404):
    # A comment only: the host page keeps working and sees no exception.
    body = f"/* Consent Gate: {why}. */\n"
    return Response(body, status=status, mimetype=SCRIPT_TYPE, headers={"Cache-Control": cache_control})


@lru_cache(maxsize=64)
def _cached_text_sets(site_id, updated_at, catalog_version):
    # The key changes whenever the site or its catalog does, so every node stays current.
    # Saving the site and starting the service registered these sets (app.publishing).
    repository = SiteRepository(db.session)
    return site_text_sets(repository.get(site_id), repository.catalog(site_id, catalog_version))


@lru_cache(maxsize=1024)
def _cached_bundle(site_id, updated_at, catalog_version, service_url, language):
    # One entry per negotiated language, never per Accept-Language header: variants stay few.
    repository = SiteRepository(db.session)
    site = repository.get(site_id)
    catalog = repository.catalog(site_id, catalog_version)
    _code, css, build = gate_code()
    # Serving the banner writes nothing: the build and text sets were registered before.
    text_sets = _cached_text_sets(site_id, updated_at, catalog_version)
    urls = {"api": _api_url(service_url, "api.record_consent"),
            "leaks": _api_url(service_url, "api.record_leaks"),
            "deferred": _deferred_url(service_url, site_id, build)}
    revisions = reversed(repository.revisions(site_id))
    additions = vendor_additions([(revision.created_at, revision.document) for revision in revisions])
    return build_bundle(banner_config(site, catalog, text_sets, urls, build, css, additions,
                                      language))


@lru_cache(maxsize=1024)
def _cached_deferred_bundle(site_id, digest, catalog_version, watched):
    # A text set never changes under its digest, so neither do its texts here. A missing one
    # raises, and lru_cache keeps no answer for it. The leak watcher's rules come from the
    # catalog visitors are shown now: a text set names every cookie of its catalog, so a
    # browser's copy under the same digest misses at most a changed match kind or domain.
    text_set = LedgerRepository(db.session).text_set(digest)
    if text_set is None or text_set.site_id != site_id:
        raise LookupError(digest)
    rules = None
    if watched:
        rules = watcher_rules(SiteRepository(db.session).catalog(site_id, catalog_version).content)
    return build_deferred_bundle(deferred_texts(text_set.content), rules)


def _api_url(service_url, endpoint):
    # Reports go to the API once this service has one.
    if endpoint not in current_app.view_functions:
        return None
    return service_url + url_for(endpoint)


def _deferred_url(service_url, site_id, build):
    """Return the deferred part's URL up to its last part, the digest of the visitor's texts."""
    url = url_for("banner.deferred_script", site_id=site_id, build=build, digest="0")
    return service_url + url.removesuffix("0.js")

