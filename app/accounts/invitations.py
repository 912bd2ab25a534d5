"""Invitations: a new user sets their own password through a signed, expiring, one-time link.

No e-mail goes out from here; the admin copies the link and sends it. The link is signed with the
service's secret and names the user and a fingerprint of their password hash and session token:
setting the password changes both, so a link works once, and any reset or deactivation in between
ends it too.
"""
import hashlib
import secrets

from itsdangerous import BadSignature, SignatureExpired

from app.accounts.models import User
from app.accounts.service import PASSWORD_METHOD, create_user, set_password

#: How long an invitation link works.
INVITATION_DAYS = 7
INVITATION_SALT = "console.invitation"


class InvitationError(Exception):
    """An invitation link cannot be used: unknown, altered, expired or used already."""


def invite_user(session, email, role, site_ids=(), method=PASSWORD_METHOD):
    """Create an account no one can log in to until the invitation is accepted."""
    # A random password no one knows: the account opens only through the invitation link.
    return create_user(session, email, secrets.token_urlsafe(32), role, site_ids, method=method)


def _fingerprint(user):
    state = f"{user.password_hash}\n{user.session_token}".encode()
    return hashlib.sha256(state).hexdigest()[:32]


def invitation_token(serializer, user):
    """Return the signed token of an invitation link for user."""
    return serializer.dumps({"user": user.id, "state": _fingerprint(user)})


def invited_user(session, serializer, token, max_age=INVITATION_DAYS * 86400):
    """Return the active user a still usable invitation token names; raise InvitationError."""
    try:
        claim = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvitationError("this invitation link has expired; ask for a new one") from None
    except BadSignature:
        raise InvitationError("this invitation link is not valid") from None
    user = session.get(User, claim.get("user")) if isinstance(claim, dict) else None
    if user is None or not user.active or claim.get("state") != _fingerprint(user):
        raise InvitationError("this invitation link was used already or withdrawn") from None
    return user


def accept_invitation(session, serializer, token, password, method=PASSWORD_METHOD,
                      max_age=INVITATION_DAYS * 86400):
    """Set the invited user's password, which ends the link; return the user.

    :raise InvitationError: the link is not usable. :raise AccountError: the password is not.
    """
    user = invited_user(session, serializer, token, max_age)
    set_password(user, password, method)
    return user

