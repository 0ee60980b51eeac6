"""Feedback summary benchmark: ``feedback summary`` through the store against the bare SQL
``GROUP BY`` on the same store, in the same run.

    .venv/bin/python -m bench feedback                   # 100,000 members, 2,000,000 activities
    .venv/bin/python bench/feedback_bench.py --members 10000 --activities 200000 --backends sqlite

The city of ``bench/storage_bench.py`` (7 districts, 1,000 units, 500 communities) is loaded
once per backend: the members through the store (one 附表1 batch), everyone routed, and a year
of activities written with the bare driver (the load is ``storage``'s benchmark, not this one;
its time is reported). The triggers of revision 0011 fire on that load as on any write, so
``member_service`` is filled by the database itself, and the run checks that it adds up to the
confirmed activities. Then, by district, community, unit and member, five times each (the median
counts):

- **store**: ``SqlStore.feedback_summary`` as the city operator — the scoped ``GROUP BY`` over
  ``member_service`` (decision 0061) with hours, activities, the three rating counts and the
  members served, then the members per key (for "members with no activity yet") and the keys'
  labels, returned as core values;
- **bare**: the ``GROUP BY`` the issue names — same aggregates over the *activities* — in plain
  SQL on the bare driver connection, on PostgreSQL under the same operator role (row-level
  security applies to both).

Results go to the ``feedback`` section of ``bench/RESULTS.md`` (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.results import Figure, quick, write_section  # noqa: E402
from bench.results import report as report_figures  # noqa: E402
from bench.storage_bench import (  # noqa: E402
    YEAR,
    City,
    _activity_row,
    _bare_activities,
    _batch,
    _final_member_rows,
    _prepare,
    _raw,
    _timed,
    postgres_stores,
    sqlite_stores,
)
from partyreg_core.batches import BatchKind  # noqa: E402
from partyreg_core.feedback.model import SummaryBy  # noqa: E402
from partyreg_core.operators.model import Actor  # noqa: E402
from partyreg_plugins.sqlstore.store import SqlStore  # noqa: E402

RUNS = 5
KEYS = {
    SummaryBy.DISTRICT: "district_code",
    SummaryBy.COMMUNITY: "community_id",
    SummaryBy.UNIT: "unit_code",
    SummaryBy.MEMBER: "member_id",
}


def _bare_summary(store: SqlStore, actor: Actor, by: SummaryBy) -> list[tuple[Any, ...]]:
    column = KEYS[by]
    served = ", COUNT(DISTINCT member_id)" if by is not SummaryBy.MEMBER else ""
    sql = (
        f"SELECT {column}, SUM(hours), COUNT(*),"
        " SUM(CASE WHEN rating = '优' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN rating = '良' THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN rating = '一般' THEN 1 ELSE 0 END){served}"
        f" FROM activities WHERE confirmed AND year = {YEAR} GROUP BY {column}"
    )
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        if store.dialect == "sqlite":
            return list(raw.execute(sql.replace("WHERE confirmed", "WHERE confirmed = 1")))
        with raw.cursor() as cur:
            cur.execute(f'SET ROLE "{actor.operator.db_role}"')
            cur.execute("SET search_path = partyreg")
            cur.execute(sql)
            rows = cur.fetchall()
            cur.execute("RESET ROLE")
        raw.rollback()
        return rows


def run_backend(name: str, urls: tuple[str, str], city: City) -> dict[str, Any]:
    out: dict[str, Any] = {"backend": name}
    store, actor = _prepare(urls[0], city)
    print(f"[{name}] loading {len(city.registrations):,} members", flush=True)
    result = store.write_registrations(
        actor, _batch(BatchKind.REGISTRATIONS, len(city.registrations)), city.registrations
    )
    assert result.written == len(city.registrations), result
    with _raw(store) as raw:
        raw.execute("UPDATE members SET status = 'routed', routed_on = '2024-09-05'")
    _rows, _claims, by_person = _final_member_rows(store)
    print(f"[{name}] loading {city.activity_count:,} activities (bare)", flush=True)
    to_value = (lambda d: d.isoformat()) if store.dialect == "sqlite" else (lambda d: d)
    load = 0.0
    for month in city.months:
        rows = [_activity_row(a, by_person, to_value) for a in month]
        took, _ = _timed(lambda rows=rows: _bare_activities(store, rows))
        load += took
    out["load"] = load
    with _raw(store) as raw:
        counted = raw.execute(
            "SELECT (SELECT count(*) FROM activities WHERE confirmed = true),"
            " (SELECT coalesce(sum(activities), 0) FROM member_service),"
            " (SELECT count(*) FROM member_service)"
        ).fetchone()
    assert counted[0] == counted[1], counted  # the triggers kept member_service
    out["service_rows"] = int(counted[2])
    if store.dialect == "sqlite":
        with _raw(store) as raw:
            raw.execute("ANALYZE")
    else:
        with _raw(store) as raw:
            raw.execute("ANALYZE")
    for by in KEYS:
        print(f"[{name}] summary by {by.value}", flush=True)
        api_times, bare_times = [], []
        for _ in range(RUNS):
            took, rows = _timed(lambda b=by: store.feedback.feedback_summary(actor, b, year=YEAR))
            api_times.append(took)
            took, bare = _timed(lambda b=by: _bare_summary(store, actor, b))
            bare_times.append(took)
        # each key equal to the bare GROUP BY of the raw activities: hours, count, ratings and
        # (but by member) the members served
        active = {r.key: r for r in rows if r.activities}
        want = {("" if b[0] is None else str(b[0])): b for b in bare}
        assert active.keys() == want.keys(), f"summary by {by.value}: other keys than the rows"
        for key, b in want.items():
            r = active[key]
            same = (r.activities, r.excellent, r.good, r.fair) == tuple(int(v) for v in b[2:6])
            same = same and abs(r.hours - float(b[1])) <= 0.006
            if by is not SummaryBy.MEMBER:
                served = (r.members or 0) - (r.idle or 0)
                same = same and served == int(b[6])
            assert same, f"summary by {by.value} differs from the raw rows at {key}: {r} {b}"
        out[by.value] = (len(rows), statistics.median(api_times), statistics.median(bare_times))
    store.close()
    return out


def _row(label: str, count: int, api: float, bare: float, target: float) -> str:
    ratio = api / bare if bare else float("inf")
    verdict = "✓" if ratio <= target else "✗"
    return f"| {label} | {count:,} | {api:.2f} s | {bare:.2f} s | {ratio:.2f}× | ≤ {target}× {verdict} |"


def city_load(result: dict[str, Any]) -> str:
    return (
        f"Load of the activities with the bare driver, triggers firing: {result['load']:.1f} s;"
        f" `member_service` then holds {result['service_rows']:,} rows."
    )


def report(results: list[dict[str, Any]], members: int, activities: int) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{members:,} members and {activities:,} activities "
        "(`python -m bench feedback`; store vs bare SQL on the same store, side by side in one run).",
        "",
    ]
    for result in results:
        lines += [
            f"**{result['backend']}**",
            "",
            f"{city_load(result)}",
            "",
            "| feedback summary | rows | store | bare GROUP BY | ratio | target |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            _row(f"by district (median of {RUNS})", *result["district"], 1.2),
            _row(f"by community (median of {RUNS})", *result["community"], 1.2),
            _row(f"by unit (median of {RUNS})", *result["unit"], 1.2),
            _row(f"by member (median of {RUNS})", *result["member"], 1.2),
            "",
        ]
    lines += [
        "*Store* is `SqlStore.feedback_summary` as the city operator: the one scoped `GROUP BY`",
        "over the year's rows of `member_service` (hours, count, 优/良/一般, members served; the",
        "confirmed activities summed per member, year and scope by triggers, decision 0061), plus a",
        "`GROUP BY` over the members for those with no activity yet and the keys' labels, returned",
        "as `SummaryRow` values — the whole of what `partyreg feedback summary` prints. *Bare* is the",
        "`GROUP BY` the issue names: the same aggregates over the year's confirmed *activities* on",
        "the driver connection (on PostgreSQL under the same role, so row-level security applies to",
        "both). The rows by member include the members with no activity (one row each), which the",
        "bare query has no way to list.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=20_000 if quick() else 100_000)
    parser.add_argument("--activities", type=int, default=300_000 if quick() else 2_000_000)
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--pg", default=os.environ.get("PARTYREG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="an administrator's URL on the PostgreSQL server (a database is created and dropped)",
    )  # fmt: skip
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)
    print(f"generating {args.members:,} members and {args.activities:,} activities", flush=True)
    city = City(args.members, args.activities)
    results = []
    for backend in args.backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp, sqlite_stores(Path(tmp), 1) as pairs:
                results.append(run_backend("SQLite", pairs[0], city))
        else:
            with postgres_stores(args.pg, 1) as pairs:
                results.append(run_backend("PostgreSQL", pairs[0], city))
    text = report(results, args.members, city.activity_count)
    print(text)
    if not args.no_write:
        write_section("feedback", "Feedback summary (issue #6)", text)
    report_figures(
        "feedback",
        [
            Figure(f"{result['backend']}: feedback summary by {key}, {args.activities:,} activities",
                   result[key][1], "bare GROUP BY of the activities", result[key][2], 1.2)
            for result in results
            for key in ("district", "community", "unit", "member")
        ],
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
