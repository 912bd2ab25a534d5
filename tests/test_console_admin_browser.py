"""An admin in Chromium: a site made in the wizard works on another origin; every console page
passes axe-core."""
import pytest

from tests.banner_harness import SERVICE_HOST
from tests.test_banner_ui import AXE
from tests.test_console_browser import _accept_and_wait_for_receipt, _log_in

pytestmark = pytest.mark.browser
CONSOLE = f"https://{SERVICE_HOST}/console"
ADMIN = "admin@consoleshop.example.com"
#: The admin's session cookies, kept after the first login: logins are rate-limited.
SESSION = []


def _admin_console(host_page):
    """Return a console tab logged in as the admin, on a context that serves the host pages."""
    visit = host_page(site_id="consoleshop")
    if not SESSION:
        console = _log_in(visit, ADMIN)
        SESSION.extend(visit.context.cookies())
        return console
    visit.context.add_cookies(SESSION)
    return visit.context.new_page()


def axe_violations(page):
    """Run axe-core (WCAG 2.x A and AA) on a console page; evaluated, as its CSP allows no
    injected script tag."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})""")
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


def _next(console):
    console.click("#submit")
    console.wait_for_load_state()


def test_a_site_made_in_the_wizard_records_a_consent_on_its_own_origin(host_page):
    console = _admin_console(host_page)
    console.goto(f"{CONSOLE}/sites/new")
    for field, value in {"#site_id": "wizardsite", "#name": "Wizard Site",
                         "#operator_legal_name": "Wizard LLC",
                         "#operator_email": "privacy@wizard.example.com"}.items():
        console.fill(field, value)
    _next(console)
    console.fill("#origins", "https://www.wizardsite.test")
    console.fill("#languages", "en ru")
    console.fill("#default_language", "en")
    console.check("input[name=regime][value=gdpr]")
    console.fill("#privacy_policy_url", "https://www.wizardsite.test/privacy")
    console.fill("#privacy_policy_version", "2026-01-01")
    _next(console)
    console.fill("#yandex_metrica", "87654321")
    _next(console)
    assert console.locator("input[name=items]:checked").count() == 5
    _next(console)
    console.wait_for_url(f"{CONSOLE}/sites/wizardsite/created")
    assert "/c/wizardsite.js" in console.inner_text("#embed-snippet")
    console.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                      origin=f"https://{SERVICE_HOST}")
    console.click("[data-copy=embed-snippet]")
    console.wait_for_selector("[data-copied]:not([hidden])")
    assert "/c/wizardsite.js" in console.evaluate("navigator.clipboard.readText()")
    # The new site's banner on a page of its own origin, not the service's.
    visit = host_page(site_id="wizardsite")
    consent = _accept_and_wait_for_receipt(visit)
    console.goto(f"{CONSOLE}/records")
    console.select_option("#site", "wizardsite")
    console.fill("#receipt", consent["receipt"])
    console.click("#submit")
    console.wait_for_selector("#result-count")
    assert console.inner_text("#result-count") == "1 record"


CONSOLE_PAGES = [
    "/", "/sites/new", "/sites/consoleshop", "/sites/consoleshop/settings",
    "/sites/consoleshop/catalog", "/sites/consoleshop/catalog/analytical/0",
    "/sites/consoleshop/catalog/new", "/sites/consoleshop/texts?language=ru",
    "/sites/consoleshop/documents", "/sites/consoleshop/upload", "/sites/consoleshop/history",
    "/sites/consoleshop/history/1", "/sites/consoleshop/preview",
    "/sites/consoleshop/versions", "/sites/consoleshop/stats", "/sites/consoleshop/delete",
    "/sites/consoleshop/scans", "/sites/consoleshop/scans/compare",
    "/records", "/integrity", "/audit", "/users", "/users/new", "/users/1", "/account",
]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_axe_finds_no_violations_on_console_pages(host_page, path):
    console = _admin_console(host_page)
    response = console.goto(f"{CONSOLE}{path}")
    assert response.status == 200
    assert axe_violations(console) == []


def test_axe_finds_no_violations_on_the_wizard_steps_and_a_refused_step(host_page):
    console = _admin_console(host_page)
    console.goto(f"{CONSOLE}/sites/new")
    console.fill("#site_id", "Not A Slug")
    console.fill("#name", "Refused")
    console.fill("#operator_legal_name", "Refused LLC")
    console.fill("#operator_email", "privacy@refused.example.com")
    _next(console)
    assert "a-z, 0-9" in console.inner_text("#site_id-error")
    assert console.locator("#site_id[aria-invalid=true]").count() == 1
    assert axe_violations(console) == []
