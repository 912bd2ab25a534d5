"""Owners' scans: start one (a worker runs it), watch it, read it, adopt its suggestions, compare."""
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.service import audit
from app.console.auth import roles_required, wants_json
from app.console.blueprint import bp
from app.console.scan_forms import AddSuggestionsForm, ScanStartForm
from app.console.views_sites import EDIT, save_edit, site_and_document
from app.extensions import db
from app.scan_worker import scanner_missing, wake
from app.scanner import jobs
from app.scanner.adopt import BadChoice, addable, with_suggestions
from app.scanner.diff import diff_scans
from app.scanner.service import default_start_urls
from app.scanner.store import list_scans, scan_document_of
from app.scanner.tables import ScanJob


@bp.app_template_global()
def status_label(status):
    """Return a scan job's status in the console's language."""
    return {jobs.QUEUED: _("queued"), jobs.RUNNING: _("running"), jobs.DONE: _("done"),
            jobs.FAILED: _("failed")}.get(status, status)


@bp.get("/sites/<site_id>/scans")
@roles_required(*EDIT)
def scans(site_id):
    """Show the start form, the latest scan jobs and the stored scans."""
    site, _spec, _document = site_and_document(site_id)
    return _scans_page(site, ScanStartForm(site.origins), 200)


def _scans_page(site, form, status, missing=None):
    return render_template(
        "console/scans.html", site=site, form=form,
        missing=missing or scanner_missing(current_app),
        jobs=[jobs.job_status(job) for job in jobs.site_jobs(db.session, site.id)],
        scans=list_scans(db.session, site.id, 20)), status


@bp.post("/sites/<site_id>/scans")
@roles_required(*EDIT)
def scan_start(site_id):
    """Queue a scan of the site and wake a worker; answer at once, never after the crawl."""
    site, _spec, _document = site_and_document(site_id)
    form = ScanStartForm(site.origins)
    if not form.validate_on_submit():
        name, messages = next(iter(form.errors.items()))
        message = messages[0] if isinstance(messages, list) else str(messages)
        if wants_json():
            return jsonify(error={"code": "invalid", "field": name, "message": message}), 422
        return _scans_page(site, form, 422)
    missing = scanner_missing(current_app)
    if missing:
        # Nothing could ever run the job: say so instead of leaving it queued.
        return _refused(site, form, 503, "scanner_missing", missing)
    start = (form.url.data,) if form.url.data else default_start_urls(site)
    try:
        job = jobs.queue_job(db.session, site_id, current_user.email,
                             jobs.JobOptions(start, form.pages.data))
    except jobs.ScanUnderWay:
        return _refused(site, form, 409, "scan_under_way",
                        _("A scan of this site is already queued or running."))
    audit(db.session, current_user.email, "site.scan.start", site_id, job=job.id,
          pages=form.pages.data, start=list(start))
    db.session.commit()
    wake(current_app._get_current_object())
    status_url = url_for("console.scan_job_status", site_id=site_id, job_id=job.id)
    if wants_json():
        return jsonify(job=jobs.job_status(job), status_url=status_url), 202
    return redirect(url_for("console.scan_job", site_id=site_id, job_id=job.id))


def _refused(site, form, status, code, message):
    if wants_json():
        return jsonify(error={"code": code, "field": None, "message": message}), status
    flash(message, "error")
    return _scans_page(site, form, status, missing=message if code == "scanner_missing" else None)


def _job(site_id, job_id):
    # A worker thread changes the row: read it afresh, not from this session's identity map.
    job = db.session.get(ScanJob, job_id, populate_existing=True)
    if job is None or job.site_id != site_id:
        abort(404)
    return job


@bp.get("/sites/<site_id>/scans/jobs/<int:job_id>")
@roles_required(*EDIT)
def scan_job(site_id, job_id):
    """Show a job's progress (the page refreshes itself while it runs), then a link to its scan."""
    site, _spec, _document = site_and_document(site_id)
    return render_template("console/scan_job.html", site=site, job=_watched(site_id, job_id))


@bp.get("/sites/<site_id>/scans/jobs/<int:job_id>.json")
@roles_required(*EDIT)
def scan_job_status(site_id, job_id):
    """Return a job's status, progress, error and scan as JSON."""
    site_and_document(site_id)
    return jsonify(_watched(site_id, job_id))


def _watched(site_id, job_id):
    status = jobs.job_status(_job(site_id, job_id))
    # A job left queued (its node restarted before a worker took it) starts once someone
    # watches it, on this node.
    if status["status"] == jobs.QUEUED:
        wake(current_app._get_current_object())
    return status


def _scan(site_id, scan_id):
    document = scan_document_of(db.session, scan_id)
    if document is None or document["site_id"] != site_id:
        abort(404)
    return document


@bp.get("/sites/<site_id>/scans/<int:scan_id>")
@roles_required(*EDIT)
def scan_result(site_id, scan_id):
    """Show a stored scan: what each pass saw, every finding and its suggested catalog item."""
    site, spec, _document = site_and_document(site_id)
    document = _scan(site_id, scan_id)
    return render_template("console/scan.html", site=site, scan_id=scan_id, document=document,
                           addable=set(addable(document, spec.catalog)),
                           form=AddSuggestionsForm(),
                           pass_labels={"none": _("no choice"), "reject": _("Reject all"),
                                        "accept": _("Accept all")})


@bp.post("/sites/<site_id>/scans/<int:scan_id>/add")
@roles_required(*EDIT)
def scan_add(site_id, scan_id):
    """Add the chosen findings' suggested items to the catalog: a new catalog version."""
    _site, spec, document = site_and_document(site_id)
    scan = _scan(site_id, scan_id)
    if not AddSuggestionsForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    chosen = request.form.getlist("finding") or request.form.getlist("selected")
    if not chosen or not all(value.isdigit() for value in chosen):
        abort(422, description=_("finding: choose at least one finding to add."))
    indexes = [int(value) for value in chosen]
    purposes = {index: request.form.get(f"purpose-{index}", "") for index in indexes}
    try:
        edited, names = with_suggestions(document, spec.catalog, scan, indexes, purposes)
    except BadChoice as error:
        abort(422, description=str(error))
    save_edit(site_id, edited, "catalog.scan_suggestion", scan=scan_id, items=names)
    return redirect(url_for("console.scan_result", site_id=site_id, scan_id=scan_id))


@bp.get("/sites/<site_id>/scans/compare")
@roles_required(*EDIT)
def scan_compare(site_id):
    """Compare the site's last two scans: new, gone and changed findings of every kind."""
    site, _spec, _document = site_and_document(site_id)
    latest = list_scans(db.session, site_id, 2)
    if len(latest) < 2:
        return render_template("console/scan_compare.html", site=site, kinds=None, latest=latest)
    newer, older = latest
    kinds = diff_scans(scan_document_of(db.session, older.id),
                       scan_document_of(db.session, newer.id))
    return render_template("console/scan_compare.html", site=site, kinds=kinds, older=older,
                           newer=newer, latest=latest)
