"""`flask sites scan` on the demo pages in Chromium, trackers answered by stubs."""
import json

import jsonschema
import pytest
from sqlalchemy import func, select

from app.banner.bundle import gate_code
from app.cli.scan import INTERCEPT
from app.extensions import db
from app.ledger.tables import ConsentRecord
from app.scanner.report import load_schema
from tests.scan_harness import SCAN_HOST, scan_intercept, scanned_demo_host

pytestmark = pytest.mark.browser

FAMILAMI = f"https://{SCAN_HOST}/demo/familami"
TESTSHOP_HOST = "www.testshop.test"


@pytest.fixture
def scan(live_server):
    """Run `flask sites scan` on the live server's app; return (exit code, output)."""
    app = live_server.app

    def run(*args, host=SCAN_HOST, robots=None):
        app.extensions[INTERCEPT] = scan_intercept(live_server, host, robots)
        with scanned_demo_host(app, host):
            result = app.test_cli_runner().invoke(args=["sites", "scan", *args])
        return result.exit_code, result.output

    yield run
    app.extensions.pop(INTERCEPT, None)


def findings(document, code):
    """Return {(storage, name): finding} of one code."""
    return {(f["storage"], f["name"]): f for f in document["findings"] if f["code"] == code}


def seen_in(document, storage, name):
    """Return the passes in which a cookie or storage key was present."""
    passes = set()
    for result in document["passes"]:
        entries = result["cookies"] if storage == "cookie" else [
            entry for entry in result["storage"] if entry["storage"] == storage]
        if any(entry["name"] == name for entry in entries):
            passes.add(result["pass"])
    return passes


def consent_records(app, site_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ConsentRecord)
                                 .where(ConsentRecord.site_id == site_id))


@pytest.fixture(scope="module")
def familami_scan(live_server):
    """Scan familami's demo page once (up to two pages) for the tests that read it."""
    app = live_server.app
    app.extensions[INTERCEPT] = scan_intercept(live_server)
    records_before = consent_records(app, "familami")
    with scanned_demo_host(app, SCAN_HOST):
        result = app.test_cli_runner().invoke(
            args=["sites", "scan", "familami", "--url", FAMILAMI, "--pages", "2", "--json"])
    app.extensions.pop(INTERCEPT, None)
    return result.exit_code, json.loads(result.output), records_before


def test_familami_scan_follows_the_schema_and_fails_on_undeclared_keys(familami_scan, live_server):
    exit_code, document, records_before = familami_scan
    jsonschema.validate(document, load_schema(), format_checker=jsonschema.FormatChecker())
    assert exit_code == 1
    assert document["summary"]["failed"] is True
    assert document["pages"][0] == FAMILAMI
    assert document["build"] == gate_code()[2]
    # The policy link is a text file, not a page: followed, and left out.
    assert {"url": f"https://{SCAN_HOST}/documents/familami/policy/en",
            "reason": "not an HTML page"} in document["skipped"]
    assert all(result["banner"] for result in document["passes"])
    # The scanner's own clicks are no one's consent: its reports never reach the ledger.
    assert consent_records(live_server.app, "familami") == records_before


@pytest.mark.parametrize(("storage", "name"), [
    ("cookie", "_ym_uid"), ("cookie", "_ga"), ("cookie", "_fbp"), ("cookie", "_ga_FAMILAMI01"),
    ("localStorage", "_ym_uid"), ("localStorage", "_ym12345678_lsid"),
    ("sessionStorage", "_ym_debug_state"),
])
def test_familami_trackers_store_only_after_accept_all(familami_scan, storage, name):
    _exit_code, document, _records = familami_scan
    assert seen_in(document, storage, name) == {"accept"}
    assert findings(document, "leak") == {}


def test_familami_trackers_are_attributed_to_their_scripts(familami_scan):
    _exit_code, document, _records = familami_scan
    accept = next(result for result in document["passes"] if result["pass"] == "accept")
    cookies = {cookie["name"]: cookie for cookie in accept["cookies"]}
    assert cookies["_ym_uid"]["set_by"] == "https://mc.yandex.ru/metrika/tag.js"
    assert cookies["_ym_uid"]["domain"] == ".familami.test"
    assert cookies["_ym_uid"]["path"] == "/"
    assert 364 * 86400 < cookies["_ym_uid"]["expires_in"] <= 365 * 86400
    assert cookies["_fbp"]["set_by"] == "https://connect.facebook.net/en_US/fbevents.js"
    assert cookies["_ga"]["set_by"].startswith("https://www.googletagmanager.com/gtag/js")
    # The owner's own script, gated with data-consent="analytical", and its category.
    assert cookies["demo_visits"]["set_by"] == f"https://{SCAN_HOST}/static/demo/owner-analytics.js"
    assert cookies["demo_visits"]["script_category"] == "analytical"
    # Set by an answer of Yandex on Yandex's own domain (a stub's Set-Cookie is hidden from
    # Playwright, so the scanner names the first request to that domain).
    assert cookies["yandexuid"]["domain"] == ".yandex.ru"
    assert cookies["yandexuid"]["set_by"].startswith("https://mc.yandex.ru/")
    assert cookies["yandexuid"]["set_by_kind"] == "response"
    assert cookies["yandexuid"]["secure"] is True and cookies["yandexuid"]["same_site"] == "None"
    # The gate's own consent cookie, declared by the service, is no finding.
    assert "cg_consent" in cookies
    assert not any(f["name"] in ("cg_consent", "cg_outbox") for f in document["findings"])
    assert set(accept["third_party_hosts"]) >= {"mc.yandex.ru", "connect.facebook.net",
                                                "www.googletagmanager.com"}


def test_familami_catalog_mistakes_are_reported_with_suggestions(familami_scan):
    _exit_code, document, _records = familami_scan
    undeclared = findings(document, "undeclared")
    assert set(undeclared) == {
        ("cookie", "_ym_uid"), ("cookie", "_ym_d"), ("cookie", "_ym_isad"),
        ("cookie", "_ga_FAMILAMI01"), ("cookie", "demo_visits"), ("localStorage", "_ym_uid"),
        ("localStorage", "_ym12345678_lsid"), ("sessionStorage", "_ym_debug_state")}
    # The policy's ym* misses Metrica's real names, which start with an underscore.
    assert "(ym* does not match it)" in undeclared[("cookie", "_ym_uid")]["message"]
    assert undeclared[("cookie", "_ym_uid")]["suggestion"] == {
        "category": "analytical",
        "item": {"name": "_ym_uid", "match": "exact", "storage": "cookie",
                 "provider": "Yandex LLC", "lifetime": "1 year",
                 "purpose": "Identifies visitors (Yandex.Metrica)"}}
    assert undeclared[("cookie", "_ga_FAMILAMI01")]["suggestion"]["item"]["name"] == "_ga_"
    assert undeclared[("cookie", "_ga_FAMILAMI01")]["suggestion"]["item"]["match"] == "prefix"
    assert undeclared[("cookie", "demo_visits")]["suggestion"]["category"] == "analytical"
    assert undeclared[("cookie", "demo_visits")]["suggestion"]["item"]["lifetime"] == "1 year"
    # _fbp is filed as analytical; the Meta pixel's identifier is advertising.
    wrong = findings(document, "wrong-category")
    assert set(wrong) == {("cookie", "_fbp"), ("cookie", "yandexuid")}
    assert wrong[("cookie", "_fbp")]["declared"] == "_fbp*"
    assert wrong[("cookie", "_fbp")]["suggestion"]["category"] == "marketing"
    # ya* covers Yandex's own cookie, which the site cannot delete.
    assert set(findings(document, "cannot-clear")) == {("cookie", "yandexuid")}
    # The policy gives no lifetimes; _ga is set for Chrome's cap of 400 days, Google asks 2 years.
    lifetimes = findings(document, "lifetime")
    assert set(lifetimes) == {("cookie", "_ga"), ("cookie", "_fbp"), ("cookie", "yandexuid")}
    assert "set for 400 days" in lifetimes[("cookie", "_ga")]["message"]
    assert lifetimes[("cookie", "_ga")]["suggestion"]["item"]["lifetime"] == "2 years"
    not_seen = {name for _storage, name in findings(document, "not-seen")}
    assert {"PHPSESSID", "hide_popup", "_gid", "ym*", "gclid"} <= not_seen
    assert "_ga" not in not_seen and "ya*" not in not_seen


def test_scans_are_stored_per_site(familami_scan, live_server):
    output = live_server.app.test_cli_runner().invoke(args=["sites", "scans", "familami"]).output
    assert f"build {gate_code()[2]}" in output
    assert "1 page(s) 0 leak(s) 8 undeclared" in output
    assert "FAILED" in output


def test_the_careless_page_leaks_metrica_before_any_choice(scan):
    exit_code, output = scan("testshop", "--url", f"https://{TESTSHOP_HOST}/demo/testshop/careless",
                             "--pages", "1", "--json", host=TESTSHOP_HOST)
    document = json.loads(output)
    assert exit_code == 1
    leaks = findings(document, "leak")
    # Declared (testshop's ^_ym_), but set before any choice and again after Reject all.
    assert leaks[("cookie", "_ym_uid")]["declared"] == "/^_ym_/"
    assert leaks[("cookie", "_ym_uid")]["category"] == "analytical"
    assert "none" in leaks[("cookie", "_ym_uid")]["passes"]
    assert "before any choice" in leaks[("cookie", "_ym_uid")]["message"]
    assert ("localStorage", "_ym_uid") in leaks
    assert leaks[("request", "mc.yandex.ru")]["passes"] == ["none", "reject"]
    # The gated trackers still wait: GA4 writes only after Accept all.
    assert seen_in(document, "cookie", "_ga") == {"accept"}


def test_the_table_names_the_leak(scan):
    exit_code, output = scan("testshop", "--url", f"https://{TESTSHOP_HOST}/demo/testshop/careless",
                             "--pages", "1", host=TESTSHOP_HOST)
    assert exit_code == 1
    assert any(line.startswith("leak") and "cookie _ym_uid" in line and "none" in line
               for line in output.splitlines())
    assert "FAILED (leaks or undeclared items)" in output


def test_robots_txt_is_respected_unless_ignored(scan):
    robots = "User-agent: *\nDisallow: /demo/\n"
    exit_code, output = scan("familami", "--url", FAMILAMI, "--pages", "1", robots=robots)
    assert exit_code == 1
    assert f"{FAMILAMI}: robots.txt" in output and "--ignore-robots" in output
    exit_code, output = scan("familami", "--url", FAMILAMI, "--pages", "1", "--ignore-robots",
                             "--json", robots=robots)
    assert json.loads(output)["pages"] == [FAMILAMI]
