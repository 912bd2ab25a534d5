"""The banner's work in short tasks: laid out unseen a text at a time and shown whole, and a click
that requests what the choice allows, stores and queues it, and only then hides the banner.

No timing is asserted (the bench measures that, throttled: `make bench`); these tests pin the
order of the work, which MutationObserver deliveries show: records are delivered once per
microtask checkpoint, so changes made in different tasks arrive in different deliveries.
"""
import json

import pytest

pytestmark = pytest.mark.browser

#: Notes every delivery of changes to the banner's parts (the `hidden` attribute, inside the
#: shadow root from its creation), to its host's style, and every script a tracker host serves;
#: with, at that moment, whether the consent cookie is set and what the report queue holds. And,
#: on every frame, any first-layer text that is missing while the banner is visible.
WATCH = """<script>
window.deliveries = []; window.partialFrames = [];
const name = (node) => node.id || node.className || node.tagName.toLowerCase();
const observer = new MutationObserver((records) => {
  const events = [];
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.tagName !== 'SCRIPT' || !node.src) continue;
      const url = new URL(node.src);
      if (!url.hostname.endsWith('gate.test')) events.push('tracker ' + url.hostname);
      // /c/<site>/<build>/<digest>.js
      else if (url.pathname.split('/').length === 5) events.push('deferred part');
    }
    if (record.attributeName === 'hidden')
      events.push((record.target.hidden ? 'hide ' : 'show ') + name(record.target));
    if (record.attributeName === 'style' && record.target.id === 'consent-gate')
      events.push(record.target.style.visibility === 'hidden' ? 'unseen' : 'seen');
  }
  if (events.length) deliveries.push({events, cookie: document.cookie.includes('cg_consent='),
                                      outbox: localStorage.getItem('cg_outbox') || ''});
  if (events.includes('unseen')) window.whileUnseen?.();
});
observer.observe(document, {childList: true, subtree: true, attributes: true,
                            attributeFilter: ['style']});
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  const root = attachShadow.call(this, init);
  observer.observe(root, {subtree: true, attributes: true, attributeFilter: ['hidden']});
  return root;
};
const TEXTS = 'h2, #cg-intro, .purposes, .small, .actions, .links';
const frame = () => {
  const root = document.querySelector('#consent-gate')?.shadowRoot;
  const dialog = root?.querySelector('.dialog');
  if (dialog && dialog.getClientRects().length && getComputedStyle(dialog).visibility === 'visible') {
    const missing = [...root.querySelectorAll(TEXTS)].filter((part) => !part.getClientRects().length);
    if (missing.length) partialFrames.push(missing.map(name));
  }
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
</script>"""
#: The first-layer texts that layOut() reveals one per task (the notice stays for open() to set).
LAID_OUT = ["cg-title", "cg-intro", "purposes", "small", "links"]


def _deliveries(page):
    return page.evaluate("window.deliveries")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("site_id", ["testshop", "flomni"])
def test_the_banner_is_laid_out_a_text_per_task_unseen_and_shown_whole(host_page, site_id, phone):
    visit = host_page(site_id=site_id, head=WATCH, phone=phone)
    visit.banner().wait_for()
    visit.settle()
    deliveries = _deliveries(visit.page)
    events = [event for delivery in deliveries for event in delivery["events"]]
    seen = events.index("seen")
    assert events.index("unseen") < events.index("show dialog") < seen
    revealed = [index for index, delivery in enumerate(deliveries) for event in delivery["events"]
                if event.removeprefix("show ") in LAID_OUT]
    # Each text in a delivery, so a task, of its own, and all of them before the banner is seen.
    assert len(revealed) == len(set(revealed)) == len(LAID_OUT)
    assert max(revealed) < next(index for index, delivery in enumerate(deliveries)
                                if "seen" in delivery["events"])
    assert visit.page.evaluate("window.partialFrames") == []
    assert visit.page.errors == []


def test_a_click_requests_what_it_allows_before_the_banner_hides(host_page):
    visit = host_page(head=WATCH)
    visit.banner().wait_for()
    visit.settle()
    before = len(_deliveries(visit.page))
    visit.click("accept")
    visit.page.wait_for_function("window.deliveries.some((d) => d.events.includes('show launcher'))")
    visit.settle()
    after = _deliveries(visit.page)[before:]
    trackers = next(delivery for delivery in after
                    if any(event.startswith("tracker ") for event in delivery["events"]))
    # The click's own task: every tracker script, the consent cookie, the queued report and
    # the banner hidden...
    assert sorted(trackers["events"]) == ["hide dialog", "tracker connect.facebook.net",
                                          "tracker mc.yandex.ru", "tracker www.googletagmanager.com"]
    assert trackers["cookie"] is True
    assert [report["ui_action"] for report in json.loads(trackers["outbox"])] == ["accept_all"]
    # ... and the launcher (with the focus) in a later one.
    launcher = next(index for index, delivery in enumerate(after)
                    if "show launcher" in delivery["events"])
    assert after.index(trackers) < launcher
    visit.page.wait_for_function(
        "document.querySelector('#consent-gate').shadowRoot.activeElement?.className === 'launcher'")


FONT_STYLES = """() => {
  const styles = new Set();
  const walk = (node) => { for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE && child.textContent.trim() &&
        child.parentElement.getClientRects().length) {
      const style = getComputedStyle(child.parentElement);
      styles.add([style.fontFamily, style.fontSize, style.fontWeight, style.fontStyle].join(' '));
    } else if (child.nodeType === Node.ELEMENT_NODE) walk(child);
  } };
  walk(document.querySelector('#consent-gate').shadowRoot);
  return [...styles];
}"""


@pytest.mark.parametrize(("phone", "most"), [(False, 4), (True, 5)], ids=["desktop", "phone"])
@pytest.mark.parametrize("site_id", ["testshop", "familami", "loginom", "flomni"])
def test_the_first_layer_uses_few_font_sizes_and_weights(host_page, site_id, phone, most):
    # Each size and weight's first layout waits for a system font lookup (bench: a few ms each
    # on a slow phone), so a new one in the stylesheet is a cost to weigh, not a free choice.
    visit = host_page(site_id=site_id, phone=phone)
    visit.banner().wait_for()
    styles = visit.page.evaluate(FONT_STYLES)
    assert len(styles) <= most, styles
    assert len({style.rsplit(" ", 3)[0] for style in styles}) == 1  # one family


def test_a_choice_made_by_a_gated_script_is_queued_after_the_one_that_ran_it(host_page):
    # The gated markup runs inside the choice's task: its report must already be queued.
    head = ('<script type="text/plain" data-consent="analytical">'
            "ConsentGate.acceptCategory('marketing');</script>")
    visit = host_page(head=head)
    reports = []

    def record(route):
        reports.append(json.loads(route.request.post_data))
        route.fallback()

    visit.context.route("**/api/v1/consents", record)
    visit.banner().wait_for()
    visit.settle()
    visit.page.evaluate("ConsentGate.acceptCategory('analytical')")
    visit.page.wait_for_function("ConsentGate.getConsent().receipt")
    visit.settle()
    assert [(report["choices"]["analytical"], report["choices"]["marketing"])
            for report in reports] == [(True, False), (True, True)]
    assert reports[0]["consent_id"] != reports[1]["consent_id"]
    assert visit.page.evaluate("ConsentGate.getConsent().id") == reports[1]["consent_id"]


def test_a_banner_opened_while_it_is_laid_out_opens_once(host_page):
    # The page opens it (its own "Cookie settings" control) from a focused element of its own.
    opener = """<script>window.whileUnseen = () => {
      document.getElementById('outside').focus(); ConsentGate.show(); };</script>"""
    visit = host_page(head=WATCH + opener)
    visit.banner().wait_for()
    visit.settle()
    visit.page.keyboard.press("Escape")
    # Start-up does not open it a second time, so the focus goes back where it was.
    visit.page.wait_for_function("document.activeElement.id === 'outside'")
    assert visit.banner().is_hidden()


def test_a_banner_that_waits_for_the_deferred_part_fetches_it_while_it_is_laid_out(host_page):
    # A GPC visitor is told what the signal did, in texts that only the deferred part carries.
    visit = host_page(head=WATCH, gpc=True)
    visit.banner().wait_for()
    visit.settle()
    events = [event for delivery in _deliveries(visit.page) for event in delivery["events"]]
    assert events.index("unseen") < events.index("deferred part") < events.index("show links")
    assert events.index("show links") < events.index("seen")
    assert visit.page.locator("#consent-gate .notice").is_visible()
