"""Over-the-years operations at city scale (SQLite): Table 1's service totals, opening a year,
the year-lock check on an activity batch, a retention run, and writing the templates.

A generated city (bench/storage_bench.py's ``City``: 1,000 units, 500 communities) with
``--members`` members and ``--activities`` activities; ``--left`` of the members have left four
years before the run date, and every member has one edit in the audit log besides the import
(so the scrub has a log of members + a few entries to read). Results go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage_bench import YEAR, City, _batch, _prepare, _raw

from bench.results import write_section
from partyreg_core.batches import BatchKind
from partyreg_core.hours import RollupKey
from partyreg_core.members.model import MemberQuery
from partyreg_core.posts import PostCatalog
from partyreg_core.years import calendar_for
from partyreg_plugins.templates import write_form1_template


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=500_000)
    parser.add_argument("--left", type=float, default=0.05, help="share of members who left")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    city = City(args.members, args.activities)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        store, actor = _prepare(f"sqlite:///{tmp}/years.db", city)
        print("[years] loading members and activities (set-up)", flush=True)
        store.write_registrations(
            actor, _batch(BatchKind.REGISTRATIONS, len(city.registrations)), city.registrations
        )
        with _raw(store) as raw:
            raw.execute("UPDATE members SET status = 'routed', routed_on = '2024-09-05'")
        for month in city.months:
            store.write_activities(actor, _batch(BatchKind.ACTIVITIES, len(month)), month)
        left = int(args.members * args.left)
        with _raw(store) as raw:
            raw.execute(f"UPDATE members SET left_on = '{YEAR}-06-30' WHERE id <= {left}")
            # one edit per member in the log (what an operator's corrections leave behind)
            raw.executemany(
                "INSERT INTO audit_log (at, actor, os_user, action, subject, before, after)"
                " VALUES ('2024-10-01 00:00:00', 'bench', 'bench', 'member.edit', ?, ?, ?)",
                [
                    (f"member:{i}", '{"specialty": "医生"}', '{"specialty": "法律"}')
                    for i in range(1, args.members + 1)
                ],
            )
        entries = args.members + 10

        took, service = _timed(lambda: store.member_service(actor, YEAR))
        lines.append(
            f"| Table 1 service totals (`member_service`, {len(service):,} members with "
            f"activities, {city.activity_count:,} activities) | {took:.2f} s |"
        )
        reference, totals = _timed(
            lambda: store.activity_totals(actor, RollupKey.MEMBER, year=YEAR)
        )
        assert len(totals) == len(service)
        lines.append(
            f"| for reference: hours by member (`activity_totals`, the storage roll-up) "
            f"| {reference:.2f} s |"
        )
        took, opening = _timed(
            lambda: store.open_year(actor, YEAR + 1, calendar_for(YEAR + 1), date(YEAR, 12, 28))
        )
        lines.append(
            f"| `year open` ({opening.units:,} units, {opening.members:,} members carried) "
            f"| {took:.2f} s |"
        )
        month = city.months[0][:10_000]
        took, refused = _timed(
            lambda: store.write_activities(actor, _batch(BatchKind.ACTIVITIES, len(month)), month)
        )
        assert len(refused.rejected) == len(month)
        lines.append(
            f"| a {len(month):,}-row activity batch in the closed year, refused row by row "
            f"| {took:.2f} s |"
        )
        on = date(YEAR + 4, 7, 1)
        took, dry = _timed(lambda: store.run_retention(actor, on, 3, dry_run=True))
        lines.append(
            f"| `retention run --dry-run` ({dry.members:,} due, {entries:,}+ audit entries read) "
            f"| {took:.2f} s |"
        )
        took, done = _timed(lambda: store.run_retention(actor, on, 3, dry_run=False))
        assert done.members == left
        lines.append(
            f"| `retention run` ({done.members:,} anonymised, {done.audit_entries:,} audit "
            f"entries scrubbed) | {took:.2f} s |"
        )
        visible = sum(1 for _ in store.members.iter_members(actor, MemberQuery()))
        assert visible == args.members
        store.close()
        catalog = PostCatalog()
        from partyreg_core import builtin

        for post in builtin.city_posts():
            catalog.add(post)
        unit = city.units[0]
        for rows in (200, 5000):
            target = Path(tmp) / f"t{rows}.xlsx"
            took, _ = _timed(
                lambda r=rows, t=target: write_form1_template(
                    t,
                    unit=unit,
                    unit_codes=[str(unit.code)],
                    posts=catalog.all(),
                    districts=["淮安区"],
                    rows=r,
                )
            )
            lines.append(
                f"| `export template form1` writer, {rows:,} rows "
                f"({target.stat().st_size // 1024} KB) | {took:.2f} s |"
            )
    body = (
        f"SQLite, one run on the shared 2-core machine; {args.members:,} members, "
        f"{city.activity_count:,} activities, {int(args.members * args.left):,} members who left "
        "four years earlier. `python -m bench years`.\n\n"
        "| operation | time |\n| --- | --- |\n" + "\n".join(lines)
    )
    print(body)
    if not args.no_write:
        write_section("years", "Over the years: service totals, year open, lock, retention", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
