"""Database models of console accounts, API tokens and the audit log."""
import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.sites.tables import Site
from app.tables import Base, Timestamp, as_utc, utc_now


def new_session_token():
    """Return a fresh random session token."""
    return secrets.token_urlsafe(32)


class Role(StrEnum):
    """What a console user may do."""

    #: Manages the sites assigned to them.
    OWNER = "owner"
    #: Reads and exports proofs; changes nothing.
    AUDITOR = "auditor"
    #: Does everything, including seeing the audit log.
    ADMIN = "admin"


user_sites = Table(
    "user_sites", Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    """A person who logs in to the console."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: werkzeug's scrypt hash; the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(10))
    #: Console language chosen by the user; None follows the browser.
    language: Mapped[str | None] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)
    #: Random; part of every session's user id, so replacing it ends all of the user's sessions.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    sites: Mapped[list[Site]] = relationship(secondary=user_sites, order_by=Site.id)

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        """Return what Flask-Login keeps in the session: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def has_role(self, *roles):
        """Tell whether the user holds one of these roles (admins hold every role)."""
        return self.role == Role.ADMIN or self.role in roles

    def can_manage(self, site_id):
        """Tell whether the user may change this site."""
        # A deleted site is hidden from its owners; auditors and admins still read its proofs.
        return self.role == Role.ADMIN or (self.role == Role.OWNER and any(
            site.id == site_id and site.deleted_at is None for site in self.sites))

    def can_read_proofs(self, site_id):
        """Tell whether the user may read this site's consent records."""
        return self.role in (Role.ADMIN, Role.AUDITOR) or self.can_manage(site_id)


class ApiToken(Base):
    """A personal token for scripted exports; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the token: a stolen database does not give working tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, so its owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now)
    last_used_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Every token expires; the migration gave older ones created_at + 90 days.
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    #: What the token opens; "export" (search and export proofs) is the only scope so far.
    scope: Mapped[str] = mapped_column(String(20), default="export")

    user: Mapped[User] = relationship()

    def has_expired(self, now=None):
        """Tell whether the token is past its expiry."""
        return (now or utc_now()) >= as_utc(self.expires_at)


class AuditEntry(Base):
    """One console or CLI action that changed something."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utc_now, index=True)
    #: The user's e-mail, or "cli" for a shell command.
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
