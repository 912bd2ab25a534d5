"""sessions and tokens: a session token per user, an expiry and a scope per API token

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:00:00

"""
import secrets
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
#: Tokens issued before expiry existed live as long as the default lifetime from their creation.
LEGACY_TOKEN_DAYS = 90

users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_token', sa.String()))
tokens = sa.table('api_tokens', sa.column('id', sa.Integer()), sa.column('created_at', Timestamp),
                  sa.column('expires_at', Timestamp))


def upgrade():
    # Plain ALTER TABLE on users, as in 0011: a batch operation would rebuild a table that other
    # tables' foreign keys point at. The empty default never survives: every row gets its own
    # random token below, and the app refuses an empty one.
    op.add_column('users', sa.Column('session_token', sa.String(64), nullable=False,
                                     server_default=''))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(32)))
    op.add_column('api_tokens', sa.Column('scope', sa.String(20), nullable=False,
                                          server_default='export'))
    op.add_column('api_tokens', sa.Column('expires_at', Timestamp, nullable=True))
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        connection.execute(tokens.update().where(tokens.c.id == token_id)
                           .values(expires_at=created_at + timedelta(days=LEGACY_TOKEN_DAYS)))
    # Nothing points at api_tokens, so rebuilding it on SQLite is safe.
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=Timestamp, nullable=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scope')
    op.execute("ALTER TABLE users DROP COLUMN session_token")
