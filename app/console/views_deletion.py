"""Admins delete a site: its banner and intake stop, its proofs stay for auditors."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.service import audit
from app.console.auth import roles_required
from app.console.blueprint import bp
from app.console.forms import DeleteSiteForm
from app.extensions import db
from app.sites.deletion import DeletionRefused, delete_site, is_deleted
from app.sites.repository import SiteRepository


@bp.route("/sites/<site_id>/delete", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def site_delete(site_id):
    """Ask for the site id, then mark the site deleted and write it to the audit log."""
    site = SiteRepository(db.session).get(site_id) or abort(404)
    if is_deleted(site):
        abort(410, description=_("This site was deleted."))
    form = DeleteSiteForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("console/site_delete.html", site=site, form=form), status
    try:
        delete_site(site, form.confirmation.data, current_user.email)
    except DeletionRefused:
        form.confirmation.errors.append(
            _("Type the site id %(site)s exactly to confirm.", site=site.id))
        return render_template("console/site_delete.html", site=site, form=form), 422
    audit(db.session, current_user.email, "site.delete", site.id)
    db.session.commit()
    flash(_("Site %(site)s deleted. Its banner and intake have stopped; its records stay "
            "verifiable and exportable by auditors.", site=site.id))
    return redirect(url_for("console.dashboard"))
