"""flask ledger keygen|checkpoint|purge|verify: sign, trim and check the consent ledger."""
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask.cli import AppGroup

from app.cli.banner import screenshots_hold
from app.cli.common import with_database
from app.extensions import db
from app.ledger.audit import coverage_warning, verify_site
from app.ledger.checkpoint_log import linked_digests, verify_checkpoint_log
from app.ledger.checkpointing import checkpoint_due_within, latest_log_digest, sign_heads_now
from app.ledger.checkpoints import (
    SigningKeyError,
    generate_key,
    public_pem,
    read_digest,
    stored_payload,
)
from app.ledger.record_checks import ChainFault
from app.ledger.repository import LedgerRepository
from app.ledger.timestamps import TimestampError, check_tokens, stamp_pending
from app.signing import signing_key, signing_key_path, tsa_client, tsa_verifier
from app.sites.repository import SiteRepository
from app.sites.schema import MAX_RETENTION_DAYS
from app.tables import utc_now

ledger_group = AppGroup("ledger", help="Sign and verify the consent ledger.")


@ledger_group.command("keygen")
def keygen_command():
    """Create the Ed25519 key that signs checkpoints, unless one exists."""
    path = signing_key_path(current_app)
    if path.exists():
        click.echo(f"{path}: a signing key exists; keeping it")
        return
    click.echo(f"{path}: created\n{public_pem(generate_key(path))}", nl=False)


@ledger_group.command("public-key")
def public_key_command():
    """Print the PEM public key that verifies checkpoints and manifests (as the API serves it)."""
    click.echo(public_pem(_private_key()), nl=False)


@ledger_group.command("checkpoint")
@click.option("--site", "site_id", help="Sign one site's head (default: every site).")
@with_database
def checkpoint_command(site_id):
    """Sign each site's current chain head (run it regularly, e.g. hourly from cron)."""
    key = _private_key()
    ledger = LedgerRepository(db.session)
    for current, checkpoint in sign_heads_now(ledger, key, _site_ids(ledger, site_id),
                                              db.session.commit):
        if checkpoint:
            click.echo(f"{current}: signed seq {checkpoint.seq} at {checkpoint.created_at}")
        elif (head := ledger.head(current)) and head.seq:
            click.echo(f"{current}: seq {head.seq} is signed already")
    _stamp(ledger)
    if latest := latest_log_digest(ledger):
        click.echo(f"log digest {latest}")


@ledger_group.command("stamp")
@with_database
def stamp_command():
    """Fetch RFC 3161 time-stamp tokens for checkpoints that have none (CONSENT_TSA_URL)."""
    if tsa_client(current_app) is None:
        raise click.ClickException("no time-stamping authority is configured (CONSENT_TSA_URL)")
    if not _stamp(LedgerRepository(db.session)):
        raise SystemExit(1)


def _stamp(ledger):
    """Fetch missing tokens when a TSA is configured; return False when it failed."""
    client = tsa_client(current_app)
    if client is None:
        return True
    stamped, error = stamp_pending(ledger, client, db.session.commit)
    if stamped:
        click.echo(f"time-stamped {stamped} checkpoint(s) at {client.url}")
    if error:
        click.echo(f"warning: {error}; the next run tries again", err=True)
    return error is None


@ledger_group.command("purge")
@click.option("--site", "site_id", help="Purge one site (default: every site).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Purge as it was due at this earlier UTC time (default: now).")
@with_database
def purge_command(site_id, as_of):
    """Delete records past their retention, leaving a signed anchor; run it daily.

    Each record is kept for the retention_days in force when it was recorded (its hashed
    content says which). A site whose chain does not verify is not purged: its records are
    evidence.
    """
    key = _private_key()
    ledger = LedgerRepository(db.session)
    sites = SiteRepository(db.session)
    now = _purge_time(as_of)
    refused = False
    for current in _site_ids(ledger, site_id):
        site = sites.get(current)
        retention = site.retention_days if site else None
        if not isinstance(retention, int) or not 1 <= retention <= MAX_RETENTION_DAYS:
            click.echo(f"{current}: not purged, its retention_days ({retention!r}) is not "
                       f"between 1 and {MAX_RETENTION_DAYS}")
            refused = True
            continue
        refused = not _purge_site(ledger, current, now, retention, key) or refused
    if refused:
        raise SystemExit(1)


def _purge_time(as_of):
    now = datetime.now(UTC)
    if as_of is None:
        return now
    as_of = as_of.replace(tzinfo=UTC)
    if as_of > now:
        raise click.BadParameter("must not be in the future: records are purged only once "
                                 "their retention has run out", param_hint="--as-of")
    return as_of


def _purge_site(ledger, site_id, now, retention, key):
    """Purge one site; return False when its chain does not verify."""
    verdict = _verify_site(ledger, site_id, key.public_key())
    try:
        if not verdict.ok:
            raise ChainFault(verdict.problem)
        anchor = ledger.purge_before(site_id, now, retention, key)
    except ChainFault as fault:
        db.session.rollback()
        click.echo(f"{site_id}: not purged, the chain does not verify: {fault}")
        return False
    except OverflowError:
        db.session.rollback()
        raise click.BadParameter("is too far in the past", param_hint="--as-of") from None
    db.session.commit()
    if anchor:
        click.echo(f"{site_id}: purged records up to seq {anchor.seq} (their retention ran out "
                   f"by {now.date().isoformat()}); signed anchor kept")
    else:
        click.echo(f"{site_id}: nothing past its retention on {now.date().isoformat()}")
    return True


def _verify_site(ledger, site_id, public_key, workers=None):
    """Verify one site's stored chain up to its head as read now."""
    url = db.engine.url.render_as_string(hide_password=False)
    return verify_site(ledger.session, url, site_id, public_key, workers)


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
@click.option("--tsa-ca", "tsa_ca", type=click.Path(exists=True, dir_okay=False),
              help="PEM CA certificates of the time-stamping authority: check every checkpoint's "
                   "token (default: CONSENT_TSA_CA_FILE when a TSA is configured).")
@with_database
def verify_command(site_id, public_key_file, stats, anchors, tsa_ca):
    """Verify each site's chain; exit 1 and name the first bad record when one is broken."""
    public_key = _public_key(public_key_file)
    tokens = _token_verifier(tsa_ca)
    ledger = LedgerRepository(db.session)
    site_ids = _site_ids(ledger, site_id)
    broken = not _checkpoint_log_holds(ledger, public_key, anchors, quiet=bool(site_id))
    if tokens is not None:
        broken = not _timestamps_hold(ledger, tokens, site_id) or broken
    for current in site_ids:
        started = time.perf_counter()
        verdict = _verify_site(ledger, current, public_key)
        click.echo(str(verdict))
        if verdict.ok:
            _warn_of_coverage_gaps(ledger, current)
        if stats:
            seconds = time.perf_counter() - started
            click.echo(f"{current}: verified in {seconds:.2f} s, "
                       f"{verdict.count / max(seconds, 1e-9):,.0f} records/s")
        broken = broken or not verdict.ok
    broken = not screenshots_hold([site_id] if site_id else None) or broken
    if not site_ids:
        click.echo("the ledger is empty")
    if broken:
        raise SystemExit(1)


def _warn_of_coverage_gaps(ledger, site_id):
    gap = coverage_warning(ledger.session, site_id, checkpoint_due_within(current_app.config),
                           utc_now())
    if gap:
        click.echo(f"{site_id}: coverage: WARNING: {gap}")


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


def _token_verifier(path):
    if not path and not current_app.config["TSA_URL"]:
        return None
    try:
        return tsa_verifier(current_app, path)
    except TimestampError as error:
        raise click.ClickException(f"cannot check time-stamp tokens: {error}") from None


def _timestamps_hold(ledger, tokens, site_id):
    config = current_app.config
    checkpoints = [c for c in ledger.checkpoint_log() if not site_id or c.site_id == site_id]
    report = check_tokens(checkpoints, stored_payload, tokens, datetime.now(UTC),
                          timedelta(seconds=config["TSA_GRACE"]),
                          timedelta(seconds=config["TSA_MAX_DELAY"]))
    if report.problem:
        click.echo(f"timestamps: BROKEN: {report.problem}")
        return False
    pending = f", {report.pending} waiting for their token" if report.pending else ""
    click.echo(f"timestamps: {report.stamped} of {len(checkpoints)} checkpoints time-stamped by "
               f"the TSA{pending}")
    return True


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
    except SigningKeyError as error:
        raise click.ClickException(
            f"cannot check checkpoint signatures: {error}; or give --public-key") from None
