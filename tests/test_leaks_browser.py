"""Leak reports from real visits: a page that pastes a tracker outside the gate reports it once;
a clean page reports nothing (trackers are stubs)."""
import json
from urllib.parse import urlsplit

import pytest

from tests.browser import CONSOLE_PASSWORD, CONSOLE_USERS
from tests.scan_harness import scan_intercept

pytestmark = pytest.mark.browser

@pytest.fixture
def visit(browser, live_server):
    """Factory: open a demo page of the test shop on the demo host; return (page, the bodies of
    the leak reports it sent)."""
    contexts = []

    def open_page(path):
        context = browser.new_context(locale="en-US")
        contexts.append(context)
        reports = []
        demo = urlsplit(live_server.demo).hostname
        stubs = scan_intercept(live_server, demo)

        def handle(route):
            parts = urlsplit(route.request.url)
            if parts.hostname != demo:
                return stubs(route)  # the trackers' hosts, answered by stubs
            if parts.path == "/api/v1/leaks":
                reports.append(route.request.post_data)
            return route.continue_()

        context.route("**/*", handle)
        page = context.new_page()
        page.goto(live_server.demo + path)
        # The deferred part (and its watcher) has arrived once the settings layer is built.
        page.wait_for_function("""() => {
            const host = document.querySelector('#consent-gate');
            return host && host.shadowRoot.querySelector('.settings h3');
        }""")
        return page, reports

    yield open_page
    for context in contexts:
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def leave(page):
    """Leave the page after its watcher's report is due, so pagehide cannot be the first send."""
    page.wait_for_timeout(6000)
    page.goto("about:blank")


def wait_for_reports(page, reports, count):
    """Wait (a bounded while) until count reports went out."""
    for _ in range(50):
        if len(reports) >= count:
            return
        page.wait_for_timeout(200)


def test_leaks_careless_page_sends_exactly_one_report_seen_in_the_console(visit, live_server):
    page, reports = visit("/demo/testshop/careless")
    leave(page)
    wait_for_reports(page, reports, 1)
    assert len(reports) == 1
    report = json.loads(reports[0])
    assert report["site"] == "testshop" and report["page"] == "/demo/testshop/careless"
    assert "mc.yandex.ru" in report["hosts"]
    assert "_ym_uid" in report["cookies"] and "_ym_uid" in report["storage"]
    assert "?" not in json.dumps(report)
    client = live_server.app.test_client()
    auditor = next(email for email, role, _sites in CONSOLE_USERS if role == "auditor")
    client.post("/console/login", data={"email": auditor, "password": CONSOLE_PASSWORD})
    text = client.get("/console/sites/testshop/leaks").get_data(as_text=True)
    assert 'data-page="/demo/testshop/careless"' in text
    assert 'data-kind="cookie" data-name="_ym_uid"' in text
    assert 'data-kind="host" data-name="mc.yandex.ru"' in text


def test_leaks_clean_demo_page_sends_none(visit):
    page, reports = visit("/demo/testshop")
    leave(page)
    assert reports == []
