"""flask ledger verify: recompute every hash and link of the consent ledger."""
from contextlib import closing

import click
from flask.cli import AppGroup

from app.cli.common import with_database
from app.extensions import db
from app.ledger.repository import LedgerRepository
from app.ledger.verify import verify_chain
from app.sites.repository import SiteRepository

ledger_group = AppGroup("ledger", help="Verify the consent ledger.")


@ledger_group.command("verify")
@click.option("--site", "site_id", help="Verify one site (default: every site).")
@with_database
def verify_command(site_id):
    """Verify each site's chain; exit 1 and name the first bad record when one is broken."""
    ledger = LedgerRepository(db.session)
    if site_id and SiteRepository(db.session).get(site_id) is None:
        raise click.ClickException(f"no site with id {site_id!r}")
    site_ids = [site_id] if site_id else ledger.site_ids()
    broken = False
    for current in site_ids:
        with closing(ledger.iter_chain(current)) as records:
            verdict = verify_chain(current, records, ledger.head(current))
        click.echo(str(verdict))
        broken = broken or not verdict.ok
    if not site_ids:
        click.echo("the ledger is empty")
    if broken:
        raise SystemExit(1)
