"""Peak memory and time of a whole ``partyreg import`` of a 1,000,000-row 附表1 (issues:
spreadsheets, 21 speed; targets: import ≤ 3 × python-calamine's bare read of the same file,
peak memory under 300 MB).

    .venv/bin/python bench/import_1m_bench.py [--rows 1000000] [--keep DIR]

Uses ``bench/import_bench.py``'s generators: the same city (2014 code table, ~1,000 units,
~500 communities) and the same realistic 附表1, ``--rows`` members long. The import runs in a
child process of its own, which reports its own peak resident set size (VmHWM); the file is
also read alone through the formats hook (no validation, no store) in another child, and by
python-calamine bare (the floor; it holds the whole sheet, so its own peak is no target). Results go to the
"import-1m" section of bench/RESULTS.md. Generating the file takes about two minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_bench import build_inputs, prepared_store, time_calamine, time_import  # noqa: E402
from bench.results import peak_rss_mb, write_section  # noqa: E402

TARGET_MB = 300
TARGET_RATIO = 3.0


def child_read(path: str) -> None:
    """In a child process: read every row of the file through the formats hook alone."""
    from partyreg_core.plugins import collect_formats, make_plugin_manager
    from partyreg_core.ports import ReadLimits

    fmt = next(f for f in collect_formats(make_plugin_manager()) if ".xlsx" in f.extensions)
    start = time.perf_counter()
    rows = sum(1 for sheet in fmt.sheets(Path(path), ReadLimits()) for _row in sheet.rows())
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak}))


def time_read(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child-read", str(path)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--keep", type=Path, help="keep the generated files in this folder (and reuse them)"
    )
    parser.add_argument("--child-read", help=argparse.SUPPRESS)
    parser.add_argument("--child-build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        build_inputs(Path(args.child_build[0]), int(args.child_build[1]))
        return 0
    if args.child_read:
        child_read(args.child_read)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        paths = {k: folder / f"{k}.xlsx" for k in ("codes", "directory", "form1")}
        reused = bool(args.keep) and all(p.exists() for p in paths.values())
        if not reused:
            # in a child, so this process stays small while the imports run
            subprocess.run(
                [sys.executable, __file__, "--child-build", str(folder), str(args.rows)],
                check=True, cwd=ROOT,
            )  # fmt: skip
        generated = time.perf_counter() - start
        (folder / "city.db").unlink(missing_ok=True)
        db = prepared_store(folder, paths)
        load = os.getloadavg()[0]
        floor = time_calamine(paths["form1"])
        read = time_read(paths["form1"])
        imported = time_import(db, paths["form1"])
    ok = "✓" if imported["peak_mb"] < TARGET_MB else "✗"
    ratio = imported["seconds"] / floor["seconds"]
    ratio_ok = "✓" if ratio <= TARGET_RATIO else "✗"
    body = (
        f"{args.rows:,} rows of 附表1, 2 cores, SQLite; measured {date.today()} in one run "
        "(`bench/import_1m_bench.py`; "
        + (
            "files kept by an earlier run"
            if reused
            else f"generating the files took {generated:.0f} s"
        )
        + "). Each "
        "measurement runs in a child process of its own, which reports its peak RSS; load "
        f"average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (2 shared cores)."
        "\n\n"
        "| what | seconds | peak RSS | ratio | target |\n| --- | ---: | ---: | ---: | --- |\n"
        f"| floor: python-calamine bare read ({floor['rows']:,} rows) "
        f"| {floor['seconds']:.1f} | {floor['peak_mb']:.0f} MB | 1.00 | |\n"
        f"| reading the file alone ({read['rows']:,} rows through the formats hook) "
        f"| {read['seconds']:.1f} | {read['peak_mb']:.0f} MB "
        f"| {read['seconds'] / floor['seconds']:.2f} | |\n"
        f"| whole `partyreg import` (read, normalise, validate, store; "
        f"{imported['written']:,} written, {imported['rejected']} rejected) "
        f"| {imported['seconds']:.1f} | {imported['peak_mb']:.0f} MB | {ratio:.2f} "
        f"| ≤ {TARGET_RATIO:g} {ratio_ok}, < {TARGET_MB} MB {ok} |\n\n"
        "What grows with the file: the index of persons in `registrations.check_duplicates` "
        "(one dict entry of two packed ints per distinct phone, about 105 bytes a row) and the "
        "store's arrays of new member ids and row indexes (16 bytes a row); the store finds "
        "repeated persons through the database (`created_batch`), and everything else is "
        "taken in chunks of 20,000 rows inside the one transaction.\n"
    )
    print(body)
    write_section("import-1m", "Import of a 1,000,000-row 附表1: time and peak memory", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
