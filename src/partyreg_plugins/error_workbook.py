"""The error workbook of ``partyreg import --errors-out``: the rejected rows, to fix and import
again.

It keeps the file's own header (as written) and each rejected row's cells as read, and adds two
columns on the right: the row number in the original file and what is wrong with the row and how
to fix it. The offending cells are highlighted. Importing the corrected workbook again is the
intended round trip: the two added columns are recognised and ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from partyreg_core.hookspecs import hookimpl
from partyreg_core.importing import RejectedRow
from partyreg_core.text import display_width
from partyreg_plugins.cellsafety import is_dangerous

ROW_COLUMN = "原行号"
ERROR_COLUMN = "错误说明"

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BAD = PatternFill("solid", fgColor="FFF2CC")


@hookimpl
def partyreg_write_rejected_rows(
    target: Path, headers: Sequence[str], rows: Sequence[RejectedRow]
) -> int | None:
    """Answer for ``.xlsx`` targets."""
    if target.suffix.lower() != ".xlsx":
        return None
    return write_error_workbook(target, headers, rows)


def write_error_workbook(
    target: Path, headers: Sequence[str], rows: Iterable[RejectedRow], *, sheet_name: str = "待修改"
) -> int:
    """Write the rejected ``rows`` under ``headers`` to ``target``; return how many rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name[:31] or "待修改")
    all_headers = [*headers, ROW_COLUMN, ERROR_COLUMN]
    materialised = list(rows)
    for index, header in enumerate(all_headers, start=1):
        widest = max(
            [display_width(header)]
            + [display_width(r.cells[index - 1]) for r in materialised if index - 1 < len(r.cells)]
        )
        width = 60 if header == ERROR_COLUMN else min(max(widest + 2, 8), 40)
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, h, bold=True) for h in all_headers])
    for row in materialised:
        bad_columns = {issue.column for issue in row.issues}
        cells = list(row.cells) + [""] * (len(headers) - len(row.cells))
        out = []
        for index, value in enumerate(cells[: len(headers)]):
            cell = _cell(ws, value)
            if headers[index] in bad_columns:
                cell.fill = _BAD
                notes = [i.message for i in row.issues if i.column == headers[index]]
                cell.comment = Comment("\n".join(notes), "partyreg")
            out.append(cell)
        message = "；".join(
            f"【{issue.column}】{issue.message}" if issue.column else issue.message
            for issue in row.issues
        )
        out += [_cell(ws, str(row.number)), _cell(ws, message)]
        ws.append(out)
    wb.save(target)
    return len(materialised)


def _cell(ws: object, value: str, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    cell.value = value
    cell.data_type = "s"  # never a formula or an error value, whatever the file held
    cell.number_format = "@"
    cell.border = _BORDER
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    if bold:
        cell.font = Font(bold=True)
    if is_dangerous(value):
        cell.quotePrefix = True
    return cell
