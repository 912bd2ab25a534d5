"""Auditors' pages: search records, read one with its chain position, export, verify."""
from datetime import UTC, datetime, time, timedelta

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.models import Role
from app.console.auth import require_proof_reader, roles_required, wants_json
from app.console.blueprint import bp
from app.console.forms import SearchForm, options
from app.evidence.archive import exported_screenshots, manifest_entries
from app.evidence.store import ScreenshotStore
from app.extensions import db
from app.ledger.audit import coverage_warning, verify_site
from app.ledger.checkpoint_log import linked_digests, verify_checkpoint_log
from app.ledger.checkpointing import checkpoint_due_within
from app.ledger.checkpoints import SigningKeyError, read_digest, stored_payload
from app.ledger.export import FORMATS, MEDIA_TYPES, Export, compute_manifest
from app.ledger.position import record_position
from app.ledger.proof import ReceiptError, read_receipt, receipt_serializer
from app.ledger.repository import LedgerRepository
from app.ledger.search import RecordQuery, latest_record_id, select_records
from app.ledger.timestamps import TimestampError, TimestampReport, check_tokens
from app.signing import signing_key, tsa_verifier
from app.sites.repository import SiteRepository
from app.tables import utc_now

PAGE_SIZE = 50
READERS = (Role.AUDITOR, Role.OWNER)


class QueryError(Exception):
    """A search parameter is unusable; names the field."""

    def __init__(self, field, message, status=400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def _readable_site_ids():
    return [site.id for site in SiteRepository(db.session).list()
            if current_user.can_read_proofs(site.id)]


def _query_from(form, args):
    """Build a record query from a validated search form, limited to the sites the user may read."""
    readable = _readable_site_ids()
    site = form.site.data or ""
    if site and site not in readable:
        raise QueryError("site", _("You may not read the proofs of site %(site)s.", site=site), 403)
    record_id = None
    if form.receipt.data:
        try:
            site_of_receipt, record_id, _hash = read_receipt(
                receipt_serializer(current_app.secret_key), form.receipt.data.strip())
        except ReceiptError:
            raise QueryError("receipt", _("This receipt's signature does not match.")) from None
        if site_of_receipt not in readable:
            raise QueryError("receipt", _("You may not read the proofs of this receipt's site."), 403)
    up_to = args.get("up_to", type=int)
    if up_to is not None and not 0 <= up_to < 2**63:
        raise QueryError("up_to", _("up_to must be a record id."))
    try:
        until = _day_start(form.until.data, 1)
    except OverflowError:
        until = None  # the day after 9999-12-31: every record is before it
    return RecordQuery(
        site_ids=(site,) if site else tuple(readable),
        since=_day_start(form.since.data), until=until,
        event=form.event.data or None, consent_id=(form.consent_id.data or "").strip() or None,
        subject_id=(form.subject_id.data or "").strip() or None, record_id=record_id,
        up_to_id=up_to)


def _day_start(day, plus=0):
    return datetime.combine(day + timedelta(days=plus), time(), UTC) if day else None


def _search_form():
    form = SearchForm(request.args)
    form.site.choices = options([("", _("All my sites"))] + [(s, s) for s in _readable_site_ids()])
    return form


@bp.get("/records")
@roles_required(*READERS)
def search():
    """Find records by site, time range, event, consent id, subject id or receipt."""
    form = _search_form()
    if not request.args:
        return render_template("console/search.html", form=form, records=None)
    try:
        if not form.validate():
            raise QueryError(*next(iter((name, errors[0]) for name, errors in form.errors.items())))
        query = _query_from(form, request.args)
    except QueryError as error:
        return _refuse(form, error)
    if query.up_to_id is None:
        # Pin the result to what exists now, so paging and exports show the same records; the
        # chains' heads are signed first, so every record of the snapshot is covered.
        return _redirect_pinned(latest_record_id(db.session, sign_with=_private_key(),
                                                 site_ids=query.site_ids))
    page = max(request.args.get("page", 1, type=int), 1)
    statement = select_records(query)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    records = db.session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if wants_json():
        return jsonify(total=total, page=page, records=[_summary(r) for r in records])
    return render_template("console/search.html", form=form, records=records, total=total,
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), formats=FORMATS,
                           args=request.args.to_dict())


def _redirect_pinned(up_to):
    from flask import redirect

    args = {**request.args.to_dict(), "up_to": up_to}
    return redirect(url_for(request.endpoint, **args))


def _refuse(form, error):
    code = "forbidden" if error.status == 403 else "invalid_field"
    if wants_json() or request.endpoint != "console.search":
        return jsonify(error={"code": code, "message": error.message,
                              "field": error.field}), error.status
    field = getattr(form, error.field, None)
    if field is None:  # a parameter of the pinned link (up_to), not a field of the form
        field = form.site
    field.errors = [error.message]
    return render_template("console/search.html", form=form, records=None), error.status


def _summary(record):
    return {"record_id": record.record_id, "site": record.site_id, "seq": record.seq,
            "event": record.event, "server_time": record.content["server_time"],
            "consent_id": record.consent_id, "subject_id": record.subject_id}


@bp.get("/records/<record_id>")
@roles_required(*READERS)
def record(record_id):
    """Show every field of a record, the exact texts shown, its catalog and chain position."""
    ledger = LedgerRepository(db.session)
    found = ledger.by_record_id(record_id) or abort(404)
    require_proof_reader(found.site_id)
    sites = SiteRepository(db.session)
    catalog = sites.catalog(found.site_id, found.content.get("catalog_version"))
    texts = ledger.text_set(found.content.get("texts_digest", ""))
    position = record_position(db.session, found, _public_key())
    # The banner this record was given with: its build, in the texts (the language) it showed.
    shots = ScreenshotStore(db.session).of_text_set(
        found.site_id, found.content.get("banner_build", ""), found.content.get("texts_digest", ""))
    return render_template("console/record.html", record=found, texts=texts, catalog=catalog,
                           position=position, screenshots=shots,
                           history=ledger.history(found.site_id, found.subject_id))


def _private_key():
    try:
        return signing_key(current_app)
    except SigningKeyError:
        return None


def _public_key():
    key = _private_key()
    return key.public_key() if key else None


def _export_query():
    form = _search_form()
    if not form.validate():
        raise QueryError(*next(iter((name, errors[0]) for name, errors in form.errors.items())))
    query = _query_from(form, request.args)
    if query.up_to_id is None:
        raise QueryError("up_to", _("Give up_to, the last record id of the snapshot to export."))
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise QueryError("format", _("format must be one of %(formats)s.", formats=", ".join(FORMATS)))
    key = _private_key()
    if key is None:
        raise QueryError(None, _("This service has no ledger signing key, so its exports cannot "
                                 "be signed."), 503)
    return query, fmt, key


@bp.get("/export")
@roles_required(*READERS)
def export():
    """Stream the records of a pinned search as CSV, JSON or NDJSON."""
    try:
        query, fmt, key = _export_query()
    except QueryError as error:
        return _refuse(None, error)
    # One verifying pass in this worker: a web worker must not fork verifying processes.
    stream = Export(db.session, query, fmt, key, verify_workers=1,
                    due_within=checkpoint_due_within(current_app.config))
    name = f"consent-records-{query.up_to_id}.{fmt}"
    manifest_url = url_for("console.export_manifest", **request.args.to_dict())
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "Link": f'<{manifest_url}>; rel="describedby"', "Cache-Control": "no-store"}
    # The rows are read while streaming, so the request (and its session) must stay open.
    return Response(stream_with_context(stream.chunks()), mimetype=MEDIA_TYPES[fmt], headers=headers)


@bp.get("/export/manifest")
@roles_required(*READERS)
def export_manifest():
    """Return the manifest of a pinned export: its SHA-256, count, end hashes and checkpoints."""
    try:
        query, fmt, key = _export_query()
    except QueryError as error:
        return _refuse(None, error)
    # ?screenshots=1: the manifest lists the banner screenshots of /console/export/screenshots.
    shots = (manifest_entries(exported_screenshots(db.session, query))
             if request.args.get("screenshots") == "1" else None)
    manifest = compute_manifest(db.session, query, fmt, key, verify_workers=1,
                                due_within=checkpoint_due_within(current_app.config),
                                screenshots=shots)
    name = f"consent-records-{query.up_to_id}.{fmt}.manifest.json"
    response = jsonify(manifest)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/integrity")
@roles_required(Role.AUDITOR)
def integrity():
    """Verify the chain of every site the user may read and show each verdict.

    ?anchor= is a checkpoint digest the auditor kept earlier: the log must still hold it.
    """
    typed = request.args.get("anchor", "")
    anchor = read_digest(typed) if typed.strip() else ""
    if anchor is None:
        return render_template("console/integrity.html", anchor=typed.strip(), anchor_error=_(
            "That is not a checkpoint digest (64 hexadecimal characters).")), 400
    ledger = LedgerRepository(db.session)
    key = _public_key()
    url = db.engine.url.render_as_string(hide_password=False)
    # One pass in this worker: a web worker must not fork verifying processes.
    site_ids = [site_id for site_id in ledger.site_ids() if current_user.can_read_proofs(site_id)]
    verdicts = [verify_site(db.session, url, site_id, key, workers=1) for site_id in site_ids]
    due, now = checkpoint_due_within(current_app.config), utc_now()
    warnings = {verdict.site_id: coverage_warning(db.session, verdict.site_id, due, now)
                for verdict in verdicts if verdict.ok}
    log = ledger.checkpoint_log()
    log_problem = verify_checkpoint_log(log, key, [anchor] if anchor else ())
    latest = (linked_digests(log) or [None])[-1]
    shots_checked, altered = ScreenshotStore(db.session).check(site_ids)
    return render_template("console/integrity.html", verdicts=verdicts, key_known=key is not None,
                           log_problem=log_problem, latest=latest, anchor=anchor,
                           timestamps=_timestamps(log), warnings=warnings,
                           shots_checked=shots_checked, altered_shots=altered)


def _timestamps(log):
    """Check the checkpoints' time-stamp tokens when a TSA is configured; None otherwise."""
    config = current_app.config
    if not config["TSA_URL"]:
        return None
    try:
        verifier = tsa_verifier(current_app)
    except TimestampError as error:
        return TimestampReport(0, 0, str(error))
    return check_tokens(log, stored_payload, verifier, datetime.now(UTC),
                        timedelta(seconds=config["TSA_GRACE"]),
                        timedelta(seconds=config["TSA_MAX_DELAY"]))
