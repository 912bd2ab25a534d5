"""Admins invite users by a one-time, expiring link and assign owners their sites."""
import re
import time
from unittest import mock

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.invitations import INVITATION_DAYS, INVITATION_SALT, invitation_token
from app.accounts.models import AuditEntry, User
from app.extensions import db
from tests.conftest import TEST_SHOP, login

NEW_PASSWORD = "a long new password of mine"


@pytest.fixture
def admin(app, make_user, runner):
    """A logged-in admin, with the test shop and the samples' loginom site to assign."""
    assert runner.invoke(args=["sites", "import", str(TEST_SHOP)]).exit_code == 0
    client = app.test_client()
    login(client, make_user("admin"))
    return client


def _invite(admin, email="new-owner@example.com", role="owner", sites=("testshop",)):
    response = admin.post("/console/users/new", data={"email": email, "role": role,
                                                      "sites": list(sites)})
    assert response.status_code == 200, response.data.decode()
    link = re.search(r'<code id="invitation-link">([^<]+)</code>', response.data.decode())[1]
    return link.removeprefix("http://localhost")


def _accept(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"new_password": password, "new_password_again": password})


def _user(email):
    return db.session.scalar(select(User).filter_by(email=email))


def test_an_invited_owner_sets_a_password_once_and_manages_their_site(app, admin):
    path = _invite(admin)
    user = _user("new-owner@example.com")
    assert [site.id for site in user.sites] == ["testshop"] and user.role == "owner"
    # Until the invitation is accepted no password opens the account.
    assert login(app.test_client(), "new-owner@example.com", NEW_PASSWORD).status_code == 401
    invitee = app.test_client()
    assert invitee.get(path).status_code == 200
    accepted = _accept(invitee, path)
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/console/")
    assert invitee.get("/console/sites/testshop/settings").status_code == 200
    # Used once: the link is dead, for the invitee and for anyone who copied it.
    again = app.test_client()
    assert again.get(path).status_code == 410
    assert _accept(again, path, "another long password").status_code == 410
    assert login(app.test_client(), "new-owner@example.com", NEW_PASSWORD).status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "user.invite" in actions
    assert actions.index("user.invite") < actions.index("user.accept_invitation")


def test_an_expired_or_altered_invitation_is_refused(app, admin):
    path = _invite(admin)
    user = _user("new-owner@example.com")
    # A link signed a week and a minute ago, as the service signs them.
    signed_at = time.time() - INVITATION_DAYS * 86400 - 60
    with mock.patch("itsdangerous.timed.time.time", return_value=signed_at):
        old = invitation_token(URLSafeTimedSerializer(app.secret_key, salt=INVITATION_SALT), user)
    client = app.test_client()
    expired = client.get(f"/console/invitations/{old}")
    assert expired.status_code == 410 and "expired" in expired.data.decode()
    assert _accept(client, f"/console/invitations/{old}").status_code == 410
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 410
    # The fresh link still works: refusals change nothing.
    assert _accept(client, path).status_code == 302


def test_a_short_password_stays_on_the_form_and_keeps_the_link(app, admin):
    path = _invite(admin)
    client = app.test_client()
    short = _accept(client, path, "short")
    assert short.status_code == 422 and 'id="new_password-error"' in short.data.decode()
    assert _accept(client, path).status_code == 302


def test_a_taken_e_mail_is_refused_at_the_field(app, admin):
    _invite(admin)
    again = admin.post("/console/users/new", data={"email": "new-owner@example.com",
                                                   "role": "auditor"})
    assert again.status_code == 422
    assert "A user with this e-mail exists" in again.data.decode().split('id="email-error">')[1]


def test_admins_assign_owners_their_sites_from_the_user_page(app, admin, runner):
    from tests.conftest import SAMPLE_SITES

    assert runner.invoke(args=["sites", "import", str(SAMPLE_SITES / "loginom.yaml")]).exit_code == 0
    _invite(admin)
    user = _user("new-owner@example.com")
    page = admin.get(f"/console/users/{user.id}").data.decode()
    assert 'type="checkbox" value="loginom">' in page
    assert 'checked id="sites-sites-1" name="sites-sites" type="checkbox" value="testshop"' in page
    saved = admin.post(f"/console/users/{user.id}/sites",
                       data={"sites-sites": ["loginom"]})
    assert saved.status_code == 302
    db.session.expire_all()
    assert [site.id for site in _user("new-owner@example.com").sites] == ["loginom"]
    entry = db.session.scalar(select(AuditEntry).filter_by(action="user.sites"))
    assert entry.target == "new-owner@example.com" and entry.details == {"sites": ["loginom"]}
    unknown = admin.post(f"/console/users/{user.id}/sites", data={"sites-sites": ["nosuch"]})
    assert unknown.status_code == 400


@pytest.mark.parametrize("role", ["owner", "auditor"])
def test_only_admins_invite_and_assign(app, make_user, runner, role):
    assert runner.invoke(args=["sites", "import", str(TEST_SHOP)]).exit_code == 0
    client = app.test_client()
    email = login(client, make_user(role, *(("testshop",) if role == "owner" else ())))
    assert email.status_code == 302
    target = _user(f"{role}-{'testshop' if role == 'owner' else 'all'}@example.com")
    assert client.get("/console/users/new").status_code == 403
    assert client.post("/console/users/new", data={"email": "x@example.com",
                                                   "role": "admin"}).status_code == 403
    assert client.post(f"/console/users/{target.id}/sites",
                       data={"sites-sites": ["testshop"]}).status_code == 403
    assert client.post(f"/console/users/{target.id}/invitation").status_code == 403
    assert _user("x@example.com") is None
