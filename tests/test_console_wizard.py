"""Admins create sites in the console's wizard and delete them without losing their proofs."""
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from app.accounts.models import AuditEntry
from app.extensions import db
from app.models import CatalogVersion, SiteRevision
from app.sites.history import site_document
from app.sites.repository import SiteRepository, site_spec
from tests.conftest import PROJECT_ROOT, login, post_report

IDENTITY = {"site_id": "wizshop", "name": "Wizard Shop", "operator_legal_name": "Wizard LLC",
            "operator_registration_number": "7801234567", "operator_address": "1 Wizard Street",
            "operator_email": "privacy@wizshop.example.com", "operator_country": "RU"}
AUDIENCE = {"origins": "https://www.wizshop.test\nhttps://wizshop.test", "languages": "ru en",
            "default_language": "ru", "regime": ["ru152"],
            "privacy_policy_url": "https://wizshop.test/privacy", "privacy_policy_version": "2026-01-01"}
TRACKERS = {"yandex_metrica": "12345678", "ga4": "", "meta_pixel": ""}
#: What the wizard above makes, as a site file an operator would import.
EQUIVALENT_FILE = """
id: wizshop
name: Wizard Shop
operator: {legal_name: Wizard LLC, registration_number: "7801234567", address: 1 Wizard Street,
           email: privacy@wizshop.example.com, country: RU}
origins: [https://www.wizshop.test, https://wizshop.test]
languages: [ru, en]
default_language: ru
regime: [ru152]
privacy_policy: {url: "https://wizshop.test/privacy", version: "2026-01-01"}
trackers: {yandex_metrica: "12345678"}
catalog:
  mandatory: []
  analytical:
    - {name: _ym_uid, provider: Yandex LLC, lifetime: 1 year, purpose: {
        ru: Различает визиты одного браузера для статистики Яндекс.Метрики,
        en: Tells visits of the same browser apart for Yandex.Metrica statistics}}
    - {name: _ym_d, provider: Yandex LLC, lifetime: 1 year, purpose: {
        ru: Хранит дату первого визита для Яндекс.Метрики,
        en: Keeps the date of the first visit for Yandex.Metrica}}
    - {name: _ym_isad, provider: Yandex LLC, lifetime: 2 days, purpose: {
        ru: "Сообщает Яндекс.Метрике, включён ли блокировщик рекламы",
        en: Tells Yandex.Metrica whether an ad blocker is on}}
    - {name: _ym, match: prefix, storage: localStorage, provider: Yandex LLC, lifetime: persistent,
       purpose: {ru: "Хранит в браузере идентификатор посетителя и неотправленные данные Яндекс.Метрики",
                 en: "Keeps Yandex.Metrica's visitor id and unsent hits in the browser"}}
"""


@pytest.fixture
def admin(app, make_user):
    """A logged-in admin."""
    client = app.test_client()
    login(client, make_user("admin"))
    return client


def _hidden(page, name):
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page) or re.search(
        rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', page)
    assert found, f"no hidden {name} in the page"
    return found[1]


def step(client, page, values, step_name):
    """Submit one wizard step with the draft the previous page carried."""
    data = {"step": step_name, "draft": _hidden(page, "draft"), **values}
    return client.post("/console/sites/new", data=data)


def run_wizard(client, identity=IDENTITY, audience=AUDIENCE, trackers=TRACKERS, items=None):
    """Walk the wizard to its end; return the last response."""
    page = client.get("/console/sites/new").data.decode()
    for name, values in (("identity", identity), ("audience", audience), ("trackers", trackers)):
        response = step(client, page, values, name)
        assert response.status_code == 200, response.data.decode()
        page = response.data.decode()
    chosen = items if items is not None else re.findall(r'name="items" value="([^"]+)"', page)
    return step(client, page, {"items": chosen}, "catalog")


def test_wizard_makes_the_site_an_import_of_the_equivalent_file_makes(app, admin, runner, tmp_path):
    done = run_wizard(admin, items=["yandex_metrica.ym_uid", "yandex_metrica.ym_d",
                                    "yandex_metrica.ym_isad", "yandex_metrica.ym_storage"])
    assert done.status_code == 302 and done.headers["Location"].endswith("/sites/wizshop/created")
    created = admin.get(done.headers["Location"]).data.decode()
    assert "/c/wizshop.js" in created and 'data-copy="embed-snippet"' in created
    repository = SiteRepository(db.session)
    site = repository.get("wizshop")
    assert site.catalog_version == 1
    revisions = repository.revisions("wizshop")
    assert [(r.number, r.changes, r.author) for r in revisions] == [
        (1, ["(created)"], "admin-all@example.com")]
    wizard_document = site_document(site_spec(site, repository.catalog("wizshop", 1)))
    wizard_catalog = repository.catalog("wizshop", 1).content_hash
    # The same site from a file, imported over it as the shell would: nothing changes.
    path = tmp_path / "wizshop.yaml"
    path.write_text(EQUIVALENT_FILE, encoding="utf-8")
    result = runner.invoke(args=["sites", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "wizshop: updated, catalog version 1 (unchanged)" in result.output
    db.session.expire_all()
    assert len(repository.revisions("wizshop")) == 1
    assert repository.catalog("wizshop", 1).content_hash == wizard_catalog
    assert site_document(site_spec(repository.get("wizshop"),
                                   repository.catalog("wizshop", 1))) == wizard_document
    entry = db.session.scalar(select(AuditEntry).filter_by(action="site.create"))
    assert entry.target == "wizshop" and entry.actor == "admin-all@example.com"
    # The banner is served at once; the catalog check misses only the item left unticked.
    assert app.test_client().get("/c/wizshop.js").status_code == 200
    overview = admin.get("/console/sites/wizshop").data.decode()
    assert overview.count("[undeclared]") == 1 and "cookie _ym_visorc, which no" in overview


def test_the_whole_template_declares_everything_the_trackers_write(app, admin):
    every = {"yandex_metrica": "12345678", "ga4": "G-WIZ12345", "meta_pixel": "123456789012"}
    audience = {**AUDIENCE, "regime": ["gdpr"]}
    assert run_wizard(admin, audience=audience, trackers=every).status_code == 302
    overview = admin.get("/console/sites/wizshop").data.decode()
    assert "[undeclared]" not in overview and "[advertising-as-analytics]" not in overview
    catalog = SiteRepository(db.session).catalog("wizshop", 1).content
    assert [item["name"] for item in catalog["marketing"]] == ["_fbp", "_fbc"]


@pytest.mark.parametrize("name,values,field,message", [
    ("identity", {**IDENTITY, "site_id": "Bad Id"}, "site_id", "a-z, 0-9"),
    ("identity", {**IDENTITY, "operator_country": "XX"}, "operator_country", "two-letter"),
    ("audience", {**AUDIENCE, "origins": "http://www.wizshop.test"}, "origins", "must use https"),
    ("audience", {**AUDIENCE, "default_language": "de"}, "default_language",
     "not one of the site&#39;s languages"),
    ("trackers", {**TRACKERS, "ga4": "UA-1"}, "ga4", "Not a valid Google Analytics 4"),
])
def test_each_step_shows_its_errors_at_the_field(app, admin, name, values, field, message):
    page = admin.get("/console/sites/new").data.decode()
    for earlier, earlier_values in (("identity", IDENTITY), ("audience", AUDIENCE)):
        if earlier == name:
            break
        page = step(admin, page, earlier_values, earlier).data.decode()
    response = step(admin, page, values, name)
    assert response.status_code == 422
    error = response.data.decode().split(f'id="{field}-error">', 1)[1].split("</span>", 1)[0]
    assert message in error
    assert SiteRepository(db.session).get("wizshop") is None


def test_errors_at_the_field_are_in_russian(app, admin):
    admin.post("/console/account", data={"lang-language": "ru", "lang-submit": "1"})
    page = admin.get("/console/sites/new").data.decode()
    page = step(admin, page, IDENTITY, "identity").data.decode()
    response = step(admin, page, {**AUDIENCE, "origins": "http://www.wizshop.test"}, "audience")
    error = response.data.decode().split('id="origins-error">', 1)[1].split("</span>", 1)[0]
    assert "должен использовать https" in error and "must use" not in error


def test_a_taken_id_and_an_altered_draft_are_refused(app, admin, runner):
    run_wizard(admin)
    page = admin.get("/console/sites/new").data.decode()
    again = step(admin, page, IDENTITY, "identity")
    assert again.status_code == 422 and "A site with this id exists" in again.data.decode()
    forged = admin.post("/console/sites/new", data={"step": "catalog", "draft": "e30.forged",
                                                    "items": []})
    assert forged.status_code == 400


def test_a_site_imported_while_the_wizard_ran_is_not_saved_over(app, admin, runner, tmp_path):
    page = admin.get("/console/sites/new").data.decode()
    for name, values in (("identity", IDENTITY), ("audience", AUDIENCE), ("trackers", TRACKERS)):
        page = step(admin, page, values, name).data.decode()
    other = tmp_path / "wizshop.yaml"
    other.write_text(EQUIVALENT_FILE.replace("name: Wizard Shop", "name: Someone Else's Shop"))
    assert runner.invoke(args=["sites", "import", str(other)]).exit_code == 0
    chosen = re.findall(r'name="items" value="([^"]+)"', page)
    late = step(admin, page, {"items": chosen}, "catalog")
    assert late.status_code == 409 and "A site with this id exists" in late.data.decode()
    db.session.expire_all()
    site = SiteRepository(db.session).get("wizshop")
    assert site.name == "Someone Else's Shop" and site.catalog_version == 1


@pytest.mark.parametrize("role", ["owner", "auditor"])
def test_only_admins_create_and_delete_sites(app, make_user, runner, role):
    assert runner.invoke(args=["sites", "import", str(PROJECT_ROOT / "tests" / "fixtures" /
                                                      "testshop.yaml")]).exit_code == 0
    client = app.test_client()
    login(client, make_user(role, *(("testshop",) if role == "owner" else ())))
    assert client.get("/console/sites/new").status_code == 403
    assert client.post("/console/sites/new", data={"step": "identity"}).status_code == 403
    assert client.get("/console/sites/testshop/delete").status_code == 403
    assert client.post("/console/sites/testshop/delete",
                       data={"confirmation": "testshop"}).status_code == 403
    assert SiteRepository(db.session).get("testshop").deleted_at is None


def test_a_deleted_site_stops_serving_but_its_records_stay_verifiable_and_exportable(
        app, make_report, make_user, runner, tmp_path):
    client = app.test_client()
    first = post_report(client, make_report())
    assert first.status_code == 201
    admin = app.test_client()
    login(admin, make_user("admin"))
    owner = app.test_client()
    login(owner, make_user("owner", "testshop"))
    wrong = admin.post("/console/sites/testshop/delete", data={"confirmation": "testsho"})
    assert wrong.status_code == 422 and 'id="confirmation-error"' in wrong.data.decode()
    assert SiteRepository(db.session).get("testshop").deleted_at is None
    deleted = admin.post("/console/sites/testshop/delete", data={"confirmation": "testshop"})
    assert deleted.status_code == 302
    entry = db.session.scalar(select(AuditEntry).filter_by(action="site.delete"))
    assert entry.target == "testshop" and entry.actor == "admin-all@example.com"
    # The banner and the intake stop.
    script = client.get("/c/testshop.js")
    assert script.status_code == 410 and b"deleted" in script.data
    refused = post_report(client, make_report(event_id="evt-late", consent_id="cns-late"))
    assert refused.status_code == 410
    assert refused.json["error"] == {"code": "site_deleted", "field": "site",
                                     "message": "site 'testshop' was deleted; it takes no reports"}
    # Owners no longer see it; admins cannot edit it; auditors still list it.
    assert "/console/sites/testshop" not in owner.get("/console/").data.decode()
    assert owner.get("/console/sites/testshop").status_code == 404
    assert owner.get("/console/sites/testshop/settings").status_code == 403
    assert admin.get("/console/sites/testshop/settings").status_code == 410
    auditor = app.test_client()
    login(auditor, make_user("auditor"))
    listed = auditor.get("/console/").data.decode()
    assert "/console/sites/testshop" in listed and "deleted" in listed
    # Nothing of the ledger went: it verifies, and the record exports and verifies offline.
    assert db.session.scalar(select(CatalogVersion).filter_by(site_id="testshop")) is not None
    assert db.session.scalar(select(SiteRevision).filter_by(site_id="testshop")) is not None
    assert runner.invoke(args=["ledger", "checkpoint"]).exit_code == 0
    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "BROKEN" not in auditor.get("/console/integrity").data.decode()
    search = auditor.get("/console/records?site=testshop")
    query = search.headers["Location"].split("?", 1)[1]
    exported = auditor.get(f"/console/export?format=csv&{query}", follow_redirects=True)
    assert first.json["record_id"] in exported.data.decode()
    manifest = auditor.get(f"/console/export/manifest?format=csv&{query}", follow_redirects=True)
    assert manifest.json["record_count"] == 1
    (tmp_path / "export.csv").write_bytes(exported.data)
    (tmp_path / "manifest.json").write_bytes(manifest.data)
    (tmp_path / "key.pem").write_bytes(client.get("/api/v1/ledger/public-key").data)
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "verify_export.py"),
                             str(tmp_path / "export.csv"), str(tmp_path / "manifest.json"),
                             "--public-key", str(tmp_path / "key.pem")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

