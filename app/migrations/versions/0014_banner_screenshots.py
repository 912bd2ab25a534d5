"""banner screenshots: every layer of every banner build, site, language and viewport, as PNG

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02 06:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('banner_screenshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('build', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=12), nullable=False),
    sa.Column('texts_digest', sa.String(length=64), nullable=False),
    sa.Column('layer', sa.String(length=10), nullable=False),
    sa.Column('viewport', sa.String(length=10), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                            name=op.f('fk_banner_screenshots_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banner_screenshots')),
    sa.UniqueConstraint('site_id', 'build', 'texts_digest', 'layer', 'viewport',
                        name='uq_banner_screenshots_shot')
    )
    op.create_index(op.f('ix_banner_screenshots_digest'), 'banner_screenshots', ['digest'],
                    unique=False)
    op.create_index(op.f('ix_banner_screenshots_site_id'), 'banner_screenshots', ['site_id'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_banner_screenshots_site_id'), table_name='banner_screenshots')
    op.drop_index(op.f('ix_banner_screenshots_digest'), table_name='banner_screenshots')
    op.drop_table('banner_screenshots')
