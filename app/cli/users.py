"""flask users create|list|sites|deactivate|token: console accounts from the shell."""
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.accounts.service import AccountError, audit, create_user, issue_token, normalize_email
from app.cli.common import with_database
from app.extensions import db
from app.sites.tables import Site

users_group = AppGroup("users", help="Manage console accounts.")


def _read_password(ctx, _param, value):
    if value is not None:
        return value
    if not sys.stdin.isatty():
        # Scripts pipe the password in; the first line is the password.
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("create")
@click.option("--email", required=True, help="The login e-mail.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--site", "site_ids", multiple=True, help="A site an owner manages (repeatable).")
@click.option("--password", callback=_read_password, expose_value=True, hidden=True,
              help="Read from a prompt, or the first line of stdin when piped.")
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


@users_group.command("deactivate")
@click.option("--email", required=True)
@with_database
def deactivate_command(email):
    """Stop an account from logging in or using its tokens."""
    user = _user(email)
    user.active = False
    audit(db.session, "cli", "user.deactivate", user.email)
    db.session.commit()
    click.echo(f"{user.email} deactivated")


@users_group.command("token")
@click.option("--email", required=True)
@click.option("--name", default="cli", help="A label for the token.")
@with_database
def token_command(email, name):
    """Issue a personal API token for scripted exports and print it once."""
    user = _user(email)
    issued = issue_token(db.session, user, name)
    audit(db.session, "cli", "token.create", issued.token.prefix, user=user.email, name=name)
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
