"""Database wiring: SQLite pragmas, connectivity checks and the health probe."""
import os
import sqlite3
from pathlib import Path

from sqlalchemy import event, make_url, text
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
    create_private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


def create_private_sqlite_file(url, instance_path):
    """Create an embedded database's file readable by its owner only, before SQLite would create
    it with the process's umask (the ledger is personal data). An existing file is left alone."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    # Flask-SQLAlchemy reads a relative SQLite path from the instance folder.
    path = Path(instance_path) / parsed.database
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def ping_database():
    """Run a trivial query; raise DatabaseUnavailable with a one-line reason."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        url = mask_url(str(db.engine.url.render_as_string(hide_password=False)))
        reason = str(getattr(error, "orig", error) or error).strip().splitlines()[0]
        raise DatabaseUnavailable(f"cannot reach the database {url}: {reason}") from None
