"""Auditors find records, read them with their chain position, export them and verify offline."""
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import ApiToken
from app.extensions import db
from app.models import ConsentRecord
from tests.conftest import PROJECT_ROOT, login, post_report


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


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_export_and_manifest_verify_offline(app, ledger, auditor, tmp_path, fmt):
    search = auditor.get("/console/records?site=testshop")
    query = search.headers["Location"].split("?", 1)[1]
    exported = auditor.get(f"/console/export?format={fmt}&{query}")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    post_report(app.test_client(), {"late": True})  # refused: nothing new enters the snapshot
    manifest = auditor.get(f"/console/export/manifest?format={fmt}&{query}")
    assert manifest.json["record_count"] == 3
    (tmp_path / f"export.{fmt}").write_bytes(exported.data)
    (tmp_path / "manifest.json").write_bytes(manifest.data)
    (tmp_path / "key.pem").write_bytes(app.test_client().get("/api/v1/ledger/public-key").data)
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "verify_export.py"),
                             str(tmp_path / f"export.{fmt}"), str(tmp_path / "manifest.json"),
                             "--public-key", str(tmp_path / "key.pem")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_export_refuses_bad_format_and_unpinned_queries(app, ledger, auditor):
    assert auditor.get("/console/export?format=xml&up_to=5").json["error"]["field"] == "format"
    assert auditor.get("/console/export?format=csv").json["error"]["field"] == "up_to"


def test_bearer_tokens_export_until_revoked(app, ledger, runner, make_user):
    email = make_user("auditor", email="script@example.com")
    token = runner.invoke(args=["users", "token", "--email", email]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    export = client.get("/console/export?format=ndjson&up_to=1000", headers=headers)
    assert export.status_code == 200 and export.data.count(b"\n") == 3
    # A token opens searches and exports only, not the console's pages.
    assert client.get("/console/integrity", headers=headers).status_code == 403
    owner_page = login(client, email)
    assert owner_page.status_code == 302
    account = client.get("/console/account").data.decode()
    assert token[:10] in account
    token_id = db.session.query(ApiToken).one().id
    revoked = client.post(f"/console/account/tokens/{token_id}/revoke")
    assert revoked.headers["Location"] == "/console/account"
    refused = app.test_client().get("/console/export?format=csv&up_to=1000", headers=headers)
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
    return app.test_client().get("/console/export?format=csv&up_to=1000",
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
