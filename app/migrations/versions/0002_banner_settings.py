"""banner settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:17:58.414287

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Server defaults fill the new columns of sites that already exist.
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ga4_consent_mode', sa.String(10), nullable=False, server_default='basic'))
        batch_op.add_column(
            sa.Column('gpc_mode', sa.String(10), nullable=False, server_default='refuse'))
        batch_op.add_column(
            sa.Column('text_overrides', sa.JSON(), nullable=False, server_default='{}'))

def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('text_overrides')
        batch_op.drop_column('gpc_mode')
        batch_op.drop_column('ga4_consent_mode')
