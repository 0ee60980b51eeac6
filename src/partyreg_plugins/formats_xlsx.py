"""The built-in .xlsx reader: visible sheets, rows of text cells (DESIGN.md §6 "Reading a sheet").

Two readers give identical rows (the tests run every case through both):

- calamine (python-calamine, Rust) is the default: fast, but it holds a whole sheet in memory
  (about 1.7 times the sheet's XML);
- a streaming reader (expat over the zip members) holds the shared strings compactly and one
  chunk of rows, at about a tenth of calamine's speed. A workbook whose sheets and shared
  strings are larger than ``ReadLimits.streaming_threshold_bytes`` uncompressed is read this
  way, so a million-row 附表1 stays within the memory target (DESIGN.md §9).

Every file passes :mod:`partyreg_plugins.filesafety` first, so neither parser ever sees a DTD, a
zip bomb or a file that is not a workbook.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from array import array
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import attrs
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
        # python-calamine's iter_rows() drops the empty columns left of the data but yields
        # the empty rows above it: so the n-th row yielded is spreadsheet row n, and its first
        # cell is in column start[1] + 1 (the row-3 and column-C tests hold this).
        pad = ("",) * start[1]
        for number, values in enumerate(data.iter_rows(), start=1):
            cells = _row_cells(values)
            if cells:
                yield RawRow(number, pad + cells)
    finally:
        workbook.close()


# ---------------------------------------------------------------------------------------------
# The streaming reader: expat over the zip members, one chunk of rows at a time. It follows
# calamine's reading of every cell; the tests hold the two readers to identical rows.
# ---------------------------------------------------------------------------------------------

_DATE_BUILTINS = frozenset([*range(14, 23), 45, 47])
_DURATION_BUILTINS = frozenset([46])
# East Asian built-ins, which Excel on Chinese Windows writes for 2024年3月5日 without spelling
# the format out: in zh-CN all are dates or times (27 yyyy"年"m"月", 31 yyyy"年"m"月"d"日", 32
# h"时"mm"分", 57 yyyy"年"m"月", …). calamine counts them as dates too.
LOCALE_DATE_BUILTINS = frozenset([*range(27, 37), *range(50, 59)])
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_OOXML_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")
_COLUMN = re.compile(r"[A-Za-z]+")
_CHUNK = 1 << 20

_NUMBER, _DATE, _DURATION = 0, 1, 2


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def unescape_ooxml(text: str) -> str:
    """Decode the ``_xHHHH_`` escapes OOXML uses for characters XML cannot hold
    (``_x000D_`` is a carriage return, ``_x005F_`` a literal underscore)."""
    return _OOXML_ESCAPE.sub(_unescape, text) if "_x" in text else text


def format_kind(code: str) -> int:
    """Whether a custom number format shows a date or time (``_DATE``), an elapsed time such
    as ``[h]:mm`` (``_DURATION``) or a number (``_NUMBER``).

    Only the first section counts; quoted text, backslash-escaped characters, the character
    after ``_`` or ``*`` and bracketed parts (colours, conditions, locales) are not tokens —
    except an elapsed-time bracket ``[h]``, ``[mm]``, ``[s]``.
    """
    i, n = 0, len(code)
    while i < n:
        ch = code[i]
        if ch in "\\_*":
            i += 2
            continue
        if ch == '"':
            close = code.find('"', i + 1)
            i = n if close < 0 else close + 1
            continue
        if ch == ";":
            return _NUMBER
        if ch == "[":
            close = code.find("]", i + 1)
            inner = code[i + 1 : n if close < 0 else close].lower()
            if inner and inner[0] in "hms" and inner == inner[0] * len(inner):
                return _DURATION
            i = n if close < 0 else close + 1
            continue
        if ch in "dmhysDMHYS":
            return _DATE
        if ch in "aA" and (code[i : i + 5].upper() == "AM/PM" or code[i : i + 3].upper() == "A/P"):
            return _DATE
        i += 1
    return _NUMBER


def _local(name: str) -> str:
    # Parts normally use the default namespace; a prefixed one ("x:c") is read the same.
    return name.rpartition(":")[2] if ":" in name else name


def _parse_small(data: bytes, start: Callable[[str, dict[str, str]], None]) -> None:
    """Run ``start(local_name, attributes)`` over every element of a small XML part."""
    parser = _new_parser()
    parser.StartElementHandler = lambda name, attrs: start(_local(name), attrs)
    parser.Parse(data, True)


def _refuse_doctype(*_args: object) -> None:
    # Unreachable after filesafety's scan; here so the parser itself never expands an entity.
    raise ValueError("DTD in a workbook part")


def _new_parser() -> Any:
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    return parser


def _attr(attrs: dict[str, str], local: str) -> str | None:
    """An attribute by local name, whatever its prefix (``r:id``)."""
    for key, value in attrs.items():
        if key == local or key.endswith(":" + local):
            return value
    return None


def _resolve(base: str, target: str) -> str:
    """A relationship target relative to the part in folder ``base`` (``xl``)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in base.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


@attrs.frozen
class WorkbookInfo:
    """What the streaming reader needs from a workbook's small parts: the worksheets (name,
    visible, part), the date system, the kind of every cell style, the shared strings part."""

    sheets: tuple[tuple[str, bool, str], ...]
    date1904: bool
    style_kinds: tuple[int, ...]
    shared_strings: str | None


def read_workbook_info(path: Path) -> WorkbookInfo:
    """Read workbook.xml, its relationships and styles.xml (all small)."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())

        def part(name: str) -> bytes | None:
            return zf.read(name) if name in names else None

        targets: dict[str, tuple[str, str]] = {}

        def on_rel(tag: str, a: dict[str, str]) -> None:
            if tag == "Relationship" and a.get("TargetMode") != "External":
                targets[a.get("Id", "")] = (a.get("Type", ""), _resolve("xl", a.get("Target", "")))

        rels = part("xl/_rels/workbook.xml.rels")
        if rels:
            _parse_small(rels, on_rel)

        entries: list[tuple[str, bool, str]] = []
        date1904 = [False]

        def on_workbook(tag: str, a: dict[str, str]) -> None:
            if tag == "workbookPr":
                date1904[0] = a.get("date1904", "0").lower() in ("1", "true")
            elif tag == "sheet":
                kind, target = targets.get(_attr(a, "id") or "", ("", ""))
                if kind.endswith("/worksheet") or (not kind and not rels):
                    visible = a.get("state", "visible") == "visible"
                    entries.append((a.get("name", ""), visible, target))

        _parse_small(zf.read("xl/workbook.xml"), on_workbook)

        def by_type(suffix: str, default: str) -> str:
            for kind, target in targets.values():
                if kind.endswith(suffix):
                    return target
            return default

        custom: dict[int, str] = {}
        xf_formats: list[int] = []
        in_cell_xfs = [False]

        def on_styles(tag: str, a: dict[str, str]) -> None:
            if tag == "numFmt":
                custom[int(a.get("numFmtId", "0"))] = a.get("formatCode", "")
            elif tag == "cellXfs":
                in_cell_xfs[0] = True
            elif tag in ("cellStyleXfs", "dxfs", "cellStyles"):
                in_cell_xfs[0] = False
            elif tag == "xf" and in_cell_xfs[0]:
                xf_formats.append(int(a.get("numFmtId", "0")))

        styles = part(by_type("/styles", "xl/styles.xml"))
        if styles:
            _parse_small(styles, on_styles)
        kinds = []
        for fmt in xf_formats:
            if fmt in custom:
                kinds.append(format_kind(custom[fmt]))
            elif fmt in _DATE_BUILTINS:
                kinds.append(_DATE)
            elif fmt in _DURATION_BUILTINS:
                kinds.append(_DURATION)
            elif fmt in LOCALE_DATE_BUILTINS:
                kinds.append(_DATE)
            else:
                kinds.append(_NUMBER)
        strings = by_type("/sharedStrings", "xl/sharedStrings.xml")
        return WorkbookInfo(
            tuple(entries),
            date1904[0],
            tuple(kinds),
            strings if strings in names else None,
        )


class SharedStrings:
    """The shared string table, kept compact: all strings UTF-8 in one buffer plus offsets
    (a million Python strings would take several times the memory)."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("Q")

    def append(self, text: str) -> None:
        self._data += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        start = self._ends[index - 1] if index > 0 else 0
        return self._data[start : self._ends[index]].decode("utf-8", "surrogatepass")


def _stream(zf: Any, part: str, parser: Any, pending: list[Any]) -> Iterator[Any]:
    """Feed ``part`` to ``parser`` a chunk at a time, yielding what its handlers put in
    ``pending`` after each chunk (so memory holds one chunk's worth of rows)."""
    with zf.open(part) as member:
        while chunk := member.read(_CHUNK):
            parser.Parse(chunk, False)
            if pending:
                yield from pending
                pending.clear()
        parser.Parse(b"", True)
    yield from pending
    pending.clear()


def read_shared_strings(zf: Any, part: str) -> SharedStrings:
    """The shared strings, rich-text runs joined, phonetic guides (<rPh>) left out."""
    table = SharedStrings()
    parser = _new_parser()
    pieces: list[str] = []
    state = {"t": False, "rph": 0}

    def start(name: str, _attrs: dict[str, str]) -> None:
        name = _local(name)
        if name == "t":
            state["t"] = not state["rph"]
        elif name == "rPh":
            state["rph"] += 1
        elif name == "si":
            pieces.clear()

    def end(name: str) -> None:
        name = _local(name)
        if name == "t":
            state["t"] = False
        elif name == "rPh":
            state["rph"] -= 1
        elif name == "si":
            table.append(unescape_ooxml("".join(pieces)))

    def text(data: str) -> None:
        if state["t"]:
            pieces.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    for _ in _stream(zf, part, parser, []):
        pass
    return table


def _column(ref: str | None, previous: int) -> int:
    if not ref:
        return previous + 1
    match = _COLUMN.match(ref)
    if not match:
        return previous + 1
    index = 0
    for ch in match.group().upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def _serial_value(serial: float, kind: int, date1904: bool) -> Any:
    """A date-styled number as python-calamine gives it: a time below 1, a date when whole,
    else a date-time; an elapsed-time style as a timedelta."""
    if kind == _DURATION:
        return dt.timedelta(days=serial)
    if serial < 0:
        return serial
    moment = (_EPOCH_1904 if date1904 else _EPOCH_1900) + dt.timedelta(days=serial)
    if serial < 1:
        return moment.time()
    if serial == int(serial):
        return moment.date()
    return moment


def streaming_sheet_names(path: Path) -> list[str]:
    """The visible worksheets of ``path`` in workbook order, from workbook.xml."""
    try:
        info = read_workbook_info(path)
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    return [name for name, visible, _part in info.sheets if visible]


def streaming_rows(path: Path, sheet: str) -> Iterator[RawRow]:
    """The non-blank rows of ``sheet``, parsed as they are inflated: memory holds the shared
    strings (compactly) and one chunk of rows."""
    import zipfile

    try:
        info = read_workbook_info(path)
        part = next(p for name, _v, p in info.sheets if name == sheet)
        zf = zipfile.ZipFile(path)
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    with zf:
        try:
            strings = (
                read_shared_strings(zf, info.shared_strings)
                if info.shared_strings
                else SharedStrings()
            )
            yield from _sheet_rows(zf, part, strings, info)
        except ValidationError:
            raise
        except Exception as exc:
            raise _unreadable(path, exc) from exc


def _sheet_rows(zf: Any, part: str, strings: SharedStrings, info: WorkbookInfo) -> Iterator[RawRow]:
    kinds = info.style_kinds
    date1904 = info.date1904
    parser = _new_parser()
    pending: list[RawRow] = []
    # The cell being read: type, style, column, <v> text, inline-string pieces.
    cell: dict[str, Any] = {}
    row: dict[int, Any] = {}
    at = {"row": 0, "col": -1, "collect": False, "rph": 0, "in_is": False}
    buffer: list[str] = []
    inline: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if ":" in name:
            name = _local(name)
        if name == "c":
            at["col"] = _column(attrs.get("r"), at["col"])
            cell["t"] = attrs.get("t", "n")
            cell["s"] = attrs.get("s")
            cell["v"] = None
            inline.clear()
        elif name == "v":
            at["collect"] = True
            buffer.clear()
        elif name == "row":
            number = attrs.get("r")
            at["row"] = int(number) if number else at["row"] + 1
            at["col"] = -1
            row.clear()
        elif name == "t" and at["in_is"] and not at["rph"]:
            at["collect"] = True
            buffer.clear()
        elif name == "is":
            at["in_is"] = True
        elif name == "rPh":
            at["rph"] += 1

    def end(name: str) -> None:
        if ":" in name:
            name = _local(name)
        if name == "c":
            row[at["col"]] = _cell_value(cell, inline)
        elif name == "v":
            at["collect"] = False
            cell["v"] = "".join(buffer)
        elif name == "row":
            if row:
                values = [None] * (max(row) + 1)
                for col, value in row.items():
                    values[col] = value
                cells = _row_cells(values)
                if cells:
                    pending.append(RawRow(at["row"], cells))
        elif name == "t":
            if at["collect"] and at["in_is"]:
                inline.append("".join(buffer))
            at["collect"] = False
        elif name == "is":
            at["in_is"] = False
        elif name == "rPh":
            at["rph"] -= 1

    def text(data: str) -> None:
        if at["collect"]:
            buffer.append(data)

    def _cell_value(c: dict[str, Any], parts: list[str]) -> Any:
        kind, raw = c["t"], c["v"]
        if kind == "inlineStr":
            return unescape_ooxml("".join(parts))
        if not raw:
            return None  # no value (or <v></v>): an empty cell or a formula never calculated
        if kind == "s":
            return strings[int(raw)]
        if kind == "n":
            number = float(raw)
            style = c["s"]
            if style is not None:
                index = int(style)
                if index < len(kinds) and kinds[index] != _NUMBER:
                    return _serial_value(number, kinds[index], date1904)
            return number
        if kind == "str":
            return unescape_ooxml(raw)
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "e":
            return None
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(raw.strip().rstrip("Z"))
            except ValueError:
                return raw
        return raw

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    yield from _stream(zf, part, parser, pending)


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

    def hidden_sheets(self, path: Path) -> list[str]:
        """The hidden (and very hidden) worksheets of ``path``, which are never read: an import
        report names them so an operator knows what was left out."""
        return [name for name, visible, _part in _workbook_info(path).sheets if not visible]

    def sheets(self, path: Path, limits: ReadLimits) -> Iterator[RawSheet]:
        """The visible worksheets of ``path`` in workbook order; refuses the file (before
        returning) when it is unsafe or has no visible worksheet."""
        summary = self._check(path, limits)
        streams = self._streams(summary, limits)
        names = streaming_sheet_names(path) if streams else calamine_sheet_names(path)
        if not names:
            raise refuse(
                "no_visible_sheet",
                f"文件 {path.name} 没有可见的工作表（全部被隐藏）：请在 Excel/WPS 中右键工作表标签，"
                "选择“取消隐藏”，保存后再导入。",
            )
        parts = {name: part for name, _visible, part in _workbook_info(path).sheets}
        sheets = []
        for name in names:
            extent = summary.extents.get(parts.get(name, ""))
            if extent is not None:
                check_extent(path, name, extent, limits)
            rows = streaming_rows if streams or not _dense_fits(extent) else calamine_rows
            last = (
                _constant(extent.max_row or None)
                if extent is not None and extent.scanned
                else _bind_last(path, name)
            )
            sheets.append(RawSheet(name, _bind(rows, path, name), last))
        return iter(sheets)


# calamine holds a sheet as the rectangle from its first to its last cell with content (about
# 32 bytes a cell, empty or not). When the sheet's rectangle exceeds four times its values plus
# this many cells (about 128 MB), the sparse streaming reader is used instead.
DENSE_SLACK_CELLS = 4_000_000


def _dense_fits(extent: filesafety.SheetExtent | None) -> bool:
    """Whether calamine may read a sheet of ``extent`` (unknown: no)."""
    if extent is None or not extent.scanned:
        return False
    return extent.rectangle <= 4 * extent.cells + DENSE_SLACK_CELLS


def check_extent(
    path: Path, sheet: str, extent: filesafety.SheetExtent, limits: ReadLimits
) -> None:
    """Refuse a sheet with a cell beyond ``limits.max_rows`` or ``limits.max_columns``, naming
    the cell and how to remove it."""
    where = f"文件 {path.name} 的工作表“{sheet}”"
    find = (
        "请在 Excel/WPS 中打开这个工作表，按 Ctrl+End 跳到最后一个有内容的单元格，"
        "删除多余的内容（或删除多余的行、列），保存后再导入。"
    )
    if extent.far_column is not None:
        raise refuse(
            "sheet_too_wide",
            f"{where}在单元格 {extent.far_column} 还有内容，超出了可读的范围"
            f"（最多 {limits.max_columns} 列，即到 {column_letters(limits.max_columns)} 列）："
            f"这多半是误输入到远处的备注。{find}",
        )
    if extent.far_row is not None:
        raise refuse(
            "sheet_too_long",
            f"{where}在单元格 {extent.far_row} 还有内容，超出了可读的范围"
            f"（最多 {limits.max_rows:,} 行）：{find}",
        )


def column_letters(number: int) -> str:
    """1 → A, 256 → IV, 16384 → XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _workbook_info(path: Path) -> WorkbookInfo:
    try:
        return read_workbook_info(path)
    except Exception as exc:
        raise _unreadable(path, exc) from exc


def _constant(value: int | None) -> Callable[[], int | None]:
    return lambda: value


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"(?:[A-Z]+\d+:)?[A-Z]+(\d+)\"")


def sheet_last_row(path: Path, sheet: str) -> int | None:
    """The last row of ``sheet`` as its ``<dimension ref="A1:K1000">`` element states it (the
    head of the sheet's XML, read without inflating the rest), or ``None`` when the sheet has
    none or the file cannot tell: only an estimate for a progress bar."""
    import zipfile

    try:
        info = read_workbook_info(path)
        part = next(p for name, _v, p in info.sheets if name == sheet)
        with zipfile.ZipFile(path) as zf, zf.open(part) as f:
            head = f.read(16384)
    except Exception:  # a progress estimate never stops an import
        return None
    found = _DIMENSION.search(head)
    return int(found.group(1)) if found else None


def _bind_last(path: Path, sheet: str) -> Callable[[], int | None]:
    return lambda: sheet_last_row(path, sheet)


def _bind(
    rows: Callable[[Path, str], Iterator[RawRow]], path: Path, sheet: str
) -> Callable[[], Iterator[RawRow]]:
    return lambda: rows(path, sheet)


@hookimpl
def partyreg_register_formats(register: Callable[[TableFormat], None]) -> None:
    """Register the .xlsx reader."""
    register(XlsxFormat())
