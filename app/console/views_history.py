"""A site's configuration history and a preview of its banner in any language."""
import yaml
from flask import abort, render_template, request

from app.accounts.models import Role
from app.console.auth import require_proof_reader, roles_required
from app.console.blueprint import bp
from app.extensions import db
from app.security import STATIC_CSP
from app.sites.repository import SiteRepository


def _readable_site(site_id):
    site = SiteRepository(db.session).get(site_id) or abort(404)
    require_proof_reader(site_id)
    return site


def _site_in_language(site_id):
    site = _readable_site(site_id)
    language = request.args.get("language", site.default_language)
    if language not in site.languages:
        abort(404)
    return site, language


@bp.get("/sites/<site_id>/history")
@roles_required(Role.OWNER, Role.AUDITOR)
def history(site_id):
    """List every revision of a site: who, when and which fields changed."""
    site = _readable_site(site_id)
    return render_template("console/history.html", site=site,
                           revisions=SiteRepository(db.session).revisions(site_id))


@bp.get("/sites/<site_id>/history/<int:number>")
@roles_required(Role.OWNER, Role.AUDITOR)
def revision(site_id, number):
    """Show one old revision as the complete site file it stood for."""
    site = _readable_site(site_id)
    found = SiteRepository(db.session).revision(site_id, number) or abort(404)
    text = yaml.safe_dump(found.document, allow_unicode=True, sort_keys=False)
    return render_template("console/revision.html", site=site, revision=found, text=text)


@bp.get("/sites/<site_id>/preview")
@roles_required(Role.OWNER, Role.AUDITOR)
def preview(site_id):
    """Show the banner as visitors see it, in a language chosen from the site's languages."""
    site, language = _site_in_language(site_id)
    return render_template("console/preview.html", site=site, language=language)


@bp.get("/sites/<site_id>/preview/frame")
@roles_required(Role.OWNER, Role.AUDITOR)
def preview_frame(site_id):
    """Render the bare page the preview frames: the site's embed script under <html lang>."""
    site, language = _site_in_language(site_id)
    page = render_template("console/preview_frame.html", site=site, language=language)
    # The banner runs here, and after "Accept all" the site's trackers: sandboxed without
    # allow-same-origin, they run in an opaque origin that holds no console cookie and cannot
    # reach the console page that frames them.
    return page, {"Content-Security-Policy": f"{STATIC_CSP}; sandbox allow-scripts",
                  "Cache-Control": "no-store"}
