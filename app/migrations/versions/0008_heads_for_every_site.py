"""every site has a chain head from its creation, before its first record

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 21:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade():
    # Sites created before this revision get their head now; new sites get one when created.
    op.execute(f"INSERT INTO ledger_heads (site_id, seq, head_hash) SELECT id, 0, '{GENESIS_HASH}'"
               " FROM sites WHERE id NOT IN (SELECT site_id FROM ledger_heads)")


def downgrade():
    op.execute("DELETE FROM ledger_heads WHERE seq = 0")
