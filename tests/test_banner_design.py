"""The banner's design (issue 17): equal primary buttons, an outlined Settings, a settings layer
of real switches that replaces the first layer, mirrored right-to-left layout, a non-modal dialog,
a first layer that leaves a phone mostly visible in every language; and only the visitor's texts
in the first script."""
import re

import pytest

from app.banner.bundle import ASSETS
from app.sites.files import parse_site_document, read_site_document, with_document_texts
from tests.banner_harness import SERVICE_HOST, host_html, route_host
from tests.conftest import SAMPLE_SITES
from tests.test_banner_script import SHIPPED_LANGUAGES

pytestmark = pytest.mark.browser

PHONE_HEIGHT = 844
SHADOW = "document.querySelector('#consent-gate').shadowRoot"
EVERY_LANGUAGE = ["en", *(code.replace("_", "-") for code in SHIPPED_LANGUAGES)]
SAMPLES = sorted(path.stem for path in SAMPLE_SITES.glob("*.yaml"))


def _luminance(rgb):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    """Return the WCAG contrast ratio of two CSS rgb() colours."""
    lighter, darker = sorted((_luminance(_rgb(first)), _luminance(_rgb(second))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _rgb(css):
    return [int(part) for part in re.findall(r"\d+", css)[:3]]


STYLE_OF = ("a => { const s = getComputedStyle(" + SHADOW + """.querySelector(`[data-action="${a}"]`));
  return {background: s.backgroundColor, color: s.color, border: s.borderTopColor,
          borderWidth: s.borderTopWidth, font: s.font, height: s.height, padding: s.padding,
          radius: s.borderRadius}; }""")


def test_accept_and_reject_are_identical_and_settings_is_outlined(host_page):
    visit = host_page()
    visit.banner().wait_for()
    accept, reject, settings = (visit.page.evaluate(STYLE_OF, action)
                                for action in ("accept", "reject", "settings"))
    assert accept == reject
    # Outlined: the page's colour inside, the accent as its border and text; the same size.
    assert settings["background"] != accept["background"]
    assert settings["border"] == accept["background"] == settings["color"]
    assert (settings["height"], settings["font"], settings["borderWidth"]) == (
        accept["height"], accept["font"], accept["borderWidth"])
    assert contrast(settings["color"], settings["background"]) >= 4.5
    assert contrast(accept["color"], accept["background"]) >= 4.5


def test_the_settings_layer_replaces_the_first_layer(host_page):
    visit = host_page()
    visit.banner().wait_for()
    shown = lambda selector: visit.page.locator(f"#consent-gate {selector}").is_visible()  # noqa: E731
    assert shown("#cg-intro") and shown(".purposes") and not shown('[data-action="save"]')
    visit.click("settings")
    visit.page.locator("#consent-gate .switch").first.wait_for()
    assert not shown("#cg-intro") and not shown(".purposes") and not shown(".small")
    assert not shown('[data-action="settings"]')
    # One row of actions: Accept all, Reject all, Save choices.
    boxes = [visit.page.locator(f'#consent-gate [data-action="{action}"]').bounding_box()
             for action in ("accept", "reject", "save")]
    assert len({round(box["y"]) for box in boxes}) == 1
    switches = visit.page.evaluate(f"""() => [...{SHADOW}.querySelectorAll('[role=switch]')]
        .map(s => [s.id, s.getAttribute('aria-checked'), s.disabled])""")
    assert switches == [["cg-mandatory", "true", True], ["cg-analytical", "false", False],
                        ["cg-marketing", "false", False]]
    # On and off look different beyond colour: the knob moves to the other end.
    knob = f"""id => {{ const s = {SHADOW}.getElementById(id); const k = getComputedStyle(s, '::before');
        return [getComputedStyle(s).backgroundColor, k.insetInlineStart]; }}"""
    off = visit.page.evaluate(knob, "cg-analytical")
    visit.page.locator("#consent-gate #cg-analytical").click()
    on = visit.page.evaluate(knob, "cg-analytical")
    assert on[0] != off[0] and on[1] != off[1]
    assert visit.page.evaluate(knob, "cg-mandatory") == on
    visit.click("save")
    visit.page.wait_for_function("ConsentGate.getConsent()")
    assert visit.page.evaluate("ConsentGate.getConsent().choices") == {
        "mandatory": True, "analytical": True, "marketing": False}
    # Opened again, the banner starts on its first layer.
    visit.page.evaluate("ConsentGate.show()")
    assert shown("#cg-intro") and shown('[data-action="settings"]')


def test_the_dialog_is_not_modal_and_the_page_stays_usable(host_page):
    visit = host_page(body='<input id="search" aria-label="Search">')
    visit.banner().wait_for()
    assert visit.banner().get_attribute("aria-modal") is None
    assert visit.banner().get_attribute("role") == "dialog"
    visit.page.locator("#search").fill("shoes")
    assert visit.page.evaluate("document.activeElement.id") == "search"
    assert visit.banner().is_visible()
    # Nothing behind it is inert: there is nothing to make inert for a non-modal dialog.
    assert visit.page.evaluate("document.querySelectorAll('[inert]').length") == 0


PHYSICAL = re.compile(r"(?:margin|padding|border|inset)-(?:left|right)\b|(?<![-\w])(?:left|right)\s*:"
                      r"|text-align\s*:\s*(?:left|right)|float\s*:")


@pytest.mark.parametrize("name", ["consent-gate.css", "consent-gate-deferred.css"])
def test_the_banner_css_has_no_physical_left_or_right(name):
    css = re.sub(r"/\*.*?\*/", "", (ASSETS / name).read_text(encoding="utf-8"), flags=re.DOTALL)
    assert PHYSICAL.findall(css) == []
    # Four-value margins, paddings and insets would set left and right apart: only symmetric ones.
    for prop, values in re.findall(r"(?<![-\w])(margin|padding|inset)\s*:\s*([^;}]+)", css):
        parts = values.split()
        assert len(parts) < 4 or parts[1] == parts[3], f"{prop}: {values}"


MIRROR = f"""() => {{ const root = {SHADOW};
  const dialog = root.querySelector('.dialog').getBoundingClientRect();
  const title = root.querySelector('h2'); const range = document.createRange();
  range.selectNodeContents(title); const text = range.getBoundingClientRect();
  const close = root.querySelector('.close').getBoundingClientRect();
  const rtl = getComputedStyle(root.querySelector('.dialog')).direction === 'rtl';
  const start = rtl ? dialog.right - text.right : text.left - dialog.left;
  const closeGap = rtl ? close.left - dialog.left : dialog.right - close.right;
  return [Math.round(start), Math.round(closeGap)]; }}"""


@pytest.mark.parametrize("phone", [False, True])
def test_right_to_left_mirrors_the_left_to_right_layout(host_page, phone):
    measured = {}
    for lang in ("en", "ar", "he"):
        visit = host_page(lang=lang, phone=phone)
        visit.banner().wait_for()
        measured[lang] = visit.page.evaluate(MIRROR)
    assert measured["ar"] == measured["he"] == measured["en"]


def _every_language_site(site_id):
    path = SAMPLE_SITES / f"{site_id}.yaml"
    document = with_document_texts(read_site_document(path), path)
    document.update(id=f"{site_id}-all", origins=[f"https://www.{site_id}-all.test"],
                    languages=EVERY_LANGUAGE)
    return parse_site_document(document, path)


@pytest.fixture(scope="module")
def every_language_sites(live_server):
    """Publish every sample site again, offering every shipped language."""
    for site_id in SAMPLES:
        live_server.publish(_every_language_site(site_id))
    return {site_id: f"{site_id}-all" for site_id in SAMPLES}


@pytest.mark.parametrize("site_id", SAMPLES)
def test_the_first_layer_covers_at_most_60_percent_of_a_phone_in_every_language(
        browser, live_server, every_language_sites, site_id):
    site = every_language_sites[site_id]
    host = f"www.{site}.test"
    # One phone for all of a site's languages: each page load is a fresh visitor (no choice is
    # made, so nothing is remembered), and the page at /<lang> embeds that language's script.
    context = browser.new_context(viewport={"width": 390, "height": PHONE_HEIGHT},
                                  is_mobile=True, has_touch=True)
    route_host(context, host, lambda path: host_html(
        f"https://{SERVICE_HOST}/c/{site}.js?lang={path.strip('/')}", path.strip("/"), "", "",
        None), live_server)
    page = context.new_page()
    too_tall = {}
    try:
        for lang in EVERY_LANGUAGE:
            page.goto(f"https://{host}/{lang}")
            banner = page.locator("#consent-gate .dialog")
            banner.wait_for()
            # Two frames: the layout of the texts that just arrived is done before it is measured.
            banner.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            height, scrolls, shown = banner.evaluate(
                "d => [d.getBoundingClientRect().height, d.scrollHeight > d.clientHeight + 1, d.lang]")
            assert shown == lang
            # Nothing the first layer must say is cut off: the dialog does not scroll.
            if height > 0.6 * PHONE_HEIGHT or scrolls:
                too_tall[lang] = (round(height), scrolls)
    finally:
        context.close()
    assert not too_tall, f"over 60% of {PHONE_HEIGHT} px, or scrolling: {too_tall}"


def test_a_page_in_another_language_fetches_its_texts_once_and_reports_them(host_page, live_server):
    # The browser asks for English, so the script carries English; the page is in Russian.
    visit = host_page(lang="ru", locale="en-US")
    visit.banner().wait_for()
    title = visit.page.locator("#consent-gate h2").inner_text()
    assert "Тест-шоп бережёт вашу конфиденциальность" in title
    fetched = visit.page.evaluate("""() => performance.getEntriesByType('resource')
        .map(e => new URL(e.name).pathname).filter(p => p.endsWith('/ru.js'))""")
    assert len(fetched) == 1
    visit.click("accept")
    visit.page.wait_for_function("ConsentGate.getConsent() && ConsentGate.getConsent().receipt")
    receipt = visit.page.evaluate("ConsentGate.getConsent().receipt")
    proof = visit.context.request.get(f"{live_server}/api/v1/receipts/{receipt}").json()
    assert proof["record"]["language"] == "ru"
    assert proof["texts"]["title"] == title


def test_a_failed_texts_fetch_shows_and_reports_the_carried_language(host_page, live_server):
    visit = host_page(lang="ru", locale="en-US", path="/blank")
    visit.banner().wait_for()
    # A banner from before a site change asks for texts that are gone (routing disables the cache).
    visit.context.route(f"https://{SERVICE_HOST}/c/*/*/*/*.js",
                        lambda route: route.abort("connectionrefused"))
    visit.page.goto(visit.url.removesuffix("blank") + "stale")
    visit.banner().wait_for()
    assert visit.banner().get_attribute("lang") == "en"
    assert visit.page.locator("#consent-gate h2").inner_text() == "Test Shop cares about your privacy"
    visit.click("reject")
    visit.page.wait_for_function("ConsentGate.getConsent() && ConsentGate.getConsent().receipt")
    receipt = visit.page.evaluate("ConsentGate.getConsent().receipt")
    proof = visit.context.request.get(f"{live_server}/api/v1/receipts/{receipt}").json()
    assert proof["record"]["language"] == "en"
    assert proof["texts"]["title"] == "Test Shop cares about your privacy"
