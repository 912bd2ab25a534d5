"""time-stamp tokens on checkpoints, and the secret each subject's reports must present

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tsa_token', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('tsa_time', sa.String(40), nullable=True))
    op.create_table('subject_keys',
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                            name=op.f('fk_subject_keys_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', 'subject_id', name=op.f('pk_subject_keys'))
    )
    # Subjects recorded before this never had a secret: nobody can prove to be them, so no
    # report is taken for them any more (their browsers start a new subject).
    op.execute("INSERT INTO subject_keys (site_id, subject_id, secret_hash)"
               " SELECT DISTINCT site_id, subject_id, NULL FROM consent_records")


def downgrade():
    op.drop_table('subject_keys')
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.drop_column('tsa_time')
        batch_op.drop_column('tsa_token')
