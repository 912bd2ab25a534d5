"""GET /c/<site id>.js: the embed script, cacheable and compressed."""
from functools import lru_cache

from flask import Response, current_app, request, url_for

from app.banner import bp
from app.banner.bundle import build_bundle, gate_code
from app.banner.config import banner_config
from app.extensions import db
from app.ledger.repository import LedgerRepository
from app.sites.repository import SiteRepository

SCRIPT_TYPE = "text/javascript"
#: Browsers revalidate within minutes, so a catalog change reaches visitors quickly.
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"


@bp.get("/c/<site_id>.js")
def embed_script(site_id):
    """Serve a site's banner and gate; a harmless script for an unknown site."""
    site = SiteRepository(db.session).get(site_id)
    if site is None:
        return _unknown_site(site_id)
    bundle = _cached_bundle(site.id, site.updated_at.isoformat(), site.catalog_version,
                            _service_url())
    body, encoding = bundle.encoded(request.headers.get("Accept-Encoding", ""))
    etag = f"{bundle.digest}-{encoding or 'identity'}"
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding",
               "Cross-Origin-Resource-Policy": "cross-origin", "ETag": f'"{etag}"'}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    if encoding:
        headers["Content-Encoding"] = encoding
    return Response(body, mimetype=SCRIPT_TYPE, headers=headers)


def _unknown_site(site_id):
    # A comment only: the host page keeps working and sees no exception.
    safe_id = "".join(ch for ch in site_id if ch.isalnum() or ch in "-_")[:40]
    body = f"/* Consent Gate: no site {safe_id!r} is configured here. */\n"
    return Response(body, status=404, mimetype=SCRIPT_TYPE,
                    headers={"Cache-Control": "public, max-age=60"})


def _service_url():
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


@lru_cache(maxsize=256)
def _cached_bundle(site_id, updated_at, catalog_version, service_url):
    # The key changes whenever the site or its catalog does, so every node stays current.
    repository = SiteRepository(db.session)
    site = repository.get(site_id)
    catalog = repository.catalog(site_id, catalog_version)
    _code, css, build = gate_code()
    config = banner_config(site, catalog, _consent_api(service_url), build, css)
    # Proofs name the texts a visitor saw by digest: keep every served set, once.
    ledger = LedgerRepository(db.session)
    for language, texts in config["texts"].items():
        ledger.store_text_set(site_id, language, texts["digest"], texts)
    db.session.commit()
    return build_bundle(config)


def _consent_api(service_url):
    # Reports go to the consent ledger once this service has one.
    if "api.record_consent" not in current_app.view_functions:
        return None
    return service_url + url_for("api.record_consent")
