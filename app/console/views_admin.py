"""Admin pages: the audit log, the list of users, password resets and deactivation."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from app.accounts.models import AuditEntry, Role, User
from app.accounts.service import activate_user, audit, deactivate_user, set_password
from app.console.auth import roles_required
from app.console.blueprint import bp
from app.console.forms import ConfirmForm, PasswordResetForm, UserSitesForm
from app.extensions import db

PAGE_SIZE = 100


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """Show every recorded console action, newest first, a page at a time."""
    before = request.args.get("before", type=int)
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
    if before:
        statement = statement.where(AuditEntry.id < before)
    entries = db.session.scalars(statement).all()
    older = entries[-1].id if len(entries) == PAGE_SIZE else None
    return render_template("console/audit.html", entries=entries, older=older)


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    """List console users with their roles and sites."""
    return render_template("console/users.html",
                           users=db.session.scalars(select(User).order_by(User.email)).all())


@bp.get("/users/<int:user_id>")
@roles_required(Role.ADMIN)
def user_page(user_id):
    """Show one user with the forms to reset their password and to stop or restart the account."""
    return _user_page(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/password")
@roles_required(Role.ADMIN)
def user_password(user_id):
    """Set another user's password; every session of theirs ends."""
    user, form = _user_or_404(user_id), PasswordResetForm(prefix="reset")
    if not form.validate_on_submit():
        return _user_page(user, reset_form=form, status=400)
    set_password(user, form.new_password.data)
    audit(db.session, current_user.email, "user.password_reset", user.email)
    db.session.commit()
    if user.id == current_user.id:
        login_user(user)  # an admin resetting their own password stays logged in here
    flash(_("Password of %(email)s reset; their sessions have ended.", email=user.email))
    return redirect(url_for("console.user_page", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def user_active(user_id):
    """Deactivate an account (ending its sessions and tokens) or let it log in again."""
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        abort(400, description=_("You cannot deactivate your own account."))
    if user.active:
        deactivate_user(db.session, user)
        audit(db.session, current_user.email, "user.deactivate", user.email)
        flash(_("%(email)s deactivated; their sessions and tokens have ended.", email=user.email))
    else:
        activate_user(user)
        audit(db.session, current_user.email, "user.activate", user.email)
        flash(_("%(email)s may log in again.", email=user.email))
    db.session.commit()
    return redirect(url_for("console.user_page", user_id=user.id))


def _user_or_404(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(user, reset_form=None, status=200):
    from app.console.views_invitations import site_choices

    sites_form = UserSitesForm(prefix="sites", formdata=None,
                               data={"sites": [site.id for site in user.sites]})
    sites_form.sites.choices = site_choices()
    page = render_template("console/user.html", user=user, active_form=ConfirmForm(),
                           reset_form=reset_form or PasswordResetForm(prefix="reset", formdata=None),
                           sites_form=sites_form)
    return page, status
