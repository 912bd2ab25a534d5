"""The consent intake and receipts, on SQLite and PostgreSQL."""
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.ledger.proof import texts_digest
from app.models import ConsentRecord
from tests.conftest import ORIGIN, post_report

post = post_report

def _count():
    return db.session.scalar(select(func.count()).select_from(ConsentRecord))


@pytest.mark.parametrize("content_type", ["text/plain", "application/json"])
def test_report_is_recorded_with_a_receipt(client, make_report, content_type):
    response = post(client, make_report(), content_type=content_type)
    assert response.status_code == 201, response.json
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Methods" not in response.headers  # a preflight's only
    assert response.json["seq"] == 1
    record = db.session.scalar(select(ConsentRecord))
    content = record.content
    assert content["page_origin"] == ORIGIN and content["page_path"] == "/checkout"
    assert content["client_ip"] == "127.0.0.0/24"
    assert content["user_agent"] == {"browser": "Chrome", "version": "156", "os": "Linux"}
    assert content["trackers"] == ["ga4", "yandex_metrica"]
    assert content["catalog_hash"] and content["regime"] == ["gdpr", "ru152"]


def test_retried_report_is_stored_once(client, make_report):
    report = make_report()
    first, second = post(client, report), post(client, report)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json["record_id"] == second.json["record_id"]
    assert _count() == 1


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    (lambda r: "{not json", 400, "invalid_json", None),
    (lambda r: "[1, 2]", 400, "invalid_json", None),
    (lambda r: {k: v for k, v in r.items() if k != "consent_id"}, 400, "invalid_field", "consent_id"),
    (lambda r: {**r, "extra": 1}, 400, "invalid_field", "extra"),
    (lambda r: {**r, "catalog_version": "one"}, 400, "invalid_field", "catalog_version"),
    (lambda r: {**r, "site": "nope"}, 404, "unknown_site", "site"),
    (lambda r: {**r, "choices": {**r["choices"], "social": True}}, 422, "unknown_category",
     "choices"),
    (lambda r: {**r, "choices": {"mandatory": True, "analytical": True}}, 422,
     "missing_category", "choices"),
    (lambda r: {**r, "choices": {**r["choices"], "mandatory": False}}, 422, "mandatory_refused",
     "choices"),
    (lambda r: {**r, "event": "approve"}, 422, "unknown_event", "event"),
    (lambda r: {**r, "ui_action": "swipe"}, 422, "unknown_ui_action", "ui_action"),
    (lambda r: {**r, "catalog_version": 7}, 409, "unknown_catalog_version", "catalog_version"),
    (lambda r: {**r, "texts_digest": "0" * 64}, 409, "unknown_texts", "texts_digest"),
    (lambda r: {**r, "banner_build": "0" * 16}, 409, "unknown_banner_build", "banner_build"),
    (lambda r: {**r, "policy_version": "1999-01-01"}, 409, "unknown_policy_version",
     "policy_version"),
    (lambda r: {**r, "consent_document_version": None}, 409,
     "unknown_consent_document_version", "consent_document_version"),
])
def test_bad_reports_are_refused_with_the_field(client, make_report, change, status, code, field):
    response = post(client, change(make_report()))
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert response.json["error"]["field"] == field
    assert _count() == 0


@pytest.mark.parametrize("origin", ["https://evil.example", None, "null"])
def test_foreign_origin_is_refused_without_cors(client, make_report, origin):
    response = post(client, make_report(), origin=origin)
    assert response.status_code == 403
    assert response.json["error"]["field"] == "origin"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert _count() == 0


def test_oversized_report_is_413(client, make_report):
    response = post(client, json.dumps({**make_report(), "page": "https://x/" + "a" * 9000}))
    assert response.status_code == 413
    assert response.json["error"] == {"code": "too_large", "field": "body",
                                      "message": response.json["error"]["message"]}


def test_rate_limit_per_client(app, client, make_report):
    app.config["RATE_LIMIT_CLIENT"] = "3/minute"
    statuses = [post(client, make_report()).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert _count() == 3


def test_preflight_allows_only_site_origins(client, make_report):
    allowed = client.options("/api/v1/consents", headers={"Origin": ORIGIN})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed.headers["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    foreign = client.options("/api/v1/consents",
                             headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_receipt_returns_record_texts_and_history(client, make_report):
    post(client, make_report())
    receipt = post(client, make_report(event="withdraw", ui_action="withdraw", choices={
        "mandatory": True, "analytical": False, "marketing": False})).json["receipt"]
    response = client.get(f"/api/v1/receipts/{receipt}")
    assert response.status_code == 200
    assert response.json["verified"] is True
    assert response.json["record"]["event"] == "withdraw"
    assert response.json["texts"]["title"] == "Test Shop cares about your privacy"
    assert [entry["event"] for entry in response.json["history"]] == ["grant", "withdraw"]
    texts = dict(response.json["texts"])
    digest = texts.pop("digest")
    assert texts_digest("testshop", "en", texts) == digest == response.json["record"]["texts_digest"]


@pytest.mark.parametrize("tamper", [lambda r: r[:-2] + "xx", lambda r: "x" + r[1:],
                                    lambda r: "not-a-receipt"])
def test_forged_receipt_is_400(client, make_report, tamper):
    receipt = post(client, make_report()).json["receipt"]
    response = client.get(f"/api/v1/receipts/{tamper(receipt)}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_receipt"


def test_receipts_are_plain_itsdangerous_signatures(app, client, make_report):
    """Receipts issued by earlier builds (a key derived per receipt) are the same bytes."""
    from itsdangerous import Signer

    from app.ledger.proof import RECEIPT_SALT

    answer = post(client, make_report()).json
    plain = Signer(app.secret_key, salt=RECEIPT_SALT + ".v2").sign(
        f"testshop.{answer['record_id']}.{answer['record_hash']}").decode()
    assert answer["receipt"] == plain
    assert client.get(f"/api/v1/receipts/{plain}").json["verified"] is True


def test_receipts_in_the_earlier_serialized_format_still_verify(app, client, make_report):
    from itsdangerous import URLSafeSerializer

    from app.ledger.proof import RECEIPT_SALT

    answer = post(client, make_report()).json
    legacy = URLSafeSerializer(app.secret_key, salt=RECEIPT_SALT).dumps(
        {"s": "testshop", "r": answer["record_id"], "h": answer["record_hash"]})
    response = client.get(f"/api/v1/receipts/{legacy}")
    assert response.status_code == 200 and response.json["verified"] is True
    forged = URLSafeSerializer("another secret", salt=RECEIPT_SALT).dumps(
        {"s": "testshop", "r": answer["record_id"], "h": answer["record_hash"]})
    assert client.get(f"/api/v1/receipts/{forged}").status_code == 400


def test_refused_reports_do_not_use_up_the_rate_limit(app, client, make_report):
    app.config["RATE_LIMIT_CLIENT"] = "2/minute"
    refused = [post(client, make_report(event="approve")).status_code for _ in range(3)]
    assert refused == [422, 422, 422]
    assert [post(client, make_report()).status_code for _ in range(3)] == [201, 201, 429]


@pytest.mark.parametrize("page", ["http://[abc]/", "http://[::1", "https://exa\u2100mple/"])
def test_unparsable_page_url_is_400(client, make_report, page):
    response = post(client, make_report(page=page))
    assert response.status_code == 400
    assert response.json["error"]["field"] == "page"
    assert _count() == 0


def test_refusals_carry_cors_headers_so_the_banner_stops_retrying(client, make_report):
    response = post(client, make_report(event="approve"))
    assert response.status_code == 422
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    foreign = post(client, make_report(), origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_reused_event_id_for_another_event_is_409(client, make_report):
    report = make_report()
    assert post(client, report).status_code == 201
    other = {**report, "subject_id": "sbj-99999999", "choices": {
        "mandatory": True, "analytical": False, "marketing": False}}
    response = post(client, other)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "event_id_reused"
    assert _count() == 1


def test_an_edited_site_applies_to_the_next_report(client, make_report):
    from app.models import Site

    assert post(client, make_report()).status_code == 201  # the intake now caches the site
    site = db.session.get(Site, "testshop")
    site.origins = ["https://elsewhere.test"]
    db.session.commit()
    assert post(client, make_report()).status_code == 403
    assert _count() == 1


def test_a_site_edited_after_it_was_cached_records_its_new_settings(client, make_report):
    from app.models import Site

    assert post(client, make_report()).status_code == 201  # the intake now caches the site
    site = db.session.get(Site, "testshop")
    site.regime = ["gdpr"]
    db.session.commit()
    answer = post(client, make_report())
    assert answer.status_code == 201
    db.session.expire_all()
    stored = db.session.scalar(select(ConsentRecord).filter_by(record_id=answer.json["record_id"]))
    assert stored.content["regime"] == ["gdpr"]


def test_versions_an_earlier_banner_showed_are_still_accepted(client, make_report, runner,
                                                               tmp_path):
    import yaml

    from tests.conftest import TEST_SHOP

    document = yaml.safe_load(TEST_SHOP.read_text())
    document["privacy_policy"]["version"] = "2026-06-01"
    updated = tmp_path / "testshop.yaml"
    updated.write_text(yaml.safe_dump(document, allow_unicode=True))
    post(client, make_report())  # the intake now caches the site
    assert runner.invoke(args=["sites", "import", str(updated)]).exit_code == 0
    assert post(client, make_report(policy_version="2026-06-01")).status_code == 201
    assert post(client, make_report(policy_version="2025-01-01")).status_code == 201
    assert post(client, make_report(policy_version="2024-01-01")).status_code == 409


def test_an_origin_added_after_the_site_was_cached_may_report_at_once(client, make_report):
    from app.models import Site

    assert post(client, make_report()).status_code == 201  # the intake now caches the site
    assert post(client, make_report(), origin="https://new.example").status_code == 403
    site = db.session.get(Site, "testshop")
    site.origins = [*site.origins, "https://new.example"]
    db.session.commit()
    answer = post(client, make_report(page="https://new.example/"), origin="https://new.example")
    assert answer.status_code == 201, answer.json


def test_a_build_served_before_a_deploy_is_still_accepted(app, client, make_report):
    from app.ledger.repository import LedgerRepository

    LedgerRepository(db.session).store_banner_build("feedc0de" * 2)  # an earlier deploy's build
    db.session.commit()
    assert post(client, make_report(banner_build="feedc0de" * 2)).status_code == 201


def test_saving_a_site_registers_the_build_its_banner_is_served_with(app, client, make_report):
    from app.banner.bundle import gate_code
    from app.models import BannerBuild

    make_report()  # imports the test shop, then fetches its embed script
    assert db.session.get(BannerBuild, gate_code()[2]) is not None


def test_serving_a_banner_writes_nothing(app, client, make_report):
    from sqlalchemy import event

    from app.banner.views import _cached_bundle

    make_report()
    _cached_bundle.cache_clear()  # build the bundle anew, as a fresh process would
    db.session.remove()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get("/c/testshop.js").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements)


@pytest.mark.parametrize("field", ["client_time", "expires", "page", "policy_version", "event",
                                   "ui_action", "consent_document_version", "choices"])
@pytest.mark.parametrize("character", ["\u0000", "\u001b", "\u007f"])
def test_control_characters_are_refused_naming_the_field(client, make_report, field, character):
    report = make_report()
    if field == "choices":
        report["choices"] = {**report["choices"], f"analytical{character}": True}
    else:
        report[field] = f"{report[field] or 'v'}{character}"
    response = post(client, report)
    assert response.status_code == 400
    assert response.json["error"] == {
        "code": "invalid_field", "field": field,
        "message": f"{field}: must not contain control characters"}
    assert _count() == 0
