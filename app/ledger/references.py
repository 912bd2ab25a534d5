"""What records name by hash, checked against what is stored under those hashes (no Flask inside).

A record keeps only the hash of the catalog version and of the text set the visitor was shown;
the catalog and the texts live in tables of their own. An edited catalog or text set no longer
matches its hash, and one swapped in under the old hash no longer matches the records.
"""
from sqlalchemy import select

from app.ledger.proof import texts_digest
from app.ledger.tables import TextSet
from app.sites.catalog import content_hash
from app.sites.documents import text_digest
from app.sites.tables import CatalogVersion, LegalDocument


def stored_problems(session, site_id):
    """Return the first stored catalog version or text set of a site that does not match its
    own hash, as a problem naming it, or ""."""
    for version, stored_hash, content in session.execute(
            select(CatalogVersion.version, CatalogVersion.content_hash, CatalogVersion.content)
            .filter_by(site_id=site_id).order_by(CatalogVersion.version)):
        if content_hash(content) != stored_hash:
            return f"catalog version {version}: its content does not match its hash (altered)"
    for digest, language, content in session.execute(
            select(TextSet.digest, TextSet.language, TextSet.content).filter_by(site_id=site_id)
            .order_by(TextSet.digest)):
        if not _text_set_holds(site_id, digest, language, content):
            return f"text set {digest} ({language}): its texts do not match their digest (altered)"
    for digest, kind, language, text in session.execute(
            select(LegalDocument.digest, LegalDocument.kind, LegalDocument.language,
                   LegalDocument.text).filter_by(site_id=site_id).order_by(LegalDocument.digest)):
        if not isinstance(text, str) or text_digest(text) != digest:
            return (f"legal text {digest} ({kind}, {language}): its text does not match its "
                    "digest (altered)")
    return ""


def _text_set_holds(site_id, digest, language, content):
    if not isinstance(content, dict) or content.get("digest") != digest:
        return False
    texts = {key: value for key, value in content.items() if key != "digest"}
    return texts_digest(site_id, language, texts) == digest


def reference_checker(session, site_id):
    """Return a function that checks what a site's records name by hash ("catalog", version,
    hash), ("texts", digest) and ("document", digest) against the stored catalogs, text sets and
    legal texts; it returns a problem
    naming the first missing or different one, or ""."""
    catalogs = dict(session.execute(select(CatalogVersion.version, CatalogVersion.content_hash)
                                    .filter_by(site_id=site_id)).all())
    text_sets = set(session.scalars(select(TextSet.digest).filter_by(site_id=site_id)))
    documents = set(session.scalars(select(LegalDocument.digest).filter_by(site_id=site_id)))

    def check(references):
        stored = stored_problems(session, site_id)
        if stored:
            return stored
        for reference in sorted(references, key=repr):
            if reference[0] == "catalog":
                _kind, version, digest = reference
                if catalogs.get(version) != digest:
                    return (f"records name catalog version {version} with hash {digest}, which "
                            "the stored catalog does not have (altered or removed)")
            elif reference[0] == "document" and reference[1] not in documents:
                return (f"records name the legal text {reference[1]}, which is not stored for "
                        "the site (removed or altered)")
            elif reference[0] == "texts" and reference[1] not in text_sets:
                return (f"records name the text set {reference[1]}, which is not stored for the "
                        "site (removed or altered)")
        return ""

    return check
