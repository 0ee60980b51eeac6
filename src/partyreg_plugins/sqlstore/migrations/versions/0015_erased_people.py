"""erased people: a keyed hash of each anonymised person's name + phone (decision 0079)

PostgreSQL: like ``community_districts`` (revision 0014), the table holds no personal data
(digests only) and is readable by every operator, whose registration writes check it; row-level
security lets only the city insert (the retention run), and no operator updates or deletes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON partyreg.erased_people TO %I', app);
END $$;
"""

POLICIES = (
    "ALTER TABLE partyreg.erased_people ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY erased_people_read ON partyreg.erased_people FOR SELECT USING (true)",
    "CREATE POLICY erased_people_insert ON partyreg.erased_people FOR INSERT"
    " WITH CHECK ((SELECT partyreg.pr_role()) = 'city')",
)


def upgrade() -> None:
    op.create_table(
        "erased_people",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("erased_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_erased_people")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANTS)
        for statement in POLICIES:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("erased_people")
