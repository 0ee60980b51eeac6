"""How long ``partyreg`` takes to start: ``python -m bench cli_start [-- --runs N]``.

Each figure is a fresh process, timed from outside (median of N runs), side by side with the
floors measured in the same run — the interpreter starting and doing nothing (``python -c
pass``) and the interpreter importing click (``import click``). Measured: ``partyreg --help``
(target < 150 ms), ``partyreg members count`` on a 100,000-member SQLite store (target <
300 ms; ``--members`` sets the size, ``--quick`` 20,000), and where each one's time goes: the
modules that cost most to import (``python -X importtime``, cumulative, self-inclusive).
Python's bytecode is compiled first (``compileall``): an installed partyreg runs from it.

Results go to the ``cli_start`` section of ``bench/RESULTS.md`` (issue 21).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import Figure, quick, report, write_section

PARTYREG = [sys.executable, "-m", "partyreg_cli"]


def timed(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall seconds of ``runs`` fresh processes, and the largest peak RSS (MB) of one
    of them (``wait4``: that process's own, not the largest of every child so far)."""
    seconds = []
    peak = 0.0
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert child.stderr is not None
        errors = child.stderr.read()
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds.append(time.perf_counter() - started)
        if child.returncode != 0:
            raise SystemExit(f"{argv} exited {child.returncode}: {errors.decode()[:500]}")
        peak = max(peak, usage.ru_maxrss / 1024)
    return statistics.median(seconds), peak


def heaviest_imports(
    env: dict[str, str], args: list[str], top: int = 12
) -> list[tuple[str, float]]:
    """The top-level-ish modules ``partyreg ARGS`` spends most import time in (ms)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "partyreg_cli", *args],
        env=env,
        capture_output=True,
        check=False,
        text=True,
    )
    costs: dict[str, float] = {}
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(3)) <= 5:  # depth ≤ 2: what the CLI itself pulls in
            costs[match.group(4)] = max(costs.get(match.group(4), 0.0), int(match.group(2)) / 1000)
    return sorted(costs.items(), key=lambda kv: -kv[1])[:top]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--members", type=int, default=20_000 if quick() else 100_000)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTYREG_")}
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "src")],
                   capture_output=True, check=False)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        # built in a process of its own: a child's peak memory counts its parent's at the fork
        built = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path;"
             "from bench.tui_bench import build_store;"
             f"print(build_store(Path({tmp!r}), {args.members}))"],
            cwd=root, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        db = f"sqlite:///{built.stdout.strip().splitlines()[-1]}"
        floor, floor_rss = timed([sys.executable, "-c", "pass"], args.runs, env)
        clicked, click_rss = timed([sys.executable, "-c", "import click"], args.runs, env)
        helped, help_rss = timed([*PARTYREG, "--help"], args.runs, env)
        counted, count_rss = timed([*PARTYREG, "--db", db, "members", "count"], args.runs, env)
        imports = heaviest_imports(env, ["--help"])
        count_imports = heaviest_imports(env, ["--db", db, "members", "count"])
    load = os.getloadavg()[0]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("`python -c pass` (floor)", floor, floor_rss, ""),
        ("`python -c 'import click'` (floor)", clicked, click_rss, ""),
        ("`partyreg --help`", helped, help_rss, "< 0.150"),
        (f"`partyreg members count` ({args.members:,} members, SQLite)", counted, count_rss,
         "< 0.300"),
    ]  # fmt: skip
    figures = [
        Figure("`partyreg --help`", helped, "`import click`", clicked, 0.150, relative=False),
        Figure(f"`partyreg members count`, {args.members:,} members", counted,
               "`import click`", clicked, 0.300, relative=False),
    ]  # fmt: skip
    body = [
        f"Measured {when} on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, median of {args.runs} fresh processes each, load average "
        f"{load:.1f} when it ended (other jobs share the cores: compare the ratios).",
        "",
        "| what | seconds | × floor | peak MB | target (s) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for what, seconds, rss, target in rows:
        body.append(f"| {what} | {seconds:.3f} | {seconds / floor:.1f} | {rss:.0f} | {target} |")
    body += [
        "",
        "Where `--help`'s time goes (`python -X importtime`, cumulative ms, modules two levels "
        "deep or less):",
        "",
        "| module | ms |",
        "| --- | ---: |",
        *(f"| `{name}` | {ms:.0f} |" for name, ms in imports),
        "",
        "Where `members count`'s time goes:",
        "",
        "| module | ms |",
        "| --- | ---: |",
        *(f"| `{name}` | {ms:.0f} |" for name, ms in count_imports),
    ]
    write_section("cli_start", "CLI start-up (issue 21)", "\n".join(body))
    print("\n".join(body))
    report("cli_start", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
