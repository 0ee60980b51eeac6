"""communities' earlier district codes (a district moved or merged re-codes its communities)

PostgreSQL: like ``communities``, the history holds codes only and is readable by every
operator; it is written when an org change re-codes a district, by whoever applies the change.
The app role gets the privileges the grants of revision 0002 gave the tables that existed then.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON partyreg.community_districts TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA partyreg TO %I', app);
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "community_districts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("district_code", sa.String(length=64), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_districts_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_districts")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("community_districts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_districts_community_id"), ["community_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANTS)


def downgrade() -> None:
    op.drop_table("community_districts")
