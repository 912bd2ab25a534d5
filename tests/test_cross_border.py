"""Cross-border trackers on a ru152 site, the guards on every save, and the owner's CSP, stored."""
import copy

import pytest
import yaml
from sqlalchemy import func, select

from app.banner.bundle import read_bundle_config
from app.demo.views import DEMO_PAGE_POLICY
from app.extensions import db
from app.ledger.proof import chain_hash
from app.ledger.tables import ConsentRecord
from app.models import LedgerHead, Site, SiteRevision
from tests.conftest import SAMPLE_SITES, login, post_report, subject_secret

LOGINOM = SAMPLE_SITES / "loginom.yaml"
LOGINOM_ORIGIN = "https://loginom.ru"
NOTICE = {"filed": "2025-06-01", "reference": "RKN 77-0001", "localisation_assessed": True}
SERVICE = "https://consent.example.com"


@pytest.fixture
def loginom_file(write_site_file):
    """Factory: write the loginom sample, changed by a function, and return its path."""
    def write(change=None):
        document = yaml.safe_load(LOGINOM.read_text(encoding="utf-8"))
        if change:
            change(document)
        return write_site_file(document, name="loginom.yaml")

    return write


@pytest.fixture
def with_notice(loginom_file):
    return loginom_file(lambda document: document.update(cross_border_notice=NOTICE))


def _import(runner, *paths):
    return runner.invoke(args=["sites", "import", *map(str, paths)])


def _config(client, site_id="loginom"):
    return read_bundle_config(client.get(f"/c/{site_id}.js", headers={"Accept-Encoding": ""}).data)


def test_import_warns_that_loginom_holds_its_cross_border_trackers_back(runner):
    result = _import(runner, LOGINOM)
    assert result.exit_code == 0, result.output
    assert ("warning: [ru152-cross-border] ga4, meta_pixel are not loaded: 152-FZ Art. 12 needs "
            "the cross-border notice; set cross_border_notice") in result.output
    site = db.session.get(Site, "loginom")
    # The declared ids stay stored, for the owner to see.
    assert set(site.trackers) == {"yandex_metrica", "ga4", "meta_pixel"}
    assert site.cross_border_notice is None


def test_the_banner_of_loginom_neither_loads_nor_lists_ga4_and_the_pixel(runner, client):
    assert _import(runner, LOGINOM).exit_code == 0
    config = _config(client)
    assert list(config["trackers"]) == ["yandex_metrica"]
    rows = {row[0] for texts in config["texts"].values() for rows in texts.get("rows", {}).values()
            for row in rows}
    body = client.get("/c/loginom.js", headers={"Accept-Encoding": ""}).data.decode()
    assert "G-LOGINOM01" not in body and "987654321098765" not in body
    assert not rows & {"_ga*", "_fb*"}


def test_a_filed_notice_lets_them_load_and_be_listed(runner, client, with_notice):
    result = _import(runner, with_notice)
    assert result.exit_code == 0, result.output
    assert "[ru152-cross-border]" not in result.output
    assert "[ru152-localisation]" in result.output and "RKN 77-0001" in result.output
    config = _config(client)
    assert set(config["trackers"]) == {"yandex_metrica", "ga4", "meta_pixel"}
    assert db.session.get(Site, "loginom").cross_border_notice == NOTICE


def _loginom_report(client, **overrides):
    config = _config(client)
    report = {
        "event_id": "evt-00000001", "consent_id": "cns-00000001", "subject_id": "sbj-00000001",
        "subject_secret": subject_secret("sbj-00000001"), "site": "loginom", "event": "grant",
        "ui_action": "accept_all",
        "choices": {"mandatory": True, "analytical": True, "marketing": True},
        "catalog_version": config["versions"]["catalog"], "policy_version": "undated",
        "consent_document_version": None, "language": "ru",
        "texts_digest": config["texts"]["ru"]["digest"], "banner_build": config["build"],
        "gpc": False, "page": f"{LOGINOM_ORIGIN}/", "client_time": "2026-11-22T10:00:00.000Z",
        "expires": "2027-05-21T10:00:00.000Z",
    }
    report.update(overrides)
    return report


def _recorded_trackers(client, report):
    response = post_report(client, report, origin=LOGINOM_ORIGIN)
    assert response.status_code == 201, response.json
    record = db.session.scalar(select(ConsentRecord).order_by(ConsentRecord.id.desc()))
    return record.content["trackers"]


def test_a_record_never_names_a_tracker_that_was_held_back(runner, client, with_notice):
    assert _import(runner, LOGINOM).exit_code == 0
    assert _recorded_trackers(client, _loginom_report(client)) == ["yandex_metrica"]
    # Once the notice is filed, the next record names what the gate then loads.
    assert _import(runner, with_notice).exit_code == 0
    report = _loginom_report(client, event_id="evt-00000002", consent_id="cns-00000002",
                             event="update")
    assert _recorded_trackers(client, report) == ["ga4", "meta_pixel", "yandex_metrica"]


@pytest.mark.parametrize("rehash", [False, True])
def test_an_insider_who_rewrites_what_a_record_says_was_loaded_is_caught(runner, client, rehash):
    """A database administrator hides a transfer (or invents one) by editing the trackers a
    record names; the record hash, or the signed checkpoint of the first record, catches it."""
    assert _import(runner, LOGINOM).exit_code == 0
    assert _recorded_trackers(client, _loginom_report(client)) == ["yandex_metrica"]
    db.session.commit()
    record = db.session.scalar(select(ConsentRecord).filter_by(site_id="loginom", seq=1))
    record.content = {**record.content, "trackers": ["ga4", "meta_pixel", "yandex_metrica"]}
    if rehash:
        record.record_hash = chain_hash(record.prev_hash, record.content)
        db.session.get(LedgerHead, "loginom").head_hash = record.record_hash
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify", "--site", "loginom"])
    assert result.exit_code == 1
    assert "record seq 1 (" in result.output
    if rehash:
        assert "differs from the signed checkpoint" in result.output


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["catalog"]["mandatory"].append(
        {"name": "_ga", "provider": "Google LLC", "purpose": "x", "lifetime": "2 years"}),
     "catalog.mandatory[0].name: '_ga' is a Google Analytics 4 cookie; it needs consent and "
     "cannot be mandatory (move it to analytical)"),
    (lambda d: d.update(texts={"en": {"intro": "We use cookies."}}),
     "texts.en.intro: must keep %(operator)s (it names the operator on the first layer)"),
    (lambda d: d.update(texts={"ru": {"reject_all": "Если вам очень хочется, можно отказаться от cookie"}}),
     "texts.ru.reject_all: is a button or link label: at most 40 characters"),
    (lambda d: d.update(ga4_consent_mode="advanced"),
     "ga4_consent_mode: advanced loads gtag.js before consent, which 152-FZ does not allow"),
    (lambda d: d.update(cross_border_notice={"filed": "2099-01-01", "localisation_assessed": True}),
     "cross_border_notice.filed: 2099-01-01 is in the future"),
])
def test_import_refuses_a_guarded_change_and_keeps_the_stored_site(runner, loginom_file, change,
                                                                   expected):
    assert _import(runner, LOGINOM).exit_code == 0
    stored = copy.deepcopy(db.session.get(Site, "loginom").texts)
    path = loginom_file(change)
    result = _import(runner, path)
    assert result.exit_code == 1
    assert f"error: {path}: {expected}" in result.output
    assert "Traceback" not in result.output
    db.session.expire_all()
    assert db.session.get(Site, "loginom").texts == stored
    assert db.session.scalar(select(func.count()).select_from(SiteRevision)) == 1


def test_sites_csp_prints_what_loginom_needs(runner):
    assert _import(runner, LOGINOM).exit_code == 0
    result = runner.invoke(args=["sites", "csp", "loginom", "--service-url", SERVICE + "/"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "# not loaded, so not listed: ga4, meta_pixel (no cross-border notice)"
    assert lines[2:] == [
        f"script-src {SERVICE} https://mc.yandex.ru https://yastatic.net;",
        f"connect-src {SERVICE} https://mc.yandex.ru https://mc.yandex.com wss://mc.yandex.ru;",
        "img-src https://mc.yandex.ru https://mc.yandex.com;",
        "frame-src https://mc.yandex.ru https://mc.yandex.com;",
    ]


def test_sites_csp_lists_every_tracker_once_a_notice_is_filed(runner, with_notice):
    assert _import(runner, with_notice).exit_code == 0
    output = runner.invoke(args=["sites", "csp", "loginom", "--service-url", SERVICE]).output
    assert "not loaded" not in output
    assert "https://*.googletagmanager.com https://connect.facebook.net;" in output


def test_sites_csp_uses_the_public_url(app, runner):
    assert _import(runner, LOGINOM).exit_code == 0
    app.config["PUBLIC_URL"] = "https://cg.example.org"
    output = runner.invoke(args=["sites", "csp", "loginom"]).output
    assert "script-src https://cg.example.org https://mc.yandex.ru" in output


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "--service-url", SERVICE], "Error: no site with id 'nope'"),
    (["loginom"], "Error: no service URL: set CONSENT_PUBLIC_URL or pass --service-url"),
    (["loginom", "--service-url", "consent.example.com"],
     "Error: --service-url: 'consent.example.com' is not an origin"),
])
def test_sites_csp_errors_are_one_line(runner, args, message):
    assert _import(runner, LOGINOM).exit_code == 0
    result = runner.invoke(args=["sites", "csp", *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


@pytest.fixture
def loginom_owner(app, runner, make_user):
    """A logged-in owner of loginom."""
    assert _import(runner, LOGINOM).exit_code == 0
    client = app.test_client()
    login(client, make_user("owner", "loginom"))
    return client


def test_console_site_page_shows_held_back_trackers_the_warning_and_the_csp(loginom_owner):
    page = loginom_owner.get("/console/sites/loginom").data.decode()
    assert page.count("(not loaded: no cross-border notice)") == 2
    assert "G-LOGINOM01" in page  # the declared id stays visible
    assert "[ru152-cross-border] ga4, meta_pixel are not loaded" in page
    assert 'id="site-csp"' in page and 'data-copy="site-csp"' in page
    assert "script-src http://localhost https://mc.yandex.ru https://yastatic.net;" in page
    assert "googletagmanager" not in page


def _loginom_settings(client, **changes):
    assert client.get("/console/sites/loginom/settings").status_code == 200
    data = {
        "name": "Loginom", "origins": "https://loginom.ru\nhttps://loginom.com",
        "languages": "ru en", "default_language": "ru", "regime": ["ru152"],
        "privacy_policy_url": "https://loginom.com/privacy", "privacy_policy_version": "undated",
        "consent_lifetime_days": "180", "yandex_metrica": "87654321", "ga4": "G-LOGINOM01",
        "meta_pixel": "987654321098765", "ga4_consent_mode": "basic", "gpc": "refuse",
        "client_ip": "truncate", "retention_days": "1095",
    }
    data.update(changes)
    return client.post("/console/sites/loginom/settings", data=data)


def test_console_settings_file_the_notice(loginom_owner):
    response = _loginom_settings(loginom_owner, cross_border_notice_filed="2025-06-01",
                                 cross_border_notice_reference="RKN 77-0001",
                                 cross_border_notice_localisation_assessed="y")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Site, "loginom").cross_border_notice == NOTICE
    page = loginom_owner.get("/console/sites/loginom").data.decode()
    assert "not loaded" not in page and "https://connect.facebook.net" in page
    form = loginom_owner.get("/console/sites/loginom/settings").data.decode()
    assert 'value="2025-06-01"' in form and 'value="RKN 77-0001"' in form


@pytest.mark.parametrize(("changes", "problem"), [
    ({"cross_border_notice_filed": "2025-06-01"},
     "cross_border_notice.localisation_assessed: Required."),
    ({"cross_border_notice_localisation_assessed": "y"}, "cross_border_notice.filed: Required."),
    ({"ga4_consent_mode": "advanced", "ga4_advanced_acknowledged": "y"},
     "ga4_consent_mode: advanced loads gtag.js before consent, which 152-FZ does not allow"),
])
def test_console_settings_refuse_naming_the_field(loginom_owner, changes, problem):
    response = _loginom_settings(loginom_owner, **changes)
    assert response.status_code == 422
    assert problem in response.data.decode()
    db.session.expire_all()
    assert db.session.get(Site, "loginom").cross_border_notice is None


def test_console_texts_refuse_an_override_that_drops_the_operator(loginom_owner):
    response = loginom_owner.post("/console/sites/loginom/texts?language=ru",
                                  data={"intro": "Мы используем cookie."})
    assert response.status_code == 422
    assert ("texts.ru.intro: must keep %(operator)s (it names the operator on the first layer)"
            in response.data.decode())
    assert db.session.get(Site, "loginom").texts == {}


def test_demo_page_sends_the_site_csp(runner, client):
    assert _import(runner, LOGINOM).exit_code == 0
    header = client.get("/demo/loginom").headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in header.split("; "))
    assert directives["script-src"] == ("'self' http://localhost https://mc.yandex.ru "
                                        "https://yastatic.net")
    assert "googletagmanager" not in header and "facebook" not in header
    assert directives["default-src"] == "'self'" and directives["base-uri"] == "'none'"
    printed = runner.invoke(args=["sites", "csp", "loginom", "--service-url", "http://localhost"])
    # Exactly what the owner is told to add, on top of the demo page's own 'self' sources.
    for line in printed.output.splitlines()[2:]:
        directive, sources = line.rstrip(";").split(" ", 1)
        own = " ".join(DEMO_PAGE_POLICY.get(directive, []))
        assert directives[directive] == f"{own} {sources}".strip()


def test_console_site_page_lists_what_only_the_owner_can_do(loginom_owner):
    page = loginom_owner.get("/console/sites/loginom").data.decode()
    assert 'data-duty="rkn-notice"' in page and "Roskomnadzor (152-FZ Art. 22)" in page
    assert 'data-duty="no-noscript"' in page


def test_sites_check_prints_the_owners_duties(runner):
    assert _import(runner, LOGINOM).exit_code == 0
    result = runner.invoke(args=["sites", "check", "loginom"])
    assert "your duty [rkn-notice]:" in result.output
    assert "your duty [no-cookie-wall]:" in result.output
