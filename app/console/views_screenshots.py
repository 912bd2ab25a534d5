"""Screenshots of every banner version: a site's versions page and the PNGs themselves."""
import re
from itertools import groupby

from flask import Response, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Conflict

from app.accounts.models import Role
from app.console.auth import require_proof_reader, roles_required
from app.console.blueprint import bp
from app.evidence.store import ScreenshotStore, intact
from app.extensions import db
from app.sites.repository import SiteRepository

READERS = (Role.AUDITOR, Role.OWNER)
DIGEST = re.compile(r"[0-9a-f]{64}")


@bp.get("/sites/<site_id>/versions")
@roles_required(*READERS)
def banner_versions(site_id):
    """List each banner build of a site with its capture time and both layers per language."""
    site = SiteRepository(db.session).get(site_id) or abort(404)
    require_proof_reader(site_id)
    versions = []
    for build, shots in groupby(sorted(ScreenshotStore(db.session).of_site(site_id),
                                       key=lambda shot: (shot.build, shot.language,
                                                         shot.texts_digest)),
                                key=lambda shot: shot.build):
        # One entry per text set: a language whose texts changed within a build has two.
        text_sets = [list(group) for _key, group in groupby(
            shots, key=lambda shot: (shot.language, shot.texts_digest))]
        versions.append({"build": build, "text_sets": text_sets,
                         "captured_at": min(shot.captured_at for group in text_sets
                                            for shot in group)})
    return render_template("console/versions.html", site=site, versions=versions)


@bp.get("/screenshots/<digest>.png")
@roles_required(*READERS)
def screenshot(digest):
    """Serve a stored screenshot by its SHA-256, only while its bytes still match it."""
    if not DIGEST.fullmatch(digest):
        abort(404)
    rows = [row for row in ScreenshotStore(db.session).with_digest(digest)
            if current_user.can_read_proofs(row.site_id)]
    if not rows:
        abort(404)
    row = rows[0]
    if not intact(row):
        # The console's error handler answers scripts in JSON and people with a page.
        raise Conflict(_("This screenshot was altered in the database: its bytes no longer "
                         "match their SHA-256 %(digest)s, so it is not shown.", digest=digest))
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
               "Content-Disposition": f'inline; filename="{digest}.png"'}
    return Response(row.png, mimetype="image/png", headers=headers)
