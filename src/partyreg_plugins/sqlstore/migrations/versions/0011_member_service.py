"""member_service: confirmed service per member, year and scope, kept by triggers on activities

One row per distinct (year, member_id, community_id, unit_code, district_code) of the confirmed
activities, with their hours, count and 优/良/一般 counts; NULL community/district keyed as 0 and
'' (no community has id 0, no org code is empty; SQLite has no ``NULLS NOT DISTINCT``). Filled
from the activities here, then kept by triggers on ``activities`` in the writing transaction,
whatever the write path (instructor records, imports, self-report decisions, batch undo,
transfers, org-change re-codes); a row whose count reaches 0 is deleted (decision 0061).

SQLite: row triggers (an UPSERT adds a confirmed row, an UPDATE takes one away, then a DELETE at
count 0); the UPDATE trigger fires only for the counted columns.

PostgreSQL: statement-level triggers with transition tables, one per event, each adding or
taking away the statement's rows aggregated per key (an import of 170,000 rows is one
``INSERT … ON CONFLICT`` of a few thousand keys, not 170,000 row trigger calls). The functions
are ``SECURITY DEFINER`` (owned by the store's owner, which this migration runs as; a fixed
``search_path``), so they write ``member_service`` for every operator role, which may only read
it: ``SELECT`` to the app role, under the same policy as the activities (revision 0002) on the
table's own scope columns. The backfill runs with the activities locked against writers, so
nothing written meanwhile is missed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_SQL = "'pr_' || left(md5(current_database()), 10)"
ROLE = "(SELECT partyreg.pr_role())"
CODE = "(SELECT partyreg.pr_code())"
BELOW = "(SELECT partyreg.pr_code() || '.')"
COMMUNITIES = "(SELECT partyreg.pr_communities())::bigint[]"
# the activities' policy of revision 0002, on member_service's columns (the sentinels 0 and ''
# match no scope, as NULL does not)
SERVICE_VISIBLE = (
    f"{ROLE} = 'city'"
    f" OR ({ROLE} IN ('district', 'unit')"
    f" AND (unit_code = {CODE} OR starts_with(unit_code, {BELOW})))"
    f" OR ({ROLE} = 'district' AND district_code = {CODE})"
    f" OR ({ROLE} IN ('community', 'instructor') AND community_id = ANY ({COMMUNITIES}))"
)

KEY = "year, member_id, community_id, unit_code, district_code"
COUNTS = "hours, activities, excellent, good, fair"


def _key(row: str) -> str:
    return (
        f"{row}.year, {row}.member_id, coalesce({row}.community_id, 0), {row}.unit_code,"
        f" coalesce({row}.district_code, '')"
    )


def _same_key(row: str) -> str:
    return (
        f"year = {row}.year AND member_id = {row}.member_id"
        f" AND community_id = coalesce({row}.community_id, 0) AND unit_code = {row}.unit_code"
        f" AND district_code = coalesce({row}.district_code, '')"
    )


# -- SQLite: row triggers ---------------------------------------------------------------------

_SQLITE_ADD = f"""
    INSERT INTO member_service ({KEY}, {COUNTS})
    SELECT {_key("NEW")}, NEW.hours, 1, NEW.rating = '优', NEW.rating = '良', NEW.rating = '一般'
    WHERE NEW.confirmed
    ON CONFLICT ({KEY}) DO UPDATE SET
        hours = hours + excluded.hours, activities = activities + 1,
        excellent = excellent + excluded.excellent, good = good + excluded.good,
        fair = fair + excluded.fair;"""
_SQLITE_TAKE = f"""
    UPDATE member_service SET
        hours = hours - OLD.hours, activities = activities - 1,
        excellent = excellent - (OLD.rating = '优'), good = good - (OLD.rating = '良'),
        fair = fair - (OLD.rating = '一般')
    WHERE OLD.confirmed AND {_same_key("OLD")};
    DELETE FROM member_service WHERE activities <= 0 AND {_same_key("OLD")};"""
COUNTED = "confirmed, hours, rating, member_id, year, community_id, unit_code, district_code"
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER member_service_insert AFTER INSERT ON activities
    WHEN NEW.confirmed BEGIN{_SQLITE_ADD}
    END""",
    f"""CREATE TRIGGER member_service_delete AFTER DELETE ON activities
    WHEN OLD.confirmed BEGIN{_SQLITE_TAKE}
    END""",
    f"""CREATE TRIGGER member_service_update AFTER UPDATE OF {COUNTED} ON activities
    WHEN OLD.confirmed OR NEW.confirmed BEGIN{_SQLITE_ADD}{_SQLITE_TAKE}
    END""",
)

# -- PostgreSQL: statement triggers over transition tables -------------------------------------


def _rows(table: str, sign: str) -> str:
    """The confirmed rows of a transition table as signed per-row counts."""
    return (
        f"SELECT {_key('t')}, {sign}t.hours, {sign}1,"
        f" {sign}(t.rating = '优')::int, {sign}(t.rating = '良')::int,"
        f" {sign}(t.rating = '一般')::int FROM {table} t WHERE t.confirmed"
    )


_PG_UPSERT = f"""
    INSERT INTO partyreg.member_service AS s ({KEY}, {COUNTS})
    SELECT k1, k2, k3, k4, k5, sum(h), sum(n), sum(e), sum(g), sum(f)
    FROM (%s) AS d (k1, k2, k3, k4, k5, h, n, e, g, f)
    GROUP BY k1, k2, k3, k4, k5
    HAVING sum(n) <> 0 OR sum(h) <> 0 OR sum(e) <> 0 OR sum(g) <> 0 OR sum(f) <> 0
    ORDER BY k1, k2, k3, k4, k5
    ON CONFLICT ({KEY}) DO UPDATE SET
        hours = s.hours + excluded.hours, activities = s.activities + excluded.activities,
        excellent = s.excellent + excluded.excellent, good = s.good + excluded.good,
        fair = s.fair + excluded.fair;"""
_PG_EMPTIED = f"""
    DELETE FROM partyreg.member_service s
    USING (SELECT DISTINCT {_key("t")} FROM old_rows t WHERE t.confirmed)
        AS o (k1, k2, k3, k4, k5)
    WHERE s.activities <= 0 AND s.year = o.k1 AND s.member_id = o.k2
      AND s.community_id = o.k3 AND s.unit_code = o.k4 AND s.district_code = o.k5;"""
_PG_FUNCTION = """
CREATE FUNCTION partyreg.{name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = partyreg, pg_temp AS $$
BEGIN{body}
    RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION partyreg.{name}() FROM PUBLIC;
"""
PG_FUNCTIONS = {
    "member_service_inserted": _PG_UPSERT % _rows("new_rows", ""),
    "member_service_deleted": _PG_UPSERT % _rows("old_rows", "-") + _PG_EMPTIED,
    "member_service_updated": (
        _PG_UPSERT % f"{_rows('new_rows', '')} UNION ALL {_rows('old_rows', '-')}" + _PG_EMPTIED
    ),
}
# PostgreSQL refuses transition tables on a trigger with a column list: the UPDATE trigger
# fires for every UPDATE; rows whose counted columns did not change add up to nothing (HAVING)
PG_TRIGGERS = (
    "CREATE TRIGGER member_service_insert AFTER INSERT ON partyreg.activities"
    " REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION partyreg.member_service_inserted()",
    "CREATE TRIGGER member_service_delete AFTER DELETE ON partyreg.activities"
    " REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION partyreg.member_service_deleted()",
    "CREATE TRIGGER member_service_update AFTER UPDATE ON partyreg.activities"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION partyreg.member_service_updated()",
)

BACKFILL = f"""
INSERT INTO member_service ({KEY}, {COUNTS})
SELECT year, member_id, coalesce(community_id, 0), unit_code, coalesce(district_code, ''),
       sum(hours), count(*),
       sum(CASE WHEN rating = '优' THEN 1 ELSE 0 END),
       sum(CASE WHEN rating = '良' THEN 1 ELSE 0 END),
       sum(CASE WHEN rating = '一般' THEN 1 ELSE 0 END)
FROM activities WHERE confirmed = {{true}}
GROUP BY year, member_id, coalesce(community_id, 0), unit_code, coalesce(district_code, '')
"""

POLICIES = (
    "ALTER TABLE partyreg.member_service ENABLE ROW LEVEL SECURITY",
    "CREATE POLICY member_service_read ON partyreg.member_service FOR SELECT"
    f" USING ({SERVICE_VISIBLE})",
)
GRANTS = f"""
DO $$
DECLARE app text := {PREFIX_SQL} || '_app';
BEGIN
    EXECUTE format('GRANT SELECT ON partyreg.member_service TO %I', app);
END $$;
"""


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.create_table(
        "member_service",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("district_code", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=False),
        sa.Column("excellent", sa.Integer(), nullable=False),
        sa.Column("good", sa.Integer(), nullable=False),
        sa.Column("fair", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "year",
            "member_id",
            "community_id",
            "unit_code",
            "district_code",
            name=op.f("pk_member_service"),
        ),
        sqlite_with_rowid=False,
    )
    if postgres:
        op.execute("LOCK TABLE partyreg.activities IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL.format(true="true" if postgres else "1"))
    if not postgres:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        return
    for name, body in PG_FUNCTIONS.items():
        op.execute(_PG_FUNCTION.format(name=name, body=body))
    for statement in PG_TRIGGERS:
        op.execute(statement)
    for statement in POLICIES:
        op.execute(statement)
    op.execute(GRANTS)


def downgrade() -> None:
    bind = op.get_bind()
    for trigger in ("member_service_insert", "member_service_delete", "member_service_update"):
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {trigger} ON partyreg.activities")
        else:
            op.execute(f"DROP TRIGGER {trigger}")
    if bind.dialect.name == "postgresql":
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION partyreg.{name}()")
    op.drop_table("member_service")
