"""org changes with effective dates; members' past unit codes; members.retired_on

PostgreSQL: ``member_units`` holds members' data and gets the member-child policy of revision
0002 (visible when the member is); ``org_changes`` is a reference table like ``org_units``:
readable by all, written by the city or within the writer's code.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
WRITES = (
    f"{ROLE} = 'city' OR ({ROLE} IN ('district', 'unit')"
    f" AND (code = {CODE} OR starts_with(code, {BELOW})))"
)

POLICIES = (
    "ALTER TABLE partyreg.member_units ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY member_units_scope ON partyreg.member_units USING "
    "(EXISTS (SELECT 1 FROM partyreg.members m WHERE m.id = member_id))",
    "ALTER TABLE partyreg.org_changes ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY org_changes_read ON partyreg.org_changes FOR SELECT USING (true)",
    f"CREATE POLICY org_changes_insert ON partyreg.org_changes FOR INSERT WITH CHECK ({WRITES})",
)

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON partyreg.member_units TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT ON partyreg.org_changes TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA partyreg TO %I', app);
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "org_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("new_code", sa.String(length=64), nullable=True),
        sa.Column("name_before", sa.String(length=200), server_default="", nullable=False),
        sa.Column("name_after", sa.String(length=200), server_default="", nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_changes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("org_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_changes_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_org_changes_new_code"), ["new_code"], unique=False)
    op.create_table(
        "member_units",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_units_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_units")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("member_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_units_member_id"), ["member_id"], unique=False)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in POLICIES:
            op.execute(statement)
        op.execute(GRANTS)


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("retired_on")
    op.drop_table("member_units")
    op.drop_table("org_changes")
