"""site scans: every `flask sites scan` of a site, with its time, banner build and findings

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('build', sa.String(length=64), nullable=False),
    sa.Column('catalog_version', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('leaks', sa.Integer(), nullable=False),
    sa.Column('undeclared', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_scans_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_scans'))
    )
    op.create_index('ix_site_scans_site_started', 'site_scans', ['site_id', 'started_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_site_scans_site_started', table_name='site_scans')
    op.drop_table('site_scans')
