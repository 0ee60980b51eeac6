"""erased people: a keyed hash of each anonymised person's name + phone (decision 0079)

PostgreSQL: like ``community_districts``, the table holds no personal data (digests only) and
is readable by every operator, whose registration writes check it; it is written by the
retention run (city operators). The app role gets the privileges the grants of revision 0002
gave the tables that existed then.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
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


def upgrade() -> None:
    op.create_table(
        "erased_people",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("erased_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_erased_people")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANTS)


def downgrade() -> None:
    op.drop_table("erased_people")
