"""Auditors find records, read them with their chain position, export them and verify offline."""
import csv
import html
import io
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import ApiToken
from app.extensions import db
from app.models import ConsentRecord
from tests.conftest import PASSWORD, PROJECT_ROOT, SAMPLE_SITES, login, post_report


@pytest.fixture
def ledger(app, make_report, client):
    """Three records of two subjects on the test shop; returns their 201 bodies."""
    bodies = []
    for index, (subject, action) in enumerate([("sbj-00000001", "accept_all"),
                                               ("sbj-00000002", "reject_all"),
                                               ("sbj-00000001", "save_choices")]):
        report = make_report(subject_id=subject, consent_id=f"cns-{index:08d}", ui_action=action,
                             event="grant" if action != "reject_all" else "deny")
        response = post_report(client, report)
        assert response.status_code == 201, response.json
        bodies.append(response.json)
    return bodies


@pytest.fixture
def auditor(app, make_user):
    """A logged-in auditor."""
    client = app.test_client()
    login(client, make_user("auditor"))
    return client


def test_search_pins_a_snapshot_and_finds_by_consent_subject_and_receipt(app, ledger, auditor):
    first = auditor.get("/console/records?consent_id=cns-00000001")
    assert first.status_code == 302 and "up_to=" in first.headers["Location"]
    page = auditor.get(first.headers["Location"]).data.decode()
    assert ledger[1]["record_id"] in page and ledger[0]["record_id"] not in page
    by_subject = auditor.get("/console/records?subject_id=sbj-00000001&up_to=1000",
                             headers={"Accept": "application/json"}).json
    assert by_subject["total"] == 2
    by_receipt = auditor.get(f"/console/records?receipt={ledger[2]['receipt']}&up_to=1000",
                             headers={"Accept": "application/json"}).json
    assert [r["record_id"] for r in by_receipt["records"]] == [ledger[2]["record_id"]]


@pytest.mark.parametrize("query,field", [("receipt=forged.receipt", "receipt"),
                                         ("since=yesterday", "since"),
                                         ("event=nothing", "event")])
def test_bad_search_input_is_a_400_naming_the_field(app, ledger, auditor, query, field):
    response = auditor.get(f"/console/records?{query}&up_to=5", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["field"] == field


def test_record_page_shows_fields_texts_catalog_and_chain_status(app, ledger, auditor, runner):
    assert runner.invoke(args=["ledger", "checkpoint"]).exit_code == 0
    page = auditor.get(f"/console/records/{ledger[1]['record_id']}").data.decode()
    assert "Verified" in page and "chain reaches it" in page and "signature valid" in page
    assert "Test Shop cares about your privacy" in page  # the English title the visitor saw
    assert "Catalog version 1" in page and "reject_all" in page
    second = db.session.query(ConsentRecord).filter_by(seq=2).one()
    db.session.execute(update(ConsentRecord).where(ConsentRecord.id == second.id).values(
        content={**second.content, "ui_action": "accept_all"}))
    db.session.commit()
    tampered = auditor.get(f"/console/records/{ledger[1]['record_id']}").data.decode()
    assert "BROKEN" in tampered and "chain does NOT reach it" in tampered
    integrity = auditor.get("/console/integrity").data.decode()
    assert "BROKEN" in integrity and "testshop" in integrity


def test_record_page_shows_the_catalog_and_texts_as_tables_with_raw_json(app, ledger, auditor,
                                                                        make_report, client):
    from app.banner.bundle import read_bundle_config

    script = client.get("/c/testshop.js?lang=ru", headers={"Accept-Encoding": ""}).data
    russian = make_report(language="ru", texts_digest=read_bundle_config(script)["texts"]["ru"]["digest"],
                          subject_id="sbj-00000003", consent_id="cns-russian1")
    response = post_report(client, russian)
    assert response.status_code == 201, response.json
    record_id = response.json["record_id"]
    page = auditor.get(f"/console/records/{record_id}").data.decode()
    catalog = page.split('id="catalog-items"')[1].split("</table>")[0]
    first = [re.sub(r"<[^>]+>", "", cell).strip()
             for cell in catalog.split("<tbody>")[1].split("</tr>")[0].split("<td>")[1:]]
    assert first == ["Mandatory", "cg_consent", "This site", "Remembers your choice", "6 months"]
    assert "Yandex LLC" in catalog and "regex" in catalog and "localStorage" in catalog
    texts = page.split('id="texts-shown"')[1].split("</table>")[0]
    assert "<th scope=\"col\">Text key</th>" in texts and "<code>accept_all</code>" in texts
    assert "Принять все" in texts or "Принять всё" in texts
    raw = page.split("<details", 3)[1:]
    assert len(raw) == 3 and all("<summary>Raw JSON</summary>" in block for block in raw)
    # Pretty-printed, non-ASCII as it is: no \\uXXXX escapes and no Python dict anywhere.
    assert '\n  &#34;accept_all&#34;: ' in raw[1] and "Принять" in raw[1]
    assert "\\u04" not in page and "{'" not in page and "&#39;name&#39;" not in page


def test_catalog_rows_read_purposes_in_the_records_language():
    from app.ledger.record_view import catalog_rows

    content = {"marketing": [{"name": "_fbp", "provider": "Meta", "lifetime": "90 days",
                              "purpose": {"ru": "Реклама", "en": "Advertising"}}],
               "mandatory": [{"name": "sid", "provider": "first_party", "purpose": "Session",
                              "lifetime": "session", "match": "prefix"}], "note": "not a list"}
    rows = catalog_rows(content, "ru")
    assert [(row.category, row.name, row.purpose, row.match) for row in rows] == [
        ("mandatory", "sid", "Session", "prefix"), ("marketing", "_fbp", "Реклама", "exact")]
    assert catalog_rows(content, "de", "en")[1].purpose == "Advertising"
    assert catalog_rows(None, "ru") == []


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "ndjson": "application/x-ndjson"}


def _links(page):
    """Return the hrefs of a page's export list, in order."""
    hrefs = re.findall(r'href="([^"]+)"', page.split('id="exports"')[1].split("</ul>")[0])
    return [html.unescape(href) for href in hrefs]


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_every_format_exports_at_a_clean_path_with_a_manifest_that_verifies(app, ledger, auditor,
                                                                           tmp_path, fmt):
    search = auditor.get("/console/records?site=testshop&since=&event=&submit=Search")
    pinned = search.headers["Location"]
    up_to = re.search(r"up_to=(\d+)", pinned).group(1)
    links = _links(auditor.get(pinned).data.decode())
    file_url = f"/console/sites/testshop/export.{fmt}?up_to={up_to}"
    manifest_url = f"/console/sites/testshop/export.{fmt}.manifest.json?up_to={up_to}"
    assert file_url in links and manifest_url in links  # empty filters and the button left out
    exported = auditor.get(file_url)
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == MEDIA_TYPES[fmt]  # one charset, named once
    assert exported.headers["Content-Disposition"] == \
        f'attachment; filename="consent-records-{up_to}.{fmt}"'
    assert exported.headers["Link"] == f'<{manifest_url}>; rel="describedby"'
    post_report(app.test_client(), {"late": True})  # refused: nothing new enters the snapshot
    manifest = auditor.get(manifest_url)
    assert (manifest.json["record_count"], manifest.json["format"]) == (3, fmt)
    assert manifest.headers["Content-Disposition"] == \
        f'attachment; filename="consent-records-{up_to}.{fmt}.manifest.json"'
    (tmp_path / f"export.{fmt}").write_bytes(exported.data)
    (tmp_path / "manifest.json").write_bytes(manifest.data)
    (tmp_path / "key.pem").write_bytes(app.test_client().get("/api/v1/ledger/public-key").data)
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "verify_export.py"),
                             str(tmp_path / f"export.{fmt}"), str(tmp_path / "manifest.json"),
                             "--public-key", str(tmp_path / "key.pem")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_export_of_every_site_and_its_filters_keep_short_parameters(app, ledger, auditor):
    pinned = auditor.get("/console/records?subject_id=sbj-00000001&event=grant").headers["Location"]
    up_to = re.search(r"up_to=(\d+)", pinned).group(1)
    links = _links(auditor.get(pinned).data.decode())
    expected = f"/console/export.ndjson?event=grant&subject_id=sbj-00000001&up_to={up_to}"
    assert expected in links
    rows = auditor.get(expected).data.decode().splitlines()
    assert len(rows) == 2 and all('"subject_id":"sbj-00000001"' in row for row in rows)
    assert f"/console/export.screenshots.zip?event=grant&subject_id=sbj-00000001&up_to={up_to}" \
        in links


@pytest.mark.parametrize(("old", "new"), [
    ("/console/export?format=csv&site=testshop&since=&event=grant&up_to=1000",
     "/console/sites/testshop/export.csv?event=grant&up_to=1000"),
    ("/console/export?up_to=1000&format=ndjson", "/console/export.ndjson?up_to=1000"),
    ("/console/export/manifest?site=testshop&format=json&up_to=1000&screenshots=1",
     "/console/sites/testshop/export.json.manifest.json?up_to=1000&screenshots=1"),
    ("/console/export/screenshots?site=testshop&format=&up_to=1000",
     "/console/sites/testshop/export.screenshots.zip?up_to=1000"),
])
def test_old_export_urls_redirect_to_the_clean_ones(app, ledger, auditor, old, new):
    moved = auditor.get(old)
    assert (moved.status_code, moved.headers["Location"]) == (308, new)
    assert auditor.get(old, follow_redirects=True).status_code == 200


def test_export_refuses_bad_paths_formats_and_unpinned_queries(app, ledger, auditor, make_user,
                                                                runner):
    json_please = {"Accept": "application/json"}
    bad = auditor.get("/console/sites/testshop/export.xml?up_to=5")
    assert (bad.status_code, bad.json["error"]["field"]) == (400, "format")
    assert auditor.get("/console/export.xml.manifest.json?up_to=5").json["error"]["field"] == "format"
    assert auditor.get("/console/sites/testshop/export.csv").json["error"]["field"] == "up_to"
    assert auditor.get("/console/sites/testshop/export.csv?up_to=x&since=soon").json["error"][
        "field"] == "since"
    assert auditor.get("/console/sites/nope/export.csv?up_to=5", headers=json_please).status_code == 404
    # The old URLs answer the same errors before they would redirect.
    assert auditor.get("/console/export?format=xml&up_to=5").json["error"]["field"] == "format"
    assert auditor.get("/console/export?format=csv").json["error"]["field"] == "up_to"
    assert runner.invoke(args=["sites", "import", str(SAMPLE_SITES / "flomni.yaml")]).exit_code == 0
    other = app.test_client()
    login(other, make_user("owner", "flomni"))
    refused = other.get("/console/sites/testshop/export.csv?up_to=5", headers=json_please)
    assert refused.status_code == 403
    assert other.get("/console/export?format=csv&site=testshop&up_to=5").json["error"]["field"] == "site"


def test_bearer_tokens_export_until_revoked(app, ledger, runner, make_user):
    email = make_user("auditor", email="script@example.com")
    token = runner.invoke(args=["users", "token", "--email", email]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    export = client.get("/console/export.ndjson?up_to=1000", headers=headers)
    assert export.status_code == 200 and export.data.count(b"\n") == 3
    # Scripts that still use the old URL follow its redirect with the same token.
    old = client.get("/console/export?format=ndjson&up_to=1000", headers=headers,
                     follow_redirects=True)
    assert old.status_code == 200 and old.data == export.data
    # A token opens searches and exports only, not the console's pages.
    assert client.get("/console/integrity", headers=headers).status_code == 403
    owner_page = login(client, email)
    assert owner_page.status_code == 302
    account = client.get("/console/account").data.decode()
    assert token[:10] in account
    token_id = db.session.query(ApiToken).one().id
    revoked = client.post(f"/console/account/tokens/{token_id}/revoke")
    assert revoked.headers["Location"] == "/console/account"
    refused = app.test_client().get("/console/export.csv?up_to=1000", headers=headers)
    assert refused.status_code == 401 and refused.json["error"]["field"] == "Authorization"


def test_stats_count_banners_shown_and_choices_by_language(app, ledger, client, make_user):
    for language in ("en", "en", "ru"):
        response = client.post("/api/v1/impressions", data=f'{{"site":"testshop","language":"{language}"}}',
                               content_type="text/plain",
                               headers={"Origin": "https://www.testshop.test"})
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Origin"] == "https://www.testshop.test"
        assert response.headers["Vary"] == "Origin"
    assert client.post("/api/v1/impressions", data='{"site":"testshop","language":"de"}',
                       headers={"Origin": "https://www.testshop.test"}).json["error"]["field"] == "language"
    assert client.post("/api/v1/impressions", data='{"site":"testshop","language":"en"}',
                       headers={"Origin": "https://evil.test"}).status_code == 403
    owner = app.test_client()
    login(owner, make_user("owner", "testshop"))
    today = datetime.now(UTC).date().isoformat()
    page = owner.get(f"/console/sites/testshop/stats?since={today}&until={today}").data.decode()
    assert "<svg" in page and "Consent rate per category" in page
    row = page.split('<th scope="row">en</th>')[1].split("</tr>")[0]
    assert [cell.split("<")[0] for cell in row.split("<td>")[1:]] == ["2", "1", "1", "1"]
    assert owner.get("/console/sites/testshop/stats?since=2026-01-01&until=2020-01-01").status_code == 400


def test_users_cli_reads_the_password_from_stdin_and_names_bad_fields(app, runner):
    created = runner.invoke(args=["users", "create", "--email", "Dpo@Example.com", "--role", "auditor"],
                            input="a long enough password\n")
    assert created.exit_code == 0, created.output
    assert "dpo@example.com" in runner.invoke(args=["users", "list"]).output
    short = runner.invoke(args=["users", "create", "--email", "x@example.com", "--role", "admin"],
                          input="short\n")
    assert short.exit_code != 0 and "--password" in short.output
    unknown = runner.invoke(args=["users", "create", "--email", "y@example.com", "--role", "owner",
                                  "--site", "nope"], input="a long enough password\n")
    assert unknown.exit_code != 0 and "--site: no site with id 'nope'" in unknown.output
    duplicate = runner.invoke(args=["users", "create", "--email", "dpo@example.com", "--role",
                                    "auditor"], input="a long enough password\n")
    assert duplicate.exit_code != 0 and "--email" in duplicate.output


def test_integrity_shows_the_latest_digest_and_checks_a_kept_one(app, ledger, auditor, runner):
    from app.models import Checkpoint

    assert runner.invoke(args=["ledger", "checkpoint"]).exit_code == 0
    kept = db.session.query(Checkpoint).order_by(Checkpoint.id.desc()).first().digest
    assert kept in auditor.get("/console/integrity").data.decode()
    assert "still holds" in auditor.get(f"/console/integrity?anchor={kept}").data.decode()
    db.session.query(Checkpoint).delete()  # the log cut back to nothing
    db.session.commit()
    cut = auditor.get(f"/console/integrity?anchor={kept}").data.decode()
    assert "BROKEN" in cut and f"checkpoint {kept} kept as an anchor is not in the log" in cut
    refused = auditor.get("/console/integrity?anchor=not-a-digest")
    assert refused.status_code == 400 and "not a checkpoint digest" in refused.data.decode()


def _token(email):
    from app.accounts.models import ApiToken, User

    return db.session.scalars(select(ApiToken).join(User).filter(User.email == email)
                              .order_by(ApiToken.id.desc())).first()


def _export(app, secret):
    return app.test_client().get("/console/export.csv?up_to=1000",
                                 headers={"Authorization": f"Bearer {secret}"})


def test_expired_tokens_are_refused_saying_so(app, ledger, runner, make_user):
    email = make_user("auditor", email="script@example.com")
    secret = runner.invoke(args=["users", "token", "--email", email, "--days", "1"]).output.strip()
    assert _export(app, secret).status_code == 200
    token = _token(email)
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    refused = _export(app, secret)
    assert refused.status_code == 401 and refused.json["error"]["field"] == "Authorization"
    assert "expired" in refused.json["error"]["message"]
    assert "expired" not in _export(app, secret[:-1] + "x").json["error"]["message"]


def test_tokens_of_a_deactivated_user_stay_dead_after_reactivation(app, ledger, runner, make_user):
    email = make_user("auditor", email="script@example.com")
    secret = runner.invoke(args=["users", "token", "--email", email]).output.strip()
    assert _export(app, secret).status_code == 200
    assert runner.invoke(args=["users", "deactivate", "--email", email]).exit_code == 0
    assert _export(app, secret).status_code == 401
    assert runner.invoke(args=["users", "activate", "--email", email]).exit_code == 0
    refused = _export(app, secret)
    assert refused.status_code == 401 and refused.json["error"]["field"] == "Authorization"
    assert _token(email).revoked_at is not None


def test_users_cli_token_expires_after_the_days_asked_for(app, runner, make_user):
    email = make_user("auditor", email="script@example.com")
    assert runner.invoke(args=["users", "token", "--email", email]).exit_code == 0
    token = _token(email)
    assert (token.expires_at - token.created_at, token.scope) == (timedelta(days=90), "export")
    assert runner.invoke(args=["users", "token", "--email", email, "--days", "30"]).exit_code == 0
    assert _token(email).expires_at - _token(email).created_at == timedelta(days=30)
    for days in ("0", "366", "forever"):
        refused = runner.invoke(args=["users", "token", "--email", email, "--days", days])
        assert refused.exit_code != 0 and "--days" in refused.output


def test_account_page_issues_tokens_with_a_chosen_expiry_and_lists_it(app, auditor):
    page = auditor.post("/console/account", data={"token-name": "yearly", "token-days": "365",
                                                  "token-submit": "1"}).data.decode()
    token = db.session.scalars(select(ApiToken)).one()
    assert token.expires_at - token.created_at == timedelta(days=365)
    assert 'id="new-token"' in page and token.expires_at.strftime("%Y-%m-%d %H:%M") in page
    refused = auditor.post("/console/account", data={"token-name": "forever", "token-days": "0",
                                                     "token-submit": "1"}).data.decode()
    assert 'id="token-days-error"' in refused
    assert db.session.query(ApiToken).count() == 1
    token.expires_at = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    assert ">expired<" in auditor.get("/console/account").data.decode()


def test_migration_0015_gives_old_tokens_90_days_and_each_user_a_session_token(empty_database,
                                                                             tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app.accounts.models import User
    from tests.conftest import make_test_app

    app = make_test_app(empty_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="0014")
        for user_id in (1, 2):
            db.session.execute(text(
                "INSERT INTO users (id, email, password_hash, role, active, created_at) VALUES"
                " (:id, :email, 'x', 'auditor', true, '2026-11-01 10:00:00')"),
                {"id": user_id, "email": f"user{user_id}@example.com"})
        db.session.execute(text(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES"
            " (1, 'old', :hash, 'cg_old', '2026-11-01 10:00:00')"), {"hash": "0" * 64})
        db.session.commit()
        upgrade()
        token = db.session.scalars(select(ApiToken)).one()
        assert (token.expires_at.replace(tzinfo=None), token.scope) == (
            datetime(2027, 1, 30, 10, 0), "export")
        tokens = {user.session_token for user in db.session.scalars(select(User))}
        assert len(tokens) == 2 and all(len(value) >= 40 for value in tokens)
        db.session.remove()
        downgrade(revision="0014")
        assert db.session.execute(text("SELECT name FROM api_tokens")).scalar_one() == "old"
        db.session.remove()
        db.engine.dispose()


def test_auditors_sign_a_checkpoint_now_and_see_the_digest_the_cli_prints(app, ledger, auditor,
                                                                         runner, make_user):
    from app.accounts.models import AuditEntry
    from app.models import Checkpoint

    page = auditor.get("/console/integrity").data.decode()
    assert 'action="/console/integrity/checkpoint"' in page and "Sign a checkpoint now" in page
    assert [c.seq for c in db.session.scalars(select(Checkpoint))] == [1]  # the first record's
    signed = auditor.post("/console/integrity/checkpoint", follow_redirects=True)
    assert signed.status_code == 200 and signed.request.path == "/console/integrity"
    text = html.unescape(signed.data.decode())
    assert "Signed 1 checkpoint(s): testshop #3." in text
    assert [c.seq for c in db.session.scalars(select(Checkpoint).order_by(Checkpoint.id))] == [1, 3]
    printed = runner.invoke(args=["ledger", "checkpoint"]).output
    digest = printed.split("log digest ")[1].strip()
    assert "testshop: seq 3 is signed already" in printed
    assert f"Checkpoint log digest to keep: {digest}" in text
    entry = db.session.scalars(select(AuditEntry).filter_by(action="ledger.checkpoint")).one()
    assert entry.actor == "auditor-all@example.com"
    assert entry.details == {"signed": {"testshop": 3}, "log_digest": digest}
    again = html.unescape(auditor.post("/console/integrity/checkpoint",
                                       follow_redirects=True).data.decode())
    assert "nothing new to sign" in again and f"Checkpoint log digest to keep: {digest}" in again
    admin = app.test_client()
    login(admin, make_user("admin"))
    assert "Sign a checkpoint now" in admin.get("/console/integrity").data.decode()
    assert admin.post("/console/integrity/checkpoint").status_code == 302


def test_owners_cannot_sign_checkpoints_and_the_form_needs_its_csrf_token(app, ledger, make_user,
                                                                         sibling_app):
    from app.models import Checkpoint

    owner = app.test_client()
    login(owner, make_user("owner", "testshop"))
    assert owner.get("/console/integrity").status_code == 403
    assert owner.post("/console/integrity/checkpoint").status_code == 403
    from app.signing import signing_key_path

    guarded = sibling_app(WTF_CSRF_ENABLED=True,
                          LEDGER_SIGNING_KEY_FILE=str(signing_key_path(app))).test_client()
    token = _csrf_token(guarded.get("/console/login"))
    assert guarded.post("/console/login", data={"email": make_user("auditor"), "csrf_token": token,
                                                "password": PASSWORD}).status_code == 302
    assert guarded.post("/console/integrity/checkpoint").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Checkpoint)) == 1
    token = _csrf_token(guarded.get("/console/integrity"))
    signed = guarded.post("/console/integrity/checkpoint", data={"csrf_token": token})
    assert signed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Checkpoint)) == 2


def _csrf_token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     page.data.decode()).group(1)


@pytest.fixture
def stats_owner(app, ledger, make_user):
    """The test shop's owner, logged in; banners counted today and ten days ago."""
    from app.ledger.stats import count_impression

    today = datetime.now(UTC).date()
    for day, count in ((today, 3), (today - timedelta(days=10), 2)):
        for _ in range(count):
            count_impression(db.session, "testshop", "en", day)
    db.session.commit()
    owner = app.test_client()
    login(owner, make_user("owner", "testshop"))
    return owner


def _day_rows(page):
    body = page.split('id="by-day"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<time datetime="([0-9-]+)">', body)


def test_stats_presets_fit_the_axis_to_the_days_with_data(app, stats_owner):
    today = datetime.now(UTC).date()
    page = stats_owner.get("/console/sites/testshop/stats").data.decode()  # 30 days by default
    assert 'range=30" aria-current="page"' in page
    assert _day_rows(page) == [today.isoformat(), (today - timedelta(days=10)).isoformat()]
    chart = page.split('<figure class="wide">')[1].split("</figure>")[0]
    assert 'role="img"' in chart and 'aria-label="Banners shown and choices per day"' in chart
    assert "<title>Banners shown and choices per day</title>" in chart
    # Eleven days from the first with data to the last: four bars each, not thirty days of them.
    assert chart.count("<rect") == 11 * 4 + 4  # and the legend's four swatches
    assert "style=" not in page.split('<main id="main">')[1]  # CSP: style-src 'self' only
    week = stats_owner.get("/console/sites/testshop/stats?range=7").data.decode()
    assert 'range=7" aria-current="page"' in week and _day_rows(week) == [today.isoformat()]
    assert week.split('<figure class="wide">')[1].count("<rect") == 4 + 4
    assert stats_owner.get("/console/sites/testshop/stats?range=90").status_code == 200


def test_stats_dates_follow_the_ui_language(app, stats_owner):
    from babel.dates import format_date

    today = datetime.now(UTC).date()
    first = today - timedelta(days=6)
    page = stats_owner.get("/console/sites/testshop/stats?range=7&lang=ru").data.decode()
    stated = page.split('id="stats-range">')[1].split("<a")[0]
    assert format_date(first, "long", locale="ru") in stated
    assert format_date(today, "long", locale="ru") in stated
    assert f">{format_date(today, 'medium', locale='ru')}</time>" in page
    english = stats_owner.get("/console/sites/testshop/stats?range=7&lang=en").data.decode()
    assert format_date(today, "long", locale="en") in english


@pytest.mark.parametrize(("query", "field"), [
    ("range=custom&since=2026-03-01&until=2026-02-01", "since"),
    ("range=custom&since=2024-01-01&until=2026-01-01", "since"),
    ("range=custom&since=2026-13-01", "since"),
    ("range=custom&until=soon", "until"),
    ("range=13", "range"),
])
def test_stats_custom_ranges_are_checked_at_the_field(app, stats_owner, query, field):
    page = stats_owner.get(f"/console/sites/testshop/stats?{query}")
    assert page.status_code == 400
    assert f'id="{field}-error"' in page.data.decode()
    refused = stats_owner.get(f"/console/sites/testshop/stats.csv?{query}")
    assert (refused.status_code, refused.json["error"]["field"]) == (400, field)


def test_stats_csv_lists_the_days_with_data(app, stats_owner):
    today = datetime.now(UTC).date()
    first = today - timedelta(days=29)
    page = stats_owner.get("/console/sites/testshop/stats").data.decode()
    link = html.unescape(re.search(r'href="([^"]*stats\.csv[^"]*)"', page).group(1))
    assert link == (f"/console/sites/testshop/stats.csv?range=custom&since={first.isoformat()}"
                    f"&until={today.isoformat()}")
    response = stats_owner.get(link)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="consent-stats-testshop-{first.isoformat()}-{today.isoformat()}.csv"')
    rows = list(csv.reader(io.StringIO(response.data.decode(), newline="")))
    assert rows == [
        ["day", "shown", "accept_all", "reject_all", "custom", "consent_rate_analytical",
         "consent_rate_marketing"],
        [(today - timedelta(days=10)).isoformat(), "2", "0", "0", "0", "", ""],
        [today.isoformat(), "3", "1", "1", "1", "1.0000", "0.0000"]]


def test_stats_without_data_say_so(app, make_report, make_user):
    owner = app.test_client()  # make_report imported the test shop; nothing was shown or chosen
    login(owner, make_user("owner", "testshop"))
    page = owner.get("/console/sites/testshop/stats?range=7").data.decode()
    assert 'id="no-data"' in page and "<svg" not in page and 'id="by-day"' not in page


def test_stats_of_banners_shown_without_any_choice_draw_no_empty_rate_chart(app, make_report,
                                                                           make_user):
    from app.ledger.stats import count_impression

    count_impression(db.session, "testshop", "en", datetime.now(UTC).date())
    db.session.commit()
    owner = app.test_client()
    login(owner, make_user("owner", "testshop"))
    page = owner.get("/console/sites/testshop/stats?range=7").data.decode()
    assert page.count("<svg") == 1 and "Banners shown and choices per day" in page
    assert "Consent rate per category" not in page
