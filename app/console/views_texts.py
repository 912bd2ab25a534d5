"""Owners' texts editor: override banner texts per language, previewed before they are saved."""
from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.banner.config import site_text_sets
from app.banner.preview import preview_payload
from app.banner.texts import BANNER_TEXTS
from app.console.auth import roles_required
from app.console.blueprint import bp
from app.console.forms import texts_form
from app.console.problems import describe
from app.console.text_labels import text_parts
from app.console.views_sites import EDIT, save_edit, site_and_document
from app.documents import operator_name
from app.extensions import db
from app.sites.editing import with_texts
from app.sites.files import SiteFileError, parse_site_document
from app.sites.repository import SiteRepository


@bp.route("/sites/<site_id>/texts", methods=["GET", "POST"])
@roles_required(*EDIT)
def texts(site_id):
    """Override any banner text, per language."""
    site, _spec, document = site_and_document(site_id)
    language = _site_language(site)
    form = texts_form(BANNER_TEXTS)
    refused = False
    if form.validate_on_submit():
        if save_edit(site_id, with_texts(document, language, _typed(form)), "site.texts", form):
            return redirect(url_for("console.texts", site_id=site_id, language=language))
        refused = True
    elif not form.is_submitted():
        form.process(data=document.get("texts", {}).get(language, {}))
    operator = operator_name(site, language)
    situations = preview_payload(_text_set(site, site.texts, language))["notices"]
    return render_template("console/texts.html", site=site, form=form, language=language,
                           defaults=_default_texts(operator, language), operator=operator,
                           situations=situations), (422 if refused or form.errors else 200)


@bp.post("/sites/<site_id>/texts/preview")
@roles_required(*EDIT)
def texts_preview(site_id):
    """Return the typed texts as the banner would show them once saved, without saving them."""
    site, _spec, document = site_and_document(site_id)
    language = _site_language(site)
    form = texts_form(BANNER_TEXTS)
    if not form.validate_on_submit():
        field, messages = next(iter(form.errors.items()))
        return _refused(field, messages[0])
    try:
        spec = parse_site_document(with_texts(document, language, _typed(form)), "console")
    except SiteFileError as error:
        field, message = describe(error)
        return _refused(field, message)
    return jsonify(preview_payload(_text_set(site, spec.texts, language)))


def _site_language(site):
    language = request.args.get("language", site.default_language)
    if language not in site.languages:
        abort(404)
    return language


def _typed(form):
    return {key: form[key].data for key in BANNER_TEXTS}


def _text_set(site, overrides, language):
    catalog = SiteRepository(db.session).catalog(site.id, site.catalog_version)
    return site_text_sets(site, catalog, overrides, [language])[language]


def _refused(field, message):
    # A text's field in the form is its key; the site file names it texts.<language>.<key>.
    key = (field or "").rsplit(".", 1)[-1] or None
    return jsonify(error={"code": "invalid_text", "field": key, "message": message}), 422


def _default_texts(operator, language):
    """Return each text's default in language, split around its placeholders."""
    values = {"operator": operator}
    with force_locale(language.replace("-", "_")):
        return {key: text_parts(_(text), values) for key, text in BANNER_TEXTS.items()}
