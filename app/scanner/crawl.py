"""Visit a site's pages in headless Chromium, three times each, and note what they store (no Flask).

Every pass runs in a fresh browser context with probe.js, which notes the script behind each
cookie and storage write. The banner is the site's real embed: the scanner waits for it and
clicks its own buttons. The banner's consent reports and display counts are refused, so a scan
adds nothing to the site's proofs or statistics.
"""
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.evidence.capture import CHROMIUM_ARGS, ChromiumMissing
from app.scanner.network import Network
from app.scanner.observations import (
    ACCEPT,
    COOKIE,
    NONE,
    PASSES,
    REJECT,
    Crawl,
    PassResult,
    Seen,
)
from app.scanner.robots import USER_AGENT, is_first_party, page_links, robots_rules, robots_url
from app.tables import utc_now

PROBE = (Path(__file__).parent / "probe.js").read_text(encoding="utf-8")
#: The banner's first layer and its buttons (static/banner/consent-gate.js: buildUi, button).
DIALOG = "#consent-gate .dialog"
BUTTONS = {ACCEPT: '#consent-gate [data-action="accept"]',
           REJECT: '#consent-gate [data-action="reject"]'}
#: Where the banner reports choices and displays (app/api); a scan must not be counted.
REPORT_ROUTES = ("**/api/v1/consents", "**/api/v1/impressions")
NAVIGATION_MS = 30_000


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl and how."""

    start_urls: tuple
    chromium: str
    pages: int = 20
    ignore_robots: bool = False
    #: Milliseconds to wait for the banner before a pass goes on without it.
    banner_timeout_ms: int = 8_000
    #: Sees every request first and returns True when it answered it (tests answer trackers
    #: with stubs; a staging setup can map hosts).
    intercept: Callable | None = None
    #: Called with the number of pages scanned so far after each page (a job's heartbeat).
    on_page: Callable | None = None


def crawl(options):
    """Crawl from the start URLs in a thread of its own; return a Crawl."""
    # Playwright's sync API refuses a thread that already runs an asyncio loop (see capture.py).
    outcome = {}

    def run():
        try:
            outcome["crawl"] = _crawl(options)
        except Exception as error:  # noqa: BLE001  (re-raised in the caller's thread)
            outcome["error"] = error

    worker = threading.Thread(target=run, name="cookie-scan")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["crawl"]


class ScanFailed(Exception):
    """Chromium could not run the scan; the message says why."""


def _crawl(options):
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ChromiumMissing("the playwright package is not installed; install the scanner "
                              "with: pip install 'consent-gate[scanner]'") from None
    result = Crawl(started_at=utc_now())
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=options.chromium,
                                                 args=CHROMIUM_ARGS)
            try:
                _walk(browser, options, result, PlaywrightError)
            finally:
                browser.close()
    except PlaywrightError as error:
        raise ScanFailed(f"Chromium failed: {_reason(error)}") from None
    result.finished_at = utc_now()
    return result


def _walk(browser, options, result, playwright_error):
    queue, queued, rules = deque(options.start_urls), set(options.start_urls), {}
    while queue and len(result.pages) < options.pages:
        url = queue.popleft()
        if not options.ignore_robots and not _allowed(browser, options, rules, url):
            result.skipped.append((url, "robots.txt"))
            continue
        outcomes, links = _visit_three_times(browser, options, url, playwright_error)
        if outcomes is None:
            result.skipped.append((url, "not an HTML page"))
            continue
        result.pages.append(url)
        result.passes.extend(outcomes)
        if options.on_page:
            options.on_page(len(result.pages))
        for link in page_links(url, links):
            if link not in queued:
                queued.add(link)
                queue.append(link)


def _visit_three_times(browser, options, url, playwright_error):
    """Return the page's three PassResults and its links, or (None, []) for a non-HTML page."""
    outcomes, links, wait_ms = [], [], options.banner_timeout_ms
    for pass_name in PASSES:
        try:
            outcome, found, html = _visit(browser, options, url, pass_name, wait_ms)
        except playwright_error as error:
            outcome, found, html = PassResult(url, pass_name, False, error=_reason(error)), [], True
        if not html:
            return None, []
        # A page without the banner in the first pass has none to wait for in the others.
        wait_ms = wait_ms if outcome.banner or pass_name != NONE else 0
        outcomes.append(outcome)
        links = links or found
    return outcomes, links


def _allowed(browser, options, rules, url):
    address = robots_url(url)
    if address not in rules:
        rules[address] = _fetch_robots(browser, options, address)
    return rules[address].can_fetch(USER_AGENT, url)


def _fetch_robots(browser, options, address):
    # Through the browser, so robots.txt takes the same way as the pages (intercept included).
    context = _context(browser, options, probe=False)
    try:
        response = context.new_page().goto(address, timeout=NAVIGATION_MS)
        status = response.status if response else 0
        return robots_rules(status, response.text() if response and status == 200 else "")
    except Exception:  # noqa: BLE001  an unreachable robots.txt restricts nothing
        return robots_rules(0, "")
    finally:
        context.close()


def _context(browser, options, probe=True):
    context = browser.new_context(service_workers="block")
    if probe:
        context.add_init_script(PROBE)
    if options.intercept:
        intercept = options.intercept
        context.route("**/*", lambda route: intercept(route) or route.continue_())
    # Added last, so they win over the intercept.
    for pattern in REPORT_ROUTES:
        context.route(pattern, lambda route: route.abort("blockedbyclient"))
    return context


def _visit(browser, options, url, pass_name, banner_wait_ms):
    """Visit a page once; return its PassResult, its links and whether it is an HTML page."""
    context = _context(browser, options)
    network = Network(context)
    try:
        page = context.new_page()
        response = page.goto(url, wait_until="load", timeout=NAVIGATION_MS)
        if response is not None and "html" not in response.headers.get("content-type", "html"):
            return None, [], False
        banner = _banner_shows(page, banner_wait_ms)
        network.settle(page)
        if pass_name != NONE and banner:
            page.locator(BUTTONS[pass_name]).click()
            network.settle(page)
        host = urlsplit(page.url).hostname
        outcome = PassResult(page.url, pass_name, banner, _items(context, page, network, pass_name),
                             sorted(h for h in network.hosts if not is_first_party(h, host)))
        links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        return outcome, links, True
    finally:
        context.close()


def _banner_shows(page, timeout_ms):
    if not timeout_ms:
        return page.locator(DIALOG).is_visible()
    try:
        page.locator(DIALOG).wait_for(state="visible", timeout=timeout_ms)
        return True
    except Exception:  # noqa: BLE001  (Playwright's TimeoutError: the page has no banner)
        return False


def _items(context, page, network, pass_name):
    writes = page.evaluate("() => window.__consentScan ? window.__consentScan.writes : []")
    scripts = {}
    for write in writes:
        scripts[(write["storage"], write["name"])] = write
    responses = network.cookie_writers()
    now = time.time()
    items = [_cookie(cookie, page.url, pass_name, scripts, responses, now, network)
             for cookie in context.cookies()]
    keys = page.evaluate("() => ({localStorage: Object.keys(localStorage), "
                         "sessionStorage: Object.keys(sessionStorage)})")
    for storage, names in keys.items():
        for name in names:
            write = scripts.get((storage, name), {})
            items.append(Seen(storage, name, page.url, pass_name, set_by=write.get("script"),
                              set_by_kind="script" if write.get("script") else None,
                              script_category=write.get("category")))
    return items


def _cookie(cookie, page_url, pass_name, scripts, responses, now, network):
    name = cookie["name"]
    write = scripts.get((COOKIE, name))
    response = responses.get(name)
    set_by = kind = category = None
    if write and write.get("script") and (not response or write["at"] >= response[0]):
        set_by, kind, category = write["script"], "script", write.get("category")
    elif response:
        set_by, kind = response[1], "response"
    elif not is_first_party(cookie.get("domain", "").lstrip("."), urlsplit(page_url).hostname):
        # Playwright shows no Set-Cookie of some answers (served from a route, redirects); a
        # cookie on another site's domain came from a request to that domain.
        set_by = network.request_within(cookie.get("domain"))
        kind = "response" if set_by else None
    expires = cookie.get("expires", -1)
    return Seen(COOKIE, name, page_url, pass_name, domain=cookie.get("domain"),
                path=cookie.get("path"),
                lifetime=None if expires is None or expires < 0 else max(0, round(expires - now)),
                http_only=bool(cookie.get("httpOnly")), secure=bool(cookie.get("secure")),
                same_site=cookie.get("sameSite"), set_by=set_by, set_by_kind=kind,
                script_category=category)


def _reason(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
