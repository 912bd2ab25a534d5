"""The console in Chromium: an owner's catalog edit reaches visitors; an auditor exports a proof."""
import json
import subprocess
import sys

import pytest

from tests.banner_harness import SERVICE_HOST
from tests.browser import CONSOLE_PASSWORD
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.browser
CONSOLE = f"https://{SERVICE_HOST}/console"


def _log_in(visit, email):
    console = visit.context.new_page()
    console.goto(f"{CONSOLE}/login")
    console.fill("#email", email)
    console.fill("#password", CONSOLE_PASSWORD)
    console.click("#submit")
    console.wait_for_url(f"{CONSOLE}/")
    return console


def _accept_and_wait_for_receipt(visit):
    visit.click("accept")
    # The receipt arrives once the ledger has committed the record.
    visit.page.wait_for_function("() => { const c = document.cookie.split('; ').find("
                                 "x => x.startsWith('cg_consent=')); return c && "
                                 "decodeURIComponent(c).includes('receipt'); }")
    return json.loads(visit.page.evaluate(
        "() => decodeURIComponent(document.cookie.split('; ').find("
        "x => x.startsWith('cg_consent=')).slice(11))"))


def test_owner_edits_a_catalog_item_and_visitors_see_it_without_being_asked_again(host_page):
    visit = host_page(site_id="consoleshop")
    _accept_and_wait_for_receipt(visit)
    console = _log_in(visit, "owner@consoleshop.example.com")
    console.goto(f"{CONSOLE}/sites/consoleshop/stats")
    shown, accepted = console.eval_on_selector(
        "#by-language tr:has(th:text-is('en'))", "row => [...row.cells].slice(1, 3).map(c => +c.textContent)")
    assert shown >= 1 and accepted >= 1  # the banner counted itself, and the choice is recorded
    console.goto(f"{CONSOLE}/sites/consoleshop/catalog/analytical/0")
    console.fill("#purpose", "Counts visits; edited in the console")
    console.click("#submit")
    console.wait_for_url(f"{CONSOLE}/sites/consoleshop/catalog")
    assert "Catalog version 2" in console.content()
    # Visitors' browsers keep the script for its max-age (5 minutes); this visit comes after.
    visit.context.new_cdp_session(visit.page).send("Network.clearBrowserCache")
    visit.page.reload()
    visit.settle()
    # A changed purpose of a known vendor's cookie asks no one again (only new vendors do).
    assert not visit.banner().is_visible()
    visit.page.locator("#consent-gate .launcher").click()
    visit.click("settings")
    # The edited purpose is in the settings layer's (collapsed) table of analytical cookies.
    visit.page.get_by_text("Counts visits; edited in the console").first.wait_for(state="attached")


def test_auditor_finds_the_consent_and_exports_a_verifiable_proof(host_page, tmp_path):
    visit = host_page(site_id="consoleshop")
    consent = _accept_and_wait_for_receipt(visit)
    console = _log_in(visit, "auditor@consoleshop.example.com")
    console.goto(f"{CONSOLE}/records")
    console.select_option("#site", "consoleshop")
    console.fill("#receipt", consent["receipt"])
    console.click("#submit")
    console.wait_for_selector("#result-count")
    assert console.inner_text("#result-count") == "1 record"
    console.click("table a[href*='/console/records/']")
    console.wait_for_selector("#chain-status")
    assert "Verified" in console.inner_text("#chain-status")
    assert consent["id"] in console.inner_text("#record-fields")
    console.go_back()
    paths = {}
    for name, link in [("ndjson", "a.button:text-is('NDJSON')"), ("csv", "a.button:text-is('CSV')"),
                       ("manifest", "a[href*='/export.csv.manifest.json']")]:
        # The page fetches what its download links point at, with the auditor's session.
        body = console.eval_on_selector(link, "a => fetch(a.href).then(r => r.text())")
        paths[name] = tmp_path / f"proof.{name}"
        paths[name].write_text(body, encoding="utf-8")
    assert paths["ndjson"].read_text().count("\n") == 1
    # The auditor fetches the service's public key once and pins it.
    key = tmp_path / "ledger.pem"
    key.write_text(console.evaluate("fetch('/api/v1/ledger/public-key').then(r => r.text())"))
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "verify_export.py"),
                             str(paths["csv"]), str(paths["manifest"]), "--public-key", str(key)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
