"""scan jobs: scans started from the console, claimed by a worker outside the request

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scan_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('active_site', sa.String(length=40), nullable=True),
    sa.Column('requested_by', sa.String(length=254), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('pages_done', sa.Integer(), nullable=False),
    sa.Column('pages_total', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('scan_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['scan_id'], ['site_scans.id'],
                            name=op.f('fk_scan_jobs_scan_id_site_scans')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_scan_jobs_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_jobs')),
    sa.UniqueConstraint('active_site', name=op.f('uq_scan_jobs_active_site'))
    )
    op.create_index('ix_scan_jobs_site_requested', 'scan_jobs', ['site_id', 'requested_at'],
                    unique=False)
    op.create_index('ix_scan_jobs_status', 'scan_jobs', ['status'], unique=False)


def downgrade():
    op.drop_index('ix_scan_jobs_status', table_name='scan_jobs')
    op.drop_index('ix_scan_jobs_site_requested', table_name='scan_jobs')
    op.drop_table('scan_jobs')
