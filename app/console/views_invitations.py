"""Admins invite users and assign owners their sites; invitees set their password by link."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from itsdangerous import URLSafeTimedSerializer

from app.accounts.invitations import (
    INVITATION_DAYS,
    INVITATION_SALT,
    InvitationError,
    accept_invitation,
    invitation_token,
    invite_user,
    invited_user,
)
from app.accounts.models import Role, User
from app.accounts.service import AccountError, audit
from app.console.auth import roles_required
from app.console.blueprint import bp
from app.console.forms import ConfirmForm, InvitationForm, NewUserForm, UserSitesForm
from app.extensions import db
from app.sites.repository import SiteRepository
from app.sites.tables import Site


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=INVITATION_SALT)


def site_choices():
    """Return the choices of sites an owner may be given: every site not deleted."""
    return [(site.id, f"{site.name} ({site.id})") for site in SiteRepository(db.session).list()
            if site.deleted_at is None]


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new():
    """Create a user and show the one-time link where they set their password."""
    form = NewUserForm()
    form.sites.choices = site_choices()
    if not form.validate_on_submit():
        return render_template("console/user_new.html", form=form), (
            422 if form.is_submitted() else 200)
    sites = form.sites.data if form.role.data == Role.OWNER else []
    try:
        user = invite_user(db.session, form.email.data, form.role.data, sites)
    except AccountError as error:
        field = form[error.field] if error.field in form._fields else form.email
        field.errors.append(_("A user with this e-mail exists.") if "exists" in error.message
                            else _("Not a valid e-mail address."))
        return render_template("console/user_new.html", form=form), 422
    audit(db.session, current_user.email, "user.invite", user.email, role=user.role, sites=sites)
    db.session.commit()
    return _invitation_page(user)


@bp.post("/users/<int:user_id>/invitation")
@roles_required(Role.ADMIN)
def user_invitation(user_id):
    """Make a new invitation link for a user who has not set a password yet (or lost it)."""
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit() or not user.active:
        abort(400)
    audit(db.session, current_user.email, "user.invitation", user.email)
    db.session.commit()
    return _invitation_page(user)


def _invitation_page(user):
    link = url_for("console.invitation", token=invitation_token(_serializer(), user),
                   _external=True)
    return render_template("console/invitation_link.html", user=user, link=link,
                           days=INVITATION_DAYS)


@bp.post("/users/<int:user_id>/sites")
@roles_required(Role.ADMIN)
def user_sites(user_id):
    """Set the sites an owner manages."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserSitesForm(prefix="sites")
    form.sites.choices = site_choices()
    if user.role != Role.OWNER or not form.validate_on_submit():
        abort(400, description=_("Only owners are assigned sites; choose sites from the list."))
    # Deleted sites are not on the form; an owner keeps them, hidden, with their history.
    kept = [site for site in user.sites if site.deleted_at is not None]
    user.sites = kept + [db.session.get(Site, site_id) for site_id in form.sites.data]
    audit(db.session, current_user.email, "user.sites", user.email, sites=form.sites.data)
    db.session.commit()
    flash(_("%(email)s now manages: %(sites)s", email=user.email,
            sites=", ".join(form.sites.data) or "—"))
    return redirect(url_for("console.user_page", user_id=user.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    """Let an invited user set their password; the link works once."""
    try:
        user = invited_user(db.session, _serializer(), token)
    except InvitationError:
        return render_template("console/invitation.html", form=None), 410
    form = InvitationForm()
    if form.validate_on_submit():
        try:
            accept_invitation(db.session, _serializer(), token, form.new_password.data)
        except (InvitationError, AccountError):
            return render_template("console/invitation.html", form=None), 410
        audit(db.session, user.email, "user.accept_invitation", user.email)
        db.session.commit()
        login_user(user)
        flash(_("Welcome. Your password is set."))
        return redirect(url_for("console.dashboard"))
    status = 422 if form.errors else 200
    return render_template("console/invitation.html", form=form, user=user), status
