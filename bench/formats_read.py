"""Speed and peak memory of the built-in readers on a generated 附表1 (DESIGN.md §9).

    .venv/bin/python bench/formats_read.py                 # 1,000,000 rows: auto reader, CSV
    .venv/bin/python bench/formats_read.py --rows 100000 --readers calamine streaming auto

Each measurement runs in a fresh process, which reports its own peak RSS, so one reader's
memory never hides another's. Exits 1 when a measured peak is over ``--max-rss-mb`` (400).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "plugins" / "formats"))
sys.path.insert(0, str(ROOT))

from builders import Sheet, form1_rows, write_xlsx  # noqa: E402  (path set just above)

from bench.results import peak_rss_mb  # noqa: E402


def _measure(path: str, reader: str) -> None:
    """Child process: read every row of ``path`` and print rows, seconds and peak RSS."""
    from partyreg_core.ports import ReadLimits
    from partyreg_plugins.formats_csv import CsvFormat
    from partyreg_plugins.formats_xlsx import XlsxFormat

    limits = ReadLimits()
    start = time.perf_counter()
    fmt = CsvFormat() if reader == "csv" else XlsxFormat(reader)  # type: ignore[arg-type]
    fmt.sniff(Path(path), limits)
    sniffed = time.perf_counter() - start
    rows = cells = 0
    for sheet in fmt.sheets(Path(path), limits):
        for row in sheet.rows():
            rows += 1
            cells += len(row.cells)
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    print(
        json.dumps(
            {"rows": rows, "cells": cells, "seconds": seconds, "sniff": sniffed, "peak_mb": peak_mb}
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--readers",
        nargs="+",
        default=["auto", "csv"],
        choices=["auto", "calamine", "streaming", "csv"],
    )
    parser.add_argument("--max-rss-mb", type=float, default=400.0)
    parser.add_argument("--dir", type=Path, help="keep the generated files here")
    parser.add_argument("--measure", nargs=2, metavar=("PATH", "READER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(*args.measure)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        xlsx = folder / f"form1-{args.rows}.xlsx"
        csv_path = folder / f"form1-{args.rows}.csv"
        if not xlsx.exists():
            started = time.perf_counter()
            write_xlsx(xlsx, [Sheet("附表1", form1_rows(args.rows))])
            print(
                f"wrote {xlsx.name}: {xlsx.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s"
            )
        if "csv" in args.readers and not csv_path.exists():
            with csv_path.open("w", encoding="gb18030", newline="") as f:
                writer = csv.writer(f)
                for _number, cells in form1_rows(args.rows):
                    writer.writerow(cells)
        failed = False
        for reader in args.readers:
            path = csv_path if reader == "csv" else xlsx
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(path), reader],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out)
            over = result["peak_mb"] > args.max_rss_mb
            failed = failed or over
            print(
                f"{reader:>9}: {result['rows']:>9,} rows in {result['seconds']:6.1f} s "
                f"(pre-parse checks {result['sniff']:.1f} s), peak RSS {result['peak_mb']:6.0f} MB"
                + ("  OVER THE LIMIT" if over else "")
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
