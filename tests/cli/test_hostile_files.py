"""Hostile workbooks through the real CLI in a child process, where a crash would show (a Rust
panic or an allocation failure aborts the process with 134): every one ends in exit 0 with only
its real rows, or exit 2 with one Chinese line — never a crash, a traceback or 内部错误."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.cli.test_import import FORM1_HEADER, GOOD, store_with_directory
from tests.plugins.formats.builders import far_cell_workbook, inline_cell


def partyreg(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partyreg_cli", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return store_with_directory(tmp_path)


def form1(path: Path, extra: Iterable[str] = (), dimension: str | None = None) -> Path:
    rows = [(1, [h.replace("\n", "") for h in FORM1_HEADER]), (2, GOOD[0])]
    return far_cell_workbook(path, rows, extra, dimension=dimension)


def _row(number: int, ref: str, text: str) -> list[str]:
    return [f'<row r="{number}">{inline_cell(ref, text)}</row>']


@pytest.mark.parametrize(
    ("extra", "cell"),
    [
        (_row(1048576, "XFD1048576", "备注：此表已核对"), "XFD1048576"),
        (_row(3, "AMJ3", "x"), "AMJ3"),  # LibreOffice's last column
    ],
    ids=["corner", "far-right"],
)
def test_a_cell_far_away_is_refused_with_one_chinese_line(
    db: str, tmp_path: Path, extra: list[str], cell: str
) -> None:
    proc = partyreg(db, "import", str(form1(tmp_path / "far.xlsx", extra)))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and cell in proc.stderr and "Ctrl+End" in proc.stderr
    assert "Traceback" not in proc.stderr and "内部错误" not in proc.stderr


def _styled_rows() -> Iterable[str]:
    for number in range(3, 1_000_003):
        yield f'<row r="{number}" s="1" customFormat="1"/>'


@pytest.mark.parametrize("case", ["huge-dimension", "million-styled-rows", "note-far-down"])
def test_harmless_far_things_import_the_real_rows(db: str, tmp_path: Path, case: str) -> None:
    if case == "huge-dimension":
        path = form1(tmp_path / "dim.xlsx", dimension="A1:XFD1048576")
    elif case == "million-styled-rows":
        path = form1(tmp_path / "styled.xlsx", _styled_rows())
    else:  # a note in the last row, within the limits: read sparse, not as a huge rectangle
        path = form1(tmp_path / "note.xlsx", _row(1048576, "A1048576", "注：本表由办公室填写"))
    proc = partyreg(db, "import", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert '"rows_written": 1' in proc.stdout
