"""Owners' page of a site's legal texts: what is stored, and an upload of a new text."""
from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from app.console.auth import roles_required
from app.console.blueprint import bp
from app.console.forms import DocumentUploadForm
from app.console.views_sites import EDIT, save_document, site_and_document
from app.extensions import db
from app.sites.document_store import DocumentStore
from app.sites.documents import KEYS, site_documents
from app.sites.repository import SiteRepository
from app.sites.schema import MAX_DOCUMENT_BYTES

KIND_OF_KEY = {key: kind for kind, key in KEYS.items()}


@bp.route("/sites/<site_id>/documents", methods=["GET", "POST"])
@roles_required(*EDIT)
def documents(site_id):
    """List the site's legal texts; store an uploaded one as the current version."""
    site, _spec, document = site_and_document(site_id)
    form = DocumentUploadForm()
    form.language.choices = [(language, language) for language in site.languages]
    if form.validate_on_submit():
        text, problem = _read_upload(form.text_file.data)
        if problem:
            form.text_file.errors.append(problem)
        elif save_document(site_id, document, form.kind.data, form.language.data, text):
            return redirect(url_for("console.documents", site_id=site_id))
    status = 422 if form.is_submitted() else 200
    return render_template("console/documents.html", site=site, form=form,
                           current=_current(site)), status


def _read_upload(upload):
    with upload.stream as stream:
        raw = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        return None, _("The file is larger than %(limit)d bytes.", limit=MAX_DOCUMENT_BYTES)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None, _("The file is not UTF-8 text.")
    return (text, None) if text else (None, _("The file is empty."))


def _current(site):
    repository = SiteRepository(db.session)
    texts = site_documents(site, repository.catalog(site.id, site.catalog_version))
    store = DocumentStore(db.session)
    return [(kind, legal_text, store.get(legal_text.digest, site.id) is not None)
            for kind, by_language in texts.items() for legal_text in by_language.values()]
