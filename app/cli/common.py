"""Helpers shared by CLI commands: database errors become one-line messages."""
import functools

import click
from sqlalchemy.exc import SQLAlchemyError

from app.db import DatabaseUnavailable, ping_database
from app.extensions import db


def with_database(command):
    """Run a command with a reachable database; turn database failures into clear errors."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            ping_database()
            return command(*args, **kwargs)
        except DatabaseUnavailable as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            db.session.rollback()
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            raise click.ClickException(
                f"database error: {reason} (is the schema current? run: flask --app wsgi db upgrade)"
            ) from None

    return wrapper
