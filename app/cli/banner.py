"""flask banner snapshot: photograph the current build of sites' banners in every language."""
import click
from flask import current_app
from flask.cli import AppGroup

from app.cli.common import with_database
from app.evidence.capture import CaptureFailed, ChromiumMissing
from app.evidence.snapshot import snapshot_site
from app.evidence.store import ScreenshotStore, describe
from app.extensions import db
from app.screenshots import chromium_for
from app.sites.repository import SiteRepository

banner_group = AppGroup("banner", help="Screenshots of the banner as visitors see it.")


@banner_group.command("snapshot")
@click.argument("site_ids", nargs=-1, metavar="[SITE_ID]...")
@click.option("--force", is_flag=True,
              help="Capture again even when every screenshot exists (stored ones are kept).")
@with_database
def snapshot_command(site_ids, force):
    """Store screenshots of both layers, desktop and phone, of each site's current banner build."""
    known = [site.id for site in SiteRepository(db.session).list()]
    unknown = [site_id for site_id in site_ids if site_id not in known]
    if unknown:
        raise click.ClickException(f"no site with id {unknown[0]!r}")
    try:
        chromium = chromium_for(current_app)
    except ChromiumMissing as error:
        click.echo(f"warning: {error}", err=True)
        raise SystemExit(1) from None
    failed = False
    for site_id in site_ids or known:
        try:
            outcome = snapshot_site(db.session, site_id, chromium, force=force)
            db.session.commit()
        except (ChromiumMissing, CaptureFailed) as error:
            db.session.rollback()
            click.echo(f"error: {error}", err=True)
            failed = True
            continue
        click.echo(f"{site_id}: build {outcome.build}: {outcome.stored} screenshot(s) stored, "
                   f"{outcome.skipped} already stored")
    if failed:
        raise SystemExit(1)


def screenshots_hold(site_ids=None):
    """Print whether every stored screenshot still matches its digest (for ledger verify)."""
    count, altered = ScreenshotStore(db.session).check(site_ids)
    for row in altered:
        click.echo(f"screenshots: ALTERED: {describe(row)}: its PNG does not hash to its "
                   f"digest {row.digest}")
    if count and not altered:
        click.echo(f"screenshots: {count} stored, every PNG matches its SHA-256")
    return not altered
