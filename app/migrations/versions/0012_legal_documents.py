"""legal documents: stored, hashed privacy policies and consent documents; per-language names and urls

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
#: Text columns that become JSON (one value, or one per language), with their old type.
TO_JSON = (("operator_legal_name", sa.String(2000)), ("privacy_policy_url", sa.String(500)),
           ("consent_document_url", sa.String(500)))
NEW_JSON = ("privacy_policy_text", "privacy_policy_file", "consent_document_text",
            "consent_document_file")


# Plain ALTER TABLE, as in 0011: a batch operation would rebuild the sites table, which other
# tables' foreign keys point at. A column changes its type by a copy under its own name.


def _copy_columns(kinds, encode):
    """Move each column's values into a new column of its new type, under the same name."""
    connection = op.get_bind()
    for column, old_type, new_type in kinds:
        op.execute(f"ALTER TABLE sites RENAME COLUMN {column} TO {column}_old")
        # The legal name stays required; SQLite adds a NOT NULL column only with a default.
        required = column == "operator_legal_name"
        op.add_column('sites', sa.Column(column, new_type, nullable=not required,
                                         server_default='""' if required else None))
        sites = sa.table('sites', sa.column('id', sa.String), sa.column(f"{column}_old", old_type),
                         sa.column(column, new_type))
        for row in connection.execute(sa.select(sites)).mappings().all():
            connection.execute(sites.update().where(sites.c.id == row["id"]).values(
                {column: encode(row[f"{column}_old"])}))
        op.execute(f"ALTER TABLE sites DROP COLUMN {column}_old")


def upgrade():
    _copy_columns([(column, old, sa.JSON()) for column, old in TO_JSON], lambda value: value)
    op.add_column('sites', sa.Column('operator_country', sa.String(2), nullable=True))
    for column in NEW_JSON:
        op.add_column('sites', sa.Column(column, sa.JSON(), nullable=True))
    op.create_table(
        'legal_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(64), nullable=False),
        sa.Column('site_id', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('language', sa.String(12), nullable=False),
        sa.Column('version', sa.String(60), nullable=False),
        sa.Column('media_type', sa.String(20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('generated', sa.Boolean(), nullable=False),
        sa.Column('created_at', Timestamp, nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_legal_documents_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_documents')),
        sa.UniqueConstraint('site_id', 'kind', 'version', 'language', 'digest',
                            name=op.f('uq_legal_documents_site_id')),
    )
    op.create_index(op.f('ix_legal_documents_digest'), 'legal_documents', ['digest'])


def _as_text(value):
    # A per-language value goes back as its first language's, the only one the old schema knew.
    if isinstance(value, str) and value.startswith(("{", '"')):
        value = json.loads(value)
    if isinstance(value, dict):
        return next(iter(value.values()), None)
    return value


def downgrade():
    op.drop_index(op.f('ix_legal_documents_digest'), table_name='legal_documents')
    op.drop_table('legal_documents')
    for column in (*NEW_JSON, 'operator_country'):
        op.execute(f"ALTER TABLE sites DROP COLUMN {column}")
    _copy_columns([(column, sa.JSON(), old) for column, old in TO_JSON], _as_text)
