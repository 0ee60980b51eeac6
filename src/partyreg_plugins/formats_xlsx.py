"""The built-in .xlsx reader: visible sheets, rows of text cells (DESIGN.md §6 "Reading a sheet").

Two readers give identical rows (the tests run every case through both):

- calamine (python-calamine, Rust) is the default: fast, but it holds a whole sheet in memory
  (about 1.7 times the sheet's XML);
- openpyxl in read-only mode streams one row at a time, about ten times slower. A workbook whose
  sheets and shared strings are larger than ``ReadLimits.streaming_threshold_bytes`` uncompressed
  is read this way, so a million-row 附表1 stays within the memory target (DESIGN.md §9).

Every file passes :mod:`partyreg_plugins.filesafety` first, so neither parser ever sees a DTD, a
zip bomb or a file that is not a workbook.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import python_calamine

from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import RawRow, RawSheet, ReadLimits, TableFormat
from partyreg_plugins import filesafety
from partyreg_plugins.filesafety import refuse

REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
Reader = Literal["auto", "calamine", "streaming"]

# ---------------------------------------------------------------------------------------------
# Cell values as text
# ---------------------------------------------------------------------------------------------


def number_text(value: float) -> str:
    """A number as Excel shows it in a General cell, without exponent: at most 15 significant
    digits (Excel keeps no more), no trailing ``.0``: ``13912345678.0`` → ``"13912345678"``,
    ``2.5`` → ``"2.5"``, ``0.1 + 0.2`` → ``"0.3"``, ``1e-7`` → ``"0.0000001"``."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"  # also -0.0
    text = format(value, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text


def _seconds_rounded(value: dt.datetime) -> dt.datetime:
    # Serial day fractions come back a few microseconds off (10:29:59.999999); Excel shows
    # whole seconds.
    if value.microsecond >= 500_000:
        value += dt.timedelta(seconds=1)
    return value.replace(microsecond=0)


def cell_text(value: Any) -> str:
    """The text of one cell value as calamine or openpyxl return it.

    ``None`` and missing cells are ``""``; numbers as :func:`number_text`; a date (or a date-time
    at midnight) as ``YYYY-MM-DD``, other date-times as ``YYYY-MM-DD HH:MM:SS``; a time as
    ``HH:MM:SS``; a duration as ``H:MM:SS``; booleans as ``TRUE``/``FALSE`` as Excel shows them;
    text unchanged (normalising is the form reader's job).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        # Beyond 15 digits Excel has already rounded what it shows; openpyxl hands such a
        # value over as an int, calamine as a float: both must read the same.
        return str(value) if abs(value) < 10**15 else number_text(float(value))
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dt.datetime):
        value = _seconds_rounded(value)
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        moment = _seconds_rounded(dt.datetime.combine(dt.date(2000, 1, 1), value))
        return moment.time().isoformat()
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value)


def _row_cells(values: Any) -> tuple[str, ...]:
    """Cells as text with trailing empty cells dropped (``()`` for a blank row)."""
    cells = [v if type(v) is str else cell_text(v) for v in values]
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return tuple(cells[:end])


# ---------------------------------------------------------------------------------------------
# The two readers
# ---------------------------------------------------------------------------------------------


def _unreadable(path: Path, exc: BaseException) -> ValidationError:
    if isinstance(exc, python_calamine.PasswordError):
        return refuse(
            "encrypted",
            f"文件 {path.name} 设置了密码，无法读取：请清除密码后另存为 .xlsx 再导入。",
        )
    return refuse(
        "corrupt",
        f"文件 {path.name} 无法作为 Excel 工作簿读取（{type(exc).__name__}）："
        "请在 Excel/WPS 中打开，另存为新的 .xlsx 后再导入。",
    )


def _is_panic(exc: BaseException) -> bool:
    # A Rust panic inside calamine surfaces as pyo3's PanicException, a BaseException.
    return type(exc).__name__ == "PanicException"


def _calamine_open(path: Path) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise _unreadable(path, exc) from exc
        raise


def calamine_sheet_names(path: Path) -> list[str]:
    """The visible worksheets of ``path`` in workbook order, as calamine sees them."""
    workbook = _calamine_open(path)
    try:
        return [
            meta.name
            for meta in workbook.sheets_metadata
            if meta.visible == python_calamine.SheetVisibleEnum.Visible
            and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
    finally:
        workbook.close()


def calamine_rows(path: Path, sheet: str) -> Iterator[RawRow]:
    """The non-blank rows of ``sheet``, read with calamine (the whole sheet is loaded)."""
    workbook = _calamine_open(path)
    try:
        try:
            data = workbook.get_sheet_by_name(sheet)
        except Exception as exc:
            raise _unreadable(path, exc) from exc
        except BaseException as exc:
            if _is_panic(exc):
                raise _unreadable(path, exc) from exc
            raise
        start = data.start
        if start is None:  # no cell at all; iter_rows() would panic
            return
        # calamine drops the empty columns left of the data but pads the empty rows above it
        # (python-calamine ≥ 0.2): so the n-th row yielded is spreadsheet row n, and the first
        # cell is in column start[1] + 1.
        pad = ("",) * start[1]
        for number, values in enumerate(data.iter_rows(), start=1):
            cells = _row_cells(values)
            if cells:
                yield RawRow(number, pad + cells)
    finally:
        workbook.close()


def _openpyxl_open(path: Path) -> Any:
    import openpyxl  # only the streaming reader needs it: keep the fast path's import light

    try:
        with warnings.catch_warnings():
            # "Workbook contains no default style" and the like: noise about formatting.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        raise _unreadable(path, exc) from exc


def streaming_sheet_names(path: Path) -> list[str]:
    """The visible worksheets of ``path`` in workbook order, as openpyxl sees them."""
    workbook = _openpyxl_open(path)
    try:
        return [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    finally:
        workbook.close()


_OOXML_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _streamed_value(cell: Any) -> Any:
    """A cell's value as calamine would give it: an error (``#N/A``) is empty, and the OOXML
    escapes openpyxl leaves in text (``_x000D_`` for a carriage return) are decoded.

    openpyxl has already turned ``_x005F_`` into ``_`` in shared strings, so a cell whose text
    literally reads ``_x005F_x000D_`` would differ; no real form holds such text."""
    if cell.data_type == "e":
        return None
    value = cell.value
    if type(value) is str and "_x" in value:
        return _OOXML_ESCAPE.sub(_unescape, value)
    return value


def streaming_rows(path: Path, sheet: str) -> Iterator[RawRow]:
    """The non-blank rows of ``sheet``, streamed with openpyxl's read-only mode."""
    workbook = _openpyxl_open(path)
    try:
        worksheet = workbook[sheet]
        # The <dimension> a file declares may be wrong (some exporters write A1); without it
        # openpyxl reads every row there is, filling skipped row numbers with empty rows.
        worksheet.reset_dimensions()
        try:
            for number, row in enumerate(worksheet.iter_rows(), start=1):
                cells = _row_cells(_streamed_value(cell) for cell in row)
                if cells:
                    yield RawRow(number, cells)
        except ValidationError:
            raise
        except Exception as exc:
            raise _unreadable(path, exc) from exc
    finally:
        workbook.close()


# ---------------------------------------------------------------------------------------------
# The format
# ---------------------------------------------------------------------------------------------


class XlsxFormat:
    """Excel workbooks (.xlsx, .xlsm): :meth:`sniff` refuses unsafe or mislabelled files,
    :meth:`sheets` yields the visible worksheets in workbook order.

    ``reader`` picks the reader: ``"auto"`` (calamine, or the streaming reader above
    ``ReadLimits.streaming_threshold_bytes``), ``"calamine"`` or ``"streaming"``.
    """

    name = "xlsx"
    extensions = (".xlsx", ".xlsm")

    def __init__(self, reader: Reader = "auto") -> None:
        self.reader = reader
        # The last file that passed sniff(), so sheets() right after it does not inflate the
        # whole package a second time.
        self._checked: tuple[tuple[Any, ...], filesafety.ZipSummary] | None = None

    def sniff(self, path: Path, limits: ReadLimits) -> None:
        """Refuse ``path`` unless it is a safe .xlsx package (see :mod:`filesafety`)."""
        self._check(path, limits)

    def _check(self, path: Path, limits: ReadLimits) -> filesafety.ZipSummary:
        size = filesafety.check_size(path, limits)
        stat = path.stat()
        key = (str(path.resolve()), size, stat.st_mtime_ns, limits)
        if self._checked is not None and self._checked[0] == key:
            return self._checked[1]
        head = filesafety.read_head(path, 4096)
        if head.startswith(filesafety.OLE2_MAGIC):
            raise filesafety.refuse_ole2(path, "xlsx")
        if not head.startswith(filesafety.ZIP_MAGIC):
            if filesafety.looks_like_text(head):
                raise refuse(
                    "not_xlsx",
                    f"文件 {path.name} 的扩展名是 .xlsx，内容却是文本（像是 CSV）："
                    "请把扩展名改回 .csv 再导入，或在 Excel/WPS 中打开后另存为 Excel 工作簿 (.xlsx)。",
                )
            raise refuse(
                "not_xlsx",
                f"文件 {path.name} 不是 Excel 工作簿 (.xlsx)：请在 Excel/WPS 中打开原表格，"
                "另存为 Excel 工作簿 (.xlsx) 后再导入。",
            )
        summary = filesafety.check_zip(path, limits, REQUIRED_PARTS, "Excel 工作簿 (.xlsx)")
        self._checked = (key, summary)
        return summary

    def _streams(self, summary: filesafety.ZipSummary, limits: ReadLimits) -> bool:
        if self.reader != "auto":
            return self.reader == "streaming"
        content = sum(
            size
            for name, size in summary.uncompressed_bytes.items()
            if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"
        )
        return content > limits.streaming_threshold_bytes

    def sheets(self, path: Path, limits: ReadLimits) -> Iterator[RawSheet]:
        """The visible worksheets of ``path`` in workbook order; refuses the file (before
        returning) when it is unsafe or has no visible worksheet."""
        summary = self._check(path, limits)
        if self._streams(summary, limits):
            names, rows = streaming_sheet_names(path), streaming_rows
        else:
            names, rows = calamine_sheet_names(path), calamine_rows
        if not names:
            raise refuse(
                "no_visible_sheet",
                f"文件 {path.name} 没有可见的工作表（全部被隐藏）：请在 Excel/WPS 中右键工作表标签，"
                "选择“取消隐藏”，保存后再导入。",
            )
        return iter([RawSheet(name, _bind(rows, path, name)) for name in names])


def _bind(
    rows: Callable[[Path, str], Iterator[RawRow]], path: Path, sheet: str
) -> Callable[[], Iterator[RawRow]]:
    return lambda: rows(path, sheet)


@hookimpl
def partyreg_register_formats(register: Callable[[TableFormat], None]) -> None:
    """Register the .xlsx reader."""
    register(XlsxFormat())
