"""The import's progress: the sheet's size from the file (xlsx ``<dimension>``, CSV lines), the
fractions an import reports, the bar a terminal shows and the TUI's status text."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from partyreg_cli.commands import imports as import_command
from partyreg_cli.commands.imports import progress_line
from partyreg_core import importing
from partyreg_core.importing import ImportProgress, ImportRequest
from partyreg_core.workspace import Workspace
from partyreg_plugins.formats_csv import count_lines
from partyreg_plugins.formats_xlsx import sheet_last_row
from partyreg_tui.screens.imports import progress_text
from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, write_xlsx


def test_an_xlsx_sheet_tells_its_last_row_from_its_dimension(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "form1.xlsx", [FORM1_HEADER, *GOOD], title="登记表")
    assert sheet_last_row(path, "Sheet") == 7  # title, date line, header, 3 rows, note
    wb = xlsxwriter.Workbook(tmp_path / "two.xlsx")
    wb.add_worksheet("甲").write_row(1999, 0, ["x"])
    wb.add_worksheet("乙")
    wb.close()
    assert sheet_last_row(tmp_path / "two.xlsx", "甲") == 2000
    assert sheet_last_row(tmp_path / "two.xlsx", "乙") == 1  # an empty sheet: <dimension ref="A1"/>
    assert sheet_last_row(tmp_path / "two.xlsx", "丙") is None
    assert sheet_last_row(tmp_path / "missing.xlsx", "甲") is None


@given(
    st.lists(
        st.lists(st.text('上甲x,"\n 1', max_size=6), min_size=1, max_size=4), min_size=1, max_size=8
    ),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_a_csv_files_lines_are_counted_in_every_encoding(
    rows: list[list[str]], encoding: str, newline: str
) -> None:
    import io
    import tempfile

    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    text = buffer.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        path.write_bytes(text.encode(encoding))
        expected = text.count("\n") + (bool(text) and not text.endswith("\n"))
        assert count_lines(path, encoding) == expected


def test_an_import_reports_its_progress_up_to_the_whole_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 2)
    ws = Workspace(f"sqlite:///{tmp_path / 'store.db'}")
    ws.init()
    ws.import_file(ImportRequest(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY), date(2014, 8, 28)))
    rows = [FORM1_HEADER, *[[*GOOD[i % 3][:1], "张" + "一二三四五六七八九"[i], *GOOD[i % 3][2:6], f"139{i:08d}",
                             *GOOD[i % 3][7:]] for i in range(9)]]  # fmt: skip
    seen: list[ImportProgress] = []
    report = ws.import_file(
        ImportRequest(write_xlsx(tmp_path / "form1.xlsx", rows), date(2014, 8, 28)),
        progress=seen.append,
    )
    assert report.rows_written == 9
    assert [p.rows for p in seen] == [2, 4, 6, 8, 9]
    assert {p.last for p in seen} == {11}  # header, nine members, note
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    sheet = tmp_path / "form1.csv"
    with sheet.open("w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([FORM1_HEADER, *[[*r[:1], r[1] + "乙", *r[2:6], "138" + r[6][3:],
                                                  *r[7:]] for r in rows[1:]]])  # fmt: skip
    seen.clear()
    report = ws.import_file(ImportRequest(sheet, date(2014, 8, 28)), progress=seen.append)
    # ten records in eleven lines: the header's 报到\n社区 holds a newline
    assert report.rows_written == 9 and seen[-1].fraction == 1.0 and seen[-1].last == 11


def test_the_terminal_bar_and_the_tui_text() -> None:
    assert progress_line(ImportProgress(1500, 1502, None)) == "已读取 1,500 行…"
    half = progress_line(ImportProgress(500_000, 500_004, 1_000_004))
    assert half == f"导入中 [{'#' * 12}{'-' * 12}]  50%  已读取 500,000 行"
    assert progress_line(ImportProgress(9, 12, 10)).startswith(f"导入中 [{'#' * 24}] 100%")
    assert progress_text(ImportProgress(2000, 2003, 4000)) == "已读取 2,000 行（50%）…"
    assert progress_text(ImportProgress(2000, 2003, None)) == "已读取 2,000 行…"


def test_the_bar_redraws_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    report = import_command._progress(True)
    report(ImportProgress(10, 10, 100))
    report(ImportProgress(100, 100, 100))
    err = capsys.readouterr().err
    assert err.count("\r") == 2 and "\n" not in err and err.endswith("100%  已读取 100 行")
    assert import_command._progress(False) is None


def test_the_whole_sheet_is_reported_only_once_its_rows_are_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bar reaches its end after the batch is written, not when the last row is read:
    every report before the last finds nothing committed yet, the last finds every row (a
    second connection sees only committed rows)."""
    import sqlite3

    monkeypatch.setattr(importing, "PROGRESS_EVERY", 3)  # the 9th row is the sheet's last
    db = tmp_path / "store.db"
    ws = Workspace(f"sqlite:///{db}")
    ws.init()
    ws.import_file(ImportRequest(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY), date(2014, 8, 28)))
    # no note row: the last data row is the sheet's last row
    rows = [FORM1_HEADER, *[[*GOOD[i % 3][:1], "张" + "一二三四五六七八九"[i], *GOOD[i % 3][2:6], f"139{i:08d}",
                             *GOOD[i % 3][7:]] for i in range(9)]]  # fmt: skip
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "form1.xlsx"
    book.save(path)
    seen: list[tuple[float | None, int]] = []

    def report(progress: ImportProgress) -> None:
        with sqlite3.connect(db) as other:
            (stored,) = other.execute("SELECT count(*) FROM members").fetchone()
        seen.append((progress.fraction, stored))

    result = ws.import_file(ImportRequest(path, date(2014, 8, 28)), progress=report)
    assert result.rows_written == 9
    *reading, (last_fraction, last_stored) = seen
    assert len(reading) == 3 and all(f is not None and f < 1.0 and n == 0 for f, n in reading)
    assert (last_fraction, last_stored) == (1.0, 9)
