"""Log in, log out, the dashboard and the user's own account (language, password, API tokens)."""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.accounts.models import ApiToken, Role
from app.accounts.service import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    audit,
    authenticate,
    change_password,
    end_sessions,
    issue_token,
    revoke_token,
)
from app.console.auth import console_error
from app.console.blueprint import bp
from app.console.forms import (
    ConfirmForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    PasswordForm,
    TokenForm,
)
from app.console.limits import login_wait_seconds
from app.embed import service_base
from app.extensions import db
from app.sites.repository import SiteRepository


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in and send them where they were going."""
    form = LoginForm()
    if form.validate_on_submit():
        wait = login_wait_seconds(request.remote_addr, form.email.data)
        if wait:
            form.email.errors.append(_("Too many attempts; try again in %(seconds)d seconds.",
                                       seconds=wait))
            return render_template("console/login.html", form=form), 429
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
            return render_template("console/login.html", form=form), 401
        login_user(user)
        audit(db.session, user.email, "login")
        db.session.commit()
        return redirect(safe_next(request.args.get("next")))
    status = 400 if form.is_submitted() else 200
    return render_template("console/login.html", form=form), status


def safe_next(target):
    """Return target when it is a path inside the console, else the dashboard (no open redirect)."""
    if target and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/console/"):
            return target
    return url_for("console.dashboard")


@bp.post("/logout")
@login_required
def logout():
    """End every session of the user, this one included (a copied cookie dies with it)."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    end_sessions(current_user)
    audit(db.session, current_user.email, "logout")
    db.session.commit()
    logout_user()
    return redirect(url_for("console.login"))


@bp.get("/")
@login_required
def dashboard():
    """List the sites the user may see, with links to what the role allows."""
    sites = SiteRepository(db.session).list()
    # A deleted site stays listed for those who audit its records, never for its owners.
    visible = [site for site in sites if current_user.can_read_proofs(site.id) and (
        site.deleted_at is None or current_user.has_role(Role.AUDITOR))]
    return render_template("console/dashboard.html", sites=visible)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Change the console language and manage personal API tokens."""
    language_form, token_form = LanguageForm(prefix="lang"), TokenForm(prefix="token")
    if language_form.submit.data and language_form.validate_on_submit():
        current_user.language = language_form.language.data or None
        audit(db.session, current_user.email, "account.language", current_user.email,
              language=current_user.language)
        db.session.commit()
        return redirect(url_for("console.account"))
    new_secret = None
    if token_form.submit.data and token_form.validate_on_submit():
        issued = issue_token(db.session, current_user, token_form.name.data, token_form.days.data)
        audit(db.session, current_user.email, "token.create", issued.token.prefix,
              name=issued.token.name, scope=issued.token.scope,
              expires_at=issued.token.expires_at.isoformat())
        db.session.commit()
        new_secret = issued.secret
    language_form.language.data = current_user.language or ""
    return _account_page(language_form=language_form, token_form=token_form,
                         new_secret=new_secret)


@bp.post("/account/password")
@login_required
def account_password():
    """Change the user's own password; their other sessions end, this one stays logged in."""
    form = PasswordForm(prefix="password")
    if form.validate_on_submit():
        # A stolen session must not guess the current password faster than the login form can.
        wait = login_wait_seconds(request.remote_addr, current_user.email)
        if wait:
            form.current_password.errors.append(
                _("Too many attempts; try again in %(seconds)d seconds.", seconds=wait))
            return _account_page(password_form=form, status=429)
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except AccountError as error:
            getattr(form, error.field, form.new_password).errors.append(_password_error(error))
        else:
            audit(db.session, current_user.email, "account.password", current_user.email)
            db.session.commit()
            login_user(current_user._get_current_object())  # the session takes the new token
            flash(_("Password changed; your other sessions have ended."))
            return redirect(url_for("console.account"))
    return _account_page(password_form=form, status=400)


def _password_error(error):
    if error.field == "current_password":
        return _("The current password is wrong.")
    return _("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH)


def _account_page(status=200, **forms):
    tokens = db.session.scalars(select(ApiToken).filter_by(user_id=current_user.id)
                                .order_by(ApiToken.id.desc())).all()
    forms.setdefault("language_form", LanguageForm(prefix="lang",
                                                   language=current_user.language or ""))
    forms.setdefault("token_form", TokenForm(prefix="token", formdata=None))
    forms.setdefault("password_form", PasswordForm(prefix="password", formdata=None))
    page = render_template("console/account.html", tokens=tokens, revoke_form=ConfirmForm(),
                           base_url=_base_url(),
                           **{"new_secret": None, **forms})
    return page, status


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    """Revoke one of the user's own tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    revoke_token(token)
    audit(db.session, current_user.email, "token.revoke", token.prefix, name=token.name)
    db.session.commit()
    flash(_("Token %(name)s revoked.", name=token.name))
    return redirect(url_for("console.account"))


def _base_url():
    return service_base(request.host_url)


@bp.context_processor
def console_globals():
    """Give every console page the logout button's form."""
    return {"logout_form": LogoutForm()}


bp.register_error_handler(HTTPException, console_error)
