"""The error workbook of ``--errors-out``: rejected cells as read, inert, with the offending
cells marked and explained."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl

from partyreg_core.importing import RejectedRow
from partyreg_core.records import RowIssue
from partyreg_plugins.error_workbook import ERROR_COLUMN, ROW_COLUMN, write_error_workbook


def issue(column: str | None, message: str) -> RowIssue:
    return RowIssue(row=5, column=column, value="", code="x", message=message)


def test_offending_cells_are_filled_and_commented_and_nothing_is_a_formula(tmp_path: Path) -> None:
    target = tmp_path / "errors.xlsx"
    headers = ["姓 名", "联系方式", '=HYPERLINK("x")']
    rows = [
        RejectedRow(5, ("=1+1", "<r><t>1</t></r></is><f>1</f><is><r><t>2</t></r>"),
                    (issue("联系方式", "请填写11位手机号"),)),
        RejectedRow(9, ("王建伟", "139", "@SUM(A1)"), (issue(None, "行重复"),)),
    ]  # fmt: skip
    assert write_error_workbook(target, headers, rows) == 2
    with zipfile.ZipFile(target) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()
    ws = openpyxl.load_workbook(target).active
    assert [c.value for c in ws[1]] == [*headers, ROW_COLUMN, ERROR_COLUMN]
    assert ws["C1"].quotePrefix and ws["A2"].quotePrefix and ws["C3"].quotePrefix
    assert ws["A2"].value == "=1+1" and ws["B2"].value == rows[0].cells[1]
    assert ws["C2"].value is None and ws["C2"].border.left.style == "thin"  # padded, bordered
    assert ws["B2"].comment.text == "请填写11位手机号"
    assert ws["B2"].fill.fgColor.rgb.endswith("FFF2CC") and ws["A2"].fill.fill_type is None
    assert ws["D2"].value == "5" and ws["E2"].value == "【联系方式】请填写11位手机号"
    assert ws["E3"].value == "行重复" and ws["A3"].comment is None
    assert ws.freeze_panes == "A2" and ws.column_dimensions["E"].width >= 60
