"""Stored legal texts on SQLite and PostgreSQL: saving a site stores them once by digest, the
service serves exactly those bytes, records keep their digests, and an insider who edits or
removes one is caught."""
import hashlib

import pytest
from sqlalchemy import delete, func, select, update

from app.banner.bundle import read_bundle_config
from app.extensions import db
from app.models import ConsentRecord
from app.sites.tables import LegalDocument
from tests.conftest import SAMPLE_SITES, post_report, subject_secret
from tests.test_ledger_insiders import _export_and_check

SITE, ORIGIN = "loginom", "https://loginom.ru"
RU_TITLE = "Согласие на обработку персональных данных"


def _rows(site_id=SITE):
    return list(db.session.scalars(select(LegalDocument).filter_by(site_id=site_id)
                                   .order_by(LegalDocument.kind, LegalDocument.language)))


def _config(client, site_id=SITE, language="ru"):
    """Return the banner config a visitor in a language gets: it carries that language's texts."""
    return read_bundle_config(client.get(f"/c/{site_id}.js?lang={language}",
                                         headers={"Accept-Encoding": ""}).data)


@pytest.fixture
def report_for(client):
    """Factory: a report of a sample site's banner in a language, as its browser sends it."""
    counter = iter(range(10_000))

    def make(site_id=SITE, language="ru", **overrides):
        config = _config(client, site_id, language)
        number = next(counter)
        subject = f"sbj-docs-{number:04d}"
        report = {
            "event_id": f"evt-docs-{number:06d}", "consent_id": f"cns-docs-{number:04d}",
            "subject_id": subject, "subject_secret": subject_secret(subject), "site": site_id,
            "event": "grant", "ui_action": "accept_all",
            "choices": {category: True for category in config["categories"]},
            "catalog_version": config["versions"]["catalog"],
            "policy_version": config["versions"]["policy"],
            "consent_document_version": config["versions"]["document"], "language": language,
            "texts_digest": config["texts"][language]["digest"], "banner_build": config["build"],
            "gpc": False, "page": f"{ORIGIN}/", "client_time": "2026-12-02T10:00:00.000Z",
            "expires": "2027-05-31T10:00:00.000Z"}
        report.update(overrides)
        return report

    return make


def _record(client, report):
    response = post_report(client, report, origin=ORIGIN)
    assert response.status_code == 201, response.get_json()
    db.session.commit()
    return db.session.scalar(select(ConsentRecord).filter_by(event_id=report["event_id"]))


def test_saving_a_site_stores_its_texts_once_by_digest(runner, samples, write_site_file):
    rows = _rows()
    assert [(row.kind, row.language, row.generated) for row in rows] == [
        ("consent", "en", True), ("consent", "ru", True), ("policy", "en", False)]
    for row in rows:
        assert row.digest == hashlib.sha256(row.text.encode("utf-8")).hexdigest()
    policy = (SAMPLE_SITES / "policies" / "loginom.en.txt").read_text(encoding="utf-8").strip()
    assert rows[2].text == policy and rows[2].version == "undated"
    assert rows[0].version == rows[1].version and rows[0].version.startswith("gen-")
    # Importing the same file again stores nothing new; the rows stay as they were.
    assert runner.invoke(args=["sites", "import", str(SAMPLE_SITES / "loginom.yaml")]).exit_code == 0
    db.session.expire_all()
    assert [(row.digest, row.created_at) for row in _rows()] == [
        (row.digest, row.created_at) for row in rows]


def test_a_changed_site_adds_a_new_consent_version_and_keeps_the_old(runner, samples, client,
                                                                    tmp_path):
    old_version = _config(client)["versions"]["document"]
    changed = (SAMPLE_SITES / "loginom.yaml").read_text(encoding="utf-8").replace(
        "consent_lifetime_days: 180", "consent_lifetime_days: 90")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "loginom.en.txt").write_text(
        (SAMPLE_SITES / "policies" / "loginom.en.txt").read_text(encoding="utf-8"))
    (tmp_path / "loginom.yaml").write_text(changed, encoding="utf-8")
    result = runner.invoke(args=["sites", "import", str(tmp_path / "loginom.yaml")])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    versions = {row.version for row in _rows() if row.kind == "consent"}
    new_version = _config(client)["versions"]["document"]
    assert new_version != old_version and versions == {old_version, new_version}
    assert "90 дн." in client.get("/documents/loginom/consent/ru").get_data(as_text=True)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_stable_and_the_digest_url_serve_the_same_bytes(client, samples, language):
    config = _config(client, language=language)
    link = config["texts"][language]["links"]["document"]
    assert link == f"/documents/loginom/consent/{language}"
    current = client.get(link)
    assert current.status_code == 200
    assert current.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert current.headers["Cache-Control"] == "public, max-age=300"
    digest = hashlib.sha256(current.data).hexdigest()
    assert current.headers["X-Document-Digest"] == digest
    assert current.headers["X-Document-Version"] == config["versions"]["document"]
    pinned = client.get(f"/documents/{digest}")
    assert pinned.data == current.data
    assert pinned.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in pinned.headers["Cache-Control"]
    assert current.get_data(as_text=True).startswith(
        RU_TITLE if language == "ru" else "Consent to the processing of personal data")


@pytest.mark.parametrize(("url", "field"), [
    ("/documents/nosuch/consent/ru", "site"),
    ("/documents/loginom/cookies/ru", "kind"),
    ("/documents/loginom/consent/de", "language"),
    ("/documents/familami/consent/en", "kind"),
    ("/documents/" + "0" * 64, "digest"),
    ("/documents/not-a-digest", "digest"),
])
def test_unknown_documents_are_a_404_naming_the_field(client, samples, url, field):
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]["field"] == field


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_record_keeps_the_digests_of_what_the_service_serves(client, samples, report_for,
                                                               language):
    record = _record(client, report_for(language=language))
    served = client.get(f"/documents/loginom/consent/{language}").data
    assert record.content["consent_document_digest"] == hashlib.sha256(served).hexdigest()
    # The policy is English only: a Russian visitor was pointed to the English text.
    policy = client.get(f"/documents/{record.content['policy_digest']}")
    assert policy.status_code == 200
    assert policy.data == client.get(f"/documents/loginom/policy/{language}").data
    assert record.content["consent_document_version"] == _config(client)["versions"]["document"]


def test_a_receipt_and_the_console_record_page_name_the_documents(client, samples, report_for,
                                                                  make_user):
    from tests.conftest import login

    response = post_report(client, report_for(language="en"), origin=ORIGIN)
    receipt = response.get_json()["receipt"]
    checked = client.get(f"/api/v1/receipts/{receipt}").get_json()
    digest = checked["record"]["consent_document_digest"]
    assert digest and checked["verified"]
    login(client, make_user("auditor"))
    record_id = checked["record"]["record_id"]
    page = client.get(f"/console/records/{record_id}").get_data(as_text=True)
    assert f'href="/documents/{digest}"' in page


def test_a_site_with_only_urls_records_no_digest(client, make_report):
    response = post_report(client, make_report())
    assert response.status_code == 201
    db.session.commit()
    content = db.session.scalar(select(ConsentRecord)).content
    assert content["policy_digest"] is None and content["consent_document_digest"] is None


# ---- insiders --------------------------------------------------------------------------------


@pytest.fixture
def recorded(client, samples, report_for):
    """Two loginom records, one per language."""
    for language in ("ru", "en"):
        _record(client, report_for(language=language))
    return db.session


def _edit_policy(text):
    db.session.execute(update(LegalDocument).where(
        LegalDocument.site_id == SITE, LegalDocument.kind == "policy").values(text=text))


def _verify(runner):
    db.session.commit()
    return runner.invoke(args=["ledger", "verify", "--site", SITE])


def test_an_edited_legal_text_is_caught(runner, recorded, client):
    assert _verify(runner).exit_code == 0
    row = db.session.scalar(select(LegalDocument).filter_by(site_id=SITE, kind="consent",
                                                                      language="ru"))
    db.session.execute(update(LegalDocument).where(LegalDocument.digest == row.digest).values(
        text=row.text.replace("1095", "30")))
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"legal text {row.digest} (consent, ru): its text does not match its digest" in \
        result.output
    db.session.commit()
    # The service does not serve a text under a digest it no longer has.
    for url in (f"/documents/{row.digest}", "/documents/loginom/consent/ru"):
        response = client.get(url)
        assert response.status_code == 409 and b"30" not in response.data
        assert response.get_json()["error"]["field"] == "digest"


def test_a_legal_text_swapped_and_rehashed_is_caught(runner, recorded):
    row = db.session.scalar(select(LegalDocument).filter_by(site_id=SITE, kind="consent",
                                                                      language="en"))
    digest, forged = row.digest, row.text.replace("1095 days", "30 days")
    db.session.execute(update(LegalDocument).where(LegalDocument.digest == digest).values(
        text=forged, digest=hashlib.sha256(forged.encode()).hexdigest()))
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"records name the legal text {digest}, which is not stored" in result.output


@pytest.mark.parametrize("kind", ["consent", "policy"])
def test_a_removed_legal_text_is_caught(runner, recorded, kind):
    db.session.execute(delete(LegalDocument).where(LegalDocument.site_id == SITE,
                                               LegalDocument.kind == kind))
    result = _verify(runner)
    assert result.exit_code == 1
    assert "records name the legal text" in result.output


def test_an_edited_legal_text_fails_an_export_offline(app, runner, recorded, tmp_path):
    _edit_policy("A friendlier policy.")
    db.session.commit()
    exported, checked = _export_and_check(runner, tmp_path, "--site", SITE)
    assert exported.exit_code == 1
    assert checked.returncode == 1
    assert f"sites.{SITE}.chain" in checked.stderr


def test_the_console_integrity_check_names_an_edited_legal_text(client, recorded, make_user):
    from tests.conftest import login

    _edit_policy("A friendlier policy.")
    db.session.commit()
    login(client, make_user("auditor"))
    page = client.get("/console/integrity").get_data(as_text=True)
    assert "its text does not match its digest" in page


def test_serving_a_document_writes_nothing(client, samples):
    before = db.session.scalar(select(func.count()).select_from(LegalDocument))
    for language in ("ru", "en"):
        assert client.get(f"/documents/loginom/consent/{language}").status_code == 200
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LegalDocument)) == before


def test_two_sites_or_two_versions_sharing_a_text_each_keep_their_row(client, samples,
                                                                     report_for):
    from app.publishing import publish_site
    from app.sites.files import load_site_file

    spec = load_site_file(SAMPLE_SITES / "loginom.yaml")
    publish_site(db.session, spec.model_copy(update={"id": "loginom-twin"}))
    bumped = spec.privacy_policy.model_copy(update={"version": "2026-12-01"})
    publish_site(db.session, spec.model_copy(update={"privacy_policy": bumped}))
    db.session.commit()
    rows = db.session.scalars(select(LegalDocument).filter_by(kind="policy")
                              .where(LegalDocument.site_id.startswith("loginom")))
    assert sorted((row.site_id, row.version) for row in rows) == [
        ("loginom", "2026-12-01"), ("loginom", "undated"), ("loginom-twin", "undated")]
    record = _record(client, report_for(language="en"))
    assert record.content["policy_version"] == "2026-12-01"
    assert record.content["policy_digest"] == hashlib.sha256(
        client.get("/documents/loginom/policy/en").data).hexdigest()


# ---- migration 0012 ------------------------------------------------------------------------


def test_migration_0012_keeps_existing_sites_working_both_ways(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app.sites.repository import SiteRepository
    from tests.conftest import make_test_app

    app = make_test_app(empty_database, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="0011")
        db.session.execute(text(
            "INSERT INTO sites (id, name, operator_legal_name, operator_registration_number,"
            " operator_address, operator_email, origins, languages, default_language, regime,"
            " privacy_policy_url, privacy_policy_version, consent_document_url,"
            " consent_document_version, consent_lifetime_days, catalog_version, created_at,"
            " updated_at, ga4_consent_mode, gpc, texts, client_ip, retention_days, trackers)"
            " VALUES ('old', 'Old', 'Old LLC', '', '', 'dpo@old.example', '[\"https://old.example\"]',"
            " '[\"ru\"]', 'ru', '[\"ru152\"]', 'https://old.example/p', 'v1',"
            " 'https://old.example/c', 'c1', 180, 1, '2026-11-01 00:00:00', '2026-11-01 00:00:00',"
            " 'basic', 'refuse', '{}', 'hash', 1095, '{}')"))
        db.session.commit()
        upgrade()
        site = SiteRepository(db.session).get("old")
        assert (site.operator_legal_name, site.privacy_policy_url, site.consent_document_url) == (
            "Old LLC", "https://old.example/p", "https://old.example/c")
        assert site.operator_country is None and site.privacy_policy_text is None
        db.session.remove()
        downgrade(revision="0011")
        row = db.session.execute(text("SELECT operator_legal_name, privacy_policy_url FROM sites"
                                      " WHERE id = 'old'")).one()
        assert tuple(row) == ("Old LLC", "https://old.example/p")
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(("site_id", "links", "absent"), [
    ("loginom", ["/documents/loginom/policy/ru", "/documents/loginom/consent/ru"], None),
    ("familami", ["/documents/familami/policy/en"], "/documents/familami/consent/"),
])
def test_demo_pages_link_the_stored_texts(client, samples, site_id, links, absent):
    page = client.get(f"/demo/{site_id}").get_data(as_text=True)
    for link in links:
        assert f'href="{link}"' in page
        assert client.get(link).status_code == 200
    assert absent is None or absent not in page
