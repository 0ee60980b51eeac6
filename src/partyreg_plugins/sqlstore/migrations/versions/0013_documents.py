"""issued documents and the store's check-code key (decision 0068)

``document_keys`` holds one secret key, made here (or with a new store), never exported;
``documents`` the documents the system issued, so that ``partyreg verify SERIAL CODE`` can check
a printed check code. PostgreSQL: the app role reads the key and reads and writes the documents.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT ON partyreg.document_keys TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partyreg.documents TO %I', app);
END $$;
"""


def upgrade() -> None:
    keys = op.create_table(
        "document_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_keys")),
    )
    op.create_table(
        "documents",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_documents")),
    )
    op.bulk_insert(keys, [{"id": 1, "secret": secrets.token_bytes(32)}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANTS)


def downgrade() -> None:
    op.drop_table("documents")
    op.drop_table("document_keys")
