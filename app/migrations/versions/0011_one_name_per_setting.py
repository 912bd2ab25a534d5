"""one name per setting: site columns named as their site file keys, built-in trackers in one column

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

RENAMED = (("regimes", "regime"), ("gpc_mode", "gpc"), ("ip_mode", "client_ip"),
           ("text_overrides", "texts"))
TRACKER_COLUMNS = (("yandex_metrica", "yandex_metrica_id"), ("ga4", "ga4_measurement_id"),
                   ("meta_pixel", "meta_pixel_id"))


# Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL both rename and drop columns in place): a batch
# operation would rebuild the sites table, which other tables' foreign keys point at.


def upgrade():
    for old, new in RENAMED:
        op.execute(f"ALTER TABLE sites RENAME COLUMN {old} TO {new}")
    op.add_column('sites', sa.Column('trackers', sa.JSON(), nullable=False, server_default='{}'))
    sites = sa.table('sites', sa.column('id', sa.String), sa.column('trackers', sa.JSON),
                     *[sa.column(column, sa.String) for _name, column in TRACKER_COLUMNS])
    connection = op.get_bind()
    for row in connection.execute(sa.select(sites)).mappings().all():
        trackers = {name: row[column] for name, column in TRACKER_COLUMNS if row[column]}
        connection.execute(sites.update().where(sites.c.id == row["id"]).values(
            trackers=trackers))
    for _name, column in TRACKER_COLUMNS:
        op.execute(f"ALTER TABLE sites DROP COLUMN {column}")


def downgrade():
    for _name, column in TRACKER_COLUMNS:
        op.add_column('sites', sa.Column(column, sa.String(length=20), nullable=True))
    sites = sa.table('sites', sa.column('id', sa.String), sa.column('trackers', sa.JSON),
                     *[sa.column(column, sa.String) for _name, column in TRACKER_COLUMNS])
    connection = op.get_bind()
    for row in connection.execute(sa.select(sites)).mappings().all():
        stored = row["trackers"] if isinstance(row["trackers"], dict) else json.loads(
            row["trackers"] or "{}")
        connection.execute(sites.update().where(sites.c.id == row["id"]).values(
            **{column: stored.get(name) for name, column in TRACKER_COLUMNS}))
    op.execute("ALTER TABLE sites DROP COLUMN trackers")
    for old, new in RENAMED:
        op.execute(f"ALTER TABLE sites RENAME COLUMN {new} TO {old}")
