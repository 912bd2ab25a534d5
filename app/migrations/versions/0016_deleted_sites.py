"""deleted sites: a site is marked deleted, never removed, so its ledger stays verifiable

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, as in 0011 and 0015: a batch operation would rebuild a table that the
    # ledger's foreign keys point at.
    op.add_column('sites', sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('sites', sa.Column('deleted_by', sa.String(320), nullable=True))


def downgrade():
    op.execute("ALTER TABLE sites DROP COLUMN deleted_by")
    op.execute("ALTER TABLE sites DROP COLUMN deleted_at")
