"""retention

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:03:21.289551

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # Server defaults fill the new columns of rows that already exist.
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(10), nullable=False, server_default='checkpoint'))

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('retention_days', sa.Integer(), nullable=False, server_default='1095'))

def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('retention_days')

    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.drop_column('kind')
