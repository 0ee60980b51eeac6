"""``bench/RESULTS.md``: one section per benchmark, each replaced in place by its own run."""

from __future__ import annotations

import json
import os
import re
import resource
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Each benchmark (`make bench`, or `python -m bench NAME`) rewrites only its own section.\n"
)


def write_section(name: str, title: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or add) the section ``name`` of the results file with ``body``."""
    text = path.read_text("utf-8") if path.exists() else HEADER
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    section = f"{begin}\n## {title}\n\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, "utf-8")


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB. On Linux VmHWM, because ru_maxrss survives
    exec: a child would report the generating parent's peak as its own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- one table for `make bench` ------------------------------------------------------------------

FIGURES_ENV = "PARTYREG_BENCH_FIGURES"
"""Set by ``python -m bench`` to a folder: each benchmark leaves its figures there as JSON."""
QUICK_ENV = "PARTYREG_BENCH_QUICK"
"""Set by ``python -m bench --quick``: benchmarks take their small sizes."""


def quick() -> bool:
    """Whether this run asks for the small sizes (``python -m bench --quick``, ``make bench``)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its floor, measured in the same run.

    ``limit`` is the target: with ``relative`` the most ``value / floor_value`` may be (a
    ratio), otherwise the most ``value`` may be (seconds)."""

    figure: str
    value: float
    floor: str
    floor_value: float
    limit: float
    relative: bool = True
    checked: bool = True
    """The figure's result was checked equal to what the raw rows give (where it applies)."""

    @property
    def ratio(self) -> float:
        return self.value / self.floor_value if self.floor_value > 0 else float("inf")

    @property
    def target(self) -> str:
        return f"≤ {self.limit:g}×" if self.relative else f"< {self.limit:g} s"

    @property
    def passed(self) -> bool:
        measured = self.ratio if self.relative else self.value
        return self.checked and measured <= self.limit


def figures_table(rows: Sequence[tuple[str, Figure]]) -> str:
    """The one table: bench, figure, seconds, floor, ratio, target, pass."""
    lines = [
        "| bench | figure | seconds | floor | floor s | ratio | target | pass |",
        "| --- | --- | ---: | --- | ---: | ---: | --- | --- |",
    ]
    for bench, f in rows:
        lines.append(
            f"| {bench} | {f.figure} | {f.value:.3f} | {f.floor} | {f.floor_value:.3f} | "
            f"{f.ratio:.2f} | {f.target} | {'yes' if f.passed else 'NO'} |"
        )
    return "\n".join(lines)


def report(bench: str, figures: Sequence[Figure]) -> None:
    """Hand this benchmark's figures to ``python -m bench`` (which prints one table of every
    benchmark's), or, run alone, print them as a table."""
    folder = os.environ.get(FIGURES_ENV)
    if folder:
        Path(folder, f"{bench}.json").write_text(
            json.dumps([asdict(f) for f in figures], ensure_ascii=False), "utf-8"
        )
    else:
        print(figures_table([(bench, f) for f in figures]))


def collected(folder: Path) -> list[tuple[str, Figure]]:
    """Every figure the benchmarks left in ``folder``, by benchmark name."""
    rows: list[tuple[str, Figure]] = []
    for path in sorted(folder.glob("*.json")):
        rows += [(path.stem, Figure(**item)) for item in json.loads(path.read_text("utf-8"))]
    return rows
