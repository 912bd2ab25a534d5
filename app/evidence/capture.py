"""Draw a banner in headless Chromium and photograph its two layers (no Flask, no network).

The banner's script and its deferred part are served from memory through Playwright's request
routing; every other request (trackers, reports, displays, documents) is aborted, so a capture
reaches no one and records nothing.
"""
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from app.evidence.tables import VIEWPORTS

#: Where the banner thinks it lives while it is photographed; .invalid never resolves.
SERVICE = "https://consent-gate.invalid"
HOST_PAGE = "https://host.invalid/"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
#: Milliseconds to wait for the banner, or its settings layer, to show.
WAIT_MS = 15_000
DIALOG = "#consent-gate .dialog"
SETTINGS_BUTTON = '#consent-gate [data-action="settings"]'
SETTINGS_LAYER = "#consent-gate .settings"


class ChromiumMissing(Exception):
    """No Chromium (or no Playwright) to take screenshots with; the message says what to set."""


class CaptureFailed(Exception):
    """Chromium ran but the banner did not show as expected; the message says where."""


@dataclass(frozen=True)
class BannerScripts:
    """What a site's banner needs in the browser, in memory: its script and deferred parts."""

    site_id: str
    #: language -> the script a visitor in that language gets (it carries that language's texts)
    embed: dict
    #: The deferred part's URL up to the text set's digest, as the banner's config names it.
    deferred_prefix: str
    #: text set digest -> the deferred part's script in that language
    deferred: dict


@dataclass(frozen=True)
class Photo:
    """One layer of the banner in one language and viewport."""

    language: str
    layer: str
    viewport: str
    width: int
    height: int
    png: bytes
    captured_at: datetime


def find_chromium(configured="", consequence="screenshots of the banner are not taken"):
    """Return the Chromium to use: the configured path, else Debian's, else one on PATH."""
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        raise ChromiumMissing(f"CONSENT_CHROMIUM={configured!r} is not an executable file; "
                              f"{consequence}")
    found = DEBIAN_CHROMIUM if os.access(DEBIAN_CHROMIUM, os.X_OK) else shutil.which("chromium")
    if not found:
        raise ChromiumMissing("no Chromium found (set CONSENT_CHROMIUM to its path, or install "
                              f"Debian's chromium package); {consequence}")
    return found


def embed_url(site_id):
    """Return the URL the host page loads the banner from while it is photographed."""
    return f"{SERVICE}/c/{site_id}.js"


def capture(chromium, scripts, languages, viewports=tuple(VIEWPORTS)):
    """Photograph the first and the settings layer of a banner in each language and viewport."""
    # Playwright's sync API refuses a thread that already runs an asyncio loop (a caller's own
    # Playwright, an async server): it gets a thread of its own.
    outcome = {}

    def run():
        try:
            outcome["photos"] = _capture(chromium, scripts, languages, viewports)
        except Exception as error:  # noqa: BLE001  (re-raised in the caller's thread)
            outcome["error"] = error

    worker = threading.Thread(target=run, name="banner-capture")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["photos"]


def _capture(chromium, scripts, languages, viewports):
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ChromiumMissing("the playwright package is not installed; screenshots of the "
                              "banner are not taken") from None
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                return [photo for language in languages for viewport in viewports
                        for photo in _photograph(browser, scripts, language, viewport)]
            finally:
                browser.close()
    except PlaywrightError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CaptureFailed(f"{scripts.site_id}: Chromium failed: {reason}") from None


def _photograph(browser, scripts, language, viewport):
    width, height, phone = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1, is_mobile=phone, has_touch=phone,
                                  locale=language, service_workers="block")
    try:
        context.route("**/*", lambda route: _answer(route, scripts, language))
        page = context.new_page()
        page.goto(HOST_PAGE)
        page.locator(DIALOG).wait_for(state="visible", timeout=WAIT_MS)
        first = (page.screenshot(animations="disabled", caret="hide"), datetime.now(UTC))
        page.locator(SETTINGS_BUTTON).click(timeout=WAIT_MS)
        page.locator(SETTINGS_LAYER).wait_for(state="visible", timeout=WAIT_MS)
        settings = (page.screenshot(animations="disabled", caret="hide"), datetime.now(UTC))
    finally:
        context.close()
    return [Photo(language, layer, viewport, width, height, png, moment)
            for layer, (png, moment) in (("first", first), ("settings", settings))]


def _answer(route, scripts, language):
    """Serve the host page and the banner's scripts from memory; refuse everything else."""
    url = route.request.url
    if url == HOST_PAGE:
        return route.fulfill(body=host_page(scripts.site_id, language),
                             content_type="text/html; charset=utf-8")
    if url == embed_url(scripts.site_id):
        return route.fulfill(body=scripts.embed[language], content_type="text/javascript")
    digest = url.removeprefix(scripts.deferred_prefix).removesuffix(".js")
    if url.startswith(scripts.deferred_prefix) and digest in scripts.deferred:
        return route.fulfill(body=scripts.deferred[digest], content_type="text/javascript")
    return route.abort("blockedbyclient")


def host_page(site_id, language):
    """Return an empty host page in a language that embeds the site's banner."""
    return (f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(site_id)}</title>'
            f'<script src="{escape(embed_url(site_id))}" async></script></head>'
            '<body></body></html>')
