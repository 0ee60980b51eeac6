"""change of community and progress: the decision's details on change_requests, one pending
request per member, and the units' expected member counts per year

PostgreSQL: ``unit_expectations`` gets row-level security like the other reference tables
(decision 0013): every operator reads it (counts and codes, no personal data); a city operator
writes any row, a district or unit operator the rows of codes within its scope.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
WRITE = (
    f"{ROLE} = 'city' OR ({ROLE} IN ('district', 'unit')"
    f" AND (code = {CODE} OR starts_with(code, {BELOW})))"
)


def upgrade() -> None:
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("released_reported_on", sa.Date(), nullable=True))
        batch_op.create_index(
            "uq_change_requests_pending",
            ["member_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    op.create_table(
        "unit_expectations",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("expected >= 0", name=op.f("ck_unit_expectations_expected")),
        sa.ForeignKeyConstraint(
            ["code"], ["org_units.code"], name=op.f("fk_unit_expectations_code_org_units")
        ),
        sa.PrimaryKeyConstraint("code", "year", name=op.f("pk_unit_expectations")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    table = "partyreg.unit_expectations"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY unit_expectations_read ON {table} FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY unit_expectations_insert ON {table} FOR INSERT WITH CHECK ({WRITE})")
    op.execute(f"CREATE POLICY unit_expectations_update ON {table} FOR UPDATE USING ({WRITE})")
    op.execute(f"CREATE POLICY unit_expectations_delete ON {table} FOR DELETE USING ({WRITE})")
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON "
        f"{table} TO %I', 'pr_' || left(md5(current_database()), 10) || '_app'); END $$"
    )


def downgrade() -> None:
    op.drop_table("unit_expectations")
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_change_requests_pending")
        batch_op.drop_column("released_reported_on")
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("requested_by")
