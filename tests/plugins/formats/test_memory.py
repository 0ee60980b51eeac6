"""The streaming reader's memory stays flat (DESIGN.md §9: a million-row 附表1 under 400 MB).

The full proof is ``bench/formats_read.py`` (1,000,000 rows: about 45 s and 85 MB peak); this
runs the same script on 200,000 rows, where calamine already needs about 200 MB.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "formats_read.py"


@pytest.mark.slow
def test_streaming_reader_peak_memory(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--rows",
            "200000",
            "--readers",
            "streaming",
            "csv",
            "--max-rss-mb",
            "120",
            "--dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "200,001 rows" in result.stdout
