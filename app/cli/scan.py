"""flask sites scan|scans: crawl a site in Chromium and compare what it stores with its catalog."""
import time
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts.service import audit
from app.cli.common import with_database
from app.evidence.capture import ChromiumMissing, find_chromium
from app.extensions import db
from app.scan_worker import INTERCEPT, run_queued
from app.scanner.crawl import CrawlOptions, ScanFailed
from app.scanner.report import dumps, render_table
from app.scanner.service import NothingScanned, default_start_urls, scan_site
from app.scanner.store import list_scans
from app.sites.repository import SiteRepository


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
    site, _catalog_version = _site(site_id)
    start = tuple(_start_url(url) for url in urls) or default_start_urls(site)
    try:
        chromium = find_chromium(current_app.config["CHROMIUM"], "nothing was scanned")
        document, row = scan_site(db.session, site.id, CrawlOptions(
            start, chromium, pages=pages, ignore_robots=ignore_robots,
            intercept=current_app.extensions.get(INTERCEPT)))
    except (ChromiumMissing, ScanFailed) as error:
        raise click.ClickException(str(error)) from None
    except NothingScanned as error:
        raise click.ClickException(f"{error}; robots.txt can be overridden with "
                                   "--ignore-robots") from None
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


@click.command("scan-worker")
@click.option("--once", is_flag=True, help="Run the jobs queued now, then exit.")
@click.option("--poll", type=click.FloatRange(0.5, 3600), default=5.0, show_default=True,
              help="Seconds between looks for queued jobs.")
@with_appcontext
@with_database
def scan_worker_command(once, poll):
    """Run the scans queued in the console (one at a time; several workers may share a database)."""
    app = current_app._get_current_object()
    while True:
        for job_id, status in run_queued(app):
            click.echo(f"scan job #{job_id}: {status}")
        if once:
            return
        time.sleep(poll)


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
