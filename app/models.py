"""Database models: sites, versioned catalogs, banner texts and the consent ledger."""
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.extensions import db
from app.ledger.proof import canonical_text

#: Timestamps are UTC and keep their zone where the database can.
Timestamp = DateTime(timezone=True)


def utc_now():
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class CanonicalJSON(TypeDecorator):
    """A JSON column whose stored text is the canonical serialization of its value.

    The ledger hashes exactly this text, so verification can hash the stored text as it is instead
    of parsing and re-serializing every record. SQLite keeps the text of a JSON column verbatim and
    PostgreSQL's json type (not jsonb) does too; reading it back still yields the parsed value.
    """

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            from psycopg.types.json import Json

            return lambda value: None if value is None else Json(value, dumps=canonical_text)
        return lambda value: None if value is None else canonical_text(value)


class Site(db.Model):
    """A website that embeds the banner, as its site file or console last described it."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The data controller: legal name, registration number, address, e-mail.
    operator_legal_name: Mapped[str] = mapped_column(String(2000))
    operator_registration_number: Mapped[str] = mapped_column(String(500), default="")
    operator_address: Mapped[str] = mapped_column(String(500), default="")
    operator_email: Mapped[str] = mapped_column(String(320))
    #: Origins allowed to embed the banner and report consents.
    origins: Mapped[list[str]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    default_language: Mapped[str] = mapped_column(String(12))
    #: Legal regimes, a sorted list of "gdpr" and/or "ru152".
    regimes: Mapped[list[str]] = mapped_column(JSON)
    privacy_policy_url: Mapped[str] = mapped_column(String(500))
    privacy_policy_version: Mapped[str] = mapped_column(String(60))
    consent_document_url: Mapped[str | None] = mapped_column(String(500))
    consent_document_version: Mapped[str | None] = mapped_column(String(60))
    consent_lifetime_days: Mapped[int] = mapped_column(default=180)
    refusal_lifetime_days: Mapped[int | None]
    yandex_metrica_id: Mapped[str | None] = mapped_column(String(20))
    ga4_measurement_id: Mapped[str | None] = mapped_column(String(20))
    meta_pixel_id: Mapped[str | None] = mapped_column(String(20))
    #: "basic" (gtag.js waits for consent) or "advanced" (cookieless pings before it).
    ga4_consent_mode: Mapped[str] = mapped_column(String(10), default="basic")
    #: "refuse" (a GPC signal refuses analytical and marketing) or "ignore".
    gpc_mode: Mapped[str] = mapped_column(String(10), default="refuse")
    #: Banner text overrides: language -> text key -> text.
    text_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Consent records older than this are purged, leaving a signed anchor.
    retention_days: Mapped[int] = mapped_column(default=1095)
    #: How proofs keep the client address: "truncate" (/24, /48) or "hash" (keyed HMAC).
    ip_mode: Mapped[str] = mapped_column(String(10), default="truncate")
    #: Number of the catalog version visitors are shown now.
    catalog_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now, onupdate=utc_now)

    catalogs: Mapped[list["CatalogVersion"]] = relationship(
        back_populates="site", order_by="CatalogVersion.version"
    )


class CatalogVersion(db.Model):
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


class TextSet(db.Model):
    """The exact banner texts one language showed, stored once by their SHA-256."""

    __tablename__ = "text_sets"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    language: Mapped[str] = mapped_column(String(12))
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)


class BannerBuild(db.Model):
    """A build of the banner's code this service served: reports may name only these."""

    __tablename__ = "banner_builds"

    build: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_served_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)


class LedgerHead(db.Model):
    """The end of a site's record chain; appends lock this row to keep the chain linear."""

    __tablename__ = "ledger_heads"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(String(64))


class ConsentRecord(db.Model):
    """One consent event, append-only; record_hash chains it to the site's previous record."""

    __tablename__ = "consent_records"
    __table_args__ = (
        UniqueConstraint("site_id", "seq", name="uq_consent_records_site_seq"),
        UniqueConstraint("site_id", "event_id", name="uq_consent_records_site_event"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    #: Position in the site's chain, from 1.
    seq: Mapped[int]
    record_id: Mapped[str] = mapped_column(String(36), unique=True)
    #: The banner's idempotency key: a retried report stores nothing twice.
    event_id: Mapped[str] = mapped_column(String(64))
    consent_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(16))
    server_time: Mapped[datetime] = mapped_column(Timestamp, index=True)
    #: Everything the hash covers, stored as the canonical text that is hashed.
    content: Mapped[dict] = mapped_column(CanonicalJSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(db.Model):
    """A signed statement of a site's chain head at one moment; purge anchors are checkpoints too."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    seq: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))
    #: ISO 8601 UTC time, exactly as signed.
    created_at: Mapped[str] = mapped_column(String(40))
    #: Fingerprint of the public key that verifies the signature.
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))
    #: "checkpoint", or "anchor": records up to seq were purged and the chain resumes from here.
    kind: Mapped[str] = mapped_column(String(10), default="checkpoint")
    #: The digest of the checkpoint signed just before this one, for any site (the checkpoint
    #: log), so removing a checkpoint, or a whole site with its checkpoints, breaks a link.
    #: None on checkpoints signed before the log existed.
    prev_digest: Mapped[str | None] = mapped_column(String(64))
    #: SHA-256 of the signed payload (which includes prev_digest).
    digest: Mapped[str | None] = mapped_column(String(64))
    #: An RFC 3161 time-stamp reply over the signed payload (base64 DER), from CONSENT_TSA_URL;
    #: None until the TSA answered (or when no TSA is configured).
    tsa_token: Mapped[str | None] = mapped_column(Text)
    #: The token's time, ISO 8601 UTC, for display; verification reads it from the token.
    tsa_time: Mapped[str | None] = mapped_column(String(40))


class SubjectKey(db.Model):
    """The hash of the secret a subject's browser keeps; later reports for it must present it.

    secret_hash is None for subjects recorded before reports were bound to their subject: no
    report can be made for them any more (their browsers start a new subject).
    """

    __tablename__ = "subject_keys"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))


class SiteRevision(db.Model):
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


class BannerImpression(db.Model):
    """How often the first layer was shown, per site, day and language."""

    __tablename__ = "banner_impressions"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    language: Mapped[str] = mapped_column(String(12), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
