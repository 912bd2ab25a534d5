"""The consent path at the service's own level: record_consent and check_receipt with fakes."""
import hashlib

import pytest

from app.ledger.proof import chain_hash
from app.ledger.report import IntakeError
from app.ledger.service import CHECK_ATTEMPTS, check_receipt
from tests.unit.conftest import make_client


def _refusal(call):
    with pytest.raises(IntakeError) as caught:
        call()
    return caught.value


def test_a_report_becomes_a_chained_record_with_a_receipt(intake, ledger, make_report):
    recorded = intake(make_report())
    assert recorded.created and recorded.record.seq == 1
    stored = ledger.records["shop"][0]
    content = stored.content
    assert content["server_time"] == "2026-12-01T12:00:00+00:00"  # the clock passed in
    assert content["trackers"] == ["yandex_metrica"]
    assert content["client_ip"] == "203.0.113.0/24"
    assert content["page_origin"] == "https://shop.example" and content["page_path"] == "/cart"
    assert content["subject_secret_hash"] == hashlib.sha256(
        make_report().subject_secret.encode()).hexdigest()
    assert "subject_secret" not in content
    assert chain_hash(stored.prev_hash, content) == recorded.record.record_hash


def test_records_of_a_site_form_one_linear_chain(intake, ledger, make_report):
    for _ in range(5):
        intake(make_report())
    chain = ledger.records["shop"]
    assert [record.seq for record in chain] == [1, 2, 3, 4, 5]
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.record_hash


def test_a_retried_report_is_answered_from_the_stored_record(intake, ledger, make_report):
    report = make_report()
    first, again = intake(report), intake(report)
    assert again.created is False and again.record == first.record
    assert len(ledger.records["shop"]) == 1


@pytest.mark.parametrize(("change", "code", "field"), [
    (dict(site="nowhere"), "unknown_site", "site"),
    (dict(catalog_version=7), "unknown_catalog_version", "catalog_version"),
    (dict(texts_digest="0" * 64), "unknown_texts", "texts_digest"),
    (dict(banner_build="0" * 16), "unknown_banner_build", "banner_build"),
    (dict(policy_version="v0"), "unknown_policy_version", "policy_version"),
    (dict(consent_document_version="d1"), "unknown_consent_document_version",
     "consent_document_version"),
    (dict(choices={"mandatory": True, "analytical": True}), "missing_category", "choices"),
    (dict(choices={"mandatory": False, "analytical": True, "marketing": True}),
     "mandatory_refused", "choices"),
    (dict(choices={"mandatory": True, "analytical": True, "marketing": True, "x": True}),
     "unknown_category", "choices"),
    (dict(event="steal"), "unknown_event", "event"),
    (dict(ui_action="hover"), "unknown_ui_action", "ui_action"),
    (dict(page="https://[bad/"), "invalid_field", "page"),
])
def test_a_report_that_does_not_fit_its_site_is_refused(intake, ledger, make_report, change,
                                                        code, field):
    error = _refusal(lambda: intake(make_report(**change)))
    assert (error.code, error.field) == (code, field)
    assert not ledger.records.get("shop")


def test_an_origin_the_site_does_not_list_is_refused(intake, make_report):
    error = _refusal(lambda: intake(make_report(), make_client(origin="https://evil.example")))
    assert (error.code, error.field) == ("origin_not_allowed", "origin")


def test_the_service_itself_may_report_for_every_site(intake, make_report):
    assert intake(make_report(), make_client(origin="https://consent.example")).created


def test_a_reused_event_id_with_another_choice_is_refused(intake, make_report):
    intake(make_report(event_id="event-same"))
    error = _refusal(lambda: intake(make_report(event_id="event-same", event="deny",
                                                ui_action="reject_all")))
    assert (error.code, error.field) == ("event_id_reused", "event_id")


def test_a_subject_must_present_its_first_secret(intake, make_report):
    intake(make_report(subject_id="subject-a"))
    error = _refusal(lambda: intake(make_report(subject_id="subject-a",
                                                subject_secret="x" * 32)))
    assert (error.code, error.field) == ("subject_not_proven", "subject_secret")


def test_a_consent_id_belongs_to_its_subject(intake, make_report):
    intake(make_report(subject_id="subject-a", consent_id="consent-shared"))
    error = _refusal(lambda: intake(make_report(subject_id="subject-b",
                                                consent_id="consent-shared")))
    assert (error.code, error.field) == ("consent_id_reused", "consent_id")


def test_rate_limits_refuse_with_a_wait(intake, limits, make_report):
    limits["RATE_LIMIT_CLIENT"] = "2/minute"
    intake(make_report())
    intake(make_report())
    error = _refusal(lambda: intake(make_report()))
    assert error.code == "rate_limited" and 1 <= error.retry_after <= 60
    # Another network is counted apart.
    assert intake(make_report(), make_client(ip="198.51.100.9")).created


def test_an_edit_between_check_and_append_is_checked_again(intake, sites, ledger, make_report):
    intake(make_report())  # the service now keeps a snapshot of the site
    sites.edit("shop", client_ip="hash")
    intake(make_report())
    assert ledger.records["shop"][1].content["client_ip"].startswith("hmac-sha256:")


def test_a_stale_snapshot_never_refuses_what_the_current_settings_allow(intake, sites,
                                                                         make_report):
    intake(make_report())
    sites.edit("shop", origins=["https://shop.example", "https://new.example"])
    assert intake(make_report(), make_client(origin="https://new.example")).created


def test_a_site_that_keeps_changing_gets_a_retry_answer(intake, sites, ledger, make_report):
    class Restless(type(ledger)):
        def append(self, site_id, event_id, content, site_stamp):
            sites.edit(site_id)
            return super().append(site_id, event_id, content, site_stamp)

    ledger.__class__ = Restless
    error = _refusal(lambda: intake(make_report()))
    assert error.code == "site_changing"
    assert sites.reads == CHECK_ATTEMPTS


def test_a_receipt_shows_the_record_and_the_subjects_history(intake, ledger, make_report):
    first = intake(make_report(subject_id="subject-h"))
    intake(make_report(subject_id="subject-h", event="withdraw", ui_action="withdraw",
                       choices={"mandatory": True, "analytical": False, "marketing": False}))
    proof = check_receipt(first.receipt, ledger=ledger, receipts=intake.receipts)
    assert proof["verified"] is True
    assert proof["record"]["event"] == "grant"
    assert [entry["event"] for entry in proof["history"]] == ["grant", "withdraw"]


def test_a_receipt_for_an_altered_record_does_not_verify(intake, ledger, make_report):
    recorded = intake(make_report())
    ledger.records["shop"][0].content["choices"]["analytical"] = False  # an insider's edit
    proof = check_receipt(recorded.receipt, ledger=ledger, receipts=intake.receipts)
    assert proof["verified"] is False


@pytest.mark.parametrize("receipt", ["", "not-a-receipt", "a.b.c"])
def test_a_forged_receipt_is_refused(ledger, intake, receipt):
    error = _refusal(lambda: check_receipt(receipt, ledger=ledger, receipts=intake.receipts))
    assert (error.code, error.field) == ("invalid_receipt", "receipt")


def test_a_receipt_of_a_purged_record_says_so(intake, ledger, make_report):
    recorded = intake(make_report())
    ledger.records["shop"].clear()
    error = _refusal(lambda: check_receipt(recorded.receipt, ledger=ledger,
                                           receipts=intake.receipts))
    assert error.code == "record_not_found"
