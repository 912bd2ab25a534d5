"""In Chromium: a ru152 site without a cross-border notice never loads GA4 or the Meta pixel, and
the demo pages work under exactly the CSP the owner is told to send."""
import pytest
import yaml

from app.demo.views import DEMO_PAGE_POLICY
from app.sites.csp import csp_header, merge_csp, site_csp
from app.sites.files import parse_site_document
from tests.banner_harness import route_host
from tests.browser import LOGINOM_FILED
from tests.conftest import SAMPLE_SITES

pytestmark = pytest.mark.browser

#: Hosts of the trackers loginom declares but may not load (scripts and hits alike).
CROSS_BORDER_HOSTS = ("googletagmanager.com", "google-analytics.com", "connect.facebook.net",
                      "www.facebook.com")
#: Collects CSP violations the page reports (the event carries the blocked URL and directive).
VIOLATIONS_SCRIPT = """window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def _cross_border(requests):
    return [url for url in requests if any(host in url for host in CROSS_BORDER_HOSTS)]


@pytest.mark.parametrize(("lang", "locale", "accept"), [("ru", "ru-RU", "Принять все"),
                                                        ("en", "en-US", "Accept all")])
def test_loginom_loads_metrica_and_never_ga4_or_the_pixel(host_page, lang, locale, accept):
    visit = host_page(site_id="loginom", lang=lang, locale=locale)
    button = visit.page.locator('#consent-gate [data-action="accept"]')
    assert button.inner_text() == accept
    # Its cookie table leaves out what only the held-back trackers write.
    visit.click("settings")
    visit.page.locator("#consent-gate #cg-analytical").wait_for()
    table = visit.page.locator("#consent-gate .settings").text_content()
    assert "_ym_" in table and "_ga" not in table and "_fb" not in table
    button.click()
    visit.page.wait_for_function("document.cookie.includes('_ym_uid=')")
    visit.page.wait_for_function(
        "performance.getEntriesByType('resource').some(e => e.name.includes('watch/87654321'))")
    visit.settle()
    assert visit.requests_to("mc.yandex.ru/metrika/tag.js")
    assert _cross_border(visit.tracker_requests) == []
    assert visit.page.evaluate("typeof window.fbq") == "undefined"
    assert visit.page.evaluate("(window.dataLayer || []).length") == 0
    assert [c for c in visit.tracker_cookies() if c.startswith(("_ga", "_fb"))] == []
    assert visit.page.errors == []


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_with_a_filed_notice_loginom_loads_ga4_and_the_pixel(host_page, lang):
    visit = host_page(site_id=LOGINOM_FILED, lang=lang)
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_fbp=')")
    visit.settle()
    assert visit.requests_to("mc.yandex.ru/metrika/tag.js")
    assert visit.requests_to("www.googletagmanager.com/gtag/js?id=G-LOGINOM01")
    assert visit.requests_to("connect.facebook.net/en_US/fbevents.js")
    assert {"_ga", "_fbp", "_ym_uid"} <= set(visit.tracker_cookies())


@pytest.fixture
def demo_visit(browser, live_server):
    """Factory: open a demo page with trackers answered by the stubs; yield (page, response,
    tracker requests, console errors)."""
    contexts = []

    def open_demo(site_id):
        context = browser.new_context(locale="en-US")
        contexts.append(context)
        log = route_host(context, "no-host.test", lambda _path: "", live_server)
        context.add_init_script(VIOLATIONS_SCRIPT)
        page = context.new_page()
        errors = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        response = page.goto(f"{live_server.demo}/demo/{site_id}")
        return page, response, log, errors

    yield open_demo
    for context in contexts:
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def _poll(page, expression, timeout_ms=5000):
    """Wait until expression holds, without wait_for_function's eval (the CSP forbids it)."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")


@pytest.mark.parametrize(("site_id", "expected", "absent"), [
    ("familami", ["metrika/tag.js", "watch/12345678", "gtag/js?id=G-FAMILAMI01",
                  "g/collect?tid=G-FAMILAMI01", "fbevents.js", "facebook.com/tr?id="], []),
    ("loginom", ["metrika/tag.js", "watch/87654321"], list(CROSS_BORDER_HOSTS)),
])
def test_demo_page_works_under_the_site_csp(demo_visit, live_server, site_id, expected, absent):
    page, response, log, errors = demo_visit(site_id)
    assert response.headers["content-security-policy"] == _expected_header(live_server, site_id)
    page.locator("#consent-gate .dialog").wait_for()
    page.locator('#consent-gate [data-action="accept"]').click()
    # (The Metrica stub's cookies name a parent domain, which 127.0.0.1 has not: wait for hits.)
    for fragment in expected:
        _poll(page, f"performance.getEntriesByType('resource').some(e => e.name.includes({fragment!r}))")
    # The owner's gated script ran too, under the same policy.
    _poll(page, "document.getElementById('owner-analytics-status').textContent"
          ".includes('is running')")
    page.wait_for_timeout(300)  # let late hits arrive, so a blocked one would be reported
    assert not [url for url in log if any(host in url for host in absent)]
    assert page.evaluate("window.__violations") == []
    assert errors == []


def _expected_header(live_server, site_id):
    """Return the header the demo page must send: its own sources plus the site's CSP."""
    document = yaml.safe_load((SAMPLE_SITES / f"{site_id}.yaml").read_text(encoding="utf-8"))
    site = parse_site_document(document, site_id)
    # The live server has no public URL: the demo page names the host it was asked at.
    return csp_header(merge_csp(DEMO_PAGE_POLICY, site_csp(site, live_server.demo)))
