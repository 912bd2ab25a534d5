"""consent ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:48:36.194745

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('consent_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('consent_id', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('server_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_consent_records_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records')),
    sa.UniqueConstraint('record_id', name=op.f('uq_consent_records_record_id')),
    sa.UniqueConstraint('site_id', 'event_id', name='uq_consent_records_site_event'),
    sa.UniqueConstraint('site_id', 'seq', name='uq_consent_records_site_seq')
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_consent_id'), ['consent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_records_server_time'), ['server_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_records_subject_id'), ['subject_id'], unique=False)

    op.create_table('ledger_heads',
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_ledger_heads_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_ledger_heads'))
    )
    op.create_table('text_sets',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=12), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_text_sets_site_id_sites')),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_text_sets'))
    )
    with op.batch_alter_table('text_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_text_sets_site_id'), ['site_id'], unique=False)

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ip_mode', sa.String(10), nullable=False, server_default='truncate'))




def downgrade():

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('ip_mode')

    with op.batch_alter_table('text_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_text_sets_site_id'))

    op.drop_table('text_sets')
    op.drop_table('ledger_heads')
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_subject_id'))
        batch_op.drop_index(batch_op.f('ix_consent_records_server_time'))
        batch_op.drop_index(batch_op.f('ix_consent_records_consent_id'))

    op.drop_table('consent_records')

