"""notifications: outbox status, target and idempotency key; channels per target

The outbox gains where a message stands (``status``: pending, sent, failed, skipped), who it
is for (``target``), a unique ``idempotency_key`` (an event handled twice adds nothing), what it
is about (``community_id``, ``district_code``, with the existing ``org_code``) for scoping, who
made it and the last error's code. ``channels`` holds the channels configured per org unit,
community or instructor (settings as JSON; secrets only as ``env:NAME``).

PostgreSQL: both tables get row-level security (decision 0013): an outbox row is readable and
updatable by the city, by whoever made it and by the operators whose scope covers its target;
channels are readable by all (delivery reads them for any target; they hold no secret) and
written only within the writer's scope.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
COMMUNITIES = "(SELECT partyreg.pr_communities())::bigint[]"
NAME = "(SELECT partyreg.pr_name())"
IS_CITY = f"{ROLE} = 'city'"
BY_UNIT = (
    f"({ROLE} IN ('district', 'unit') AND (org_code = {CODE} OR starts_with(org_code, {BELOW})))"
)
BY_COMMUNITY = (
    f"(({ROLE} = 'district' AND district_code = {CODE})"
    f" OR ({ROLE} IN ('community', 'instructor') AND community_id = ANY ({COMMUNITIES})))"
)
OUTBOX_VISIBLE = f"{IS_CITY} OR created_by = {NAME} OR {BY_UNIT} OR {BY_COMMUNITY}"
CHANNEL_WRITE = (
    f"{IS_CITY} OR {BY_UNIT} OR ({ROLE} = 'district' AND district_code = {CODE})"
    f" OR ({ROLE} = 'community' AND community_id = ANY ({COMMUNITIES}))"
)

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _policies() -> list[str]:
    return [
        "ALTER TABLE partyreg.outbox ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY outbox_read ON partyreg.outbox FOR SELECT USING ({OUTBOX_VISIBLE})",
        f"CREATE POLICY outbox_update ON partyreg.outbox FOR UPDATE USING ({OUTBOX_VISIBLE})",
        f"CREATE POLICY outbox_insert ON partyreg.outbox FOR INSERT WITH CHECK (created_by = {NAME})",
        f"CREATE POLICY outbox_delete ON partyreg.outbox FOR DELETE USING ({IS_CITY})",
        "ALTER TABLE partyreg.channels ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY channels_read ON partyreg.channels FOR SELECT USING (true)",
        f"CREATE POLICY channels_insert ON partyreg.channels FOR INSERT WITH CHECK ({CHANNEL_WRITE})",
        f"CREATE POLICY channels_update ON partyreg.channels FOR UPDATE USING ({CHANNEL_WRITE})",
        f"CREATE POLICY channels_delete ON partyreg.channels FOR DELETE USING ({CHANNEL_WRITE})",
    ]


GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON partyreg.channels TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE partyreg.channels_id_seq TO %I', app);
END $$;
"""


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(32), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("target", sa.String(80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("community_id", BIGINT, nullable=True))
        batch_op.add_column(sa.Column("district_code", sa.String(64), nullable=True))
        batch_op.add_column(
            sa.Column("created_by", sa.String(200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("error_code", sa.String(64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_status_outbox_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_idempotency_key"), ["idempotency_key"]
        )
        batch_op.create_check_constraint(
            "status", "status IN ('pending', 'sent', 'failed', 'skipped')"
        )
    op.create_table(
        "channels",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("org_code", sa.String(64), nullable=True),
        sa.Column("district_code", sa.String(64), nullable=True),
        sa.Column("community_id", BIGINT, nullable=True),
        sa.Column("created_by", sa.String(200), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_channels_name")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channels_target"), ["target"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in _policies():
            op.execute(statement)
        op.execute(GRANTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE partyreg.outbox DISABLE ROW LEVEL SECURITY")
        for name in ("outbox_read", "outbox_update", "outbox_insert", "outbox_delete"):
            op.execute(f"DROP POLICY {name} ON partyreg.outbox")
    op.drop_table("channels")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("status", type_="check")
        batch_op.drop_constraint(batch_op.f("uq_outbox_idempotency_key"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_outbox_status_outbox_next_attempt_at"))
        for column in (
            "error_code",
            "created_by",
            "district_code",
            "community_id",
            "idempotency_key",
            "target",
            "status",
        ):
            batch_op.drop_column(column)
