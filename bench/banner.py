"""Banner weight and speed, side by side with vanilla-cookieconsent v3 in the same Chromium run."""
import gzip
import statistics
from urllib.parse import urlsplit

import brotli
from playwright.sync_api import sync_playwright

from app.banner.bundle import read_bundle_config
from app.banner.config import site_text_sets
from app.evidence.capture import CHROMIUM_ARGS
from app.extensions import db
from app.sites.repository import SiteRepository
from bench.peer import config_script, install_peer, peer_assets, peer_page
from bench.throttled import measure_throttled, throttled_lines

#: The benchmark's sites: (site id, label); both in English for the visitor.
SITES = (("shop", "1 language"), ("shop5", "5 languages"))
SCRIPT = "text/javascript"
#: Our first script's cache lifetime (app/banner/views.py CACHE_CONTROL) and the deferred part's.
SCRIPT_CACHE, IMMUTABLE = "public, max-age=300", "public, max-age=31536000, immutable"

#: The hosts and paths a page requested: [started before the banner was visible, after it].
REQUESTS = """() => { const paths = [[], []];
  for (const entry of performance.getEntriesByType('resource')) {
    const url = new URL(entry.name);
    paths[entry.startTime < window.visibleAt ? 0 : 1].push(url.hostname + ' ' + url.pathname); }
  return paths; }"""
#: How long a page stays open after its banner is visible, so later requests are seen too.
SETTLE_MS = 300
OURS_VISIBLE = """() => { const h = document.querySelector('#consent-gate');
  const d = h && h.shadowRoot.querySelector('.dialog');
  return d && !d.hidden && getComputedStyle(d).visibility === 'visible'
    && d.getBoundingClientRect().height > 0; }"""
PEER_VISIBLE = """() => { const m = document.querySelector('#cc-main .cm');
  return m && getComputedStyle(m).visibility === 'visible' && m.getBoundingClientRect().height > 0; }"""
#: Checks visible_js on every frame from the page's start and notes the first frame that shows
#: the banner in window.visibleAt (ms since navigation start).
WATCH_VISIBLE = """(() => { const visible = %s;
  const frame = () => { if (visible()) window.visibleAt = performance.now();
                        else requestAnimationFrame(frame); };
  requestAnimationFrame(frame); })();"""


def prepare_sites(app, web):
    """Serve both banners of every benchmark site on web; return one entry per site.

    Our scripts are built by the app for the visitor's language (English) and name web's service
    origin; the peer's config carries every language of the site in our own texts.
    """
    client = app.test_client()
    dist = install_peer()
    sites = []
    for site_id, label in SITES:
        def get(path):
            return client.get(path, base_url=web.service, headers={
                "Accept-Encoding": "", "Accept-Language": "en-US,en;q=0.9"}).data
        script = get(f"/c/{site_id}.js")
        config = read_bundle_config(script)
        deferred = urlsplit(config["deferredUrl"]).path + config["texts"]["en"]["digest"] + ".js"
        with app.app_context():
            repository = SiteRepository(db.session)
            site = repository.get(site_id)
            text_sets = site_text_sets(site, repository.catalog(site_id, site.catalog_version))
            # A per-language policy URL would name one per language; the bench sites have one.
            privacy_url = site.privacy_policy_url
        ours = {("127.0.0.1", f"/c/{site_id}.js"): (script, SCRIPT, SCRIPT_CACHE),
                ("127.0.0.1", deferred): (get(deferred), SCRIPT, IMMUTABLE)}
        peer = {("localhost", path): entry for path, entry in peer_assets(
            dist, f"config-{site_id}", config_script(text_sets, "en", privacy_url)).items()}
        web.files.update(ours)
        web.files.update(peer)
        web.files["localhost", f"/ours-{site_id}"] = (ours_page(web, site_id), "text/html",
                                                       "no-store")
        web.files["localhost", f"/peer-{site_id}"] = (peer_page(f"config-{site_id}"), "text/html",
                                                       "no-store")
        sites.append({"id": site_id, "label": label, "languages": len(text_sets),
                      "assets": {"ours": ours, "peer": peer}})
    return sites


def ours_page(web, site_id):
    """Return the host page that embeds Consent Gate."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'<script src="{web.service}/c/{site_id}.js" async></script></head>'
            f'<body><h1>Shop</h1></body></html>').encode()


def sizes(parts):
    """Return (raw, gzip, brotli) byte totals of the given bodies, each compressed on its own."""
    return (sum(len(p) for p in parts),
            sum(len(gzip.compress(p, compresslevel=9)) for p in parts),
            sum(len(brotli.compress(p, quality=11)) for p in parts))


def load_once(browser, url, visible_js):
    """Load a page in a fresh context; return (ms to a visible banner, requests before, after)."""
    context = browser.new_context(locale="en-US")
    context.add_init_script(WATCH_VISIBLE % visible_js)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("window.visibleAt", polling="raf")
    visible_at = page.evaluate("window.visibleAt")
    page.wait_for_timeout(SETTLE_MS)
    early, late = page.evaluate(REQUESTS)
    context.close()
    return visible_at, {tuple(key.split(" ", 1)) for key in early}, {
        tuple(key.split(" ", 1)) for key in late}


def measure(web, sites, runs=15, throttled_runs=15):
    """Measure both banners on every site, unthrottled and throttled; return figures per site.

    Bytes count what a page requested before its banner was visible, as the browser saw it;
    what it requested later (our deferred part) is counted on its own.
    """
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS + web.chromium_args())
        for site in sites:
            figures = {"ms": {"ours": [], "peer": []},
                       "paths": {"ours": [set(), set()], "peer": [set(), set()]}}
            for _ in range(runs):  # interleaved, so both see the same machine load
                for name, visible in (("ours", OURS_VISIBLE), ("peer", PEER_VISIBLE)):
                    ms, before, after = load_once(browser, f"{web.site}/{name}-{site['id']}",
                                                  visible)
                    figures["ms"][name].append(ms)
                    figures["paths"][name][0] |= before
                    figures["paths"][name][1] |= after
            result = {"site": site, **_bytes(site, figures)}
            result["throttled"] = measure_throttled(browser, web, site["id"], throttled_runs,
                                                    OURS_VISIBLE, PEER_VISIBLE, WATCH_VISIBLE)
            results.append(result)
        browser.close()
    return results


def _bytes(site, figures):
    result = {}
    for name, (before, after) in figures["paths"].items():
        assets = site["assets"][name]
        # Only the banner's own files count (not a favicon the page asks for).
        before = before & set(assets)
        after = (after & set(assets)) - before
        result[name] = {"requests": len(before),
                        "bytes": sizes([assets[key][0] for key in sorted(before)]),
                        "later_requests": len(after),
                        "later_bytes": sizes([assets[key][0] for key in sorted(after)]),
                        "median": statistics.median(figures["ms"][name])}
    return result


def banner_lines(results):
    """Return the banner comparison as Markdown: both sites per banner, then the throttled run."""
    lines = [
        "", "## Banner: bytes before it is visible, and time to visible", "",
        "Consent Gate serves `bench/shop.yaml` (one language) and `bench/shop5.yaml` (en, de, fr, "
        "es, ru), both mandatory + analytical + marketing with Yandex.Metrica, GA4 and the Meta "
        "pixel, to an English visitor: one script before the banner is visible, with only the "
        "visitor's language, and a deferred part (settings layer, launcher, clearing, sending "
        "reports; content-hashed, immutable) the banner fetches once it is painted. "
        "vanilla-cookieconsent v3, installed "
        "from npm at bench time, gets the same categories and trackers and, as its docs configure "
        "it, every language of the site in one config (the texts are ours, from our catalogs, so "
        "both say the same): its UMD script, its CSS and its config. Both are served gzipped over "
        "real sockets (the site on `localhost`, our service on `127.0.0.1`, another site to the "
        "browser) in the same Chromium, page loads interleaved. Bytes count the requests the "
        "browser started before the banner was visible; each body is compressed on its own.", "",
        "| | site | requests | raw bytes | gzip bytes | brotli bytes | median ms to visible |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label in (("ours", "Consent Gate"), ("peer", "vanilla-cookieconsent 3")):
        for result in results:
            row = result[name]
            lines.append(f"| {label} | {result['site']['label']} | {row['requests']} | "
                         + " | ".join(str(value) for value in row["bytes"])
                         + f" | {row['median']:.1f} |")
    for result in results:
        ours, peer = result["ours"], result["peer"]
        ratios = [f"{a / b:.2f}" for a, b in zip(ours["bytes"], peer["bytes"], strict=True)]
        lines.append(f"| ratio (ours / peer) | {result['site']['label']} | | "
                     + " | ".join(ratios) + f" | {ours['median'] / peer['median']:.2f} |")
    for result in results:
        for name, label in (("ours", "Consent Gate"), ("peer", "vanilla-cookieconsent 3")):
            row = result[name]
            if row["later_requests"]:
                lines.append(f"| {label}, after visible | {result['site']['label']} | "
                             f"{row['later_requests']} | "
                             + " | ".join(str(value) for value in row["later_bytes"]) + " | |")
    return lines + throttled_lines(results)
