"""leak reports: sampled banners' sightings of trackers that escaped the gate, and the site setting

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 14:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('leak_sightings',
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('page', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('build', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                            name=op.f('fk_leak_sightings_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', 'page', 'kind', 'name', name=op.f('pk_leak_sightings'))
    )
    # Plain ALTER TABLE, as in 0016: a batch operation would rebuild a table that the ledger's
    # foreign keys point at.
    op.add_column('sites', sa.Column('leak_reports', sa.JSON(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE sites DROP COLUMN leak_reports")
    op.drop_table('leak_sightings')
