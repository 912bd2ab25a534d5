"""banner builds: every build of the banner's code the service served, so reports name real ones

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 21:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('banner_builds',
    sa.Column('build', sa.String(length=64), nullable=False),
    sa.Column('first_served_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('build', name=op.f('pk_banner_builds'))
    )


def downgrade():
    op.drop_table('banner_builds')
