"""Bulk inserts, one code path per dialect, inside the caller's transaction.

SQLite: one prepared ``INSERT`` run by the driver's ``executemany`` over plain tuples.
PostgreSQL: ``COPY`` into a temporary staging table, then ``INSERT … SELECT`` into the real one —
COPY is not allowed into tables under row-level security, and going through INSERT lets the
policies check every row (DESIGN.md §9).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

_stage_numbers = itertools.count(1)


def sqlite_date(value: date | None) -> str | None:
    """A date as SQLAlchemy's SQLite ``Date`` type stores it."""
    return None if value is None else value.isoformat()


def sqlite_datetime(value: datetime | None) -> str | None:
    """A UTC datetime as SQLAlchemy's SQLite ``DateTime`` type stores it."""
    if value is None:
        return None
    return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_rows(
    conn: sa.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    conflict: Sequence[str] | None = None,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, values already in the dialect's form — see
    :func:`sqlite_date`) into ``table``; with ``conflict`` (a unique key), rows clashing with
    an existing one are skipped. Returns how many rows were inserted."""
    cols = ", ".join(columns)
    on_conflict = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING" if conflict else ""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        assert raw is not None
        marks = ", ".join("?" * len(columns))
        # the cursor's rowcount counts the rows the INSERT itself wrote; the connection's
        # total_changes would count the rows triggers write too (member_service, revision 0011)
        cursor = raw.executemany(
            f"INSERT INTO {table} ({cols}) VALUES ({marks}){on_conflict}", rows
        )
        return max(int(cursor.rowcount), 0)
    stage = f"stage_{table}_{next(_stage_numbers)}"
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA"
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    result = conn.exec_driver_sql(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}{on_conflict}"
    )
    conn.exec_driver_sql(f"DROP TABLE {stage}")
    return int(result.rowcount)


def in_values(dialect: str, column: sa.ColumnElement[Any], values: Sequence[Any]) -> Any:
    """``column IN values`` for many values as one bound parameter (a JSON array on SQLite, an
    array on PostgreSQL): one statement, compiled once, however many values there are."""
    if dialect == "sqlite":
        listed: sa.Select[Any] = sa.select(sa.column("value")).select_from(
            sa.func.json_each(sa.bindparam(None, json.dumps(list(values), ensure_ascii=False)))
        )
        return column.in_(listed)
    return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))


def fetch_rows(conn: sa.Connection, statement: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """Run ``statement`` on the bare driver cursor and return plain tuples, values as the driver
    gives them (SQLite: dates as ISO text) — for the bulk paths, where SQLAlchemy's per-row
    result processing would cost more than the query. Bound values must already be in the
    driver's form."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = [compiled.params[name] for name in compiled.positiontup]
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(str(compiled), params)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


#: The activity columns a joined insert takes from the batch (the member's come from the join).
JOINED_ACTIVITY_COLUMNS = (
    "day",
    "year",
    "content",
    "place",
    "participants",
    "hours",
    "rating",
    "kind",
    "self_reported",
    "confirmed",
    "batch_id",
)


def insert_activities_joined(
    conn: sa.Connection, rows: Sequence[tuple[Any, ...]], scope_sql: str
) -> int:
    """Insert activities given as (:data:`JOINED_ACTIVITY_COLUMNS`…, name, phone), each joined
    to its member by name + phone — routed, with a community, and passing ``scope_sql`` (``AND
    …`` on ``members``). Rows whose member does not qualify are not inserted; returns how many
    were. A row already stored raises the driver's unique violation (no ``ON CONFLICT``: the
    caller has checked, and the clause costs a sixth of the insert on a large table)."""
    own = ", ".join(JOINED_ACTIVITY_COLUMNS)
    target = f"member_id, community_id, unit_code, district_code, {own}"
    member = "members.id, members.community_id, members.unit_code, members.district_code"
    qualifies = f"members.status <> 'registered' AND members.community_id IS NOT NULL{scope_sql}"
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        assert raw is not None
        values = ", ".join("?" * len(JOINED_ACTIVITY_COLUMNS))
        cursor = raw.executemany(
            f"INSERT INTO activities ({target}) SELECT {member}, {values} FROM members"
            f" WHERE members.name = ? AND members.phone = ? AND {qualifies}",
            rows,
        )
        return max(int(cursor.rowcount), 0)  # not total_changes: it counts trigger writes
    stage = f"stage_activities_{next(_stage_numbers)}"
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {own},"
        " ''::text AS name, ''::text AS phone FROM activities WITH NO DATA"
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {stage} ({own}, name, phone) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    conn.exec_driver_sql(f"ANALYZE {stage}")  # so that the join is planned for its real size
    staged = ", ".join(f"s.{c}" for c in JOINED_ACTIVITY_COLUMNS)
    result = conn.exec_driver_sql(
        f"INSERT INTO activities ({target}) SELECT {member}, {staged} FROM {stage} s"
        f" JOIN members ON members.name = s.name AND members.phone = s.phone"
        f" WHERE {qualifies}"
    )
    conn.exec_driver_sql(f"DROP TABLE {stage}")
    return int(result.rowcount)


#: One batch's confirmed activities added to ``member_service`` in one grouped UPSERT — what the
#: SQLite insert trigger of revision 0011 does row by row.
_SERVICE_ADD_BATCH = """
INSERT INTO member_service (year, member_id, community_id, unit_code, district_code,
                            hours, activities, excellent, good, fair)
SELECT year, member_id, coalesce(community_id, 0), unit_code, coalesce(district_code, ''),
       sum(hours), count(*), sum(rating = '优'), sum(rating = '良'), sum(rating = '一般')
FROM activities WHERE batch_id = ? AND confirmed
GROUP BY year, member_id, coalesce(community_id, 0), unit_code, coalesce(district_code, '')
ON CONFLICT (year, member_id, community_id, unit_code, district_code) DO UPDATE SET
    hours = hours + excluded.hours, activities = activities + excluded.activities,
    excellent = excellent + excluded.excellent, good = good + excluded.good,
    fair = fair + excluded.fair
"""


@contextmanager
def service_added_per_batch(conn: sa.Connection, batch_id: str) -> Iterator[None]:
    """Around a bulk insert of batch ``batch_id``'s activities on SQLite: the row trigger
    that keeps ``member_service`` is lifted inside the writing transaction, and the batch's
    rows are added once, grouped, after the insert; the trigger is then put back as it was
    (its stored SQL). The rows the insert skipped as duplicates keep their own batch, so
    exactly the new rows are added. SQLite has one writer at a time and its DDL is
    transactional: no other writer can miss the trigger, and a rollback restores it. On
    PostgreSQL (statement triggers) nothing changes. Decision 0061."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    found = raw.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'member_service_insert'"
    ).fetchone()
    if found is None:
        yield
        return
    raw.execute("DROP TRIGGER member_service_insert")
    try:
        yield
        raw.execute(_SERVICE_ADD_BATCH, (batch_id,))
    finally:
        raw.execute(found[0])
