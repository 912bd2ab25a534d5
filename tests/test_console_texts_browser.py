"""The texts editor in Chromium: both previews follow the text being typed, and nothing is saved."""
import pytest

from app.extensions import db
from app.sites.repository import SiteRepository
from tests.browser import CONSOLE_URL, console_log_in

pytestmark = pytest.mark.browser
OWNER = "owner@consoleshop.example.com"


def _revisions(live_server):
    with live_server.app.app_context():
        return len(SiteRepository(db.session).revisions("consoleshop"))


def _banner(frame):
    """Return the banner's shadow host in a preview frame, once the banner shows."""
    host = frame.locator("#consent-gate")
    host.locator(".dialog").wait_for()
    return host


def test_the_previews_follow_typed_texts_without_saving(console_context, live_server):
    console = console_log_in(console_context("198.51.100.9"), OWNER)
    before = _revisions(live_server)
    console.goto(f"{CONSOLE_URL}/sites/consoleshop/texts?language=en")
    previews = [console.frame_locator("iframe.preview").nth(i) for i in range(2)]
    saved = _banner(previews[0]).locator("#cg-title").inner_text()
    assert saved and saved != "Cookies <b>here</b> & now"
    # Markup typed stays text: the banner writes texts with textContent.
    console.fill("#title", "Cookies <b>here</b> & now")
    console.fill("#accept_all", "Fine by me")
    console.fill("#close", "Close it")
    for preview in previews:
        banner = _banner(preview)
        title = banner.locator("#cg-title")
        title.filter(has_text="Cookies <b>here</b> & now").wait_for()
        assert title.locator("b").count() == 0
        assert banner.locator("[data-action=accept]").inner_text() == "Fine by me"
        assert banner.locator(".close").get_attribute("aria-label") == "Close it"
    # Emptied, a text falls back to its default, as it would once saved.
    console.fill("#title", "")
    for preview in previews:
        _banner(preview).locator("#cg-title").filter(has_text="We value your privacy").wait_for()
    assert _revisions(live_server) == before


def test_a_preview_frame_ignores_texts_posted_by_other_windows(console_context, live_server):
    console = console_log_in(console_context("198.51.100.10"), OWNER)
    console.goto(f"{CONSOLE_URL}/sites/consoleshop/preview/frame?language=en")
    banner = console.locator("#consent-gate")
    banner.locator(".dialog").wait_for()
    saved = banner.locator("#cg-title").inner_text()
    # Not framed by the console, the page takes no texts, even its own; messages arrive in order,
    # so once the marker has, the texts before it were turned away.
    console.evaluate("""() => new Promise(resolve => {
        addEventListener('message', event => event.data === 'marker' && resolve());
        postMessage({type: 'consent-gate-preview-texts', texts: {title: 'Forged'}}, '*');
        postMessage('marker', '*');
    })""")
    assert banner.locator("#cg-title").inner_text() == saved != "Forged"


def test_the_previews_show_situational_texts_and_figures_as_typed(console_context, live_server):
    console = console_log_in(console_context("198.51.100.11"), OWNER)
    before = _revisions(live_server)
    console.goto(f"{CONSOLE_URL}/sites/consoleshop/texts?language=en")
    previews = [console.frame_locator("iframe.preview").nth(i) for i in range(2)]
    for preview in previews:
        assert _banner(preview).locator(".notice").is_hidden()
    console.fill("#changed_policy", "Our policy changed, look again.")
    console.fill("#kept_both", "Yes for %(days)s, no for %(refusal_days)s.")
    console.select_option("#preview-situation", "changed_policy")
    for preview in previews:
        banner = _banner(preview)
        banner.locator(".notice").filter(has_text="Our policy changed, look again.").wait_for()
        # The figure is filled in as the banner fills it once saved.
        banner.locator(".small").filter(has_text="Yes for 180 days, no for 90 days.").wait_for()
    console.select_option("#preview-situation", "")
    for preview in previews:
        _banner(preview).locator(".notice").wait_for(state="hidden")
    assert _revisions(live_server) == before
