"""flask sites import|list|show|check: manage sites from their site files."""
import json
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup

from app.accounts.service import audit
from app.banner.bundle import gate_code
from app.cli.common import with_database
from app.embed import embed_snippet
from app.extensions import db
from app.leaks.store import leak_findings, site_leaks
from app.publishing import publish_site, register_every_banner
from app.sites.check import check_site
from app.sites.csp import csp_lines, site_csp
from app.sites.deletion import is_deleted
from app.sites.duties import owner_duties
from app.sites.files import SiteFileError, load_site_file, site_files
from app.sites.repository import SiteRepository, site_spec
from app.sites.schema import ORIGIN
from app.sites.trackers import enabled_trackers, held_back_trackers

sites_group = AppGroup("sites", help="Import, list, show and check sites, print their CSP.")


@sites_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--only-new", is_flag=True, help="Skip sites that already exist (keeps their edits).")
@with_database
def import_command(paths, only_new):
    """Import site files (or folders of them); all or nothing."""
    files = [file for path in paths for file in site_files(path)]
    loaded, errors = [], []
    for file in files:
        try:
            loaded.append((file, load_site_file(file)))
        except SiteFileError as error:
            errors.append(str(error))
    errors += _duplicate_ids(loaded)
    repository = SiteRepository(db.session)
    errors += _deleted_ids(repository, loaded, only_new)
    if errors:
        for message in errors:
            click.echo(f"error: {message}", err=True)
        raise click.ClickException(f"nothing imported: {len(errors)} invalid site file(s)")
    if not loaded:
        raise click.ClickException(f"no site files (.yaml, .yml, .toml) in {', '.join(paths)}")
    if only_new:
        loaded = [(file, spec) for file, spec in loaded if repository.get(spec.id) is None]
    outcomes = [(spec, publish_site(db.session, spec)) for _file, spec in loaded]
    for file, spec in loaded:
        audit(db.session, "cli", "site.import", spec.id, file=Path(file).name)
    db.session.commit()
    for spec, outcome in outcomes:
        _echo_outcome(outcome)
        for finding in check_site(spec):
            click.echo(f"  warning: {finding}")


def _duplicate_ids(loaded):
    seen, errors = {}, []
    for file, spec in loaded:
        if spec.id in seen:
            errors.append(f"{file}: id: {spec.id!r} is already declared in {seen[spec.id]}")
        seen.setdefault(spec.id, file)
    return errors


def _deleted_ids(repository, loaded, only_new):
    # --only-new skips existing sites, deleted ones included, so it has nothing to refuse.
    if only_new:
        return []
    return [f"{file}: id: site {spec.id!r} was deleted; its id stays reserved for its ledger"
            for file, spec in loaded if is_deleted(repository.get(spec.id))]


def _echo_outcome(outcome):
    state = "created" if outcome.created else "updated"
    version = f"catalog version {outcome.catalog_version}"
    if not outcome.created:
        version += " (new)" if outcome.new_catalog_version else " (unchanged)"
    click.echo(f"{outcome.site.id}: {state}, {version}")


@sites_group.command("list")
@with_database
def list_command():
    """List sites with their regime, trackers and catalog version."""
    sites = SiteRepository(db.session).list()
    if not sites:
        click.echo("no sites yet; import some with: flask --app wsgi sites import sites/")
        return
    for site in sites:
        held = held_back_trackers(site)
        trackers = [name + (" (not loaded)" if name in held else "")
                    for name, _id in enabled_trackers(site.trackers)]
        click.echo(
            f"{site.id:<12} {site.name:<24} {'+'.join(site.regime):<12} "
            f"catalog v{site.catalog_version:<3} trackers: {', '.join(trackers) or 'none'}"
        )


@sites_group.command("show")
@click.argument("site_id")
@click.option("--version", "version", type=int, help="Catalog version (default: current).")
@click.option("--format", "output_format", type=click.Choice(["yaml", "json"]), default="yaml")
@with_database
def show_command(site_id, version, output_format):
    """Print a site as a site file, with the chosen catalog version."""
    site, catalog = _load(site_id, version)
    document = site_spec(site, catalog).model_dump(mode="json", exclude_none=True)
    click.echo(f"# catalog version {catalog.version}, sha256 {catalog.content_hash}")
    for line in _snippet_lines(site.id):
        click.echo(line)
    if output_format == "json":
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), nl=False)


@sites_group.command("check")
@click.argument("site_id")
@with_database
def check_command(site_id):
    """Compare a site's catalog with what its trackers set, list the leaks banners reported;
    exit 1 on any finding."""
    site, catalog = _load(site_id, None)
    findings = [*check_site(site_spec(site, catalog)),
                *leak_findings(site_leaks(db.session, site_id))]
    for finding in findings:
        click.echo(f"warning: {finding}")
    # What no check can see: listed every time, never a failure.
    for duty in owner_duties(site.regime):
        click.echo(f"your duty [{duty.code}]: {duty.text}")
    if findings:
        raise SystemExit(1)
    click.echo(f"{site_id}: no findings")


@sites_group.command("csp")
@click.argument("site_id")
@click.option("--service-url", help="The service's public URL (default: CONSENT_PUBLIC_URL).")
@with_database
def csp_command(site_id, service_url):
    """Print the Content-Security-Policy directives a site needs for the banner and trackers."""
    site, _catalog = _load(site_id, None)
    service = (service_url or current_app.config["PUBLIC_URL"] or "").rstrip("/")
    if not service:
        raise click.ClickException("no service URL: set CONSENT_PUBLIC_URL or pass --service-url")
    if not ORIGIN.match(service):
        raise click.ClickException(f"--service-url: {service!r} is not an origin like "
                                   "https://consent.example.com")
    click.echo(f"# Content-Security-Policy directives for {site_id}: add these sources to the "
               "site's own policy")
    held = held_back_trackers(site)
    if held:
        click.echo(f"# not loaded, so not listed: {', '.join(held)} (no cross-border notice)")
    for line in csp_lines(site_csp(site, service)):
        click.echo(line)


def _snippet_lines(site_id):
    """Return the embed snippet as comment lines, or a line saying what it needs."""
    public_url = current_app.config["PUBLIC_URL"]
    if not public_url:
        return ["# embed snippet: set CONSENT_PUBLIC_URL to print it"]
    # url_for needs a request; the snippet names the public URL, never this one's host.
    with current_app.test_request_context(base_url=public_url):
        return ["# embed snippet:", *(f"#   {line}" for line in
                                      embed_snippet(public_url, site_id).splitlines())]


def _load(site_id, version):
    repository = SiteRepository(db.session)
    site = repository.get(site_id)
    if site is None:
        raise click.ClickException(f"no site with id {site_id!r}")
    catalog = repository.catalog(site.id, version or site.catalog_version)
    if catalog is None:
        raise click.ClickException(f"site {site_id!r} has no catalog version {version}")
    return site, catalog


@sites_group.command("register-banners")
@with_database
def register_banners_command():
    """Register every site's banner texts and this code's build (gunicorn does it at start)."""
    count = register_every_banner(db.session)
    db.session.commit()
    click.echo(f"registered the banners of {count} site(s), build {gate_code()[2]}")
