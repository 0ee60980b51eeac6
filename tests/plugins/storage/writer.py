"""A child process that writes one large batch of registrations, for the kill and two-writer
tests: ``python writer.py URL UNIT DISTRICT STREET COMMUNITY FIRST COUNT [SHARED]``.

It prints ``ready`` once everything is prepared, waits for a line on stdin (so that tests can
start two writers at the same moment), prints ``start``, writes, prints ``done N`` after the
commit and exits 0 — or exits 3 on a "try again" error, as the CLI would.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from partyreg_core.batches import Batch, BatchKind, new_batch_id
from partyreg_core.errors import TemporaryError
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import parse_code
from partyreg_core.records import CommunityRef, Gender, Registration
from partyreg_plugins.sqlstore.store import SqlStore


def people(first: int, count: int) -> list[tuple[str, str]]:
    """``count`` people numbered from ``first`` (the same numbers give the same people)."""
    return [(f"写入{n}", f"136{n:08d}") for n in range(first, first + count)]


def main(argv: list[str]) -> int:
    url, unit, district, street, community, first, count = argv[:7]
    shared = int(argv[7]) if len(argv) > 7 else 0
    store = SqlStore(url)
    operator = store.operators.find_operator("tester")
    assert operator is not None
    actor = Actor(operator, "tester")
    ref = CommunityRef(district, street, community)
    who = people(int(first), int(count)) + people(90_000_000, shared)
    regs = [
        Registration(
            unit_code=parse_code(unit),
            name=name,
            gender=Gender.MALE,
            unit_and_title="测试单位 科员",
            posts=("1", "2", "3"),
            phone=phone,
            community=ref,
            address="测试路1号",
        )
        for name, phone in who
    ]
    at = datetime.now(UTC)
    batch = Batch(
        new_batch_id(at, f"{int(first) % 0xFFFFFF:06x}"),
        BatchKind.REGISTRATIONS,
        "w",
        "tester",
        at,
        rows=len(regs),
    )
    print("ready", flush=True)
    sys.stdin.readline()
    print("start", flush=True)
    try:
        result = store.write_registrations(actor, batch, regs)
    except TemporaryError as exc:
        print(f"busy {exc.message}", flush=True)
        return 3
    print(f"done {result.written}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
