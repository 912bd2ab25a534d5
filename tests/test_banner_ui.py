"""The banner as a visitor meets it: languages, layers, keyboard, accessibility, re-asking."""
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page):
    """Run axe-core (WCAG 2.x A and AA) on the page, shadow roots included."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})""")
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]


@pytest.mark.parametrize(("site_id", "lang", "locale", "title", "direction"), [
    ("testshop", "en", "en-US", "Test Shop cares about your privacy", "ltr"),
    ("testshop", "ar", "en-US", "نحن نحترم خصوصيتك", "rtl"),
    ("testshop", "", "he-IL", None, "rtl"),
    ("flomni", "", "ru-RU", "Мы ценим вашу конфиденциальность", "ltr"),
    ("familami", "fr", "de-DE", "We value your privacy", "ltr"),
    ("loginom", "", "en-GB", "We value your privacy", "ltr"),
])
def test_banner_language_and_direction(host_page, site_id, lang, locale, title, direction):
    visit = host_page(site_id=site_id, lang=lang, locale=locale)
    dialog = visit.banner()
    dialog.wait_for()
    assert dialog.get_attribute("dir") == direction
    if title:
        assert visit.page.locator("#consent-gate h2").inner_text() == title


@pytest.mark.parametrize(("site_id", "lang"), [
    ("testshop", "en"), ("testshop", "ru"), ("testshop", "ar"), ("flomni", "ru"),
    ("familami", "en"), ("loginom", "ru"),
])
def test_axe_finds_no_violations_in_any_state(host_page, site_id, lang):
    visit = host_page(site_id=site_id, lang=lang)
    visit.banner().wait_for()
    assert axe_violations(visit.page) == []
    visit.click("settings")
    visit.page.locator("#consent-gate details").first.evaluate("d => d.open = true")
    assert axe_violations(visit.page) == []
    visit.click("reject")
    assert axe_violations(visit.page) == []


def test_first_layer_shows_operator_links_and_equal_buttons(host_page):
    visit = host_page()
    visit.banner().wait_for()
    text = visit.banner().inner_text()
    assert "Test Shop LLC uses cookies" in text
    links = visit.page.locator("#consent-gate .links a")
    assert links.nth(0).get_attribute("href") == "https://testshop.test/privacy"
    assert links.nth(1).get_attribute("href") == "https://testshop.test/consent"
    # Measured once the entrance animation (a slide) is over, or the two boxes differ in time.
    visit.page.wait_for_function("""() => document.querySelector('#consent-gate').shadowRoot
        .querySelector('.dialog').getAnimations().every(a => a.playState === 'finished')""")
    # Accept and Reject: same level, size, style and contrast (checklist 5). Settings is the
    # secondary action: same type, a lighter style, never the only way to refuse.
    boxes = [visit.page.locator(f'#consent-gate [data-action="{a}"]').bounding_box()
             for a in ("accept", "reject")]
    assert len({(round(b["width"]), round(b["height"])) for b in boxes}) == 1
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 0.5  # one row
    styles = visit.page.evaluate("""() => ['accept', 'reject', 'settings'].map(a => {
        const s = getComputedStyle(document.querySelector('#consent-gate').shadowRoot
            .querySelector(`[data-action="${a}"]`));
        return [s.backgroundColor, s.color, s.fontWeight, s.fontSize].join(); })""")
    assert styles[0] == styles[1] != styles[2]
    visit.click("settings")
    assert visit.page.locator("#consent-gate #cg-mandatory").is_checked()
    assert visit.page.locator("#consent-gate #cg-mandatory").is_disabled()
    assert not visit.page.locator("#consent-gate #cg-analytical").is_checked()
    visit.page.locator("#consent-gate details").nth(1).evaluate("d => d.open = true")
    rows = visit.page.locator("#consent-gate details").nth(1).locator("tbody tr")
    assert rows.first.inner_text().split("\t") == ["^_ym_", "Yandex LLC", "Visitor statistics",
                                                  "1 year"]


ACTIVE = "() => document.querySelector('#consent-gate').shadowRoot.activeElement"


def test_keyboard_only_flow(host_page):
    visit = host_page()
    page = visit.page
    visit.banner().wait_for()
    action = f"() => ({ACTIVE})()?.dataset.action"
    assert page.evaluate("document.activeElement.id") == "consent-gate"
    page.keyboard.press("Tab")
    assert page.evaluate(f"() => ({ACTIVE})().className") == "close"
    # Not modal, so no trap: the page before the banner is one Shift+Tab away.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "outside"
    page.keyboard.press("Tab")
    while page.evaluate(action) != "settings":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    # The first switch that can change has focus (mandatory is on and disabled); Space flips it.
    # Settings may wait for the deferred part, which brings the switches.
    switch = f"() => ({ACTIVE})()"
    page.wait_for_function(f"() => ({switch})()?.getAttribute('role') === 'switch'")
    assert page.evaluate(f"() => [({switch})().id, ({switch})().getAttribute('role')]") == [
        "cg-analytical", "switch"]
    assert page.evaluate(f"() => ({switch})().getAttribute('aria-checked')") == "false"
    page.keyboard.press("Space")
    assert page.evaluate(f"() => ({switch})().getAttribute('aria-checked')") == "true"
    while page.evaluate(action) != "save":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.cookie.includes('_ym_uid=')")
    assert not visit.banner().is_visible()
    page.locator("#outside").focus()
    page.locator("a[data-consent-open]").press("Enter")
    visit.banner().wait_for()
    page.keyboard.press("Escape")
    # The banner closes in the task after the key's, and gives the focus back to the link.
    page.wait_for_function("document.activeElement.textContent === 'Cookie settings'")
    assert not visit.banner().is_visible()
    assert page.evaluate("ConsentGate.getConsent().choices.analytical") is True


def _wait_until(condition, page, timeout_ms=5000):
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")


def _stored_consent(visit):
    raw = next(c["value"] for c in visit.context.cookies() if c["name"] == "cg_consent")
    from urllib.parse import unquote

    return json.loads(unquote(raw))


@pytest.mark.parametrize(("change", "notice"), [
    ({"policy": "2000-01-01"}, "Our privacy policy has been updated since your last choice."),
    ({"expires": 1}, "Your previous choice has expired."),
])
def test_banner_asks_again_and_says_what_changed(host_page, change, notice):
    visit = host_page()
    visit.click("accept")
    visit.page.wait_for_function("document.cookie.includes('_fbp=')")
    # The receipt rewrites the consent cookie when it arrives; change the cookie after that.
    visit.page.wait_for_function("ConsentGate.getConsent().receipt")
    # Let the first page's own tracker hits finish so that none is counted after the reload.
    _wait_until(lambda: all(visit.requests_to(hit) for hit in ("g/collect", "tr?id=", "/watch/")),
                visit.page)
    stored = {**_stored_consent(visit), **change}
    visit.context.add_cookies([{"name": "cg_consent", "value": json.dumps(stored),
                                "url": visit.url}])
    visit.tracker_requests.clear()
    visit.page.reload()
    visit.banner().wait_for()
    assert visit.page.locator("#consent-gate .notice").inner_text() == notice
    visit.settle()
    assert visit.tracker_requests == []


def test_consent_cookie_holds_the_choice(host_page):
    visit = host_page()
    visit.click("reject")
    cookie = next(c for c in visit.context.cookies() if c["name"] == "cg_consent")
    stored = _stored_consent(visit)
    assert cookie["sameSite"] == "Lax" and cookie["secure"] is True
    assert set(stored) >= {"id", "subject", "choices", "catalog", "given", "expires"}
    refusal_days = (stored["expires"] - stored["given"]) / 86_400_000
    assert refusal_days == pytest.approx(90)


def test_js_api_and_events(host_page):
    visit = host_page()
    visit.banner().wait_for()
    visit.page.evaluate("""() => { window.events = [];
        addEventListener('consent:change', e => events.push(e.detail.choices)); }""")
    visit.page.evaluate("ConsentGate.acceptCategory('marketing')")
    assert visit.page.evaluate("window.events") == [
        {"mandatory": True, "analytical": False, "marketing": True}]
    visit.page.evaluate("ConsentGate.withdraw()")
    assert visit.page.evaluate("ConsentGate.getConsent().choices.marketing") is False
    visit.page.evaluate("ConsentGate.show()")
    assert visit.banner().is_visible()


def test_texts_are_inserted_as_text(host_page):
    visit = host_page(lang="ru")
    visit.banner().wait_for()
    assert visit.page.locator("#consent-gate h2").inner_text().startswith("<img src=x")
    assert visit.page.locator("#consent-gate img").count() == 0
    assert visit.page.evaluate("window.pwned") is None


def test_banner_causes_no_layout_shift(host_page):
    visit = host_page(body="<p>" + "Some host page text. " * 200 + "</p>")
    visit.page.evaluate("""() => { window.shifts = 0; new PerformanceObserver(list => {
        // As Cumulative Layout Shift counts them: shifts right after the visitor's input are expected.
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.shifts += entry.value;
    }).observe({type: 'layout-shift', buffered: true}); }""")
    visit.banner().wait_for()
    visit.click("settings")
    visit.click("accept")
    visit.settle()
    assert visit.page.evaluate("window.shifts") == 0
