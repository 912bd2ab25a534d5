"""GET /documents/…: the legal texts a site links to, exactly as stored and hashed.

Each text is served as text/plain in UTF-8, its bytes exactly those its digest covers, so anyone
can hash what they downloaded and compare it with a record. A supplied HTML text is served as its
source, never rendered: the owner's markup does not run on this service. Serving writes nothing;
saving a site stored its texts (app.publishing).
"""
import re

from flask import Blueprint, Response

from app.api.errors import error_response
from app.extensions import db
from app.sites.consent_document import legal_name
from app.sites.document_store import DocumentStore
from app.sites.documents import KINDS, document_link, pick, site_documents, text_digest
from app.sites.repository import SiteRepository

bp = Blueprint("documents", __name__, url_prefix="/documents")

DIGEST = re.compile(r"[0-9a-f]{64}")
#: The current text of a site may change when the site is saved.
CURRENT = "public, max-age=300"
#: A text never changes under its digest.
IMMUTABLE = "public, max-age=31536000, immutable"


@bp.get("/<site_id>/<kind>/<language>")
def current_document(site_id, kind, language):
    """Serve the text of a kind a site's visitors in a language are pointed to now."""
    sites = SiteRepository(db.session)
    site = sites.get(site_id)
    if site is None:
        return _not_found("unknown_site", "no such site", "site")
    if kind not in KINDS:
        return _not_found("unknown_kind", f"kind must be one of {', '.join(KINDS)}", "kind")
    if language not in site.languages:
        return _not_found("unknown_language", "the site does not offer this language", "language")
    texts = site_documents(site, sites.catalog(site.id, site.catalog_version)).get(kind)
    chosen = pick(texts, language, site.default_language)
    stored = chosen and DocumentStore(db.session).get(chosen.digest, site.id)
    if not stored:
        return _not_found("no_document", "the site has no stored text of this kind", "kind")
    return _text_response(stored, CURRENT)


@bp.get("/<digest>")
def document_by_digest(digest):
    """Serve one stored text by its digest, forever the same."""
    stored = DocumentStore(db.session).get(digest) if DIGEST.fullmatch(digest) else None
    if stored is None:
        return _not_found("unknown_document", "no stored text has this digest", "digest")
    return _text_response(stored, IMMUTABLE)


@bp.app_template_global()
def operator_name(site, language=None):
    """Return a site's operator name in a language (default: the site's own), for templates."""
    return legal_name(site, language or site.default_language)


@bp.app_template_global()
def document_href(site, kind, language=None):
    """Return the link to a site's legal text of a kind ("policy", "consent"), or None."""
    sites = SiteRepository(db.session)
    documents = site_documents(site, sites.catalog(site.id, site.catalog_version))
    return document_link(site, documents, kind, language or site.default_language)


def _text_response(stored, cache_control):
    if text_digest(stored.text) != stored.digest:
        # Altered behind the service's back: `ledger verify` names it; nobody is served it.
        return error_response(409, "document_altered", "the stored text no longer matches its "
                              "digest", "digest", headers={"Cache-Control": "no-store"})
    return Response(stored.text.encode("utf-8"), mimetype="text/plain",
                    content_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff",
                             "Content-Language": stored.language, "ETag": f'"{stored.digest}"',
                             "X-Document-Digest": stored.digest,
                             "X-Document-Version": stored.version})


def _not_found(code, message, field):
    return error_response(404, code, message, field, headers={"Cache-Control": "no-store"})
