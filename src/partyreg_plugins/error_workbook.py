"""The error workbook of ``partyreg import --errors-out``: the rejected rows, to fix and import
again.

It keeps the file's own header (as written) and each rejected row's cells as read, and adds two
columns on the right: the row number in the original file and what is wrong with the row and how
to fix it. The offending cells are highlighted and carry the message as a comment. Importing the
corrected workbook again is the intended round trip: the two added columns are recognised and
ignored.

Every cell is written as text that cannot start a formula, whatever the rejected file held (see
:func:`partyreg_plugins.official_forms.put`). The workbook is written with XlsxWriter in
``constant_memory`` mode, row after row: comments work in that mode, and a file whose every row
was rejected still needs little memory beyond the rejected rows themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from xlsxwriter import Workbook

from partyreg_core.hookspecs import hookimpl
from partyreg_core.importing import RejectedRow
from partyreg_core.text import display_width
from partyreg_plugins.official_forms import WORKBOOK_OPTIONS, Style, put

ROW_COLUMN = "原行号"
ERROR_COLUMN = "错误说明"

_CELL = {"num_format": "@", "border": 1, "valign": "vcenter", "text_wrap": True}
_BAD_FILL = {"pattern": 1, "bg_color": "#FFF2CC"}


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
    all_headers = [*headers, ROW_COLUMN, ERROR_COLUMN]
    materialised = list(rows)
    wb = Workbook(str(target), {"constant_memory": True, **WORKBOOK_OPTIONS})
    head, cell, bad = (
        Style(wb, {**_CELL, "bold": True}),
        Style(wb, _CELL),
        Style(wb, {**_CELL, **_BAD_FILL}),
    )
    ws = wb.add_worksheet(re.sub(r"[\[\]:*?/\\']", "", sheet_name)[:31] or "待修改")
    for index, header in enumerate(all_headers):
        widest = max(
            [display_width(header)]
            + [display_width(r.cells[index]) for r in materialised if index < len(r.cells)]
        )
        width = 60 if header == ERROR_COLUMN else min(max(widest + 2, 8), 40)
        ws.set_column(index, index, width)
    ws.freeze_panes(1, 0)
    for col, header in enumerate(all_headers):
        put(ws, 0, col, header, head)
    for row_index, row in enumerate(materialised, start=1):
        bad_columns = {issue.column for issue in row.issues}
        cells = list(row.cells) + [""] * (len(headers) - len(row.cells))
        for col, value in enumerate(cells[: len(headers)]):
            if headers[col] in bad_columns:
                put(ws, row_index, col, value, bad)
                notes = [i.message for i in row.issues if i.column == headers[col]]
                ws.write_comment(row_index, col, "\n".join(notes), {"author": "partyreg"})
            else:
                put(ws, row_index, col, value, cell)
        message = "；".join(
            f"【{issue.column}】{issue.message}" if issue.column else issue.message
            for issue in row.issues
        )
        put(ws, row_index, len(headers), str(row.number), cell)
        put(ws, row_index, len(headers) + 1, message, cell)
    wb.close()
    return len(materialised)
