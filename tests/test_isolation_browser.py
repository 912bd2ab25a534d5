"""In Chromium: vendor code on the demo pages and in the console's preview never acts with the
console's session, however it asks."""
import re

import pytest

from tests.banner_harness import route_host
from tests.browser import CONSOLE_PASSWORD

pytestmark = pytest.mark.browser

ADMIN = "admin@consoleshop.example.com"
#: What a tracker with a grudge would run: read the users page with the visitor's cookies, the
#: same-origin way and the cross-origin way, and reach into the page that frames it.
ATTACK = """async (consoleOrigin) => {
  const attempt = async (url, options) => {
    try {
      const response = await fetch(url, options);
      return {status: response.status, url: response.url, body: await response.text()};
    } catch (error) { return {error: String(error)}; }
  };
  let parentBody;
  try { parentBody = window.parent === window ? null : window.parent.document.body.innerHTML; }
  catch (error) { parentBody = "blocked: " + error.name; }
  let cookies;
  try { cookies = document.cookie; } catch (error) { cookies = "blocked: " + error.name; }
  return {
    same: await attempt("/console/users"),
    cross: await attempt(consoleOrigin + "/console/users", {credentials: "include"}),
    parent: parentBody, cookies,
  };
}"""


def _log_in(context, live_server):
    console = context.new_page()
    console.goto(f"{live_server}/console/login")
    console.fill("#email", ADMIN)
    console.fill("#password", CONSOLE_PASSWORD)
    console.click("#submit")
    console.wait_for_url(f"{live_server}/console/")
    # The session works: the admin reads the users page.
    assert ADMIN in console.goto(f"{live_server}/console/users").text()
    return console


def _assert_no_console_content(outcome):
    for name in ("same", "cross"):
        answer = outcome[name]
        body = answer.get("body", "")
        assert ADMIN not in body and "auditor@consoleshop" not in body, (name, answer)
        # A 404, a login page, or a CORS failure: never the page itself.
        assert "error" in answer or answer["status"] == 404 or "/console/login" in answer["url"], \
            (name, answer)
    assert outcome["parent"] is None or outcome["parent"].startswith("blocked"), outcome["parent"]
    assert "session=" not in outcome["cookies"]


@pytest.fixture
def admin_context(browser, live_server):
    """A browser context logged in to the console as an admin; trackers answered by stubs."""
    # bypass_csp: even a demo page with no CSP of its own must not let a tracker through.
    context = browser.new_context(locale="en-US", bypass_csp=True)
    route_host(context, "no-host.test", lambda _path: "", live_server)
    _log_in(context, live_server)
    yield context
    context.unroute_all(behavior="ignoreErrors")
    context.close()


def test_demo_page_trackers_cannot_use_the_console_session(admin_context, live_server):
    page = admin_context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/demo/familami")
    # The demo pages live on their own host, which holds no console cookie.
    assert page.url == f"{live_server.demo}/demo/familami"
    page.locator('#consent-gate [data-action="accept"]').click()
    page.wait_for_function("document.cookie.includes('cg_consent=')")
    page.wait_for_function("performance.getEntriesByType('resource')"
                           ".some(e => e.name.includes('fbevents.js'))")
    _assert_no_console_content(page.evaluate(ATTACK, str(live_server)))
    assert page.goto(f"{live_server.demo}/console/users").status == 404
    assert errors == []


def test_preview_frame_scripts_cannot_use_the_console_session(browser, live_server):
    # The preview's sandbox is a CSP directive: this context keeps CSP on.
    context = browser.new_context(locale="en-US")
    route_host(context, "no-host.test", lambda _path: "", live_server)
    console = _log_in(context, live_server)
    errors = []
    console.on("pageerror", lambda error: errors.append(str(error)))
    console.goto(f"{live_server}/console/sites/familami/preview")
    frame = console.frame_locator("iframe.preview")
    frame.locator("#consent-gate .dialog").wait_for()
    preview = next(f for f in console.frames if re.search(r"/preview/frame", f.url))
    # The banner's own script runs there too: no script in the frame may act as the admin.
    _assert_no_console_content(preview.evaluate(ATTACK, str(live_server)))
    # The banner still works in the sandbox: accepted, its trackers started.
    frame.locator('#consent-gate [data-action="accept"]').click()
    frame.locator("#consent-gate .launcher").wait_for()
    preview.wait_for_function("performance.getEntriesByType('resource')"
                              ".some(e => e.name.includes('fbevents.js'))")
    assert errors == []
    _assert_no_console_content(preview.evaluate(ATTACK, str(live_server)))
    context.unroute_all(behavior="ignoreErrors")
    context.close()
