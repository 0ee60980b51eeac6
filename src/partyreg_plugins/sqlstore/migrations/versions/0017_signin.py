"""the members' site: one-time sign-in tokens and the session key (decision 0115)

``signin_tokens`` keeps each one-time link by the SHA-256 digest of its token (never the token);
``web_keys`` one secret key that signs the site's session cookies, made here (or on first use),
never exported. PostgreSQL: a token row is visible to (and written by) an operator whose scope
holds its member (row-level security through ``members``' own policy); every operator's role
reads the key, as it reads the check-code key (decision 0068).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT ON partyreg.web_keys TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partyreg.signin_tokens TO %I', app);
END $$;
"""

# the members' own policy applies inside the sub-query: a token is as visible as its member
MEMBER_VISIBLE = "EXISTS (SELECT 1 FROM partyreg.members m WHERE m.id = member_id)"

POLICIES = (
    "ALTER TABLE partyreg.signin_tokens ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY signin_tokens_scope ON partyreg.signin_tokens USING ({MEMBER_VISIBLE})"
    f" WITH CHECK ({MEMBER_VISIBLE})",
)


def upgrade() -> None:
    op.create_table(
        "signin_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "member_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_signin_tokens_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_signin_tokens")),
    )
    op.create_index(
        op.f("ix_signin_tokens_member_id"), "signin_tokens", ["member_id"], unique=False
    )
    keys = op.create_table(
        "web_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_keys")),
    )
    op.bulk_insert(keys, [{"id": 1, "secret": secrets.token_bytes(32)}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANTS)
        for statement in POLICIES:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("web_keys")
    op.drop_index(op.f("ix_signin_tokens_member_id"), table_name="signin_tokens")
    op.drop_table("signin_tokens")
