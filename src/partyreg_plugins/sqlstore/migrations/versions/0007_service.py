"""needs rows carry their campaign year; activities indexed by group; row-level security on
needs and groups (PostgreSQL)

Replacing a community's groups deletes group rows: without an index on ``activities.group_id``
each deletion's foreign-key check would scan every activity.

A community's needs list and its groups are written by the community's own operators (community
and instructor roles), its district and the city: on PostgreSQL the policies say so; everyone
may read them (they hold no personal data; group members are in ``group_members``, scoped by
member like the other member tables).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
COMMUNITIES = "(SELECT partyreg.pr_communities())::bigint[]"
COMMUNITY_WRITE = (
    f"{ROLE} = 'city'"
    f" OR ({ROLE} = 'district' AND EXISTS (SELECT 1 FROM partyreg.communities c"
    f" WHERE c.id = community_id AND c.district_code = {CODE}))"
    f" OR ({ROLE} IN ('community', 'instructor') AND community_id = ANY ({COMMUNITIES}))"
)
TABLES = ("needs", "groups")


def upgrade() -> None:
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activities_group_id"), ["group_id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE partyreg.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON partyreg.{table} FOR SELECT USING (true)")
        op.execute(
            f"CREATE POLICY {table}_insert ON partyreg.{table} FOR INSERT"
            f" WITH CHECK ({COMMUNITY_WRITE})"
        )
        op.execute(
            f"CREATE POLICY {table}_update ON partyreg.{table} FOR UPDATE USING ({COMMUNITY_WRITE})"
        )
        op.execute(
            f"CREATE POLICY {table}_delete ON partyreg.{table} FOR DELETE USING ({COMMUNITY_WRITE})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for action in ("read", "insert", "update", "delete"):
                op.execute(f"DROP POLICY {table}_{action} ON partyreg.{table}")
            op.execute(f"ALTER TABLE partyreg.{table} DISABLE ROW LEVEL SECURITY")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_group_id"))
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_column("year")
