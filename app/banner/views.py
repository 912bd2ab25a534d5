"""GET /c/<site id>.js, the embed script, and its deferred part: cacheable and compressed."""
import re
from functools import lru_cache

from flask import Response, current_app, request, url_for

from app.banner.blueprint import bp
from app.banner.bundle import build_bundle, build_deferred_bundle, gate_code
from app.banner.config import banner_config, deferred_texts, site_text_sets
from app.extensions import db
from app.ledger.repository import LedgerRepository
from app.sites.repository import SiteRepository
from app.sites.vendors import vendor_additions

SCRIPT_TYPE = "text/javascript"
#: Browsers revalidate within minutes, so a catalog change reaches visitors quickly.
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
#: A deferred part's URL names its code (the build) and its texts (their digest): it never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
DIGEST = re.compile(r"[0-9a-f]{64}")


@bp.get("/c/<site_id>.js")
def embed_script(site_id):
    """Serve a site's banner and gate; a harmless script for an unknown site."""
    site = SiteRepository(db.session).get(site_id)
    if site is None:
        return _unknown_site(site_id)
    if site.deleted_at is not None:
        # 410, and only briefly cached: pages still embedding the tag get a harmless comment.
        return _not_found(f"site {site.id!r} was deleted", "public, max-age=60", status=410)
    bundle = _cached_bundle(site.id, site.updated_at.isoformat(), site.catalog_version,
                            _service_url())
    return _script_response(bundle, CACHE_CONTROL)


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
    try:
        bundle = _cached_deferred_bundle(site_id, digest)
    except LookupError:
        return _not_found("no such text set", "no-store")
    return _script_response(bundle, IMMUTABLE)


def _script_response(bundle, cache_control):
    body, encoding = bundle.encoded(request.headers.get("Accept-Encoding", ""))
    etag = f"{bundle.digest}-{encoding or 'identity'}"
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding",
               "Cross-Origin-Resource-Policy": "cross-origin", "ETag": f'"{etag}"'}
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


def _service_url():
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


@lru_cache(maxsize=256)
def _cached_bundle(site_id, updated_at, catalog_version, service_url):
    # The key changes whenever the site or its catalog does, so every node stays current.
    repository = SiteRepository(db.session)
    site = repository.get(site_id)
    catalog = repository.catalog(site_id, catalog_version)
    _code, css, build = gate_code()
    # Saving the site and starting the service registered these sets and this build
    # (app.publishing): serving the banner writes nothing.
    text_sets = site_text_sets(site, catalog)
    urls = {"api": _api_url(service_url, "api.record_consent"),
            "shown": _api_url(service_url, "api.record_impression"),
            "deferred": _deferred_url(service_url, site_id, build)}
    revisions = reversed(repository.revisions(site_id))
    additions = vendor_additions([(revision.created_at, revision.document) for revision in revisions])
    return build_bundle(banner_config(site, catalog, text_sets, urls, build, css, additions))


@lru_cache(maxsize=1024)
def _cached_deferred_bundle(site_id, digest):
    # A text set never changes under its digest, so neither does this script. A missing one
    # raises, and lru_cache keeps no answer for it.
    text_set = LedgerRepository(db.session).text_set(digest)
    if text_set is None or text_set.site_id != site_id:
        raise LookupError(digest)
    return build_deferred_bundle(deferred_texts(text_set.content))


def _api_url(service_url, endpoint):
    # Reports go to the API once this service has one.
    if endpoint not in current_app.view_functions:
        return None
    return service_url + url_for(endpoint)


def _deferred_url(service_url, site_id, build):
    """Return the deferred part's URL up to its last part, the digest of the visitor's texts."""
    url = url_for("banner.deferred_script", site_id=site_id, build=build, digest="0")
    return service_url + url.removesuffix("0.js")
