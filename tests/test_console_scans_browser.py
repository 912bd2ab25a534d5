"""A real scan of the careless demo page, started in the console in Chromium: it completes, lists
the leak, passes axe-core, and Add to catalog publishes a new catalog version."""
import re

import pytest

from app.extensions import db
from app.scan_worker import INTERCEPT, wait_for_worker
from app.sites.repository import SiteRepository
from tests.scan_harness import scan_intercept, scanned_demo_host
from tests.test_console_admin_browser import CONSOLE, _admin_console, axe_violations

pytestmark = pytest.mark.browser

HOST = "www.consoleshop.test"
CARELESS = f"https://{HOST}/demo/consoleshop/careless"


def catalog_version(app):
    with app.app_context():
        return SiteRepository(db.session).get("consoleshop").catalog_version


def test_a_console_scan_of_the_careless_page_lists_its_leak_and_adopts_a_suggestion(
        host_page, live_server):
    app = live_server.app
    console = _admin_console(host_page)
    app.extensions[INTERCEPT] = scan_intercept(live_server, HOST)
    try:
        with scanned_demo_host(app, HOST):
            console.goto(f"{CONSOLE}/sites/consoleshop/scans")
            console.fill("#url", CARELESS)
            console.fill("#pages", "1")
            console.click("#scan-start button[type=submit]")
            # The answer is the job's page, while the crawl runs; it refreshes until done.
            console.wait_for_url(re.compile(r"/scans/jobs/\d+$"))
            assert console.locator("#scan-job").get_attribute("data-status") in (
                "queued", "running")
            console.wait_for_selector('#scan-job[data-status="done"]', timeout=120_000)
            wait_for_worker(app)
    finally:
        app.extensions.pop(INTERCEPT, None)
    console.click("#scan-result-link")
    console.wait_for_url(re.compile(r"/scans/\d+$"))
    leak = console.locator('tr[data-code="leak"][data-key="cookie _ym_uid"]')
    assert leak.count() == 1 and "before any choice" in leak.inner_text()
    assert console.locator('tr[data-code="leak"][data-key="request mc.yandex.ru"]').count() == 1
    assert axe_violations(console) == []
    before = catalog_version(app)
    # Yandex's own cookie on .yandex.ru: undeclared, with a documented entry to add.
    assert console.locator('tr[data-code="undeclared"][data-key="cookie yandexuid"]').count() == 1
    console.locator('tr[data-key="cookie yandexuid"] button.add-suggestion').click()
    console.wait_for_selector(".flash")
    assert f"catalog version {before + 1}" in console.inner_text(".flash")
    assert catalog_version(app) == before + 1
    assert console.locator('tr[data-key="cookie yandexuid"] button.add-suggestion').count() == 0
