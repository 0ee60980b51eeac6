"""residents' wishes, the points ledger and its rules, members' opt-outs of nudges

Decisions 0130–0136. ``points_entries`` and ``points_rules`` are append-only: triggers refuse
UPDATE and DELETE on both stores, as for the audit log. PostgreSQL: row-level security scopes
``wishes`` like a community's own records (the city; the district by ``district_code``; the
community and its instructors by ``community_id``; a unit reads, never writes, the wishes its
members claimed, by ``member_unit_code``), ``points_entries`` like activities (by the member's
unit, district and community), ``points_rules`` readable by all and written by the city or a
district for its own code, ``nudge_optouts`` through the member they belong to.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
COMMUNITIES = "(SELECT partyreg.pr_communities())::bigint[]"
IS_CITY = f"{ROLE} = 'city'"


def _by_unit(column: str) -> str:
    return (
        f"({ROLE} IN ('district', 'unit')"
        f" AND ({column} = {CODE} OR starts_with({column}, {BELOW})))"
    )


COMMUNITY_SIDE = (
    f"{IS_CITY} OR ({ROLE} = 'district' AND district_code = {CODE})"
    f" OR ({ROLE} IN ('community', 'instructor') AND community_id = ANY ({COMMUNITIES}))"
)
WISH_VISIBLE = f"{COMMUNITY_SIDE} OR ({ROLE} = 'unit' AND {_by_unit('member_unit_code')})"
ENTRY_VISIBLE = f"{COMMUNITY_SIDE} OR {_by_unit('unit_code')}"

POLICIES = (
    "ALTER TABLE partyreg.wishes ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY wishes_read ON partyreg.wishes FOR SELECT USING ({WISH_VISIBLE})",
    f"CREATE POLICY wishes_insert ON partyreg.wishes FOR INSERT WITH CHECK ({COMMUNITY_SIDE})",
    f"CREATE POLICY wishes_update ON partyreg.wishes FOR UPDATE USING ({COMMUNITY_SIDE})"
    f" WITH CHECK ({COMMUNITY_SIDE})",
    "ALTER TABLE partyreg.points_entries ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY points_entries_read ON partyreg.points_entries FOR SELECT"
    f" USING ({ENTRY_VISIBLE})",
    f"CREATE POLICY points_entries_insert ON partyreg.points_entries FOR INSERT"
    f" WITH CHECK ({ENTRY_VISIBLE})",
    "ALTER TABLE partyreg.points_rules ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY points_rules_read ON partyreg.points_rules FOR SELECT USING (true)",
    "CREATE POLICY points_rules_insert ON partyreg.points_rules FOR INSERT WITH CHECK"
    f" ({IS_CITY} OR ({ROLE} = 'district' AND district_code = {CODE}))",
    "ALTER TABLE partyreg.nudge_optouts ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY nudge_optouts_scope ON partyreg.nudge_optouts USING"
    " (EXISTS (SELECT 1 FROM partyreg.members m WHERE m.id = member_id))",
)

GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON partyreg.wishes TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT ON partyreg.points_entries TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT ON partyreg.points_rules TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON partyreg.nudge_optouts TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA partyreg TO %I', app);
END $$;
"""

APPEND_ONLY = ("points_entries", "points_rules")

GUARD_PG = """
CREATE FUNCTION partyreg.points_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the points ledger is append-only (% refused)', TG_OP
        USING ERRCODE = 'raise_exception';
END $$;
""" + "".join(
    f"""
CREATE TRIGGER {t}_no_change BEFORE UPDATE OR DELETE ON partyreg.{t}
    FOR EACH ROW EXECUTE FUNCTION partyreg.points_append_only();
CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON partyreg.{t}
    FOR EACH STATEMENT EXECUTE FUNCTION partyreg.points_append_only();
"""
    for t in APPEND_ONLY
)

GUARD_SQLITE = tuple(
    f"""CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t}
    BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only ({verb} refused)'); END"""
    for t in APPEND_ONLY
    for verb in ("UPDATE", "DELETE")
)


def upgrade() -> None:
    op.create_table(
        "points_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("district_code", sa.String(length=64), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_rules")),
    )
    with op.batch_alter_table("points_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_points_rules_district_from", ["district_code", "effective_from"], unique=False
        )

    op.create_table(
        "nudge_optouts",
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kinds", sa.String(length=200), server_default="*", nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_nudge_optouts_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_nudge_optouts")),
    )
    op.create_table(
        "points_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("district_code", sa.String(length=64), nullable=True),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), server_default="", nullable=False),
        sa.CheckConstraint(
            "source IN ('activity', 'wish', 'rating', 'event', 'adjustment')",
            name=op.f("ck_points_entries_source"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_points_entries_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
    )
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.create_index("ix_points_community_year", ["community_id", "year"], unique=False)
        batch_op.create_index(
            "ix_points_member_year_day", ["member_id", "year", "day"], unique=False
        )
        batch_op.create_index("ix_points_source", ["source", "source_id"], unique=False)
        batch_op.create_index("ix_points_unit_year", ["unit_code", "year"], unique=False)

    op.create_table(
        "wishes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("district_code", sa.String(length=64), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("resident_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("resident_phone", sa.String(length=32), server_default="", nullable=False),
        sa.Column("post_code", sa.String(length=32), server_default="", nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=64), server_default="", nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=32), server_default="open", nullable=False),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("member_unit_code", sa.String(length=64), nullable=True),
        sa.Column("claimed_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_note", sa.Text(), server_default="", nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rating_comment", sa.Text(), server_default="", nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "activity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("created_by", sa.String(length=200), server_default="", nullable=False),
        sa.Column("erased_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "rating IS NULL OR rating IN ('满意', '基本满意', '不满意')",
            name=op.f("ck_wishes_rating"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'cancelled') OR member_id IS NOT NULL",
            name=op.f("ck_wishes_claimed_member"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'done', 'rated', 'cancelled')",
            name=op.f("ck_wishes_status"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_wishes_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_wishes_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_wishes_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wishes")),
    )
    with op.batch_alter_table("wishes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wishes_community_id_wishes_status"),
            ["community_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_wishes_district_code_wishes_year"),
            ["district_code", "year"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_wishes_member_id"), ["member_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(GUARD_PG)
        for statement in POLICIES:
            op.execute(statement)
        op.execute(GRANTS)
    else:
        for statement in GUARD_SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_change ON partyreg.{t}")
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON partyreg.{t}")
        op.execute("DROP FUNCTION IF EXISTS partyreg.points_append_only()")
    with op.batch_alter_table("wishes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wishes_member_id"))
        batch_op.drop_index(batch_op.f("ix_wishes_district_code_wishes_year"))
        batch_op.drop_index(batch_op.f("ix_wishes_community_id_wishes_status"))

    op.drop_table("wishes")
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_points_unit_year")
        batch_op.drop_index("ix_points_source")
        batch_op.drop_index("ix_points_member_year_day")
        batch_op.drop_index("ix_points_community_year")

    op.drop_table("points_entries")
    op.drop_table("nudge_optouts")
    with op.batch_alter_table("points_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_points_rules_district_from")

    op.drop_table("points_rules")
