"""Who is asking: session logins, bearer tokens, and the role each console view requires."""
import functools
import hmac

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.models import User
from app.accounts.service import TokenExpired, token_for_secret
from app.extensions import db, login_manager


def init_app(app):
    """Bind Flask-Login: sessions for people, bearer tokens for scripts."""
    login_manager.init_app(app)
    login_manager.login_view = "console.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_token)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(forget_previous_user)
    app.session_interface = ConsoleSessionInterface()


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Only the console has sessions: public scripts and the API never vary by cookie."""

    def save_session(self, app, session, response):
        # Flask-Login peeks into the session on every response, which would add Vary: Cookie
        # to the banner script and make shared caches keep one copy per visitor.
        if request.blueprint != "console" and not session and not session.modified:
            session.accessed = False
        super().save_session(app, session, response)


def forget_previous_user():
    """Decide who is asking afresh on every request, even when requests share an app context."""
    g.pop("_login_user", None)
    g.pop("token_refusal", None)


def wants_json():
    """Tell whether the client is a script (bearer token or JSON accepted) rather than a person."""
    return "Authorization" in request.headers or \
        request.accept_mimetypes.best == "application/json"


def unauthorized():
    """Send people to the login page and tell scripts 401 (or 403 for a token), naming the field."""
    if wants_json():
        status, message = g.get("token_refusal") or (
            401, "log in, or send a valid Authorization: Bearer token")
        code = "forbidden" if status == 403 else "unauthorized"
        return jsonify(error={"code": code, "field": "Authorization", "message": message}), status
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


def console_error(error):
    """Answer console errors as JSON for scripts and as a page for people."""
    if wants_json():
        code = (error.name or "error").lower().replace(" ", "_")
        return jsonify(error={"code": code, "message": error.description, "field": None}), error.code
    return render_template("console/error.html", error=error), error.code


def load_user(session_id):
    """Return the active user of a session id ("<id>:<session token>") if its token is current."""
    user_id, _, token = str(session_id).partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not user.session_token or not token:
        return None
    # A logout, a password change or a deactivation replaced the token: older sessions end here.
    if not hmac.compare_digest(token.encode(), user.session_token.encode()):
        return None
    return user


def load_user_from_token(req):
    """Return the user of an `Authorization: Bearer` token, on the endpoints its scope opens."""
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return None
    try:
        token = token_for_secret(db.session, secret.strip())
    except TokenExpired as expired:
        g.token_refusal = (401, f"{expired}; create a new token on the Account page")
        return None
    if token is None:
        return None
    if req.endpoint not in SCOPE_ENDPOINTS.get(token.scope, frozenset()):
        g.token_refusal = (403, f"a token of scope {token.scope!r} opens only the proof search"
                                " and exports; log in to use this page")
        return None
    db.session.commit()
    return token.user


def roles_required(*roles):
    """Let a view through only for logged-in users holding one of the roles (admins always)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def require_site_manager(site_id):
    """Abort with 403 unless the current user may change this site."""
    if not current_user.can_manage(site_id):
        abort(403)


def require_proof_reader(site_id):
    """Abort with 403 unless the current user may read this site's proofs."""
    if not current_user.can_read_proofs(site_id):
        abort(403)


#: The only console endpoints a bearer token opens: reading and exporting proofs (the clean
#: export paths, and the old /console/export… URLs that redirect to them).
TOKEN_ENDPOINTS = frozenset({"console.search", "console.export_file", "console.export_file_all",
                             "console.export_manifest_file", "console.export_manifest_file_all",
                             "console.export_screenshots_zip",
                             "console.export_screenshots_zip_all", "console.export",
                             "console.export_manifest", "console.export_screenshots"})
#: The endpoints each token scope opens; every other page refuses bearer tokens.
SCOPE_ENDPOINTS = {"export": TOKEN_ENDPOINTS}
