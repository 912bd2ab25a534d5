"""flask users create|list|sites|password|deactivate|activate|token: accounts from the shell."""
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.service import (
    DEFAULT_TOKEN_DAYS,
    MAX_TOKEN_DAYS,
    AccountError,
    activate_user,
    audit,
    create_user,
    deactivate_user,
    issue_token,
    normalize_email,
    set_password,
)
from app.cli.common import with_database
from app.extensions import db
from app.sites.tables import Site

users_group = AppGroup("users", help="Manage console accounts.")


def _read_password(_ctx, _param, value):
    if value is not None:
        # An argument stays in the shell history and is visible to every user in the process list.
        raise click.BadParameter("a password is never taken from the command line; leave the"
                                 " option out to be asked for it, or pipe it on stdin")
    if not sys.stdin.isatty():
        # Scripts pipe the password in; the first line is the password.
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def password_option(command):
    """Add the hidden --password option that refuses a value and reads a prompt or stdin."""
    return click.option("--password", callback=_read_password, expose_value=True, hidden=True,
                        help="Read from a prompt, or the first line of stdin when piped.")(command)


@users_group.command("create")
@click.option("--email", required=True, help="The login e-mail.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--site", "site_ids", multiple=True, help="A site an owner manages (repeatable).")
@password_option
@with_database
def create_command(email, role, site_ids, password):
    """Create a console account; the password comes from a prompt or stdin."""
    try:
        user = create_user(db.session, email, password, role, site_ids)
    except AccountError as error:
        raise click.ClickException(f"--{error.field}: {error.message}") from None
    audit(db.session, "cli", "user.create", user.email, role=role, sites=list(site_ids))
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")


@users_group.command("list")
@with_database
def list_command():
    """List accounts with their roles and sites."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        sites = ",".join(site.id for site in user.sites) or "-"
        state = "" if user.active else " (deactivated)"
        click.echo(f"{user.email}\t{user.role}\t{sites}{state}")


@users_group.command("sites")
@click.option("--email", required=True)
@click.option("--site", "site_ids", multiple=True, required=True, help="Sites to assign.")
@with_database
def sites_command(email, site_ids):
    """Set the sites an owner manages."""
    user = _user(email)
    sites = []
    for site_id in site_ids:
        site = db.session.get(Site, site_id)
        if site is None:
            raise click.ClickException(f"--site: no site with id {site_id!r}")
        sites.append(site)
    user.sites = sites
    audit(db.session, "cli", "user.sites", user.email, sites=list(site_ids))
    db.session.commit()
    click.echo(f"{user.email} manages {', '.join(site_ids)}")


@users_group.command("password")
@click.option("--email", required=True)
@password_option
@with_database
def password_command(email, password):
    """Set a user's password (from a prompt or stdin) and end all their sessions."""
    user = _user(email)
    try:
        set_password(user, password)
    except AccountError as error:
        raise click.ClickException(f"--{error.field}: {error.message}") from None
    audit(db.session, "cli", "user.password_reset", user.email)
    db.session.commit()
    click.echo(f"password of {user.email} set; their sessions have ended")


@users_group.command("deactivate")
@click.option("--email", required=True)
@with_database
def deactivate_command(email):
    """Stop an account: end its sessions and revoke its API tokens."""
    user = _user(email)
    deactivate_user(db.session, user)
    audit(db.session, "cli", "user.deactivate", user.email)
    db.session.commit()
    click.echo(f"{user.email} deactivated; sessions ended, tokens revoked")


@users_group.command("activate")
@click.option("--email", required=True)
@with_database
def activate_command(email):
    """Let a deactivated account log in again (its old sessions and tokens stay dead)."""
    user = _user(email)
    activate_user(user)
    audit(db.session, "cli", "user.activate", user.email)
    db.session.commit()
    click.echo(f"{user.email} activated")


@users_group.command("token")
@click.option("--email", required=True)
@click.option("--name", default="cli", help="A label for the token.")
@click.option("--days", type=click.IntRange(1, MAX_TOKEN_DAYS), default=DEFAULT_TOKEN_DAYS,
              show_default=True, help="Days until the token expires.")
@with_database
def token_command(email, name, days):
    """Issue a personal API token (scope: export) for scripted exports and print it once."""
    user = _user(email)
    issued = issue_token(db.session, user, name, days)
    audit(db.session, "cli", "token.create", issued.token.prefix, user=user.email, name=name,
          scope=issued.token.scope, expires_at=issued.token.expires_at.isoformat())
    db.session.commit()
    click.echo(issued.secret)


def _user(email):
    try:
        email = normalize_email(email)
    except AccountError as error:
        raise click.ClickException(f"--email: {error.message}") from None
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        raise click.ClickException(f"--email: no user {email}")
    return user
