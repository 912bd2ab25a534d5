"""The tables of the consent ledger: records, heads, checkpoints, text sets (plain SQLAlchemy)."""
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.ledger.proof import canonical_text
from app.tables import Base, Timestamp, utc_now


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


class TextSet(Base):
    """The exact banner texts one language showed, stored once by their SHA-256."""

    __tablename__ = "text_sets"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    language: Mapped[str] = mapped_column(String(12))
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)


class BannerBuild(Base):
    """A build of the banner's code this service served: reports may name only these."""

    __tablename__ = "banner_builds"

    build: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_served_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)


class LedgerHead(Base):
    """The end of a site's record chain; appends lock this row to keep the chain linear."""

    __tablename__ = "ledger_heads"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(String(64))


class ConsentRecord(Base):
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


class Checkpoint(Base):
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


class SubjectKey(Base):
    """The hash of the secret a subject's browser keeps; later reports for it must present it.

    secret_hash is None for subjects recorded before reports were bound to their subject: no
    report can be made for them any more (their browsers start a new subject).
    """

    __tablename__ = "subject_keys"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))


class BannerImpression(Base):
    """How often the first layer was shown, per site, day and language."""

    __tablename__ = "banner_impressions"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    language: Mapped[str] = mapped_column(String(12), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
