"""flask sites scan|scans: crawl a site in Chromium and compare what it stores with its catalog."""
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts.service import audit
from app.banner.bundle import gate_code
from app.cli.common import with_database
from app.evidence.capture import ChromiumMissing, find_chromium
from app.extensions import db
from app.scanner.compare import compare_site
from app.scanner.crawl import CrawlOptions, ScanFailed, crawl
from app.scanner.report import dumps, render_table, scan_document
from app.scanner.store import list_scans, save_scan
from app.sites.catalog import catalog_from_document
from app.sites.repository import SiteRepository

#: app.extensions key of a function that sees every request of a scan first and returns True
#: when it answered it (the tests answer trackers with stubs; a staging setup can map hosts).
INTERCEPT = "scanner.intercept"


@click.command("scan")
@click.argument("site_id")
@click.option("--url", "urls", multiple=True, metavar="URL",
              help="Start here instead of the site's origins (repeatable).")
@click.option("--pages", type=click.IntRange(1, 500), default=20, show_default=True,
              help="Visit at most this many pages, following same-origin links.")
@click.option("--ignore-robots", is_flag=True, help="Visit pages robots.txt disallows.")
@click.option("--json", "as_json", is_flag=True, help="Print the scan as JSON (scan.schema.json).")
@with_appcontext
@with_database
def scan_command(site_id, urls, pages, ignore_robots, as_json):
    """Visit a site's pages with no choice, Reject all and Accept all; compare with its catalog.

    Exits 1 when something is set before consent or after Reject all, or is undeclared.
    """
    site, catalog_version = _site(site_id)
    start = tuple(_start_url(url) for url in urls) or tuple(f"{origin}/" for origin in site.origins)
    try:
        chromium = find_chromium(current_app.config["CHROMIUM"], "nothing was scanned")
        seen = crawl(CrawlOptions(start, chromium, pages=pages, ignore_robots=ignore_robots,
                                  intercept=current_app.extensions.get(INTERCEPT)))
    except (ChromiumMissing, ScanFailed) as error:
        raise click.ClickException(str(error)) from None
    if not seen.pages:
        reasons = "; ".join(f"{url}: {reason}" for url, reason in seen.skipped)
        raise click.ClickException(f"no page of {site_id} could be scanned ({reasons}); "
                                   "robots.txt can be overridden with --ignore-robots")
    catalog = catalog_from_document(catalog_version.content)
    document = scan_document(site.id, gate_code()[2], catalog_version.version, seen,
                             compare_site(site, catalog, seen))
    row = save_scan(db.session, document)
    audit(db.session, "cli", "site.scan", site.id, scan=row.id, failed=row.failed)
    db.session.commit()
    click.echo(dumps(document) if as_json else "\n".join(render_table(document)))
    if document["summary"]["failed"]:
        raise SystemExit(1)


@click.command("scans")
@click.argument("site_id")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@with_appcontext
@with_database
def scans_command(site_id, limit):
    """List a site's stored scans, newest first."""
    _site(site_id)
    scans = list_scans(db.session, site_id, limit)
    if not scans:
        click.echo(f"no scans of {site_id} yet; run: flask --app wsgi sites scan {site_id}")
    for scan in scans:
        click.echo(f"#{scan.id:<5} {scan.started_at:%Y-%m-%d %H:%M} build {scan.build} catalog "
                   f"v{scan.catalog_version} {scan.pages} page(s) {scan.leaks} leak(s) "
                   f"{scan.undeclared} undeclared {scan.findings} finding(s)"
                   + (" FAILED" if scan.failed else ""))


def _site(site_id):
    repository = SiteRepository(db.session)
    site = repository.get(site_id)
    if site is None:
        raise click.ClickException(f"no site with id {site_id!r}")
    return site, repository.catalog(site.id, site.catalog_version)


def _start_url(url):
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        raise click.BadParameter(f"{url!r} is not an http(s) URL such as "
                                 "https://www.example.com/shop", param_hint="--url")
    return url
