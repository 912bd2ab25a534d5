"""flask ledger keygen|checkpoint|purge|verify: sign, trim and check the consent ledger."""
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask.cli import AppGroup

from app.cli.common import with_database
from app.extensions import db
from app.ledger.checkpoints import SigningKeyError, generate_key, public_pem, read_digest
from app.ledger.repository import LedgerRepository
from app.ledger.verify import linked_digests, verify_checkpoint_log, verify_stored_chain
from app.signing import signing_key, signing_key_path
from app.sites.repository import SiteRepository

ledger_group = AppGroup("ledger", help="Sign and verify the consent ledger.")


@ledger_group.command("keygen")
def keygen_command():
    """Create the Ed25519 key that signs checkpoints, unless one exists."""
    path = signing_key_path(current_app)
    if path.exists():
        click.echo(f"{path}: a signing key exists; keeping it")
        return
    click.echo(f"{path}: created\n{public_pem(generate_key(path))}", nl=False)


@ledger_group.command("checkpoint")
@click.option("--site", "site_id", help="Sign one site's head (default: every site).")
@with_database
def checkpoint_command(site_id):
    """Sign each site's current chain head (run it regularly, e.g. hourly from cron)."""
    key = _private_key()
    ledger = LedgerRepository(db.session)
    for current in _site_ids(ledger, site_id):
        checkpoint = ledger.add_checkpoint(current, key)
        if checkpoint:
            # The digest is the log's latest: kept elsewhere, it lets verify --anchor catch a
            # log cut back past it.
            click.echo(f"{current}: signed seq {checkpoint.seq} at {checkpoint.created_at}, "
                       f"log digest {checkpoint.digest}")
    db.session.commit()


@ledger_group.command("purge")
@click.option("--site", "site_id", help="Purge one site (default: every site).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Purge as if it were this UTC date (default: now).")
@with_database
def purge_command(site_id, as_of):
    """Delete records past each site's retention_days, leaving a signed anchor; run it daily."""
    key = _private_key()
    ledger = LedgerRepository(db.session)
    sites = SiteRepository(db.session)
    now = as_of.replace(tzinfo=UTC) if as_of else datetime.now(UTC)
    for current in _site_ids(ledger, site_id):
        cutoff = now - timedelta(days=sites.get(current).retention_days)
        anchor = ledger.purge_before(current, cutoff, key)
        if anchor:
            click.echo(f"{current}: purged records up to seq {anchor.seq} (older than "
                       f"{cutoff:%Y-%m-%d}); signed anchor kept")
        else:
            click.echo(f"{current}: nothing older than {cutoff:%Y-%m-%d}")
    db.session.commit()


def _check_digests(_context, _parameter, values):
    digests = tuple(read_digest(value) for value in values)
    for value, digest in zip(values, digests, strict=True):
        if digest is None:
            raise click.BadParameter(f"{value!r} is not a checkpoint digest (64 hex characters)")
    return digests


@ledger_group.command("verify")
@click.option("--site", "site_id", help="Verify one site (default: every site).")
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False),
              help="Check checkpoint signatures with this PEM public key (default: this "
                   "service's own key).")
@click.option("--stats", is_flag=True, help="Also print each site's verify time and records/s.")
@click.option("--anchor", "anchors", multiple=True, callback=_check_digests, metavar="DIGEST",
              help="A checkpoint digest kept from an earlier run (the log's latest, printed by "
                   "verify and checkpoint): the log must still hold it. Repeatable.")
@with_database
def verify_command(site_id, public_key_file, stats, anchors):
    """Verify each site's chain; exit 1 and name the first bad record when one is broken."""
    public_key = _public_key(public_key_file)
    ledger = LedgerRepository(db.session)
    site_ids = _site_ids(ledger, site_id)
    broken = not _checkpoint_log_holds(ledger, public_key, anchors, quiet=bool(site_id))
    url = db.engine.url.render_as_string(hide_password=False)
    for current in site_ids:
        # Read the head first and stop there, so appends made meanwhile are not mistaken for damage.
        checkpoints, head = ledger.checkpoints(current), ledger.head(current)
        low = ledger.lowest_seq(current)
        started = time.perf_counter()
        verdict = verify_stored_chain(current, url, head, checkpoints, public_key, low)
        click.echo(str(verdict))
        if stats:
            seconds = time.perf_counter() - started
            click.echo(f"{current}: verified in {seconds:.2f} s, "
                       f"{verdict.count / max(seconds, 1e-9):,.0f} records/s")
        broken = broken or not verdict.ok
    if not site_ids:
        click.echo("the ledger is empty")
    if broken:
        raise SystemExit(1)


def _checkpoint_log_holds(ledger, public_key, anchors, quiet):
    log = ledger.checkpoint_log()
    problem = verify_checkpoint_log(log, public_key, anchors)
    if problem:
        click.echo(f"checkpoint log: BROKEN: {problem}")
    elif not quiet:
        linked = linked_digests(log)
        latest = f"; latest {linked[-1]}" if linked else ""
        click.echo(f"checkpoint log: {len(linked)} signed checkpoints, linked{latest}")
    return not problem


def _site_ids(ledger, site_id):
    if site_id and SiteRepository(db.session).get(site_id) is None:
        raise click.ClickException(f"no site with id {site_id!r}")
    return [site_id] if site_id else ledger.site_ids()


def _private_key():
    try:
        return signing_key(current_app)
    except SigningKeyError as error:
        raise click.ClickException(str(error)) from None


def _public_key(path):
    if path:
        try:
            return serialization.load_pem_public_key(Path(path).read_bytes())
        except ValueError as error:
            raise click.ClickException(f"{path}: not a PEM public key ({error})") from None
    try:
        return signing_key(current_app).public_key()
    except SigningKeyError:
        click.echo("note: no signing key here, so checkpoint signatures are not checked", err=True)
        return None
