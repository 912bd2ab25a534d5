"""sites and catalog versions

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:02:58.433448

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('sites',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('operator_legal_name', sa.String(length=2000), nullable=False),
    sa.Column('operator_registration_number', sa.String(length=500), nullable=False),
    sa.Column('operator_address', sa.String(length=500), nullable=False),
    sa.Column('operator_email', sa.String(length=320), nullable=False),
    sa.Column('origins', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('default_language', sa.String(length=12), nullable=False),
    sa.Column('regimes', sa.JSON(), nullable=False),
    sa.Column('privacy_policy_url', sa.String(length=500), nullable=False),
    sa.Column('privacy_policy_version', sa.String(length=60), nullable=False),
    sa.Column('consent_document_url', sa.String(length=500), nullable=True),
    sa.Column('consent_document_version', sa.String(length=60), nullable=True),
    sa.Column('consent_lifetime_days', sa.Integer(), nullable=False),
    sa.Column('refusal_lifetime_days', sa.Integer(), nullable=True),
    sa.Column('yandex_metrica_id', sa.String(length=20), nullable=True),
    sa.Column('ga4_measurement_id', sa.String(length=20), nullable=True),
    sa.Column('meta_pixel_id', sa.String(length=20), nullable=True),
    sa.Column('catalog_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    op.create_table('catalog_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_catalog_versions_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_versions')),
    sa.UniqueConstraint('site_id', 'version', name=op.f('uq_catalog_versions_site_id'))
    )
    with op.batch_alter_table('catalog_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_versions_site_id'), ['site_id'], unique=False)




def downgrade():

    with op.batch_alter_table('catalog_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_versions_site_id'))

    op.drop_table('catalog_versions')
    op.drop_table('sites')

