"""flask ledger export: write a search's records as CSV, JSON or NDJSON beside a manifest."""
import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app

from app.cli.common import with_database
from app.evidence.archive import exported_screenshots, manifest_entries, write_archive
from app.extensions import db
from app.ledger.checkpointing import checkpoint_due_within
from app.ledger.checkpoints import SigningKeyError
from app.ledger.export import FORMATS, write_export
from app.ledger.report import EVENTS
from app.ledger.repository import LedgerRepository
from app.ledger.search import RecordQuery, latest_record_id
from app.ledger.timestamps import stamp_pending
from app.signing import signing_key, tsa_client
from app.sites.repository import SiteRepository


@click.command("export")
@click.option("--format", "fmt", default="csv", metavar="|".join(FORMATS),
              help="File format (default: csv).")
@click.option("--output", required=True, metavar="FILE", help="Where to write the export.")
@click.option("--manifest", "manifest_path", metavar="PATH",
              help="Where to write the manifest (default: FILE.manifest.json).")
@click.option("--site", "site_ids", multiple=True, metavar="ID",
              help="Only this site; repeat for more (default: every site).")
@click.option("--since", metavar="DATE", help="Records at or after this UTC date or ISO 8601 time.")
@click.option("--until", metavar="DATE", help="Records before this UTC date or ISO 8601 time.")
@click.option("--event", metavar="|".join(EVENTS), help="Only records of this event.")
@click.option("--consent-id", help="Only records of this consent id.")
@click.option("--subject-id", help="Only records of this pseudonymous subject id.")
@click.option("--screenshots", is_flag=True,
              help="Also write FILE.screenshots.zip: the banner screenshots of the builds and "
                   "languages the records were given with, listed in the manifest.")
@with_database
def export_command(fmt, output, manifest_path, site_ids, since, until, event, consent_id,
                   subject_id, screenshots):
    """Export records with a manifest that tools/verify_export.py checks offline."""
    if fmt not in FORMATS:
        raise click.ClickException(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if event is not None and event not in EVENTS:
        raise click.ClickException(f"--event: {event!r} is not one of {', '.join(EVENTS)}")
    sites = SiteRepository(db.session)
    for site_id in site_ids:
        if sites.get(site_id) is None:
            raise click.ClickException(f"--site: no site with id {site_id!r}")
    key = _private_key()
    # Pinning signs each exported chain's head first, so every exported record is covered.
    query = RecordQuery(site_ids=tuple(site_ids) or None, since=_moment("--since", since),
                        until=_moment("--until", until), event=event, consent_id=consent_id,
                        subject_id=subject_id)
    query = replace(query, up_to_id=latest_record_id(db.session, sign_with=key,
                                                     site_ids=query.site_ids))
    _stamp_new_checkpoints()
    output = Path(output)
    manifest_path = Path(manifest_path) if manifest_path else Path(f"{output}.manifest.json")
    shots = exported_screenshots(db.session, query) if screenshots else None
    with _replacing(output, "--output") as out:
        manifest = write_export(db.session, query, fmt, out, key,
                                due_within=checkpoint_due_within(current_app.config),
                                screenshots=None if shots is None else manifest_entries(shots))
    if shots is not None:
        archive = Path(f"{output}.screenshots.zip")
        with _replacing(archive, "--screenshots") as out:
            written = write_archive(shots, out)
        click.echo(f"{archive}: {written} banner screenshot(s)")
        for entry in manifest["screenshots"]:
            if not entry["intact"]:
                click.echo(f"warning: the stored screenshot {entry['digest']} ({entry['site_id']}, "
                           f"{entry['language']}, {entry['layer']}, {entry['viewport']}) no longer "
                           "matches its digest, and the manifest says so", err=True)
    with _replacing(manifest_path, "--manifest") as out:
        out.write(json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n")
    click.echo(f"{output}: {manifest['record_count']} records from {len(manifest['sites'])} "
               f"site(s); manifest {manifest_path} (signed)")
    broken = [(site_id, site["chain"]["problem"]) for site_id, site in sorted(manifest["sites"].items())
              if not site["chain"]["verified"]]
    for site_id, problem in broken:
        click.echo(f"warning: {site_id}: the stored chain does not verify, and the manifest says "
                   f"so: {problem}", err=True)
    if not manifest["checkpoint_log"]["intact"]:
        click.echo(f"warning: the checkpoint log is broken, and the manifest says so: "
                   f"{manifest['checkpoint_log']['problem']}", err=True)
    for site_id, site in sorted(manifest["sites"].items()):
        if site["chain"]["warning"]:
            click.echo(f"warning: {site_id}: {site['chain']['warning']}", err=True)
    if broken or not manifest["checkpoint_log"]["intact"]:
        raise SystemExit(1)


def _moment(option, value):
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except ValueError:
        raise click.ClickException(
            f"{option}: {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    except OverflowError:
        raise click.ClickException(f"{option}: {value!r} lies outside the years 1 to 9999 "
                                   "in UTC") from None


class _replacing:
    """Open path.part for writing and move it over path on success; a failure leaves no file."""

    def __init__(self, path, option):
        self.path, self.option = path, option
        self.partial = path.with_name(path.name + ".part")

    def __enter__(self):
        try:
            self.file = open(self.partial, "wb")  # noqa: SIM115 (closed in __exit__)
        except OSError as error:
            raise click.ClickException(
                f"{self.option}: cannot write {self.path}: {error.strerror}") from None
        return self.file

    def __exit__(self, kind, error, _traceback):
        try:
            self.file.close()
            if kind is None:
                os.replace(self.partial, self.path)
        except OSError as failure:
            error = failure
        finally:
            if self.partial.exists():
                self.partial.unlink()
        if isinstance(error, OSError):
            raise click.ClickException(
                f"{self.option}: cannot write {self.path}: {error.strerror}") from None
        return False


def _stamp_new_checkpoints():
    """Fetch the time-stamp tokens of the checkpoints just signed, so the manifest carries them."""
    client = tsa_client(current_app)
    if client is not None:
        _stamped, error = stamp_pending(LedgerRepository(db.session), client, db.session.commit)
        if error:
            click.echo(f"warning: {error}; the manifest carries checkpoints without a token",
                       err=True)


def _private_key():
    try:
        return signing_key(current_app)
    except SigningKeyError as error:
        raise click.ClickException(f"{error} (manifests are signed with it)") from None
