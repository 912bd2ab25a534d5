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
        arrive(page, live_server.demo + path)
        return page, reports

    yield open_page
    for context in contexts:
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def arrive(page, url):
    """Open url and wait for the deferred part (and its watcher): the settings layer is built."""
    page.goto(url)
    page.wait_for_function("""() => {
        const host = document.querySelector('#consent-gate');
        return host && host.shadowRoot.querySelector('.settings h3');
    }""")


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


def test_leaks_are_watched_again_after_a_refusal_on_the_next_page_view(visit, live_server):
    page, reports = visit("/demo/testshop/careless")
    page.locator("#consent-gate [data-action=reject]").click()
    leave(page)
    wait_for_reports(page, reports, 1)
    # A visitor who refused sees no banner; the sampled view loads the deferred part to watch.
    arrive(page, f"{live_server.demo}/demo/testshop/careless")
    assert page.locator("#consent-gate .dialog").is_hidden()
    leave(page)
    wait_for_reports(page, reports, 2)
    assert len(reports) == 2
    assert "mc.yandex.ru" in json.loads(reports[1])["hosts"]


#: A tag pasted outside the gate on a page with no gated markup of its own.
PASTED_TAG = '<script src="https://mc.yandex.ru/metrika/tag.js" async></script>'


def test_leaks_a_visitor_who_refused_gets_the_watcher_alone_when_sampled(host_page):
    visit = host_page(head=PASTED_TAG)
    page = visit.page
    page.locator("#consent-gate [data-action=reject]").click()
    page.wait_for_timeout(6000)  # the first view's own report has gone by now
    reports = []

    def record(route):
        reports.append(route.request.post_data)
        route.fallback()

    visit.context.route("**/api/v1/leaks", record)
    # Nothing granted, no gated markup, no banner to show: the deferred part comes for the
    # watch alone, because this view was sampled (testshop: sample 1.0).
    arrive(page, visit.url)
    assert page.locator("#consent-gate .dialog").is_hidden()
    assert page.evaluate("() => document.querySelector('[data-consent]')") is None
    leave(page)
    wait_for_reports(page, reports, 1)
    assert len(reports) == 1
    assert json.loads(reports[0])["hosts"] == ["mc.yandex.ru"]
    assert json.loads(reports[0])["page"] == "/"
