"""Progress over a city of 100,000 members on SQLite: ``partyreg progress`` by district, unit
and community, the overdue list, and a bare ``GROUP BY`` of the same members for scale.

    .venv/bin/python -m bench progress                 # 100,000 members
    .venv/bin/python bench/progress_bench.py --members 10000

The city is the storage benchmark's (7 districts, 1,000 units, 500 communities). Members are
registered through the store in four batches on dates around the registration deadline; routes
and report-ins are then written with plain SQL (set-up, not measured): 80 % routed, before and
after the routing deadline, 60 % reported in, before and after the report-in deadline, and one
in twenty moved through an approved change of community. Each measurement is the median of
five runs through the facade (``Workspace.progress``: the grouped query plus the core's rules
and roll-ups). No target: this measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.results import Figure, quick, write_section  # noqa: E402
from bench.results import report as report_figures  # noqa: E402
from bench.storage_bench import OS_USER, City, _prepare  # noqa: E402
from partyreg_core.batches import Batch, BatchKind, new_batch_id  # noqa: E402
from partyreg_core.workspace import Workspace  # noqa: E402

RUNS = 5
ON = date(2024, 9, 25)
REGISTERED = (date(2024, 8, 20), date(2024, 8, 28), date(2024, 8, 30), date(2024, 9, 3))


def _median(action: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _load(url: str, members: int) -> None:
    city = City(members, 0)
    store, actor = _prepare(url, city)
    quarter = (len(city.registrations) + 3) // 4
    for k, day in enumerate(REGISTERED):
        regs = city.registrations[k * quarter : (k + 1) * quarter]
        at = datetime.now(UTC)
        batch = Batch(
            new_batch_id(at, os.urandom(3).hex()),
            BatchKind.REGISTRATIONS,
            "bench",
            OS_USER,
            at,
            day,
            len(regs),
        )
        result = store.write_registrations(actor, batch, regs)
        assert not result.rejected, result.rejected[:3]
    with store.engine.begin() as conn:
        for statement in (
            # 80 % routed: most before the routing deadline (09-10), some after
            "INSERT INTO routes (member_id, from_code, district_code, community_id, routed_on, "
            "routed_by) SELECT id, substr(unit_code, 1, 7), district_code, community_id, "
            "CASE WHEN id % 10 < 6 THEN '2024-09-08' ELSE '2024-09-14' END, 'bench' "
            "FROM members WHERE id % 10 < 8 AND community_id IS NOT NULL",
            "UPDATE members SET status = 'routed', routed_on = (SELECT routed_on FROM routes "
            "WHERE routes.member_id = members.id) WHERE id IN (SELECT member_id FROM routes)",
            # 60 % reported in: most before the report-in deadline (09-20), some after
            "UPDATE members SET status = 'reported_in', reported_on = CASE WHEN id % 10 < 4 "
            "THEN '2024-09-18' ELSE '2024-09-23' END WHERE status = 'routed' AND id % 10 < 6",
            # one in twenty moved after reporting in: an approved change of community
            "INSERT INTO change_requests (member_id, from_community_id, to_community_id, "
            "to_district, to_street, to_name, reason, status, requested_on, decided_on, "
            "decided_by, released_reported_on) SELECT id, community_id, community_id, "
            "community_district, community_street, community_name, 'bench', 'approved', "
            "'2024-10-01', '2024-10-02', 'bench', reported_on FROM members "
            "WHERE status = 'reported_in' AND id % 20 = 0",
        ):
            conn.execute(sa.text(statement))
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=20_000 if quick() else 100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'progress.db'}"
        start = time.perf_counter()
        _load(url, args.members)
        load = time.perf_counter() - start
        ws = Workspace(url, os_user=OS_USER)
        timings = {}
        for by in ("district", "unit", "community"):
            timings[by] = _median(lambda by=by: ws.progress(by, on=ON, year=2024))
        report = ws.progress("unit", on=ON, year=2024)
        overdue = [0]

        def count_overdue() -> None:
            overdue[0] = sum(1 for _ in ws.overdue(on=ON, year=2024))

        timings["overdue"] = _median(count_overdue, 3)
        engine = sa.create_engine(url)
        bare_sql = sa.text(
            "SELECT substr(unit_code, 1, 11), count(*), sum(routed_on IS NOT NULL), "
            "sum(reported_on IS NOT NULL) FROM members GROUP BY 1"
        )
        with engine.connect() as conn:
            timings["bare"] = _median(lambda: conn.execute(bare_sql).all())
            bare_rows = conn.execute(bare_sql).all()
        engine.dispose()
        ws.close()
    total = report.total
    # each unit's registered members equal to the bare GROUP BY of the members table, and the
    # totals to the raw rows' (routed and reported in as of the day: every set-up row is older)
    by_unit = {r.key: r.registered for r in report.rows if r.registered}
    assert by_unit == {str(code): int(n) for code, n, _r, _i in bare_rows}, "progress by unit"
    assert total.registered == sum(int(n) for _c, n, _r, _i in bare_rows) == args.members
    checked = total.routed == sum(int(r) for _c, _n, r, _i in bare_rows) and (
        total.reported_in == sum(int(i) for _c, _n, _r, i in bare_rows)
    )
    body = "\n".join(
        [
            f"{args.members:,} members in 1,000 units and 500 communities, SQLite, as of "
            f"{ON.isoformat()} (after the routing and report-in deadlines); median of {RUNS} "
            f"runs through `Workspace.progress` (one grouped query: members joined once with "
            f"per-member aggregates of the first route of re-routed members, the first "
            f"report-in released by an approved change and the year's sheet confirmation; then "
            f"the core's rules and roll-ups). Machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; set-up (load) {load:.1f} s.",
            "",
            "| what | time |",
            "| --- | --- |",
            f"| `progress --by district` (7 rows) | {timings['district'] * 1000:.0f} ms |",
            f"| `progress --by unit` ({len(report.rows):,} rows + districts) "
            f"| {timings['unit'] * 1000:.0f} ms |",
            f"| `progress --by community` | {timings['community'] * 1000:.0f} ms |",
            f"| `progress overdue` ({overdue[0]:,} members listed, median of 3) "
            f"| {timings['overdue'] * 1000:.0f} ms |",
            f"| bare `GROUP BY` unit of the members table (no milestone dates, no deadlines) "
            f"| {timings['bare'] * 1000:.0f} ms |",
            "",
            f"Totals: registered {total.registered:,}, routed {total.routed:,} (late "
            f"{total.routing.late:,}, overdue {total.routing.overdue:,}), reported in "
            f"{total.reported_in:,} (late {total.report_in.late:,}, overdue "
            f"{total.report_in.overdue:,}).",
        ]
    )
    print(body)
    write_section("progress", "Progress (campaign calendar)", body)
    report_figures(
        "progress",
        [
            Figure(f"`progress --by {by}`, {args.members:,} members", timings[by],
                   "bare GROUP BY unit of the members", timings["bare"], 1.2, checked=checked)
            for by in ("district", "unit", "community")
        ],
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
