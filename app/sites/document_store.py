"""Store and read a site's legal texts by digest: rows are added, never changed (no Flask)."""
from sqlalchemy import select

from app.sites.documents import site_documents
from app.sites.tables import LegalDocument


class DocumentStore:
    """The legal_documents table in one SQLAlchemy session."""

    def __init__(self, session):
        self.session = session

    def store_current(self, site, catalog_version):
        """Store every text the site has now that is not stored yet; return their digests."""
        digests = []
        for texts in site_documents(site, catalog_version).values():
            for legal_text in texts.values():
                self.store(site.id, legal_text)
                digests.append(legal_text.digest)
        return digests

    def store(self, site_id, legal_text):
        """Store one text of a site under its digest, version and language, unless it is there
        already (idempotent)."""
        digest = legal_text.digest
        if self.session.scalar(select(LegalDocument.id).filter_by(
                site_id=site_id, kind=legal_text.kind, version=legal_text.version,
                language=legal_text.language, digest=digest)) is not None:
            return
        self.session.add(LegalDocument(
            digest=digest, site_id=site_id, kind=legal_text.kind, language=legal_text.language,
            version=legal_text.version, media_type=legal_text.media_type, text=legal_text.text,
            generated=legal_text.generated))
        self.session.flush()

    def get(self, digest, site_id=None):
        """Return a stored text with this digest (of the site, when given), or None."""
        statement = select(LegalDocument).filter_by(digest=digest)
        if site_id is not None:
            statement = statement.filter_by(site_id=site_id)
        return self.session.scalars(statement.order_by(LegalDocument.id).limit(1)).first()

    def digests(self, site_id):
        """Return {(kind, version): {language: digest}} of every text the site ever served;
        of two texts under one version and language, the later stored wins."""
        found = {}
        rows = self.session.execute(
            select(LegalDocument.kind, LegalDocument.version, LegalDocument.language,
                   LegalDocument.digest).filter_by(site_id=site_id)
            .order_by(LegalDocument.id))
        for kind, version, language, digest in rows:
            found.setdefault((kind, version), {})[language] = digest
        return found
