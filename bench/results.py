"""``bench/RESULTS.md``: one section per benchmark, each replaced in place by its own run."""

from __future__ import annotations

import re
import resource
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
