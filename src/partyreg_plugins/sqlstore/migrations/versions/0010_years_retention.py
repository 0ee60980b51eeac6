"""campaign years and their unit confirmations; members.anonymised_on (retention)

PostgreSQL: both new tables are readable by every operator (they hold codes, counts and dates,
no personal data); a year is opened or closed by the city, a unit's confirmation is written by
the city or by a district or unit operator whose scope covers the unit. The app role gets the
privileges the grants of revision 0002 gave the tables that existed then.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
IS_CITY = f"{ROLE} = 'city'"
BY_UNIT = (
    f"({ROLE} IN ('district', 'unit') AND (unit_code = {CODE} OR starts_with(unit_code, {BELOW})))"
)
WRITES = {
    "campaign_years": IS_CITY,
    "year_confirmations": f"{IS_CITY} OR {BY_UNIT}",
}


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_on", sa.Date(), nullable=True))
    op.create_table(
        "campaign_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=32), server_default="open", nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_campaign_years_status")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_campaign_years")),
    )
    op.create_table(
        "year_confirmations",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("confirmed_members", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["org_units.code"],
            name=op.f("fk_year_confirmations_unit_code_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["campaign_years.year"],
            name=op.f("fk_year_confirmations_year_campaign_years"),
        ),
        sa.PrimaryKeyConstraint("year", "unit_code", name=op.f("pk_year_confirmations")),
    )
    with op.batch_alter_table("year_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_year_confirmations_unit_code"), ["unit_code"], unique=False
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, check in WRITES.items():
        op.execute(f"ALTER TABLE partyreg.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON partyreg.{table} FOR SELECT USING (true)")
        op.execute(
            f"CREATE POLICY {table}_insert ON partyreg.{table} FOR INSERT WITH CHECK ({check})"
        )
        op.execute(f"CREATE POLICY {table}_update ON partyreg.{table} FOR UPDATE USING ({check})")
    op.execute(
        f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partyreg.campaign_years TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partyreg.year_confirmations TO %I', app);
END $$;
"""
    )


def downgrade() -> None:
    with op.batch_alter_table("year_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_year_confirmations_unit_code"))
    op.drop_table("year_confirmations")
    op.drop_table("campaign_years")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("anonymised_on")
