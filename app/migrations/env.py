"""Alembic environment: migrate the database of the running Flask app."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.exc import OperationalError

from app.config import mask_url

config = context.config
# Keep the service's own loggers (the ticker's, the screenshots') working after a migration.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db


def skip_empty_autogenerate(_context, _revision, directives):
    # An autogenerate run that finds no change should not leave an empty revision behind.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_offline():
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=database.engine.url, target_metadata=database.metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Apply migrations over a live connection; fail with one line when it cannot connect."""
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    try:
        connection = database.engine.connect()
    except OperationalError as error:
        url = mask_url(database.engine.url.render_as_string(hide_password=False))
        reason = str(error.orig).strip().splitlines()[0]
        raise SystemExit(f"consent-gate: cannot reach the database {url}: {reason}") from None
    with connection:
        context.configure(connection=connection, target_metadata=database.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
