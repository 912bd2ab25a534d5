"""cross-border notice and GA4 advanced acknowledgement: two site settings

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, as in 0011: a batch operation would rebuild the sites table, which other
# tables' foreign keys point at. Existing sites get no notice, so their cross-border trackers
# stop loading on ru152 sites until the owner states it.


def upgrade():
    op.add_column('sites', sa.Column('cross_border_notice', sa.JSON(), nullable=True))
    op.add_column('sites', sa.Column('ga4_advanced_acknowledged', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade():
    op.execute("ALTER TABLE sites DROP COLUMN ga4_advanced_acknowledged")
    op.execute("ALTER TABLE sites DROP COLUMN cross_border_notice")
