"""Accounts without Flask: create users, check passwords, issue tokens, write the audit log."""
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import ApiToken, AuditEntry, Role, User, new_session_token
from app.sites.tables import Site
from app.tables import utc_now

MIN_PASSWORD_LENGTH = 12
#: werkzeug's scrypt with its default cost; tests pass a cheaper one.
PASSWORD_METHOD = "scrypt"
#: Tokens start with this, so a leaked one is easy to recognise in logs and scanners.
TOKEN_PREFIX = "cg_"
#: Lifetimes a token may be given, in days; there is no unlimited one.
TOKEN_DAYS = (30, 90, 365)
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = max(TOKEN_DAYS)
#: What a token may open; each scope names a set of endpoints in the console.
TOKEN_SCOPES = ("export",)


@functools.cache
def _dummy_hash():
    # Checked when the e-mail is unknown, so a login takes as long either way; made on first use
    # so that no process (a CLI command, a gunicorn worker) pays for it at import.
    return generate_password_hash("not a password", method="scrypt")


class AccountError(Exception):
    """An account cannot be created or changed; names the field at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


class TokenExpired(Exception):
    """A known, unrevoked token is past its expiry."""

    def __init__(self, token):
        super().__init__(f"the token expired at {token.expires_at:%Y-%m-%d %H:%M} UTC")
        self.token = token


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret is shown once and never stored."""

    token: ApiToken
    secret: str


def normalize_email(email):
    """Return the e-mail in the form accounts are stored under, or raise AccountError."""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError("email", str(error)) from None


def create_user(session, email, password, role, site_ids=(), method=PASSWORD_METHOD):
    """Add a user with a hashed password; raise AccountError naming the bad field."""
    email = normalize_email(email)
    if role not in tuple(Role):
        raise AccountError("role", f"role must be one of {', '.join(Role)}")
    _check_password(password)
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise AccountError("email", f"a user with e-mail {email} exists")
    sites = [_site(session, site_id) for site_id in site_ids]
    user = User(email=email, password_hash=generate_password_hash(password, method=method),
                role=str(role), sites=sites)
    session.add(user)
    session.flush()
    return user


def _check_password(password):
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def end_sessions(user):
    """Give the user a new session token, so every session holding the old one ends."""
    user.session_token = new_session_token()


def set_password(user, password, method=PASSWORD_METHOD):
    """Replace the user's password and end all their sessions; raise AccountError if too short."""
    _check_password(password)
    user.password_hash = generate_password_hash(password, method=method)
    end_sessions(user)


def change_password(user, current, new, method=PASSWORD_METHOD):
    """Set a new password once the current one is proven; raise AccountError naming the field."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("current_password", "the current password is wrong")
    set_password(user, new, method)


def deactivate_user(session, user):
    """Stop the account: end its sessions and revoke its tokens, so re-enabling revives neither."""
    user.active = False
    end_sessions(user)
    for token in session.scalars(select(ApiToken).filter_by(user_id=user.id, revoked_at=None)):
        revoke_token(token)


def activate_user(user):
    """Let a deactivated account log in again (with a new login; old sessions stay ended)."""
    user.active = True


def _site(session, site_id):
    site = session.get(Site, site_id)
    if site is None:
        raise AccountError("site", f"no site with id {site_id!r}")
    return site


def authenticate(session, email, password):
    """Return the active user with these credentials, or None."""
    try:
        email = normalize_email(email)
    except AccountError:
        email = ""
    user = session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def issue_token(session, user, name, days=DEFAULT_TOKEN_DAYS, scope="export", now=None):
    """Create a personal API token for user, valid for days; the returned secret is shown once."""
    if not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccountError("days", f"a token lives from 1 to {MAX_TOKEN_DAYS} days")
    if scope not in TOKEN_SCOPES:
        raise AccountError("scope", f"scope must be one of {', '.join(TOKEN_SCOPES)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = now or utc_now()
    token = ApiToken(user=user, name=name.strip()[:100] or "token", token_hash=_digest(secret),
                     prefix=secret[:10], created_at=created, scope=scope,
                     expires_at=created + timedelta(days=days))
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def token_for_secret(session, secret, now=None):
    """Return the unrevoked token of an active user for this secret, or None; note its use.

    :raise TokenExpired: the token is known and unrevoked, but past its expiry.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).filter_by(token_hash=_digest(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = now or utc_now()
    if token.has_expired(now):
        raise TokenExpired(token)
    token.last_used_at = now
    return token


def revoke_token(token):
    """Make a token unusable from now on."""
    if token.revoked_at is None:
        token.revoked_at = utc_now()


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def audit(session, actor, action, target="", **details):
    """Write one entry to the audit log (the caller commits it with the change)."""
    session.add(AuditEntry(actor=actor, action=action, target=target, details=details))
