"""batch rows: what a bulk action changed, row by row, for ``partyreg undo`` (decision 0109)

PostgreSQL: an operator reads and adds the rows of the batches in their scope (the batch's own
operator, the city, or a scope holding the batch's); none updates or deletes them. Undoing
``year open`` deletes the year it opened and its units' confirmations: the city (the only one
who opens years) may now delete them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
NAME = "(SELECT partyreg.pr_name())"
IS_CITY = f"{ROLE} = 'city'"
BATCH_VISIBLE = (
    "EXISTS (SELECT 1 FROM partyreg.import_batches b WHERE b.id = batch_rows.batch_id AND"
    f" ({IS_CITY} OR b.operator = {NAME} OR b.on_behalf_of = {NAME}"
    f" OR ({CODE} IS NOT NULL AND b.scope_code IS NOT NULL"
    f" AND (b.scope_code = {CODE} OR starts_with(b.scope_code, {BELOW})))))"
)

POLICIES = (
    "ALTER TABLE partyreg.batch_rows ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY batch_rows_read ON partyreg.batch_rows FOR SELECT USING ({BATCH_VISIBLE})",
    "CREATE POLICY batch_rows_insert ON partyreg.batch_rows FOR INSERT"
    f" WITH CHECK ({BATCH_VISIBLE})",
    f"CREATE POLICY campaign_years_undo ON partyreg.campaign_years FOR DELETE USING ({IS_CITY})",
    "CREATE POLICY year_confirmations_undo ON partyreg.year_confirmations FOR DELETE"
    f" USING ({IS_CITY})",
)

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON partyreg.batch_rows TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE partyreg.batch_rows_id_seq TO %I', app);
    EXECUTE format('GRANT DELETE ON partyreg.campaign_years TO %I', app);
    EXECUTE format('GRANT DELETE ON partyreg.year_confirmations TO %I', app);
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "batch_rows",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_batch_rows_batch_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_rows")),
    )
    with op.batch_alter_table("batch_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_rows_batch_id"), ["batch_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POLICIES:
            op.execute(statement)
        op.execute(GRANTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS campaign_years_undo ON partyreg.campaign_years")
        op.execute("DROP POLICY IF EXISTS year_confirmations_undo ON partyreg.year_confirmations")
    with op.batch_alter_table("batch_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_rows_batch_id"))
    op.drop_table("batch_rows")
