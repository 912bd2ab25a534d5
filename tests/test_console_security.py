"""Every console URL × anonymous, the owner of another site, the site's owner, auditor and admin."""
import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.conftest import ORIGIN, SAMPLE_SITES, login, post_report

OWNER, OTHER, AUDITOR, ADMIN = "owner", "other_owner", "auditor", "admin"
EVERYONE = {OWNER, OTHER, AUDITOR, ADMIN}
SITE_READERS = {OWNER, AUDITOR, ADMIN}
SITE_MANAGERS = {OWNER, ADMIN}

#: (method, url template, who may use it); {record}, {up_to} and {user} (the admin, who may not
#: deactivate themselves) are filled in per test.
ROUTES = [
    ("GET", "/console/", EVERYONE),
    ("GET", "/console/account", EVERYONE),
    ("GET", "/console/records", EVERYONE),
    ("GET", "/console/sites/testshop", SITE_READERS),
    ("GET", "/console/sites/testshop/settings", SITE_MANAGERS),
    ("POST", "/console/sites/testshop/settings", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/catalog", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/catalog/new", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/catalog/analytical/0", SITE_MANAGERS),
    ("POST", "/console/sites/testshop/catalog/analytical/0", SITE_MANAGERS),
    ("POST", "/console/sites/testshop/catalog/analytical/0/delete", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/texts", SITE_MANAGERS),
    ("POST", "/console/sites/testshop/texts", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/documents", SITE_MANAGERS),
    ("POST", "/console/sites/testshop/documents", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/upload", SITE_MANAGERS),
    ("POST", "/console/sites/testshop/upload", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/history", SITE_READERS),
    ("GET", "/console/sites/testshop/history/1", SITE_READERS),
    ("GET", "/console/sites/testshop/preview", SITE_READERS),
    ("GET", "/console/sites/testshop/preview/frame?language=ru", SITE_READERS),
    ("GET", "/console/sites/testshop/stats", SITE_READERS),
    ("GET", "/console/sites/testshop/versions", SITE_READERS),
    ("GET", "/console/sites/testshop/scans", SITE_MANAGERS),
    ("POST", "/console/sites/testshop/scans", SITE_MANAGERS),
    ("GET", "/console/sites/testshop/scans/compare", SITE_MANAGERS),
    ("GET", "/console/records?site=testshop&up_to={up_to}", SITE_READERS),
    ("GET", "/console/records/{record}", SITE_READERS),
    ("GET", "/console/sites/testshop/export.csv?up_to={up_to}", SITE_READERS),
    ("GET", "/console/sites/testshop/export.ndjson.manifest.json?up_to={up_to}", SITE_READERS),
    ("GET", "/console/sites/testshop/export.csv.manifest.json?screenshots=1&up_to={up_to}",
     SITE_READERS),
    ("GET", "/console/sites/testshop/export.screenshots.zip?up_to={up_to}", SITE_READERS),
    ("GET", "/console/export.json?up_to={up_to}", EVERYONE),
    # The old export URLs: checked as before, then redirected (308) to the paths above.
    ("GET", "/console/export?site=testshop&format=csv&up_to={up_to}", SITE_READERS),
    ("GET", "/console/export/manifest?site=testshop&format=csv&up_to={up_to}", SITE_READERS),
    ("GET", "/console/export/screenshots?site=testshop&up_to={up_to}", SITE_READERS),
    ("GET", "/console/integrity", {AUDITOR, ADMIN}),
    ("POST", "/console/integrity/checkpoint", {AUDITOR, ADMIN}),
    ("GET", "/console/audit", {ADMIN}),
    ("GET", "/console/users", {ADMIN}),
    ("GET", "/console/users/{user}", {ADMIN}),
    ("POST", "/console/users/{user}/password", {ADMIN}),
    ("POST", "/console/users/{user}/active", {ADMIN}),
    ("POST", "/console/account/password", EVERYONE),
]


@pytest.fixture
def world(app, runner, make_report, client, make_user):
    """Two sites, one record, and a user of every kind."""
    assert runner.invoke(args=["sites", "import", str(SAMPLE_SITES / "flomni.yaml")]).exit_code == 0
    response = post_report(client, make_report())
    assert response.status_code == 201
    users = {OWNER: make_user("owner", "testshop"), OTHER: make_user("owner", "flomni"),
             AUDITOR: make_user("auditor"), ADMIN: make_user("admin")}
    admin_id = db.session.scalar(select(User.id).filter_by(email=users[ADMIN]))
    return {"users": users, "record": response.json["record_id"], "up_to": 10**9,
            "user": admin_id}


def _call(client, method, template, world):
    url = template.format(record=world["record"], up_to=world["up_to"], user=world["user"])
    return client.open(url, method=method, data={})


def test_anonymous_is_sent_to_login(app, world):
    client = app.test_client()
    wrong = [(method, template, response.status_code) for method, template, _allowed in ROUTES
             if not _to_login(response := _call(client, method, template, world))]
    assert wrong == []


def _to_login(response):
    return response.status_code == 302 and \
        response.headers["Location"].startswith("/console/login?next=")


@pytest.mark.parametrize("who", [OWNER, OTHER, AUDITOR, ADMIN])
def test_role_matrix(app, world, who):
    client = app.test_client()
    assert login(client, world["users"][who]).status_code == 302
    wrong = []
    for method, template, allowed in ROUTES:
        status = _call(client, method, template, world).status_code
        # An empty form post is refused as invalid, never as forbidden.
        ok = status in (200, 302, 308, 400, 422) if who in allowed else status == 403
        if not ok:
            wrong.append((method, template, status))
    assert wrong == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "/demo/"])
def test_login_never_redirects_off_the_console(app, world, target):
    response = login(app.test_client(), world["users"][AUDITOR], next_url=target)
    assert response.headers["Location"] == "/console/"


def test_login_returns_to_the_console_page_asked_for(app, world):
    response = login(app.test_client(), world["users"][AUDITOR], next_url="/console/integrity")
    assert response.headers["Location"] == "/console/integrity"


def test_wrong_password_and_rate_limit(app, world):
    app.config["RATE_LIMIT_LOGIN"] = "3/minute"
    client = app.test_client()
    statuses = [login(client, world["users"][ADMIN], password="wrong password!").status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert b"Too many attempts" in login(client, world["users"][ADMIN]).data


def test_console_pages_send_strict_security_headers(app, world):
    client = app.test_client()
    login(client, world["users"][ADMIN])
    response = client.get("/console/", base_url="https://consent.example")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_session_cookie_is_httponly_lax_and_secure_behind_https(world, sibling_app):
    secure_app = sibling_app(PUBLIC_URL="https://consent.example")
    response = login(secure_app.test_client(), world["users"][ADMIN])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_forms_require_a_csrf_token(world, sibling_app):
    guarded = sibling_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    page = client.get("/console/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    without = client.post("/console/login", data={"email": world["users"][ADMIN],
                                                  "password": "correct horse battery staple"})
    assert without.status_code == 400
    with_token = client.post("/console/login", data={
        "email": world["users"][ADMIN], "password": "correct horse battery staple",
        "csrf_token": token})
    assert with_token.status_code == 302


def test_logs_hold_no_raw_client_address(app, world, caplog):
    client = app.test_client()
    with caplog.at_level("DEBUG"):
        login(client, world["users"][ADMIN], password="wrong password!",)
        client.get("/console/", environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert "203.0.113.77" not in caplog.text
    assert ORIGIN  # the shop's origin is only used to make the record


def _token_route(template):
    path = template.split("?")[0]
    return path == "/console/records" or "/export" in path


def test_bearer_tokens_open_only_search_and_export(app, world, runner):
    token = runner.invoke(args=["users", "token", "--email", world["users"][ADMIN]]).output.strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    wrong = []
    for method, template, _allowed in ROUTES:
        url = template.format(record=world["record"], up_to=world["up_to"], user=world["user"])
        response = client.open(url, method=method, data={}, headers=headers)
        if _token_route(template):
            # An old export URL redirects; the token opens where it leads too.
            if response.status_code == 308:
                response = client.get(response.headers["Location"], headers=headers)
            ok = response.status_code == 200
        else:
            # Refused as JSON naming the header, never the page (even the dashboard and account).
            ok = response.status_code == 403 and response.is_json and \
                response.json["error"]["field"] == "Authorization"
        if not ok:
            wrong.append((method, template, response.status_code))
    assert wrong == []
    assert sum(_token_route(template) for _m, template, _a in ROUTES) == 10
