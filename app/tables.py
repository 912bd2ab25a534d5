"""The declarative base every table shares: plain SQLAlchemy, bound to an app by app.db."""
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
#: Timestamps are UTC and keep their zone where the database can.
Timestamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base for every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utc_now():
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(moment):
    """Return moment as an aware UTC datetime (SQLite hands back naive ones, meant as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
