"""community events with check-in; issued documents can be revoked or superseded

``events`` holds a community's events (day, local start and end, content, place, the
six-digit check-in code, open or closed) and ``event_attendance`` who checked in and out
(decision 0125). ``documents`` gains ``status`` (valid, revoked, superseded), ``replaced_by``,
``revoked_on``, ``reason``, ``changed_by`` and ``member_id``, so that a report-in certificate issued again, or
withdrawn, verifies as genuine but says it no longer holds (decision 0127).

PostgreSQL: events hold no personal data, every operator reads them; they are written by the
community's own operators, its instructors, its district and the city (as needs are, revision
0007). Attendance is read and written within the same scope: the members' site acts through
its own operator account (decision 0116), whose scope must hold the community; none deletes
either.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
COMMUNITIES = "(SELECT partyreg.pr_communities())::bigint[]"


def _community_write(column: str) -> str:
    return (
        f"{ROLE} = 'city'"
        f" OR ({ROLE} = 'district' AND EXISTS (SELECT 1 FROM partyreg.communities c"
        f" WHERE c.id = {column} AND c.district_code = {CODE}))"
        f" OR ({ROLE} IN ('community', 'instructor') AND {column} = ANY ({COMMUNITIES}))"
    )


EVENT_WRITE = _community_write("community_id")
ATTENDANCE_SCOPE = (
    "EXISTS (SELECT 1 FROM partyreg.events e WHERE e.id = event_id"
    f" AND ({_community_write('e.community_id')}))"
)

NAME = "(SELECT partyreg.pr_name())"

POLICIES = (
    # revoking or superseding a document: any operator, under their own name (revision
    # 0014's documents_reissue keeps the issuer's own name for a re-issue)
    "CREATE POLICY documents_standing ON partyreg.documents FOR UPDATE USING (true)"
    f" WITH CHECK (changed_by = {NAME})",
    "ALTER TABLE partyreg.events ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY events_read ON partyreg.events FOR SELECT USING (true)",
    f"CREATE POLICY events_insert ON partyreg.events FOR INSERT WITH CHECK ({EVENT_WRITE})",
    f"CREATE POLICY events_update ON partyreg.events FOR UPDATE USING ({EVENT_WRITE})",
    "ALTER TABLE partyreg.event_attendance ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY event_attendance_read ON partyreg.event_attendance FOR SELECT"
    f" USING ({ATTENDANCE_SCOPE})",
    "CREATE POLICY event_attendance_insert ON partyreg.event_attendance FOR INSERT"
    f" WITH CHECK ({ATTENDANCE_SCOPE})",
    "CREATE POLICY event_attendance_update ON partyreg.event_attendance FOR UPDATE"
    f" USING ({ATTENDANCE_SCOPE})",
)

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partyreg.events TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partyreg.event_attendance TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA partyreg TO %I', app);
END $$;
"""


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=32), server_default="valid", nullable=False)
        )
        batch_op.add_column(sa.Column("replaced_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("revoked_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("changed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_check_constraint("status", "status IN ('valid', 'revoked', 'superseded')")
        batch_op.create_index(
            batch_op.f("ix_documents_member_id_documents_kind"), ["member_id", "kind"], unique=False
        )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_at", sa.String(length=5), nullable=False),
        sa.Column("end_at", sa.String(length=5), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), server_default="", nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=32), server_default="open", nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_events_status")),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_events_window")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_events_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_community_id_events_status"),
            ["community_id", "status"],
            unique=False,
        )
    op.create_table(
        "event_attendance",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "activity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_attendance_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_event_attendance_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "member_id", name=op.f("pk_event_attendance")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(GRANTS)
    for statement in POLICIES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS documents_standing ON partyreg.documents")
    op.drop_table("event_attendance")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_community_id_events_status"))
    op.drop_table("events")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_member_id_documents_kind"))
        batch_op.drop_constraint("status", type_="check")
        batch_op.drop_column("member_id")
        batch_op.drop_column("changed_by")
        batch_op.drop_column("reason")
        batch_op.drop_column("revoked_on")
        batch_op.drop_column("replaced_by")
        batch_op.drop_column("status")
