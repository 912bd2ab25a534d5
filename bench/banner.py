"""Banner weight and speed, side by side with vanilla-cookieconsent v3 in the same Chromium run."""
import gzip
import json
import statistics
import subprocess
from pathlib import Path

import brotli
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PEER = "vanilla-cookieconsent@3"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOST = "https://www.shop.test"

#: The peer configured as our sample sites are: mandatory, analytical and marketing, three trackers.
PEER_CONFIG = {
    # The peer hides itself from automated browsers by default; this benchmark is one.
    "hideFromBots": False,
    "categories": {"necessary": {"enabled": True, "readOnly": True}, "analytics": {},
                   "marketing": {}},
    "language": {"default": "en", "translations": {"en": {
        "consentModal": {
            "title": "We value your privacy",
            "description": "Shop LLC uses cookies and similar technologies on this site. Apart from "
                           "mandatory cookies, which the site needs to work, we use them only with "
                           "your consent, for the purposes below.",
            "acceptAllBtn": "Accept all", "acceptNecessaryBtn": "Reject all",
            "showPreferencesBtn": "Settings",
            "footer": '<a href="https://shop.test/privacy">Privacy policy</a>'},
        "preferencesModal": {
            "title": "Cookie settings", "acceptAllBtn": "Accept all",
            "acceptNecessaryBtn": "Reject all", "savePreferencesBtn": "Save choices",
            "closeIconLabel": "Close and reject optional cookies",
            "sections": [
                {"title": "Mandatory", "linkedCategory": "necessary",
                 "description": "Needed for the site to work and to remember your choice."},
                {"title": "Analytical", "linkedCategory": "analytics",
                 "description": "Help us understand how visitors use the site."},
                {"title": "Marketing", "linkedCategory": "marketing",
                 "description": "Used to show you relevant advertising."}]}}}},
}
PEER_TRACKERS = """
<script type="text/plain" data-category="analytics" src="https://mc.yandex.ru/metrika/tag.js"></script>
<script type="text/plain" data-category="analytics"
        src="https://www.googletagmanager.com/gtag/js?id=G-TEST123456"></script>
<script type="text/plain" data-category="marketing"
        src="https://connect.facebook.net/en_US/fbevents.js"></script>"""


def install_peer():
    """Install the peer from the npm registry into bench/.work; return its dist folder."""
    WORK.mkdir(parents=True, exist_ok=True)
    dist = WORK / "node_modules" / "vanilla-cookieconsent" / "dist"
    if not dist.exists():
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix",
                        str(WORK), PEER], check=True, capture_output=True)
    return dist


def sizes(parts):
    """Return (raw, gzip, brotli) byte totals of the given bodies, each compressed on its own."""
    return (sum(len(p) for p in parts),
            sum(len(gzip.compress(p, compresslevel=9)) for p in parts),
            sum(len(brotli.compress(p, quality=11)) for p in parts))


def ours_page():
    """Return the host page that embeds Consent Gate."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'<script src="{HOST}/c/site.js" async></script></head><body><h1>Shop</h1></body></html>')


def peer_page(config_js):
    """Return the host page that embeds vanilla-cookieconsent as its documentation shows."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'<link rel="stylesheet" href="{HOST}/cc/cookieconsent.css">{PEER_TRACKERS}</head>'
            f'<body><h1>Shop</h1><script src="{HOST}/cc/cookieconsent.umd.js"></script>'
            f'<script src="{HOST}/cc/config.js"></script></body></html>')


def time_to_visible(browser, page_html, assets, visible_js, runs):
    """Return milliseconds from navigation start to a visible banner, one figure per run."""
    figures = []
    for _ in range(runs):
        context = browser.new_context()
        context.route("**/*", lambda route: _serve(route, page_html, assets))
        page = context.new_page()
        page.goto(HOST + "/")
        page.wait_for_function(visible_js, polling="raf")
        figures.append(page.evaluate("performance.now()"))
        context.close()
    return figures


def _serve(route, page_html, assets):
    path = route.request.url.removeprefix(HOST)
    if path == "/":
        return route.fulfill(body=page_html, content_type="text/html")
    if path in assets:
        body, content_type = assets[path]
        return route.fulfill(body=body, content_type=content_type)
    return route.fulfill(status=204)


OURS_VISIBLE = """() => { const h = document.querySelector('#consent-gate');
  const d = h && h.shadowRoot.querySelector('.dialog');
  return d && !d.hidden && d.getBoundingClientRect().height > 0; }"""
PEER_VISIBLE = """() => { const m = document.querySelector('#cc-main .cm');
  return m && getComputedStyle(m).visibility === 'visible' && m.getBoundingClientRect().height > 0; }"""


def measure(our_script, runs=15):
    """Measure both banners; return a dict of figures for the results file."""
    dist = install_peer()
    config_js = f"CookieConsent.run({json.dumps(PEER_CONFIG)});".encode()
    peer_assets = {
        "/cc/cookieconsent.umd.js": ((dist / "cookieconsent.umd.js").read_bytes(), "text/javascript"),
        "/cc/cookieconsent.css": ((dist / "cookieconsent.css").read_bytes(), "text/css"),
        "/cc/config.js": (config_js, "text/javascript"),
    }
    our_assets = {"/c/site.js": (our_script, "text/javascript")}
    results = {"ours_bytes": sizes([our_script]),
               "peer_bytes": sizes([body for body, _type in peer_assets.values()]),
               "ours_ms": [], "peer_ms": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(runs):  # interleaved, so both see the same machine load
            results["ours_ms"] += time_to_visible(browser, ours_page(), our_assets, OURS_VISIBLE, 1)
            results["peer_ms"] += time_to_visible(browser, peer_page(config_js), peer_assets,
                                                  PEER_VISIBLE, 1)
        browser.close()
    results["ours_median"] = statistics.median(results["ours_ms"])
    results["peer_median"] = statistics.median(results["peer_ms"])
    return results


def banner_lines(banner):
    """Return the banner comparison as Markdown."""
    ours, peer = banner["ours_bytes"], banner["peer_bytes"]
    return [
        "", "## Banner: bytes before it is visible, and time to visible", "",
        "Consent Gate serves the site `bench/shop.yaml` (one language, mandatory + analytical + "
        "marketing, Yandex.Metrica, GA4, Meta pixel) as one script. vanilla-cookieconsent v3, "
        "installed from npm at bench time, gets the same categories, texts and trackers: its UMD "
        "script, its CSS and its config. Both are served from memory through the same Playwright "
        "route in the same Chromium, page loads interleaved.", "",
        "| | requests | raw bytes | gzip bytes | brotli bytes | median ms to visible |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| Consent Gate | 1 | {ours[0]} | {ours[1]} | {ours[2]} | {banner['ours_median']:.1f} |",
        f"| vanilla-cookieconsent 3 | 3 | {peer[0]} | {peer[1]} | {peer[2]} | "
        f"{banner['peer_median']:.1f} |",
        f"| ratio (ours / peer) | | {ours[0] / peer[0]:.2f} | {ours[1] / peer[1]:.2f} | "
        f"{ours[2] / peer[2]:.2f} | {banner['ours_median'] / banner['peer_median']:.2f} |",
    ]
