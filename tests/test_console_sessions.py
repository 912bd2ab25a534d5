"""Sessions end when they should: logout, password changes and deactivation end copied cookies."""
import json
import re

import pytest
from sqlalchemy import select

from app.accounts.models import AuditEntry, User
from app.extensions import db
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def owner(app, make_user):
    """An owner's e-mail (no site needed to open the dashboard)."""
    return make_user("owner")


@pytest.fixture
def admin(app, make_user):
    """A test client logged in as an admin."""
    client = app.test_client()
    assert login(client, make_user("admin")).status_code == 302
    return client


def logged_in(app, email, password=PASSWORD):
    """Return a fresh client logged in as email."""
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def session_cookie(client):
    """Return the value of the client's session cookie, as an attacker would copy it."""
    return client.get_cookie("session").value


def replay(app, cookie, url="/console/", **headers):
    """Send a copied session cookie from another client."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get(url, headers=headers)


def assert_refused(app, cookie):
    """A person gets the login page and a script gets 401 JSON naming Authorization."""
    person = replay(app, cookie)
    assert person.status_code == 302 and person.headers["Location"].startswith("/console/login")
    script = replay(app, cookie, "/console/account", Accept="application/json")
    assert script.status_code == 401 and script.json["error"]["field"] == "Authorization"


def user(email):
    return db.session.scalar(select(User).filter_by(email=email))


def audit_entries(action):
    return db.session.scalars(select(AuditEntry).filter_by(action=action)).all()


def test_logout_ends_a_copied_session_cookie(app, owner):
    client = logged_in(app, owner)
    cookie = session_cookie(client)
    assert replay(app, cookie).status_code == 200  # the copy works while the session lives
    assert client.post("/console/logout").headers["Location"] == "/console/login"
    assert_refused(app, cookie)
    assert [entry.target for entry in audit_entries("logout")] == [""]


def test_logout_ends_every_session_of_the_user(app, owner):
    laptop, phone = logged_in(app, owner), logged_in(app, owner)
    laptop.post("/console/logout")
    assert phone.get("/console/").status_code == 302
    assert logged_in(app, owner).get("/console/").status_code == 200


def test_password_change_ends_other_sessions_and_keeps_this_one(app, owner):
    client, other = logged_in(app, owner), logged_in(app, owner)
    before = session_cookie(client)
    response = client.post("/console/account/password", data={
        "password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
        "password-new_password_again": NEW_PASSWORD})
    assert response.headers["Location"] == "/console/account"
    assert client.get("/console/account").status_code == 200
    assert other.get("/console/").status_code == 302
    assert_refused(app, before)
    assert login(app.test_client(), owner).status_code == 401
    logged_in(app, owner, NEW_PASSWORD)
    (entry,) = audit_entries("account.password")
    assert entry.target == owner and PASSWORD not in json.dumps(entry.details) and \
        NEW_PASSWORD not in json.dumps(entry.details)


@pytest.mark.parametrize(("current", "new", "again", "field"), [
    ("wrong password!!", NEW_PASSWORD, NEW_PASSWORD, "current_password"),
    (PASSWORD, "too short", "too short", "new_password"),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "new_password_again"),
    ("", NEW_PASSWORD, NEW_PASSWORD, "current_password"),
])
def test_password_change_names_the_field_at_fault(app, owner, current, new, again, field):
    client = logged_in(app, owner)
    response = client.post("/console/account/password", data={
        "password-current_password": current, "password-new_password": new,
        "password-new_password_again": again})
    assert response.status_code == 400
    errors = [name for name in ("current_password", "new_password", "new_password_again")
              if f'id="password-{name}-error"' in response.data.decode()]
    assert errors == [field]
    assert client.get("/console/").status_code == 200  # nothing changed, the session lives
    assert audit_entries("account.password") == []


def csrf_token(client, url):
    """Return the CSRF token of the first form on a page."""
    page = client.get(url).data.decode()
    return re.search(r'name="[a-z-]*csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_password_change_requires_a_csrf_token(owner, sibling_app):
    guarded = sibling_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    response = client.post("/console/login", data={
        "email": owner, "password": PASSWORD, "csrf_token": csrf_token(client, "/console/login")})
    assert response.status_code == 302
    change = {"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
              "password-new_password_again": NEW_PASSWORD}
    assert client.post("/console/account/password", data=change).status_code == 400
    assert user(owner).password_hash.startswith("scrypt:1024")  # unchanged
    token = csrf_token(client, "/console/account")
    response = client.post("/console/account/password",
                           data={**change, "password-csrf_token": token})
    assert response.status_code == 302 and client.get("/console/").status_code == 200


def test_admin_password_reset_ends_the_users_sessions(app, owner, admin):
    cookie = session_cookie(logged_in(app, owner))
    target = user(owner).id
    refused = admin.post(f"/console/users/{target}/password", data={
        "reset-new_password": "short", "reset-new_password_again": "short"})
    assert refused.status_code == 400 and 'id="reset-new_password-error"' in refused.data.decode()
    assert replay(app, cookie).status_code == 200
    response = admin.post(f"/console/users/{target}/password", data={
        "reset-new_password": NEW_PASSWORD, "reset-new_password_again": NEW_PASSWORD})
    assert response.headers["Location"] == f"/console/users/{target}"
    assert_refused(app, cookie)
    logged_in(app, owner, NEW_PASSWORD)
    (entry,) = audit_entries("user.password_reset")
    assert entry.target == owner and NEW_PASSWORD not in json.dumps(entry.details)
    assert admin.get("/console/").status_code == 200  # the admin's own session is untouched


def test_admin_may_reset_only_as_admin(app, owner, make_user):
    auditor = logged_in(app, make_user("auditor"))
    response = auditor.post(f"/console/users/{user(owner).id}/password", data={
        "reset-new_password": NEW_PASSWORD, "reset-new_password_again": NEW_PASSWORD})
    assert response.status_code == 403
    logged_in(app, owner)  # the old password still works


@pytest.mark.parametrize("how", ["console", "cli"])
def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(app, runner, owner,
                                                                         admin, how):
    cookie = session_cookie(logged_in(app, owner))
    target = user(owner).id

    def toggle(command):
        if how == "console":
            assert admin.post(f"/console/users/{target}/active").status_code == 302
        else:
            result = runner.invoke(args=["users", command, "--email", owner])
            assert result.exit_code == 0, result.output

    toggle("deactivate")
    assert_refused(app, cookie)
    assert login(app.test_client(), owner).status_code == 401
    toggle("activate")
    assert user(owner).active
    assert_refused(app, cookie)
    assert logged_in(app, owner).get("/console/").status_code == 200
    assert [len(audit_entries(action)) for action in ("user.deactivate", "user.activate")] == [1, 1]


def test_an_admin_cannot_deactivate_themselves(app, admin):
    me = db.session.scalar(select(User).filter_by(role="admin"))
    assert admin.post(f"/console/users/{me.id}/active").status_code == 400
    assert admin.get("/console/").status_code == 200


def test_a_forged_session_naming_another_user_is_refused(app, owner, make_user):
    victim = user(make_user("admin", email="root@example.com"))
    cookie = session_cookie(logged_in(app, owner))
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(cookie)
    # Re-signing the session unchanged still works, so a refusal below is the check's own doing.
    assert replay(app, serializer.dumps(session)).status_code == 200
    own_token = session["_user_id"].partition(":")[2]
    for forged_id in (str(victim.id), f"{victim.id}:{own_token}", f"{victim.id}:",
                      f"{victim.id}:{own_token[:-1]}é"):
        assert_refused(app, serializer.dumps({**session, "_user_id": forged_id}))


def test_users_cli_refuses_a_password_on_the_command_line(app, runner, owner):
    created = runner.invoke(args=["users", "create", "--email", "x@example.com", "--role", "admin",
                                  "--password", "a long enough password"])
    assert created.exit_code != 0
    assert "--password" in created.output and "never taken from the command line" in created.output
    assert user("x@example.com") is None
    reset = runner.invoke(args=["users", "password", "--email", owner, "--password", NEW_PASSWORD])
    assert reset.exit_code != 0 and "never taken from the command line" in reset.output
    logged_in(app, owner)  # unchanged


def test_users_cli_password_reads_stdin_and_ends_sessions(app, runner, owner):
    cookie = session_cookie(logged_in(app, owner))
    short = runner.invoke(args=["users", "password", "--email", owner], input="short\n")
    assert short.exit_code != 0 and "--password: password must have at least 12" in short.output
    assert replay(app, cookie).status_code == 200
    unknown = runner.invoke(args=["users", "password", "--email", "nobody@example.com"],
                            input=NEW_PASSWORD + "\n")
    assert unknown.exit_code != 0 and "--email: no user nobody@example.com" in unknown.output
    result = runner.invoke(args=["users", "password", "--email", owner], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert_refused(app, cookie)
    logged_in(app, owner, NEW_PASSWORD)
    assert [entry.actor for entry in audit_entries("user.password_reset")] == ["cli"]


def test_password_change_guesses_share_the_accounts_login_budget(app, owner):
    app.config["RATE_LIMIT_LOGIN"] = "3/minute"
    client = logged_in(app, owner)  # one login attempt counted
    statuses = [client.post("/console/account/password", data={
        "password-current_password": f"wrong guess {n}!", "password-new_password": NEW_PASSWORD,
        "password-new_password_again": NEW_PASSWORD}).status_code for n in range(4)]
    assert statuses == [400, 400, 429, 429]
