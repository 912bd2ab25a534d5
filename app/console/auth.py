"""Who is asking: session logins, bearer tokens, and the role each console view requires."""
import functools

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.models import User
from app.accounts.service import user_for_token
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
    g.pop("token_login", None)


def wants_json():
    """Tell whether the client is a script (bearer token or JSON accepted) rather than a person."""
    return "Authorization" in request.headers or \
        request.accept_mimetypes.best == "application/json"


def unauthorized():
    """Send people to the login page and tell scripts 401, naming what is missing."""
    if wants_json():
        return jsonify(error={"code": "unauthorized", "field": "Authorization",
                              "message": "log in, or send a valid Authorization: Bearer token"}), 401
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


def console_error(error):
    """Answer console errors as JSON for scripts and as a page for people."""
    if wants_json():
        code = (error.name or "error").lower().replace(" ", "_")
        return jsonify(error={"code": code, "message": error.description, "field": None}), error.code
    return render_template("console/error.html", error=error), error.code


def load_user(user_id):
    """Return the logged-in user kept in the session, if still active."""
    user = db.session.get(User, int(user_id)) if str(user_id).isdigit() else None
    return user if user is not None and user.active else None


def load_user_from_token(req):
    """Return the user of an `Authorization: Bearer` token, for scripted exports."""
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return None
    user = user_for_token(db.session, secret.strip())
    if user is not None:
        g.token_login = True
        db.session.commit()
    return user


def roles_required(*roles):
    """Let a view through only for logged-in users holding one of the roles (admins always)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if g.get("token_login") and request.endpoint not in TOKEN_ENDPOINTS:
                abort(403)
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


#: The only console endpoints a bearer token opens: reading and exporting proofs.
TOKEN_ENDPOINTS = frozenset({"console.export", "console.export_manifest",
                             "console.export_screenshots", "console.search"})
