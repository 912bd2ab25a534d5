"""Owners' pages: a site's settings, catalog, site file upload, history and preview."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.service import audit
from app.console.auth import require_proof_reader, require_site_manager, roles_required
from app.console.blueprint import bp
from app.console.forms import (
    CATEGORY_LABELS,
    MATCH_CHOICES,
    SETTINGS_FIELDSETS,
    STORAGE_CHOICES,
    CatalogItemForm,
    ConfirmForm,
    SiteSettingsForm,
    UploadForm,
    option_label,
)
from app.console.problems import describe, form_field
from app.console.site_forms import settings_from_form, settings_to_form
from app.embed import embed_snippet, service_origin
from app.extensions import db
from app.leaks.store import leak_findings, site_leaks
from app.publishing import publish_site
from app.sites.check import check_site
from app.sites.csp import csp_lines, site_csp
from app.sites.deletion import is_deleted
from app.sites.duties import owner_duties
from app.sites.editing import (
    catalog_item,
    with_catalog_item,
    with_document_text,
    with_settings,
    without_catalog_item,
)
from app.sites.files import SiteFileError, parse_site_document, read_site_upload
from app.sites.history import site_document
from app.sites.repository import SiteRepository, site_spec
from app.sites.trackers import TRACKERS, enabled_trackers, held_back_trackers

EDIT = (Role.OWNER,)


def site_and_document(site_id):
    """Return a site the user manages, its spec and its site document (404, 403 otherwise)."""
    repository = SiteRepository(db.session)
    site = repository.get(site_id)
    if site is None:
        abort(404)
    require_site_manager(site_id)
    if is_deleted(site):
        abort(410, description=_("This site was deleted; its records stay readable."))
    spec = site_spec(site, repository.catalog(site_id, site.catalog_version))
    return site, spec, site_document(spec)


def save_edit(site_id, document, action, form=None, source="console", **details):
    """Validate and store an edited document; return the outcome, or None after showing the error."""
    try:
        spec = parse_site_document(document, source)
    except SiteFileError as error:
        show_problem(error, form)
        return None
    if spec.id != site_id:
        flash(_("Not saved: id: the file describes site %(other)s, not %(site)s",
                other=spec.id, site=site_id), "error")
        return None
    outcome = publish_site(db.session, spec, author=current_user.email)
    audit(db.session, current_user.email, action, site_id, catalog_version=outcome.catalog_version,
          **details)
    db.session.commit()
    flash(_("Saved. Visitors now see catalog version %(version)d.",
            version=outcome.catalog_version))
    return outcome


def show_problem(error, form=None):
    """Put a site's validation problem at its form field, translated, and flash it."""
    path, message = describe(error)
    field = form_field(path, getattr(form, "_fields", {}))
    if field is not None:
        form[field].errors.append(message)
    where = [part for part in (error.path if error.path != "console" else None, path) if part]
    flash(_("Not saved: %(message)s", message=": ".join([*where, message])), "error")


def save_document(site_id, document, key, language, text):
    """Store an uploaded legal text as the current version of its kind; return the outcome."""
    edited = with_document_text(document, key, language, text)
    return save_edit(site_id, edited, "site.document", document_key=key, language=language,
                 version=edited[key]["version"])


@bp.get("/sites/<site_id>")
@roles_required(Role.OWNER, Role.AUDITOR)
def site_overview(site_id):
    """Show a site's summary, its trackers, the catalog check, its embed snippet and CSP."""
    repository = SiteRepository(db.session)
    site = repository.get(site_id) or abort(404)
    if is_deleted(site) and not current_user.has_role(Role.AUDITOR):
        abort(404)  # hidden from its owners
    require_proof_reader(site_id)
    spec = site_spec(site, repository.catalog(site_id, site.catalog_version))
    held = held_back_trackers(site)
    trackers = [(TRACKERS[name], tracker_id, name in held)
                for name, tracker_id in enabled_trackers(site.trackers)]
    return render_template("console/site.html", site=site, trackers=trackers,
                           findings=[*check_site(spec),
                                     *leak_findings(site_leaks(db.session, site_id))],
                           duties=owner_duties(site.regime),
                           snippet=embed_snippet(request.host_url, site_id),
                           csp="\n".join(csp_lines(site_csp(site, service_origin(request.host_url)))),
                           can_manage=current_user.can_manage(site_id) and not is_deleted(site))


@bp.route("/sites/<site_id>/settings", methods=["GET", "POST"])
@roles_required(*EDIT)
def site_settings(site_id):
    """Edit origins, languages, trackers, lifetimes, regime and documents."""
    site, _spec, document = site_and_document(site_id)
    form = SiteSettingsForm()
    if form.validate_on_submit():
        edited = with_settings(document, settings_from_form(form))
        if save_edit(site_id, edited, "site.settings", form):
            return redirect(url_for("console.site_settings", site_id=site_id))
        return render_template("console/settings.html", site=site, form=form,
                               fieldsets=SETTINGS_FIELDSETS), 422
    if not form.is_submitted():
        settings_to_form(form, document)
    status = 422 if form.errors else 200
    return render_template("console/settings.html", site=site, form=form,
                               fieldsets=SETTINGS_FIELDSETS), status


@bp.get("/sites/<site_id>/catalog")
@roles_required(*EDIT)
def catalog(site_id):
    """List the catalog item by item, with the catalog check's warnings."""
    site, spec, document = site_and_document(site_id)
    return render_template("console/catalog.html", site=site, catalog=document["catalog"],
                           findings=check_site(spec), category_labels=CATEGORY_LABELS,
                           match_label=lambda value: option_label(MATCH_CHOICES, value),
                           storage_label=lambda value: option_label(STORAGE_CHOICES, value),
                           default_language=document["default_language"])


@bp.route("/sites/<site_id>/catalog/new", methods=["GET", "POST"], defaults={"category": None,
                                                                            "index": None})
@bp.route("/sites/<site_id>/catalog/<category>/<int:index>", methods=["GET", "POST"])
@roles_required(*EDIT)
def catalog_item_edit(site_id, category, index):
    """Add or change one catalog item."""
    site, _spec, document = site_and_document(site_id)
    items = document["catalog"].get(category) if category else None
    if category and (not items or index >= len(items)):
        abort(404)
    form = CatalogItemForm()
    if form.validate_on_submit():
        moved = category is not None and form.category.data != category
        base = without_catalog_item(document, category, index) if moved else document
        edited = with_catalog_item(base, form.category.data, None if moved else index,
                                   _item_values(form), document["default_language"])
        if save_edit(site_id, edited, "catalog.item", form):
            return redirect(url_for("console.catalog", site_id=site_id))
        return _item_page(site, form, category, index, 422)
    if category and not form.is_submitted():
        form.process(data={"category": category, **catalog_item(document, category, index)})
    return _item_page(site, form, category, index, 422 if form.errors else 200)


def _item_page(site, form, category, index, status):
    # Delete sits apart from Save, in a form of its own, only for an item that exists.
    return render_template("console/catalog_item.html", site=site, form=form, category=category,
                           index=index, delete_form=ConfirmForm(prefix="delete")), status


def _item_values(form):
    return {name: (form[name].data or "").strip() for name in
            ("name", "match", "storage", "provider", "purpose", "lifetime", "domain")}


@bp.post("/sites/<site_id>/catalog/<category>/<int:index>/delete")
@roles_required(*EDIT)
def catalog_item_delete(site_id, category, index):
    """Remove one catalog item."""
    _site, _spec, document = site_and_document(site_id)
    if not ConfirmForm(prefix="delete").validate_on_submit():
        abort(400)
    if index >= len(document["catalog"].get(category) or []):
        abort(404)
    save_edit(site_id, without_catalog_item(document, category, index), "catalog.delete")
    return redirect(url_for("console.catalog", site_id=site_id))


@bp.route("/sites/<site_id>/upload", methods=["GET", "POST"])
@roles_required(*EDIT)
def upload(site_id):
    """Replace the site's whole configuration with an uploaded site file."""
    site, _spec, _document = site_and_document(site_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload_file = form.site_file.data
        try:
            document = read_site_upload(upload_file.filename, upload_file.read())
        except SiteFileError as error:
            show_problem(error)
            return render_template("console/upload.html", site=site, form=form), 422
        if save_edit(site_id, document, "site.upload", source=upload_file.filename):
            return redirect(url_for("console.catalog", site_id=site_id))
    status = 422 if form.is_submitted() else 200
    return render_template("console/upload.html", site=site, form=form), status
