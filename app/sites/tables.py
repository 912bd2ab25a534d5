"""The tables of sites: their settings, catalog versions and revisions (plain SQLAlchemy).

A site's columns carry the names of its site file's keys; a key holding an object is kept as one
column per field, joined with "_" (operator.legal_name is operator_legal_name). app.sites.columns
maps one to the other.
"""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.tables import Base, Timestamp, utc_now


class Site(Base):
    """A website that embeds the banner, as its site file or console last described it."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The data controller: legal name (one, or {language: name}), registration number,
    #: address, e-mail, country (ISO 3166-1 alpha-2, or None).
    operator_legal_name: Mapped[str | dict] = mapped_column(JSON)
    operator_registration_number: Mapped[str] = mapped_column(String(500), default="")
    operator_address: Mapped[str] = mapped_column(String(500), default="")
    operator_email: Mapped[str] = mapped_column(String(320))
    operator_country: Mapped[str | None] = mapped_column(String(2))
    #: Origins allowed to embed the banner and report consents.
    origins: Mapped[list[str]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    default_language: Mapped[str] = mapped_column(String(12))
    #: Legal regimes, a sorted list of "gdpr" and/or "ru152".
    regime: Mapped[list[str]] = mapped_column(JSON)
    #: Each legal text: its url and supplied text (one, or {language: value}), the file the text
    #: was read from, and its version. The texts themselves are proven by legal_documents.
    privacy_policy_url: Mapped[str | dict | None] = mapped_column(JSON)
    privacy_policy_version: Mapped[str] = mapped_column(String(60))
    privacy_policy_text: Mapped[str | dict | None] = mapped_column(JSON)
    privacy_policy_file: Mapped[str | dict | None] = mapped_column(JSON)
    consent_document_url: Mapped[str | dict | None] = mapped_column(JSON)
    consent_document_version: Mapped[str | None] = mapped_column(String(60))
    consent_document_text: Mapped[str | dict | None] = mapped_column(JSON)
    consent_document_file: Mapped[str | dict | None] = mapped_column(JSON)
    consent_lifetime_days: Mapped[int] = mapped_column(default=180)
    refusal_lifetime_days: Mapped[int | None]
    #: The built-in trackers switched on, {name: id} (names as in app.sites.trackers).
    trackers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: "basic" (gtag.js waits for consent) or "advanced" (cookieless pings before it).
    ga4_consent_mode: Mapped[str] = mapped_column(String(10), default="basic")
    #: Set (true) to run ga4_consent_mode "advanced" on a gdpr site: gtag.js loads before consent.
    ga4_advanced_acknowledged: Mapped[bool] = mapped_column(default=False)
    #: The 152-FZ Art. 12 notice: {filed, reference, localisation_assessed}, or None. Without it
    #: a ru152 site's cross-border trackers are kept but never loaded.
    cross_border_notice: Mapped[dict | None] = mapped_column(JSON)
    #: "refuse" (a GPC signal refuses analytical and marketing) or "ignore".
    gpc: Mapped[str] = mapped_column(String(10), default="refuse")
    #: How proofs keep the client address: "truncate" (/24, /48) or "hash" (keyed HMAC).
    client_ip: Mapped[str] = mapped_column(String(10), default="truncate")
    #: Consent records older than this are purged, leaving a signed anchor.
    retention_days: Mapped[int] = mapped_column(default=1095)
    #: Banner text overrides: language -> text key -> text.
    texts: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Leak reports: {sample}, the share of page views watched (None: app.leaks.rules default).
    leak_reports: Mapped[dict | None] = mapped_column(JSON)
    #: Number of the catalog version visitors are shown now.
    catalog_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now, onupdate=utc_now)
    #: When an admin deleted the site: its banner and intake stop, its ledger stays (for audits).
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Who deleted it (a console user's e-mail).
    deleted_by: Mapped[str | None] = mapped_column(String(320))

    catalogs: Mapped[list["CatalogVersion"]] = relationship(
        back_populates="site", order_by="CatalogVersion.version"
    )


class CatalogVersion(Base):
    """One immutable version of a site's cookie catalog; proofs refer to it forever."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("site_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    version: Mapped[int]
    #: SHA-256 of the canonical JSON of content.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The catalog by category, purposes keyed by language.
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)

    site: Mapped[Site] = relationship(back_populates="catalogs")


class SiteRevision(Base):
    """One saved state of a site's whole configuration: who changed what, and when."""

    __tablename__ = "site_revisions"
    __table_args__ = (UniqueConstraint("site_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    #: 1 for the first state, then one more for each change.
    number: Mapped[int]
    #: The console user's e-mail, or "cli" for a site file import.
    author: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)
    #: Dotted paths of the fields this revision changed, e.g. "catalog.analytical[0].lifetime".
    changes: Mapped[list[str]] = mapped_column(JSON)
    catalog_version: Mapped[int]
    #: The complete site file this revision stands for.
    document: Mapped[dict] = mapped_column(JSON)


class LegalDocument(Base):
    """One exact legal text a site served under a version in a language, named by the SHA-256
    of its UTF-8 bytes (its digest).

    Rows are only ever added: a record names the text its visitor was pointed to by digest. The
    same text is one row per site, kind, version and language, so two sites (or two versions)
    sharing a text each keep their own.
    """

    __tablename__ = "legal_documents"
    __table_args__ = (UniqueConstraint("site_id", "kind", "version", "language", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    #: "policy" (the privacy policy) or "consent" (the 152-FZ consent document).
    kind: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(12))
    version: Mapped[str] = mapped_column(String(60))
    #: "text/plain" or "text/html" (served escaped, never as the owner's markup).
    media_type: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    #: True when the service generated the text from the site's settings.
    generated: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)
