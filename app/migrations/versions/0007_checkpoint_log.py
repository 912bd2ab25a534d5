"""checkpoint log: every checkpoint names the one signed before it, across sites

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 16:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Checkpoints signed before this stay as they are (no link); the log starts with the next.
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_digest', sa.String(64), nullable=True))
        batch_op.add_column(sa.Column('digest', sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.drop_column('digest')
        batch_op.drop_column('prev_digest')
