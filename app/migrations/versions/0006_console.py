"""console: users, API tokens, audit log, site revisions, banner impressions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(320), nullable=False),
        sa.Column('password_hash', sa.String(300), nullable=False),
        sa.Column('role', sa.String(10), nullable=False),
        sa.Column('language', sa.String(12), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', Timestamp, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    )
    op.create_table(
        'user_sites',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE',
                                name=op.f('fk_user_sites_site_id_sites')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_user_sites_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'site_id', name=op.f('pk_user_sites')),
    )
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('prefix', sa.String(12), nullable=False),
        sa.Column('created_at', Timestamp, nullable=False),
        sa.Column('last_used_at', Timestamp, nullable=True),
        sa.Column('revoked_at', Timestamp, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_api_tokens_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'])
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', Timestamp, nullable=False),
        sa.Column('actor', sa.String(320), nullable=False),
        sa.Column('action', sa.String(60), nullable=False),
        sa.Column('target', sa.String(200), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index(op.f('ix_audit_log_created_at'), 'audit_log', ['created_at'])
    op.create_table(
        'site_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.String(40), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('author', sa.String(320), nullable=False),
        sa.Column('created_at', Timestamp, nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('catalog_version', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_site_revisions_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_revisions')),
        sa.UniqueConstraint('site_id', 'number', name=op.f('uq_site_revisions_site_id')),
    )
    op.create_index(op.f('ix_site_revisions_site_id'), 'site_revisions', ['site_id'])
    op.create_table(
        'banner_impressions',
        sa.Column('site_id', sa.String(40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('language', sa.String(12), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_banner_impressions_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', 'day', 'language', name=op.f('pk_banner_impressions')),
    )


def downgrade():
    op.drop_table('banner_impressions')
    op.drop_index(op.f('ix_site_revisions_site_id'), table_name='site_revisions')
    op.drop_table('site_revisions')
    op.drop_index(op.f('ix_audit_log_created_at'), table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_table('user_sites')
    op.drop_table('users')
