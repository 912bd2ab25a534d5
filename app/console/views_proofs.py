"""Auditors' pages: search records and read one with its chain position."""
from datetime import UTC, datetime, time, timedelta

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.models import Role
from app.console.auth import require_proof_reader, roles_required, wants_json
from app.console.blueprint import bp
from app.console.export_links import export_links
from app.console.forms import SearchForm, options
from app.evidence.store import ScreenshotStore
from app.extensions import db
from app.ledger.checkpoints import SigningKeyError
from app.ledger.position import record_position
from app.ledger.proof import ReceiptError, read_receipt, receipt_serializer
from app.ledger.record_view import catalog_rows, field_text, pretty_json
from app.ledger.repository import LedgerRepository
from app.ledger.search import RecordQuery, latest_record_id, select_records
from app.signing import signing_key
from app.sites.repository import SiteRepository

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


def _search_form(args=None):
    form = SearchForm(request.args if args is None else args)
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
                           page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           exports=export_links(request.args.to_dict()),
                           args=request.args.to_dict())


def _redirect_pinned(up_to):
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
    site = sites.get(found.site_id)
    rows = catalog_rows(catalog.content, found.content.get("language"),
                        site.default_language if site else None) if catalog else []
    return render_template("console/record.html", record=found, texts=texts, catalog=catalog,
                           catalog_rows=rows, pretty_json=pretty_json, field_text=field_text,
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


