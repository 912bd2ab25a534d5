"""Admins create a site in four short steps, ending on its embed code.

The answers of earlier steps travel in a hidden field signed with the service's secret, so no
server state is left behind by a wizard given up half-way, and no one can slip in a draft the
steps did not check. The last step publishes the site as `flask sites import` would.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from app.accounts.models import Role
from app.accounts.service import audit
from app.console.auth import roles_required
from app.console.blueprint import bp
from app.console.forms import CATEGORY_LABELS, STORAGE_CHOICES, option_label
from app.console.problems import describe, form_field
from app.console.views_sites import show_problem
from app.console.wizard_forms import FIELD_ALIASES, STEP_FORMS, step_part
from app.embed import embed_snippet
from app.extensions import db
from app.publishing import publish_site
from app.sites.files import SiteFileError, parse_site_document
from app.sites.repository import SiteRepository
from app.sites.wizard import (
    STEPS,
    check_draft,
    merged,
    site_document,
    template_catalog,
    template_choices,
)

DRAFT_SALT = "console.site-wizard"


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=DRAFT_SALT)


def _read_draft(signed):
    try:
        draft = _serializer().loads(signed or "")
    except BadSignature:
        abort(400, description=_("The wizard's draft was altered or lost; start again."))
    if not isinstance(draft, dict):
        abort(400, description=_("The wizard's draft was altered or lost; start again."))
    return draft


@bp.route("/sites/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def site_wizard():
    """Ask for a new site step by step; publish it after the last step."""
    if request.method == "GET":
        return _render("identity", {})
    step = request.form.get("step", "")
    if step not in STEPS:
        abort(400, description=_("Unknown wizard step."))
    draft = _read_draft(request.form.get("draft"))
    form = STEP_FORMS[step]()
    if step == "catalog":
        form["items"].choices = _item_choices(draft)
    if not form.validate_on_submit():
        return _render(step, draft, form, 422)
    if step == "catalog":
        return _publish(draft, form)
    draft = merged(draft, step_part(step, form))
    if not _step_is_valid(step, draft, form):
        return _render(step, draft, form, 422)
    following = STEPS[STEPS.index(step) + 1]
    return _render(following, draft)


def _step_is_valid(step, draft, form):
    if step == "identity" and SiteRepository(db.session).get(draft["id"]) is not None:
        # Deleted sites keep their id: their records still name it.
        form.site_id.errors.append(_("A site with this id exists (deleted sites keep theirs)."))
        return False
    try:
        check_draft(draft)
    except SiteFileError as error:
        path, message = describe(error)
        field = form_field(FIELD_ALIASES.get(path, path), form._fields)
        if field is None:
            show_problem(error)
        else:
            form[field].errors.append(message)
        return False
    return True


def _publish(draft, form):
    if SiteRepository(db.session).get(draft["id"]) is not None:
        # Created (or deleted) by someone else since the first step: never save over it.
        flash(_("A site with this id exists (deleted sites keep theirs)."), "error")
        return _render("catalog", draft, form, 409)
    default = draft["default_language"]
    catalog = template_catalog(draft.get("trackers"), set(form["items"].data),
                               lambda message: _purpose(message, draft["languages"], default))
    document = site_document(draft, catalog)
    try:
        spec = parse_site_document(document, "console")
    except SiteFileError as error:
        show_problem(error)
        return _render("catalog", draft, form, 422)
    outcome = publish_site(db.session, spec, author=current_user.email)
    audit(db.session, current_user.email, "site.create", spec.id,
          catalog_version=outcome.catalog_version)
    db.session.commit()
    return redirect(url_for("console.site_created", site_id=spec.id))


def _purpose(message, languages, default):
    """Return a template purpose in every site language the console is translated into."""
    texts = {}
    for language in dict.fromkeys([default, *languages]):
        if language == default or language in ("en", "ru"):
            with force_locale(language.replace("-", "_")):
                texts[language] = _(message)
    return texts if len(texts) > 1 else texts[default]


def _item_choices(draft):
    return [(key, key) for key, _tracker, _item in template_choices(draft.get("trackers"))]


def _render(step, draft, form=None, status=200):
    if form is None:
        form = STEP_FORMS[step](formdata=None)
        if step == "catalog":
            form["items"].choices = _item_choices(draft)
            form["items"].data = [key for key, _label in form["items"].choices]
    form.step.data, form.draft.data = step, _serializer().dumps(draft)
    templates = [(key, tracker, item, option_label(STORAGE_CHOICES, item["storage"]),
                  CATEGORY_LABELS[tracker.default_category])
                 for key, tracker, item in template_choices(draft.get("trackers"))]
    page = render_template("console/wizard.html", step=step, steps=STEPS, form=form,
                           draft=draft, templates=templates)
    return page, status


@bp.get("/sites/<site_id>/created")
@roles_required(Role.ADMIN)
def site_created(site_id):
    """Show a new site's embed code, the wizard's last page."""
    site = SiteRepository(db.session).get(site_id) or abort(404)
    return render_template("console/site_created.html", site=site,
                           snippet=embed_snippet(request.host_url, site_id))
