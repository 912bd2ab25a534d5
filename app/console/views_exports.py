"""Exports of a pinned search at readable paths: /console/sites/<id>/export.csv and its manifest.

The site and the format are in the path, the filters in short query parameters (only those
given). The older /console/export?format=…&site=… URLs, which scripts and tokens use, answer
with a permanent redirect to the same export here.
"""
import io

from flask import Response, abort, current_app, jsonify, redirect, request, stream_with_context
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.accounts.models import Role
from app.console.auth import require_proof_reader, roles_required
from app.console.blueprint import bp
from app.console.export_links import export_url
from app.console.views_proofs import QueryError, _private_key, _query_from, _refuse, _search_form
from app.evidence.archive import exported_screenshots, manifest_entries, write_archive
from app.extensions import db
from app.ledger.checkpointing import checkpoint_due_within
from app.ledger.export import FORMATS, MEDIA_TYPES, Export, compute_manifest
from app.sites.repository import SiteRepository

READERS = (Role.AUDITOR, Role.OWNER)
def _export_query(site_id=None, fmt=None):
    """Return (query, format, key) of an export request; site and format come from the path."""
    args = request.args
    if site_id is not None or fmt is not None:
        args = MultiDict([(name, value) for name, value in request.args.items(multi=True)
                          if name not in ("site", "format")])
        if site_id is not None:
            SiteRepository(db.session).get(site_id) or abort(404)
            require_proof_reader(site_id)
            args["site"] = site_id
    form = _search_form(args)
    if not form.validate():
        raise QueryError(*next(iter((name, errors[0]) for name, errors in form.errors.items())))
    query = _query_from(form, args)
    if query.up_to_id is None:
        raise QueryError("up_to", _("Give up_to, the last record id of the snapshot to export."))
    fmt = fmt if fmt is not None else args.get("format") or "csv"
    if fmt not in FORMATS:
        raise QueryError("format", _("format must be one of %(formats)s.", formats=", ".join(FORMATS)))
    key = _private_key()
    if key is None:
        raise QueryError(None, _("This service has no ledger signing key, so its exports cannot "
                                 "be signed."), 503)
    return query, fmt, key


def _attachment(name):
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@bp.get("/export.<fmt>", endpoint="export_file_all")
@bp.get("/sites/<site_id>/export.<fmt>")
@roles_required(*READERS)
def export_file(fmt, site_id=None):
    """Stream the records of a pinned search as CSV, JSON or NDJSON."""
    try:
        query, fmt, key = _export_query(site_id, fmt)
    except QueryError as error:
        return _refuse(None, error)
    # One verifying pass in this worker: a web worker must not fork verifying processes.
    stream = Export(db.session, query, fmt, key, verify_workers=1,
                    due_within=checkpoint_due_within(current_app.config))
    args = {**request.args.to_dict(), "site": site_id}
    headers = {**_attachment(f"consent-records-{query.up_to_id}.{fmt}"),
               "Link": f'<{export_url("manifest", args, fmt)}>; rel="describedby"'}
    # content_type, not mimetype: Flask would append a second charset to a text/ mimetype.
    # The rows are read while streaming, so the request (and its session) must stay open.
    return Response(stream_with_context(stream.chunks()), content_type=MEDIA_TYPES[fmt],
                    headers=headers)


@bp.get("/export.<fmt>.manifest.json", endpoint="export_manifest_file_all")
@bp.get("/sites/<site_id>/export.<fmt>.manifest.json")
@roles_required(*READERS)
def export_manifest_file(fmt, site_id=None):
    """Return the manifest of a pinned export: its SHA-256, count, end hashes and checkpoints."""
    try:
        query, fmt, key = _export_query(site_id, fmt)
    except QueryError as error:
        return _refuse(None, error)
    # ?screenshots=1: the manifest lists the banner screenshots of export.screenshots.zip.
    shots = (manifest_entries(exported_screenshots(db.session, query))
             if request.args.get("screenshots") == "1" else None)
    manifest = compute_manifest(db.session, query, fmt, key, verify_workers=1,
                                due_within=checkpoint_due_within(current_app.config),
                                screenshots=shots)
    response = jsonify(manifest)
    response.headers.update(_attachment(f"consent-records-{query.up_to_id}.{fmt}.manifest.json"))
    return response


@bp.get("/export.screenshots.zip", endpoint="export_screenshots_zip_all")
@bp.get("/sites/<site_id>/export.screenshots.zip")
@roles_required(*READERS)
def export_screenshots_zip(site_id=None):
    """Return the zip of the banner screenshots a pinned export's manifest lists (?screenshots=1)."""
    try:
        query, _fmt, _key = _export_query(site_id, "csv")
    except QueryError as error:
        return _refuse(None, error)
    archive = io.BytesIO()
    write_archive(exported_screenshots(db.session, query), archive)
    return Response(archive.getvalue(), mimetype="application/zip",
                    headers=_attachment(f"consent-records-{query.up_to_id}.screenshots.zip"))


def _moved(kind, with_format=True):
    """Check an old-style export URL as before, then send it to its clean URL for good."""
    try:
        _query, fmt, _key = _export_query()
    except QueryError as error:
        return _refuse(None, error)
    # 308 keeps the method and lets scripts (curl -L, requests) follow it as they did the old URL.
    return redirect(export_url(kind, request.args.to_dict(), fmt if with_format else None), 308)


@bp.get("/export")
@roles_required(*READERS)
def export():
    """Send an old /console/export?format=… URL to /console/[sites/<id>/]export.<format>."""
    return _moved("file")


@bp.get("/export/manifest")
@roles_required(*READERS)
def export_manifest():
    """Send an old /console/export/manifest?… URL to …/export.<format>.manifest.json."""
    return _moved("manifest")


@bp.get("/export/screenshots")
@roles_required(*READERS)
def export_screenshots():
    """Send an old /console/export/screenshots?… URL to …/export.screenshots.zip."""
    return _moved("screenshots", with_format=False)
