"""The gate in Chromium: nothing analytical before consent, everything after, cleared on withdrawal."""
import pytest

from tests.banner_harness import DOWN_HOST, SERVICE_HOST

pytestmark = pytest.mark.browser


#: Sample sites and the tracker requests Accept all must cause on each.
SITES = {
    "testshop": ["metrika/tag.js", "watch/44556677", "gtag/js?id=G-TEST123456",
                 "g/collect?tid=G-TEST123456", "fbevents.js", "tr?id=1234567890123"],
    "familami": ["metrika/tag.js", "gtag/js?id=G-FAMILAMI01", "fbevents.js"],
    # A 152-FZ site without a cross-border notice: GA4 and the pixel are held back
    # (tests/test_cross_border_browser.py shows they are never requested).
    "loginom": ["metrika/tag.js", "watch/87654321"],
    "loginom-filed": ["metrika/tag.js", "gtag/js?id=G-LOGINOM01", "fbevents.js"],
    "flomni": ["metrika/tag.js", "watch/90000001"],
}


@pytest.mark.parametrize("site_id", SITES)
def test_nothing_loads_before_a_choice(host_page, site_id):
    visit = host_page(site_id=site_id)
    visit.banner().wait_for()
    visit.settle()
    assert visit.tracker_requests == []
    assert visit.tracker_cookies() == []
    assert visit.tracker_storage() == []


@pytest.mark.parametrize("site_id", SITES)
def test_accept_all_loads_every_tracker_without_reload(host_page, site_id):
    visit = host_page(site_id=site_id)
    visit.page.evaluate("window.marker = 'same page'")
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_ym_uid=')")
    for fragment in SITES[site_id]:
        visit.page.wait_for_function(
            "f => performance.getEntriesByType('resource').some(e => e.name.includes(f))",
            arg=fragment)
        assert visit.requests_to(fragment), fragment
    assert visit.page.evaluate("window.marker") == "same page"
    assert "_ym_uid" in visit.tracker_cookies()
    assert not visit.banner().is_visible()


def test_accept_all_sets_every_tracker_cookie(host_page):
    visit = host_page()
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_fbp=')")
    visit.settle()  # the stub's GA4 hit may still be on its way when the pixel's cookie is set
    assert visit.requests_to("google-analytics.com/g/collect?tid=G-TEST123456&en=page_view&gcs=G111")
    assert visit.requests_to("facebook.com/tr?id=1234567890123&ev=PageView")
    assert {"_ym_uid", "_ga", "_ga_TEST123456", "_fbp"} <= set(visit.tracker_cookies())


def test_stored_consent_loads_trackers_on_the_next_page(host_page):
    visit = host_page()
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_ym_uid=')")
    visit.tracker_requests.clear()
    visit.page.goto(visit.url + "next")
    visit.page.wait_for_function("document.cookie.includes('_fbp=')")
    visit.settle()
    assert visit.requests_to("metrika/tag.js") and visit.requests_to("gtag/js")
    assert visit.requests_to("fbevents.js")
    assert not visit.banner().is_visible()
    assert visit.page.locator("#consent-gate .launcher").is_visible()


@pytest.mark.parametrize("action", ["reject", "close"])
def test_reject_or_close_loads_nothing(host_page, action):
    visit = host_page()
    if action == "close":
        visit.page.locator("#consent-gate .close").click()
    else:
        visit.click("reject")
    visit.settle()
    assert visit.tracker_requests == []
    assert visit.tracker_cookies() == []
    consent = visit.page.evaluate("ConsentGate.getConsent()")
    assert consent["choices"] == {"mandatory": True, "analytical": False, "marketing": False}


def test_withdrawal_stops_trackers_and_clears_parent_domain_cookies(host_page):
    visit = host_page()
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_fbp=')")
    parent_domains = {c["domain"] for c in visit.context.cookies() if c["name"] == "_ym_uid"}
    assert parent_domains == {".testshop.test"}
    assert "_ym_uid" in visit.tracker_storage()
    visit.page.locator("#consent-gate .launcher").click()
    visit.click("reject")
    assert visit.tracker_cookies() == []
    assert visit.tracker_storage() == []
    visit.tracker_requests.clear()
    visit.page.evaluate("""() => { ym(44556677, 'hit', '/after'); gtag('event', 'after');
                                   fbq('track', 'AfterWithdrawal'); }""")
    visit.settle()
    assert visit.tracker_requests == []
    assert visit.page.evaluate("window['disableYaCounter44556677']") is True
    assert visit.page.evaluate("window['ga-disable-G-TEST123456']") is True


def test_granting_one_category_loads_only_its_trackers(host_page):
    visit = host_page()
    visit.click("settings")
    visit.page.locator("#consent-gate #cg-marketing").check()
    visit.click("save")
    visit.page.wait_for_function("document.cookie.includes('_fbp=')")
    visit.settle()
    assert visit.requests_to("fbevents.js")
    assert not visit.requests_to("metrika") and not visit.requests_to("gtag")


def test_gpc_counts_as_refusal_and_still_offers_opt_in(host_page):
    visit = host_page(gpc=True)
    notice = visit.page.locator("#consent-gate .notice")
    notice.wait_for()
    assert "Global Privacy Control" in notice.inner_text()
    visit.settle()
    assert visit.tracker_requests == []
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_ym_uid=')")


def test_site_owner_markup_waits_for_its_category(host_page, live_server):
    body = """
      <script type="text/plain" data-consent="analytical">window.order = ['inline-1'];</script>
      <script type="text/plain" data-consent="analytical"
              src="data:text/javascript,window.order.push('external')"></script>
      <script type="text/plain" data-consent="analytical">window.order.push('inline-2');</script>
      <iframe data-consent="marketing" data-src="about:blank#video" title="video"></iframe>
      <img data-consent="marketing" data-src="https://www.facebook.com/tr?id=1&ev=img" alt="">"""
    visit = host_page(body=body)
    visit.banner().wait_for()
    assert visit.page.evaluate("window.order") is None
    # The placeholder comes with the deferred part, fetched once the banner is visible.
    visit.page.locator("[data-consent-placeholder='marketing']").wait_for()
    assert visit.page.locator("[data-consent-placeholder='marketing']").count() == 1
    visit.click("accept")
    visit.page.wait_for_function("window.order && window.order.length === 3")
    assert visit.page.evaluate("window.order") == ["inline-1", "external", "inline-2"]
    assert visit.page.locator("iframe").get_attribute("src") == "about:blank#video"
    assert visit.page.locator("[data-consent-placeholder]").count() == 0
    visit.settle()
    assert visit.requests_to("ev=img")


def test_strict_csp_page_with_nonce(host_page):
    csp = ("default-src 'none'; script-src 'nonce-r4nd0m' 'strict-dynamic'; style-src 'self'; "
           "img-src https:; connect-src 'self'")
    head = """<script type="text/plain" data-consent="analytical">window.ownerRan = true;</script>"""
    visit = host_page(csp=csp, nonce="r4nd0m", head=head)
    visit.banner().wait_for()
    assert visit.banner().locator("button.button").first.evaluate(
        "b => getComputedStyle(b).backgroundColor") == "rgb(29, 78, 216)"
    # The deferred part is a second script: it carries the nonce, and its styles apply.
    visit.click("settings")
    visit.page.locator("#consent-gate #cg-analytical").wait_for()
    assert visit.page.locator("#consent-gate .category").first.evaluate(
        "c => getComputedStyle(c).borderTopStyle") == "solid"
    deferred = visit.page.evaluate("""() => [...document.scripts].filter(s => s.src.includes('/c/testshop/'))
        .map(s => s.nonce)""")
    assert deferred == ["r4nd0m"]
    visit.click("accept")
    # wait_for_function evaluates strings, which this CSP forbids: poll from outside instead.
    _poll(visit.page, "window.ownerRan === true")
    _poll(visit.page, "document.cookie.includes('_ym_uid=')")
    assert visit.page.errors == []


def _poll(page, expression, timeout_ms=5000):
    """Wait until expression is true on a page whose CSP forbids wait_for_function's eval."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")


def test_service_down_fails_closed(host_page):
    head = """<script type="text/plain" data-consent="analytical">window.ownerRan = true;</script>"""
    visit = host_page(embed_src=f"https://{DOWN_HOST}/c/testshop.js", head=head)
    visit.settle(banner=False)
    assert visit.page.locator("h1").inner_text() == "Host page"
    assert visit.page.evaluate("window.ownerRan") is None
    assert visit.tracker_requests == []
    assert visit.page.errors == []


def test_unknown_site_script_is_harmless(host_page):
    visit = host_page(embed_src=f"https://{SERVICE_HOST}/c/no-such-site.js")
    visit.settle(banner=False)
    assert visit.page.errors == []
    assert visit.page.locator("#consent-gate").count() == 0


def test_every_choice_is_reported_and_the_receipt_kept(host_page, live_server):
    visit = host_page()
    visit.click("accept")
    visit.page.wait_for_function("ConsentGate.getConsent().receipt")
    receipt = visit.page.evaluate("ConsentGate.getConsent().receipt")
    visit.page.locator("#consent-gate .launcher").click()
    visit.click("reject")
    visit.page.wait_for_function(f"ConsentGate.getConsent().receipt && "
                                 f"ConsentGate.getConsent().receipt !== '{receipt}'")
    latest = visit.page.evaluate("ConsentGate.getConsent().receipt")
    proof = visit.context.request.get(f"{live_server}/api/v1/receipts/{latest}").json()
    assert proof["verified"] is True
    assert proof["record"]["event"] == "withdraw" and proof["record"]["ui_action"] == "withdraw"
    assert proof["record"]["page_origin"] == "https://www.testshop.test"
    assert [entry["event"] for entry in proof["history"]] == ["grant", "withdraw"]
    assert proof["texts"]["title"] == "Test Shop cares about your privacy"


def test_a_choice_made_offline_is_sent_later(host_page):
    visit = host_page()
    offline = "**/api/v1/consents"
    visit.context.route(offline, lambda route: route.abort("internetdisconnected"))
    visit.click("accept")
    visit.settle()
    assert len(visit.page.evaluate("JSON.parse(localStorage.getItem('cg_outbox'))")) == 1
    assert visit.page.evaluate("ConsentGate.getConsent().receipt") is None
    visit.context.unroute(offline)
    visit.page.evaluate("dispatchEvent(new Event('online'))")
    visit.page.wait_for_function("ConsentGate.getConsent().receipt")
    assert visit.page.evaluate("localStorage.getItem('cg_outbox')") is None


def test_refusal_after_a_re_prompt_clears_what_an_earlier_grant_left(host_page):
    visit = host_page()
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_fbp=')")
    # The receipt rewrites the consent cookie when it arrives; change the cookie after that.
    visit.page.wait_for_function("ConsentGate.getConsent().receipt")
    stored = visit.page.evaluate("""() => JSON.parse(decodeURIComponent(document.cookie
        .split('; ').find(c => c.startsWith('cg_consent=')).slice(11)))""")
    stored["policy"] = "2000-01-01"
    visit.page.evaluate("""s => { document.cookie = 'cg_consent=' +
        encodeURIComponent(JSON.stringify(s)) + '; Path=/'; }""", stored)
    visit.page.reload()
    visit.banner().wait_for()
    assert "_ym_uid" in visit.tracker_cookies()
    visit.click("reject")
    assert visit.tracker_cookies() == []
    assert visit.tracker_storage() == []


def test_google_ad_signals_follow_the_marketing_choice(host_page):
    visit = host_page()
    updates = """() => dataLayer.filter(e => e[0] === 'consent' && e[1] === 'update')
        .map(e => e[2].ad_storage + '/' + e[2].analytics_storage)"""
    visit.click("accept")
    assert visit.page.evaluate(updates)[-1] == "granted/granted"
    visit.page.locator("#consent-gate .launcher").click()
    visit.click("settings")
    visit.page.locator("#consent-gate #cg-marketing").uncheck()
    visit.click("save")
    assert visit.page.evaluate(updates)[-1] == "denied/granted"


def test_malformed_consent_cookie_shows_the_banner(host_page):
    visit = host_page()
    visit.context.add_cookies([{"name": "cg_consent", "value": '{"choices":null}',
                                "url": visit.url}])
    visit.page.reload()
    visit.banner().wait_for()
    assert visit.page.errors == []


def test_focus_returns_to_the_launcher(host_page):
    visit = host_page()
    visit.click("reject")
    visit.page.locator("#consent-gate .launcher").click()
    visit.banner().wait_for()
    visit.page.keyboard.press("Escape")
    # The banner closes in the task after the key's (the choice's work comes first).
    visit.page.wait_for_function(
        "document.querySelector('#consent-gate').shadowRoot.activeElement?.className === 'launcher'")
    assert visit.banner().is_hidden()


#: The deferred part's URL: /c/<site>/<build>/<digest>.js on the service.
DEFERRED_PARTS = f"https://{SERVICE_HOST}/c/*/*/*.js"


def test_first_layer_works_without_the_deferred_part(host_page):
    head = """<script type="text/plain" data-consent="analytical">window.ownerRan = true;</script>"""
    visit = host_page(head=head, path="/blank")
    visit.page.locator("#consent-gate .settings h3").wait_for(state="attached")  # this page's own
    visit.context.route(DEFERRED_PARTS, lambda route: route.abort("connectionrefused"))
    visit.page.goto(visit.url.removesuffix("blank") + "blocked")
    visit.banner().wait_for()
    assert visit.page.locator("#consent-gate h2").inner_text() == "Test Shop cares about your privacy"
    visit.click("settings")  # asks for the deferred part again; it does not come
    visit.settle()
    assert visit.page.locator("#consent-gate #cg-analytical").count() == 0
    with visit.page.expect_response(lambda response: response.url.endswith("/api/v1/consents")
                                    and response.request.method == "POST") as answer:
        visit.click("accept")
    # The report goes as a beacon when the part that sends reports does not come.
    assert answer.value.status == 201
    visit.settle()
    # What the choice allows starts from the first script alone: trackers and the owner's markup.
    for fragment in ("metrika/tag.js", "gtag/js?id=G-TEST123456", "fbevents.js"):
        assert visit.requests_to(fragment)
    assert visit.page.evaluate("window.ownerRan") is True
    assert visit.page.errors == []
    # The report stays queued; the next page view that has the deferred part sends it again (the
    # service keeps one copy) and keeps the receipt.
    assert len(visit.page.evaluate("JSON.parse(localStorage.getItem('cg_outbox'))")) == 1
    visit.context.unroute(DEFERRED_PARTS)
    visit.page.reload()
    visit.page.wait_for_function("ConsentGate.getConsent().receipt")
    assert visit.page.evaluate("localStorage.getItem('cg_outbox')") is None
    assert visit.page.locator("#consent-gate .launcher").is_visible()


def _come_back_without_the_deferred_part(visit):
    """Accept all, then load the page again with the deferred part refused; watch anew."""
    visit.click("accept")
    visit.settle()
    visit.context.route(DEFERRED_PARTS, lambda route: route.abort("connectionrefused"))
    visit.tracker_requests.clear()
    visit.page.reload()
    visit.settle()


def test_a_returning_visitor_s_trackers_start_without_the_deferred_part(host_page):
    head = """<script type="text/plain" data-consent="analytical">window.ownerRan = true;</script>"""
    visit = host_page(head=head)
    _come_back_without_the_deferred_part(visit)
    assert visit.banner().is_hidden()
    for fragment in SITES["testshop"]:
        assert visit.requests_to(fragment), fragment
    assert visit.page.evaluate("window.ownerRan") is True
    assert visit.page.errors == []


STOPPED = """() => [window['disableYaCounter44556677'], window['ga-disable-G-TEST123456']]"""


def test_a_withdrawal_stops_the_trackers_without_the_deferred_part(host_page):
    visit = host_page()
    _come_back_without_the_deferred_part(visit)
    assert visit.page.evaluate(STOPPED) == [False, False]
    visit.page.evaluate("ConsentGate.withdraw()")
    assert visit.page.evaluate(STOPPED) == [True, True]
    assert visit.page.evaluate("ConsentGate.getConsent().choices.analytical") is False


def test_a_category_granted_again_before_the_deferred_part_came_is_not_cleared(host_page):
    visit = host_page()
    _come_back_without_the_deferred_part(visit)
    # Withdrawn and granted again while the part that clears is missing: the clearing waits.
    visit.page.evaluate("ConsentGate.withdraw(); ConsentGate.acceptCategory('analytical')")
    visit.context.unroute(DEFERRED_PARTS)
    visit.page.evaluate("ConsentGate.show()")
    visit.page.locator("#consent-gate .settings h3").wait_for(state="attached")
    visit.settle()
    assert visit.page.evaluate(STOPPED) == [False, False]
    assert "_ym_uid" in visit.tracker_cookies()


def test_the_launcher_takes_the_focus_when_the_deferred_part_comes_after_a_choice(host_page):
    visit = host_page(path="/blank")
    visit.page.locator("#consent-gate .settings h3").wait_for(state="attached")  # this page's own
    held = []
    visit.context.route(DEFERRED_PARTS, lambda route: held.append(route))
    visit.page.goto(visit.url.removesuffix("blank") + "slow")
    visit.banner().wait_for()
    for _ in range(100):  # the banner asks for it once painted
        if held:
            break
        visit.page.wait_for_timeout(50)
    visit.click("reject")
    assert visit.page.locator("#consent-gate .launcher").count() == 0
    held[0].fallback()  # on to the service
    visit.page.locator("#consent-gate .launcher").wait_for()
    visit.page.wait_for_function("""() => document.activeElement.id === 'consent-gate' &&
        document.activeElement.shadowRoot.activeElement.classList.contains('launcher')""")


def test_settings_fetch_the_deferred_part_again_after_a_failure(host_page):
    visit = host_page(path="/blank")
    visit.page.locator("#consent-gate .settings h3").wait_for(state="attached")  # this page's own
    failures = []
    visit.context.route(DEFERRED_PARTS, lambda route: (failures.append(route.request.url),
                                                       route.abort("connectionrefused")))
    visit.page.goto(visit.url.removesuffix("blank") + "flaky")
    visit.banner().wait_for()
    visit.settle()
    assert len(failures) == 1  # fetched once the banner was painted
    visit.context.unroute(DEFERRED_PARTS)
    visit.click("settings")
    visit.page.locator("#consent-gate #cg-analytical").wait_for()
    # The settings layer replaced the first layer's text, and its own button is gone.
    assert visit.page.locator("#consent-gate [data-action='settings']").is_hidden()
    assert visit.page.locator("#consent-gate #cg-intro").is_hidden()
    assert visit.page.evaluate(
        "() => document.querySelector('#consent-gate').shadowRoot.activeElement.id") == "cg-analytical"
    assert visit.page.errors == []


def test_deferred_part_is_fetched_after_the_banner_is_visible(host_page):
    visit = host_page(path="/blank")
    # Note, from the page's start, the first frame in which the banner is visible.
    visit.context.add_init_script("""(() => { const frame = () => {
        const host = document.querySelector('#consent-gate');
        const dialog = host && host.shadowRoot.querySelector('.dialog');
        if (dialog && !dialog.hidden) window.visibleAt = performance.now();
        else requestAnimationFrame(frame); };
      requestAnimationFrame(frame); })()""")
    visit.page.goto(visit.url.removesuffix("blank") + "timed")
    visit.page.wait_for_function("window.visibleAt")
    visit.page.locator("#consent-gate .settings h3").wait_for(state="attached")
    started = visit.page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/c/testshop')).map(e => [new URL(e.name).pathname,
                                                                e.startTime > window.visibleAt])""")
    assert [after for _path, after in started] == [False, True]
    assert started[0][0] == "/c/testshop.js"


def test_the_banner_is_built_after_the_scripts_own_task_and_then_shown(host_page):
    # Added once the page has loaded, the script starts up at once (nothing to wait for); its
    # load event fires in the task that ran it. Building the banner waits for a later task, so
    # no single task runs the script, builds and shows the banner on a slow phone.
    body = f"""<script>addEventListener("load", () => {{
      const script = document.createElement("script");
      script.src = "https://{SERVICE_HOST}/c/testshop.js";
      script.onload = () => {{ window.builtInItsTask = !!document.querySelector("#consent-gate"); }};
      document.head.append(script); }});</script>"""
    visit = host_page(body=body, embed_src="data:text/javascript,")
    visit.page.wait_for_function("'builtInItsTask' in window")
    assert visit.page.evaluate("window.builtInItsTask") is False
    visit.banner().wait_for()
    assert visit.page.errors == []
