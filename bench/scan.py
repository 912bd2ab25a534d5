"""A 20-page scan of a local shop, and the banner's bytes with the leak watcher in place.

The shop is bench/shop.yaml with leak reports on every page view (leak_reports.sample 1), served
from memory by bench/serve.py: PAGES same-origin pages at http://localhost:PORT/p/N, each with
the embed and links to the others. The scan is app.scanner.service.scan_site, as the console's
worker and `flask sites scan` run it (three passes per page, compare, store); tracker hosts are
answered with the test suite's stubs.
"""
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from playwright.sync_api import sync_playwright

from app.banner.bundle import read_bundle_config
from app.evidence.capture import find_chromium
from app.extensions import db
from app.scanner.crawl import CrawlOptions
from app.scanner.service import scan_site
from bench.banner import CHROMIUM_ARGS, IMMUTABLE, OURS_VISIBLE, SCRIPT, SCRIPT_CACHE, load_once, sizes
from bench.serve import STUBS, TRACKER_STUBS

ROOT = Path(__file__).resolve().parent.parent
PAGES = 20
SITE = "shop"
#: Page views whose first-script and deferred bytes are counted.
VIEWS = 5


def shop_with_leak_reports():
    """Write bench/shop.yaml with leak reports on every page view; return the file's path."""
    document = yaml.safe_load((ROOT / "bench" / "shop.yaml").read_text(encoding="utf-8"))
    document["leak_reports"] = {"sample": 1.0}
    path = Path(tempfile.mkdtemp(prefix="consent-bench-scan-")) / "shop.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def prepare(app, web):
    """Serve the shop's banner and its pages on web; return our assets {(host, path): entry}."""
    client = app.test_client()

    def get(path):
        return client.get(path, base_url=web.service, headers={
            "Accept-Encoding": "", "Accept-Language": "en-US,en;q=0.9"}).data

    script = get(f"/c/{SITE}.js")
    config = read_bundle_config(script)
    deferred = urlsplit(config["deferredUrl"]).path + config["texts"]["en"]["digest"] + ".js"
    assets = {("127.0.0.1", f"/c/{SITE}.js"): (script, SCRIPT, SCRIPT_CACHE),
              ("127.0.0.1", deferred): (get(deferred), SCRIPT, IMMUTABLE)}
    web.files.update(assets)
    for number in range(1, PAGES + 1):
        web.files["localhost", f"/p/{number}"] = (_page(web, number), "text/html", "no-store")
    return assets, config


def _page(web, number):
    links = "".join(f'<li><a href="/p/{other}">Page {other}</a></li>'
                    for other in range(1, PAGES + 1) if other != number)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop {number}'
            f'</title><script src="{web.service}/c/{SITE}.js" async></script></head><body>'
            f'<h1>Shop page {number}</h1><ul>{links}</ul></body></html>').encode()


def _intercept(route):
    """Answer the trackers' hosts with stubs (the scanner's Chromium resolves no other host)."""
    parts = urlsplit(route.request.url)
    if parts.hostname not in TRACKER_STUBS:
        return False
    prefix, stub = TRACKER_STUBS[parts.hostname]
    if parts.path.startswith(prefix):
        route.fulfill(body=(STUBS / stub).read_text(), content_type="text/javascript")
    else:
        route.fulfill(status=204, body="")
    return True


def measure_scan(app, web):
    """Scan the shop's pages and load a few page views; return the figures."""
    assets, config = prepare(app, web)
    chromium = find_chromium(app.config["CHROMIUM"], "nothing was scanned")
    options = CrawlOptions((f"{web.site}/p/1",), chromium, pages=PAGES, intercept=_intercept)
    with app.app_context():
        began = time.perf_counter()
        document, _row = scan_site(db.session, SITE, options)
        seconds = time.perf_counter() - began
        db.session.commit()
    early, late, watched = set(), set(), 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium,
                                             args=CHROMIUM_ARGS + web.chromium_args())
        for number in range(1, VIEWS + 1):
            _ms, before, after = load_once(browser, f"{web.site}/p/{number}", OURS_VISIBLE)
            early |= before & set(assets)
            late |= (after & set(assets)) - before
            watched += 1
        browser.close()
    return {"pages": document["summary"]["pages"], "seconds": seconds,
            "per_minute": document["summary"]["pages"] * 60 / seconds,
            "passes": len(document["passes"]), "findings": len(document["findings"]),
            "sample": config.get("leaks"), "views": watched,
            "first": sizes([assets[key][0] for key in sorted(early)]), "first_requests": len(early),
            "deferred": sizes([assets[key][0] for key in sorted(late)]),
            "deferred_requests": len(late)}


def scan_lines(result):
    """Return the scan figures as Markdown."""
    return [
        "", "## Scan: pages per minute, and the banner's bytes with the leak watcher", "",
        f"`scan_site` (what the console's scan worker and `flask sites scan` run) over {PAGES} "
        "same-origin pages of `bench/shop.yaml` served from memory on `localhost` "
        "(`bench/scan.py`), each visited three times in fresh contexts (no choice, Reject all, "
        "Accept all) by headless Chromium, then compared with the catalog and stored; trackers "
        "answered by the test stubs. One scan, timed from start to the stored row.", "",
        "| pages | passes | seconds | pages per minute | findings |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {result['pages']} | {result['passes']} | {result['seconds']:.1f} | "
        f"{result['per_minute']:.1f} | {result['findings']} |",
        "", f"The same site with leak reports on every page view (`leak_reports.sample` "
        f"{result['sample']:g}: each view is watched), {result['views']} fresh visits: the bytes "
        "requested before the banner was visible, and after it (the deferred part, which "
        "carries the leak watcher's rules); each body compressed on its own.", "",
        "| | requests | raw bytes | gzip bytes | brotli bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| before visible (first script) | {result['first_requests']} | "
        + " | ".join(str(value) for value in result["first"]) + " |",
        f"| after visible (deferred part with the watcher) | {result['deferred_requests']} | "
        + " | ".join(str(value) for value in result["deferred"]) + " |",
    ]
