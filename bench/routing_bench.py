"""Routing benchmark: ``partyreg route`` over 100,000 registered members on SQLite.

    .venv/bin/python -m bench routing                 # 100,000 members
    .venv/bin/python bench/routing_bench.py --members 20000 --no-write

A city like the one DESIGN.md plans for — the 2014 code table's eight 县区, 1,000 units under
them and under the two city work committees, 500 communities with an instructor for every two —
and 100,000 members registered through the store: 95 % name a community of the directory (many
living in another district than their unit's), 4 % a community the directory does not know (they
go to the district's queue), 1 % a 县区 the code table does not know (they wait at the
aggregator). Timed through the facade (``Workspace.route``: building the router from the
directory and instructors, planning, the set-based write, the audit entry and the events), one
run each: a dry run, the real run, a second run (only the queues are pending), the queue listing,
and confirming the report-in of every member of the largest community. No target is set.
Results go to the ``routing`` section of ``bench/RESULTS.md`` (``--no-write`` to skip).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.results import write_section  # noqa: E402
from partyreg_core import builtin  # noqa: E402
from partyreg_core.batches import Batch, BatchKind, new_batch_id  # noqa: E402
from partyreg_core.operators.model import Actor  # noqa: E402
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgUnit  # noqa: E402
from partyreg_core.records import CommunityRef, DirectoryEntry, Gender, Registration  # noqa: E402
from partyreg_core.routing.model import RouteOutcome  # noqa: E402
from partyreg_core.workspace import Workspace  # noqa: E402
from partyreg_plugins.sqlstore.store import SqlStore  # noqa: E402

OS_USER = "bench"
CITY = OrgCode(("008",))
UNITS = 1_000
COMMUNITIES = 500
ON = date(2014, 9, 8)


def _batch(kind: BatchKind, rows: int) -> Batch:
    at = datetime.now(UTC)
    return Batch(new_batch_id(at, uuid.uuid4().hex[:6]), kind, "bench", OS_USER, at, ON, rows)


def build(url: str, members: int, seed: int = 2014) -> SqlStore:
    rng = random.Random(seed)
    store = SqlStore(url)
    tree = builtin.code_table()
    store.initialise(os_user=OS_USER, org_tree=tree, posts=builtin.city_posts())
    found = store.operators.find_operator(OS_USER)
    assert found is not None
    city = Actor(found, OS_USER)
    districts = [u for u in tree.children(CITY) if u.kind.has_communities][:8]
    aggregators = [*districts, tree.get("008.009"), tree.get("008.010")]
    units = [
        OrgUnit(aggregators[i % len(aggregators)].code.child(i // len(aggregators) + 1),
                f"单位{i}", OrgKind.UNIT)
        for i in range(UNITS)
    ]  # fmt: skip
    store.add_org_units(city, _batch(BatchKind.CODES, len(units)), units)
    entries = []
    for i in range(COMMUNITIES):
        district = districts[i % len(districts)]
        entries.append(
            DirectoryEntry(district.name.removesuffix("委"), f"第{i // 20}街道", f"第{i}社区",
                           phone="0517-83601234", district_code=district.code)
        )  # fmt: skip
    saved = store.save_communities(city, _batch(BatchKind.DIRECTORY, len(entries)), entries)
    for k in range(0, len(saved), 2):
        teacher = store.routing.add_instructor(
            city, f"指导员{k}", f"139{k:08d}", saved[k].district_code
        )
        store.routing.set_instructor_communities(
            city, teacher.id, add=[c.id for c in saved[k : k + 2]]
        )
    regs = []
    for n in range(members):
        unit = units[rng.randrange(UNITS)].code
        pick = rng.random()
        place = saved[rng.randrange(COMMUNITIES)]
        if pick < 0.95:
            ref = place.ref
        elif pick < 0.99:
            ref = CommunityRef(place.district, place.street, f"{place.name[:-2]}居委会")
        else:
            ref = CommunityRef("清江浦区", place.street, place.name)
        regs.append(Registration(unit, f"党员{n}", Gender.MALE, "科员", ("3",), f"139{n:08d}", ref))
    result = store.write_registrations(city, _batch(BatchKind.REGISTRATIONS, len(regs)), regs)
    assert result.new == members, result
    return store


def timed(
    label: str, results: list[tuple[str, float, float, str]], fn, note=lambda _r: ""
) -> object:  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    results.append((label, elapsed, used, note(value)))
    print(f"{label}: {elapsed:.2f} s wall, {used:.2f} s CPU {note(value)}", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'routing.db'}"
        start = time.perf_counter()
        build(url, args.members).close()
        print(f"built the city in {time.perf_counter() - start:.1f} s", flush=True)
        ws = Workspace(url, os_user=OS_USER)
        load_before = os.getloadavg()[0]
        results: list[tuple[str, float, float, str]] = []

        def counts(run: object) -> str:
            r = run  # a RoutingRun
            return (
                f"({r.count(RouteOutcome.ROUTED):,} routed, "  # type: ignore[attr-defined]
                f"{r.count(RouteOutcome.QUEUED):,} queued, "  # type: ignore[attr-defined]
                f"{r.count(RouteOutcome.WAITING):,} waiting)"  # type: ignore[attr-defined]
            )

        timed("route --dry-run", results, lambda: ws.routing.route(on=ON, dry_run=True), counts)
        run = timed("route", results, lambda: ws.routing.route(on=ON), counts)
        timed(
            "route again (only the queues pending)",
            results,
            lambda: ws.routing.route(on=ON),
            counts,
        )
        timed("route queue", results, ws.routing.queue, lambda g: f"({len(g):,} groups)")  # type: ignore[arg-type]
        biggest = max(run.by_community().items(), key=lambda kv: len(kv[1]))  # type: ignore[attr-defined]
        timed(
            "report-in confirm --community X --all",
            results,
            lambda: ws.routing.confirm_community_report_in(str(biggest[0]), on=date(2014, 9, 15)),
            lambda r: f"({len(r.confirmed):,} members)",  # type: ignore[attr-defined]
        )
        ws.close()
    body = [
        f"{args.members:,} registered members, {UNITS:,} units, {COMMUNITIES} communities, "
        f"SQLite, one run each, through `Workspace` (router, plan, set-based write, audit, "
        f"events). {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}.",
        "",
        f"Load average while it ran: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        "(on 2 cores shared with other work: wall time is inflated by the load, the process's "
        "own CPU time much less).",
        "",
        "| step | wall s | CPU s | |",
        "| --- | ---: | ---: | --- |",
        *(f"| {label} | {secs:.2f} | {cpu:.2f} | {note} |" for label, secs, cpu, note in results),
    ]
    text = "\n".join(body)
    if not args.no_write:
        write_section("routing", "Routing 100,000 members (issue 5)", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
