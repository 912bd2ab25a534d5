"""Database wiring: SQLite pragmas, connectivity checks and the health probe."""
import sqlite3
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.config import mask_url
from app.extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class DatabaseUnavailable(Exception):
    """The configured database cannot be reached."""


@event.listens_for(Engine, "connect")
def _set_sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers work during a write; FULL makes every commit survive power loss.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def init_app(app):
    """Bind SQLAlchemy and Alembic to the app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


def ping_database():
    """Run a trivial query; raise DatabaseUnavailable with a one-line reason."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        url = mask_url(str(db.engine.url.render_as_string(hide_password=False)))
        reason = str(getattr(error, "orig", error) or error).strip().splitlines()[0]
        raise DatabaseUnavailable(f"cannot reach the database {url}: {reason}") from None
