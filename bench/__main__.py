"""Run the benchmarks: ``python -m bench [--quick] [NAME ...] [-- ARGS]``.

Every ``bench/*.py`` script other than this package's own modules is a benchmark, named by its
file name without ``_bench`` (``storage``, ``formats_read``, ``validate``); each runs in a
process of its own with its own command line (``ARGS`` after ``--`` go to each one) and keeps
its results in its own section of ``bench/RESULTS.md``. Without names, all of them run.

Each benchmark hands its figures (figure, value, floor, ratio, target) to
:func:`bench.results.report`; at the end one table of all of them is printed and kept in the
``summary`` section of ``bench/RESULTS.md``. ``--quick`` (what ``make bench`` runs) asks every
benchmark for its small sizes (:func:`bench.results.quick`), so the whole run fits in 15
minutes on two cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.results import FIGURES_ENV, QUICK_ENV, collected, figures_table, write_section

HERE = Path(__file__).parent
NOT_BENCHMARKS = {"__init__", "__main__", "results"}


def benchmarks() -> dict[str, Path]:
    """Benchmark name → script."""
    found = {}
    for path in sorted(HERE.glob("*.py")):
        if path.stem not in NOT_BENCHMARKS:
            found[path.stem.removesuffix("_bench")] = path
    return found


def main(argv: list[str]) -> int:
    names, extra = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    quick = "--quick" in names
    names = [n for n in names if n != "--quick"]
    known = benchmarks()
    unknown = [n for n in names if n not in known]
    if unknown:
        print(
            f"bench: unknown benchmark {', '.join(unknown)}; known: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    failed = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, FIGURES_ENV: folder}
        if quick:
            env[QUICK_ENV] = "1"
        for name in names or list(known):
            print(f"== bench {name}", flush=True)
            code = subprocess.call(
                [sys.executable, str(known[name]), *extra], cwd=HERE.parent, env=env
            )
            if code != 0:
                print(f"bench: {name} exited {code}", file=sys.stderr)
                failed.append(name)
        rows = collected(Path(folder))
    took = time.perf_counter() - started
    table = figures_table(rows)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"`python -m bench{' --quick' if quick else ''}` at {when}: {took / 60:.1f} min on "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end (other work "
        "shares the cores: each ratio's floor is measured in the same run). A figure passes when "
        "it meets its target and, where it applies, its result was checked equal to the totals "
        "of the raw rows."
        + (f" Benchmarks that failed: {', '.join(failed)}." if failed else "")
        + "\n\n"
        + table
    )
    print("\n" + table)
    print(
        f"\n{len(rows)} figures, {sum(not f.passed for _b, f in rows)} not met; {took / 60:.1f} min"
    )
    if not names:
        write_section("summary", "All figures (`make bench`)", body)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
