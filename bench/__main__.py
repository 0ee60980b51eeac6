"""Run the benchmarks: ``python -m bench [NAME ...] [-- ARGS]``.

Every ``bench/*.py`` script other than this package's own modules is a benchmark, named by its
file name without ``_bench`` (``storage``, ``formats_read``, ``validate``); each runs in a
process of its own with its own command line (``ARGS`` after ``--`` go to each one) and keeps
its results in its own section of ``bench/RESULTS.md``. Without names, all of them run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    names, _, extra = (
        (argv[: argv.index("--")], None, argv[argv.index("--") + 1 :])
        if "--" in argv
        else (argv, None, [])
    )
    known = benchmarks()
    unknown = [n for n in names if n not in known]
    if unknown:
        print(
            f"bench: unknown benchmark {', '.join(unknown)}; known: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    failed = 0
    for name in names or list(known):
        print(f"== bench {name}", flush=True)
        code = subprocess.call([sys.executable, str(known[name]), *extra], cwd=HERE.parent)
        if code != 0:
            print(f"bench: {name} exited {code}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
