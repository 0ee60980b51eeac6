"""Crashes and concurrent writers: a write is all or nothing, whatever happens to the process."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district

WRITER = Path(__file__).with_name("writer.py")
TABLES = ("members", "claims", "import_batches", "audit_log", "change_requests")
ROWS = 20_000


def _start(
    store_url: str, d: support.District, first: int, count: int, shared: int = 0
) -> subprocess.Popen[str]:
    c = d.communities[0]
    args = [str(d.units[0]), c.district, c.street, c.name, str(first), str(count), str(shared)]
    child = subprocess.Popen(
        [sys.executable, str(WRITER), store_url, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3] / "src")},
    )
    assert child.stdout is not None and child.stdin is not None
    line = child.stdout.readline()
    assert line.strip() == "ready", line + (child.stderr.read() if child.stderr else "")
    return child


def _go(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "start"


def _counts(store: SqlStore) -> dict[str, int]:
    return {table: support.count_rows(store, table) for table in TABLES}


@pytest.mark.slow
def test_a_killed_import_leaves_the_store_exactly_as_before(
    store: SqlStore, store_url: str
) -> None:
    d = make_district(store)
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    # one complete run tells how long the write takes on this machine
    child = _start(store_url, d, 10_000_000, ROWS)
    _go(child)
    began = time.monotonic()
    assert child.stdout is not None
    done = child.stdout.readline()  # printed right after the commit
    took = time.monotonic() - began
    _out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert done.strip() == f"done {ROWS}"
    mid_write = 0
    for attempt in range(1, 6):
        before = _counts(store)
        child = _start(store_url, d, 10_000_000 + attempt * ROWS, ROWS)
        _go(child)
        time.sleep(rng.uniform(0.02, 0.7) * took)
        child.send_signal(signal.SIGKILL)
        out, _err = child.communicate(timeout=60)
        after = _counts(store)
        delta = after["members"] - before["members"]
        assert delta in (0, ROWS), f"seed {seed}: a partial import survived ({delta} rows)"
        if child.returncode == -signal.SIGKILL and "done" not in out:
            # killed before the commit returned: not one row of it may be there
            assert after == before or delta == ROWS, f"seed {seed}, attempt {attempt}"
            if delta == 0:
                assert after == before, f"seed {seed}, attempt {attempt}: {before} -> {after}"
                mid_write += 1
    assert mid_write >= 3, f"seed {seed}: only {mid_write} of 5 kills landed mid-write"
    if store.dialect == "sqlite":
        with support.raw_sql(store) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # and the store takes the next import as if nothing had happened
    child = _start(store_url, d, 10_000_000 + 9 * ROWS, 100)
    _go(child)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err


@pytest.mark.slow
def test_two_writers_at_once_both_succeed_or_one_is_told_to_retry(
    store: SqlStore, store_url: str
) -> None:
    d = make_district(store)
    before = _counts(store)
    shared = 500
    first = _start(store_url, d, 20_000_000, 5_000, shared)
    second = _start(store_url, d, 30_000_000, 5_000, shared)
    for child in (first, second):
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = [child.communicate(timeout=300) for child in (first, second)]
    codes = [first.returncode, second.returncode]
    assert set(codes) <= {0, 3}, results
    assert 0 in codes, results
    for code, (out, _err) in zip(codes, results, strict=True):
        if code == 3:
            assert "请稍后重试" in out
    written = sum(5_000 for code in codes if code == 0)
    after = _counts(store)
    # each writer's own people once, the people both wrote once: nothing lost, nothing doubled
    assert after["members"] - before["members"] == written + shared
    assert after["claims"] - before["claims"] == 3 * (written + shared)
    with support.raw_sql(store) as conn:
        dupes = conn.execute(
            "SELECT count(*) FROM (SELECT name, phone FROM members GROUP BY name, phone HAVING count(*) > 1) AS d"
        ).fetchone()[0]
    assert dupes == 0
