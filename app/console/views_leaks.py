"""A site's leak reports: what sampled banners saw escape the gate, per page."""
from flask import abort, render_template
from flask_babel import format_percent
from flask_login import current_user

from app.accounts.models import Role
from app.console.auth import require_proof_reader, roles_required
from app.console.blueprint import bp
from app.extensions import db
from app.leaks.settings import leak_sample
from app.leaks.store import site_leaks
from app.sites.deletion import is_deleted
from app.sites.repository import SiteRepository


@bp.get("/sites/<site_id>/leaks")
@roles_required(Role.OWNER, Role.AUDITOR)
def leaks(site_id):
    """List per page the cookies, storage keys and hosts that escaped the gate, with counts."""
    site = SiteRepository(db.session).get(site_id) or abort(404)
    if is_deleted(site) and not current_user.has_role(Role.AUDITOR):
        abort(404)  # hidden from its owners
    require_proof_reader(site_id)
    return render_template("console/leaks.html", site=site, pages=site_leaks(db.session, site_id),
                           sample=leak_sample(site), percent=format_percent(leak_sample(site)))
