"""Banner weight and speed, side by side with vanilla-cookieconsent v3 in the same Chromium run."""
import gzip
import json
import statistics
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import brotli
from playwright.sync_api import sync_playwright

from app.banner.bundle import read_bundle_config

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


#: The paths a page requested from HOST: [started before the banner was visible, after it].
REQUESTS = """() => { const paths = [[], []];
  for (const entry of performance.getEntriesByType('resource')) {
    paths[entry.startTime < window.visibleAt ? 0 : 1].push(new URL(entry.name).pathname); }
  return paths; }"""
#: How long a page stays open after its banner is visible, so later requests are seen too.
SETTLE_MS = 300


#: Checks visible_js on every frame from the page's start and notes the first frame that shows
#: the banner in window.visibleAt (ms since navigation start).
WATCH_VISIBLE = """(() => { const visible = %s;
  const frame = () => { if (visible()) window.visibleAt = performance.now();
                        else requestAnimationFrame(frame); };
  requestAnimationFrame(frame); })();"""


def time_to_visible(browser, page_html, assets, visible_js, runs):
    """Return (milliseconds from navigation start to a visible banner, one figure per run,
    and the set of paths requested before and after it was visible, over every run)."""
    figures, before, after = [], set(), set()
    for _ in range(runs):
        context = browser.new_context()
        context.route("**/*", lambda route: _serve(route, page_html, assets))
        context.add_init_script(WATCH_VISIBLE % visible_js)
        page = context.new_page()
        page.goto(HOST + "/")
        page.wait_for_function("window.visibleAt", polling="raf")
        figures.append(page.evaluate("window.visibleAt"))
        page.wait_for_timeout(SETTLE_MS)
        early, late = page.evaluate(REQUESTS)
        before.update(early)
        after.update(late)
        context.close()
    return figures, before, after - before


def _serve(route, page_html, assets):
    path = urlsplit(route.request.url).path
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


def measure(our_script, fetch, runs=15):
    """Measure both banners; return a dict of figures for the results file.

    fetch(path) returns the body of another path of the service: the banner's deferred part.
    Bytes count what a page requested before its banner was visible, as the browser saw it;
    what it requested later (our deferred part) is counted on its own.
    """
    dist = install_peer()
    config_js = f"CookieConsent.run({json.dumps(PEER_CONFIG)});".encode()
    peer_assets = {
        "/cc/cookieconsent.umd.js": ((dist / "cookieconsent.umd.js").read_bytes(), "text/javascript"),
        "/cc/cookieconsent.css": ((dist / "cookieconsent.css").read_bytes(), "text/css"),
        "/cc/config.js": (config_js, "text/javascript"),
    }
    config = read_bundle_config(our_script)
    deferred_path = urlsplit(config["deferredUrl"]).path + config["texts"]["en"]["digest"] + ".js"
    our_assets = {"/c/site.js": (our_script, "text/javascript"),
                  deferred_path: (fetch(deferred_path), "text/javascript")}
    results = {"ours_ms": [], "peer_ms": []}
    ours_paths, peer_paths = [set(), set()], [set(), set()]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(runs):  # interleaved, so both see the same machine load
            for name, html, assets, visible, paths in (
                    ("ours", ours_page(), our_assets, OURS_VISIBLE, ours_paths),
                    ("peer", peer_page(config_js), peer_assets, PEER_VISIBLE, peer_paths)):
                figures, before, after = time_to_visible(browser, html, assets, visible, 1)
                results[f"{name}_ms"] += figures
                paths[0] |= before
                paths[1] |= after
        browser.close()
    for name, assets, (before, after) in (("ours", our_assets, ours_paths),
                                          ("peer", peer_assets, peer_paths)):
        # Only the banner's own files count (not a favicon the page asks for).
        before &= set(assets)
        after = (after & set(assets)) - before
        results[f"{name}_requests"] = len(before)
        results[f"{name}_bytes"] = sizes([assets[path][0] for path in sorted(before)])
        results[f"{name}_later_requests"] = len(after)
        results[f"{name}_later_bytes"] = sizes([assets[path][0] for path in sorted(after)])
    results["ours_median"] = statistics.median(results["ours_ms"])
    results["peer_median"] = statistics.median(results["peer_ms"])
    return results


def banner_lines(banner):
    """Return the banner comparison as Markdown."""
    ours, peer, later = banner["ours_bytes"], banner["peer_bytes"], banner["ours_later_bytes"]
    lines = [
        "", "## Banner: bytes before it is visible, and time to visible", "",
        "Consent Gate serves the site `bench/shop.yaml` (one language, mandatory + analytical + "
        "marketing, Yandex.Metrica, GA4, Meta pixel): one script before the banner is visible, "
        "and a deferred part (settings layer, gated markup; content-hashed, immutable) the banner "
        "fetches once it is painted. vanilla-cookieconsent v3, installed from npm at bench time, "
        "gets the same categories, texts and trackers: its UMD script, its CSS and its config. "
        "Both are served from memory through the same Playwright route in the same Chromium, "
        "page loads interleaved. Bytes count the requests the browser started before the banner "
        "was visible; each body is compressed on its own.", "",
        "| | requests | raw bytes | gzip bytes | brotli bytes | median ms to visible |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| Consent Gate | {banner['ours_requests']} | {ours[0]} | {ours[1]} | {ours[2]} | "
        f"{banner['ours_median']:.1f} |",
        f"| vanilla-cookieconsent 3 | {banner['peer_requests']} | {peer[0]} | {peer[1]} | "
        f"{peer[2]} | {banner['peer_median']:.1f} |",
        f"| ratio (ours / peer) | | {ours[0] / peer[0]:.2f} | {ours[1] / peer[1]:.2f} | "
        f"{ours[2] / peer[2]:.2f} | {banner['ours_median'] / banner['peer_median']:.2f} |",
        f"| Consent Gate, after visible (deferred part) | {banner['ours_later_requests']} | "
        f"{later[0]} | {later[1]} | {later[2]} | |",
    ]
    if banner["peer_later_requests"]:
        later = banner["peer_later_bytes"]
        lines.append(f"| vanilla-cookieconsent 3, after visible | {banner['peer_later_requests']} | "
                     f"{later[0]} | {later[1]} | {later[2]} | |")
    return lines
