"""Build .xlsx files byte by byte for the format tests and the benchmark.

openpyxl cannot write the cached value of a formula, and it never writes the odd-but-legal
shapes real files have (rows starting at row 3, hidden sheets, inline strings, a DTD), so the
fixtures are written here as raw SpreadsheetML parts in a zip. Rows are streamed into the zip
member, so a million-row file is built without holding it in memory.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

# Style indexes of the cellXfs written by ``_styles_xml``.
STYLE_GENERAL = 0
STYLE_DATE = 1  # numFmtId 14, the locale's short date
STYLE_DATETIME = 2  # numFmtId 22, date and time
STYLE_TEXT = 3  # numFmtId 49, "@": what an operator gets by formatting a column as text
STYLE_CUSTOM_DATE = 4  # a custom yyyy"年"m"月"d"日" format, as Chinese templates use
STYLE_LOCALE_DATE = 5  # built-in 31, which zh-CN Excel shows as 2024年3月5日 and never spells out
STYLE_TIME = 6  # built-in 20, h:mm
STYLE_ELAPSED = 7  # built-in 46, [h]:mm:ss
STYLE_CUSTOM_ELAPSED = 8  # custom [h]:mm
STYLE_PERCENT = 9  # built-in 10, 0.00%

_EPOCH_1900 = dt.datetime(1899, 12, 30)


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``cached`` is what Excel last showed (None: never calculated)."""

    text: str
    cached: str | float | bool | None = None


@dataclass(frozen=True)
class Raw:
    """A cell written exactly as given (the inner XML of ``<c>`` plus its attributes)."""

    attrs: str
    inner: str


Cell = str | int | float | bool | dt.date | dt.datetime | Formula | Raw | None


@dataclass
class Sheet:
    """A worksheet: ``rows`` are (1-based row number, cells from column A) pairs."""

    name: str
    rows: Iterable[tuple[int, Sequence[Cell]]] = ()
    state: str = "visible"  # visible | hidden | veryHidden
    doctype: str = ""  # prepended after the XML declaration (for the entity tests)


@dataclass
class _Strings:
    index: dict[str, int] = field(default_factory=dict)

    def add(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_serial(value: dt.date | dt.datetime) -> float:
    """The 1900-system serial number Excel stores for a date."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value - _EPOCH_1900
    return delta.days + delta.seconds / 86400


def _number(value: float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _cell_xml(ref: str, value: Cell, strings: _Strings, inline: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Raw):
        return f'<c r="{ref}"{value.attrs}>{value.inner}</c>'
    if isinstance(value, Formula):
        f = f"<f>{escape(value.text)}</f>"
        cached = value.cached
        if cached is None:
            return f'<c r="{ref}">{f}</c>'
        if isinstance(cached, bool):
            return f'<c r="{ref}" t="b">{f}<v>{int(cached)}</v></c>'
        if isinstance(cached, str):
            return f'<c r="{ref}" t="str">{f}<v>{escape(cached)}</v></c>'
        return f'<c r="{ref}">{f}<v>{_number(cached)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{_number(value)}</v></c>'
    if isinstance(value, dt.datetime):
        style = STYLE_DATETIME if value.time() != dt.time() else STYLE_DATE
        return f'<c r="{ref}" s="{style}"><v>{_number(excel_serial(value))}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{STYLE_DATE}"><v>{_number(excel_serial(value))}</v></c>'
    if inline:
        return (
            f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
        )
    return f'<c r="{ref}" t="s"><v>{strings.add(value)}</v></c>'


_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _styles_xml() -> str:
    return (
        f"{_DECL}<styleSheet {_NS}>"
        '<numFmts count="2"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
        '<numFmt numFmtId="177" formatCode="[h]:mm"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="10">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="176" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="31" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="20" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="46" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="177" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        "</cellXfs></styleSheet>"
    )


def write_xlsx(
    path: Path,
    sheets: Sequence[Sheet],
    *,
    inline_strings: bool = False,
    compression: int = zipfile.ZIP_DEFLATED,
    omit: Sequence[str] = (),
    workbook_doctype: str = "",
    shared_strings_doctype: str = "",
    date1904: bool = False,
) -> Path:
    """Write ``sheets`` as an .xlsx at ``path``; ``omit`` leaves named parts out (for the
    "zip but not a workbook" tests), the ``*_doctype`` arguments plant a DTD in a part, and
    ``date1904`` marks the workbook as using the Mac 1904 date system (the serials written for
    dates stay 1900-based, so tests write raw serials for it)."""
    strings = _Strings()
    parts: dict[str, str] = {}
    with zipfile.ZipFile(path, "w", compression=compression, allowZip64=True) as zf:
        for number, sheet in enumerate(sheets, start=1):
            name = f"xl/worksheets/sheet{number}.xml"
            if name in omit:
                continue
            with zf.open(name, "w", force_zip64=True) as out:
                out.write(f"{_DECL}{sheet.doctype}<worksheet {_NS} {_RNS}><sheetData>".encode())
                buffer: list[str] = []
                for row_number, cells in sheet.rows:
                    buffer.append(f'<row r="{row_number}">')
                    for col, value in enumerate(cells):
                        buffer.append(
                            _cell_xml(
                                f"{column_letter(col)}{row_number}", value, strings, inline_strings
                            )
                        )
                    buffer.append("</row>")
                    if len(buffer) > 4096:
                        out.write("".join(buffer).encode())
                        buffer.clear()
                out.write("".join(buffer).encode())
                out.write(b"</sheetData></worksheet>")
        sheet_entries = "".join(
            f'<sheet name="{escape(s.name)}" sheetId="{i}" r:id="rId{i}"'
            + ("" if s.state == "visible" else f' state="{s.state}"')
            + "/>"
            for i, s in enumerate(sheets, start=1)
        )
        parts["xl/workbook.xml"] = (
            f"{_DECL}{workbook_doctype}<workbook {_NS} {_RNS}>"
            + ('<workbookPr date1904="1"/>' if date1904 else "")
            + f"<sheets>{sheet_entries}</sheets></workbook>"
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        n = len(sheets)
        rels += f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        if not inline_strings:
            rels += (
                f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" '
                'Target="sharedStrings.xml"/>'
            )
        parts["xl/_rels/workbook.xml.rels"] = (
            f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>"
        )
        parts["xl/styles.xml"] = _styles_xml()
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT_MAIN}.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        if not inline_strings:
            overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT_MAIN}.sharedStrings+xml"/>'
        parts["[Content_Types].xml"] = (
            f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT_MAIN}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT_MAIN}.styles+xml"/>'
            f"{overrides}</Types>"
        )
        parts["_rels/.rels"] = (
            f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        )
        for name, text in parts.items():
            if name not in omit:
                zf.writestr(name, text.encode())
        if not inline_strings and "xl/sharedStrings.xml" not in omit:
            with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
                out.write(
                    f'{_DECL}{shared_strings_doctype}<sst {_NS} count="{len(strings.index)}" '
                    f'uniqueCount="{len(strings.index)}">'.encode()
                )
                buffer = []
                for text in strings.index:
                    buffer.append(f'<si><t xml:space="preserve">{escape(text)}</t></si>')
                    if len(buffer) > 4096:
                        out.write("".join(buffer).encode())
                        buffer.clear()
                out.write("".join(buffer).encode())
                out.write(b"</sst>")
    return path


# ---------------------------------------------------------------------------------------------
# A realistic 附表1 for size and speed measurements
# ---------------------------------------------------------------------------------------------

FORM1_HEADER = (
    "单位代码",
    "姓 名",
    "性别",
    "单位及职务",
    "认领岗位",
    "特长",
    "联系方式",
    "常住住址",
    "报到\n社区",
    "社区所属街道、乡镇",
    "所属",
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉海燕春梅晓东思远子涵浩然雨桐欣怡"


def form1_rows(count: int, *, start_row: int = 2) -> Iterable[tuple[int, Sequence[Cell]]]:
    """The header at ``start_row - 1`` and ``count`` varied member rows of 附表1 (phones as
    numbers, the way Excel keeps a typed-in mobile)."""
    yield start_row - 1, FORM1_HEADER
    s, g = len(_SURNAMES), len(_GIVEN)
    for i in range(count):
        name = _SURNAMES[i % s] + _GIVEN[(i // s) % g] + _GIVEN[(i * 7 // s) % g]
        yield (
            start_row + i,
            (
                f"008.{(i % 9) + 1:03d}.{(i % 97) + 1:03d}",
                name,
                "男" if i % 2 else "女",
                f"淮安市第{(i % 500) + 1}单位 科员",
                f"{(i % 15) + 1}、{((i + 3) % 15) + 1}",
                ("书法", "摄影", "法律咨询", "", "医疗保健")[i % 5],
                13900000000 + i,
                f"清江浦区健康西路{i % 300 + 1}号{i // 300 % 40 + 1}幢{i // 12000 + 1}0{i % 4 + 1}室",
                f"第{i % 500 + 1}社区",
                f"第{i % 60 + 1}街道",
                ("清江浦区", "淮安区", "淮阴区", "洪泽区", "涟水县", "盱眙县", "金湖县")[i % 7],
            ),
        )


def replace_part(path: Path, name: str, data: bytes) -> Path:
    """Rewrite the zip at ``path`` with part ``name`` holding ``data``."""
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info.filename) for info in src.infolist()}
    parts[name] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for part, content in parts.items():
            out.writestr(part, content)
    return path


def inline_cell(ref: str, text: str) -> str:
    """A cell holding ``text`` as an inline string."""
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def far_cell_workbook(
    path: Path,
    rows: Iterable[tuple[int, Sequence[str]]],
    extra: Iterable[str] = (),
    *,
    dimension: str | None = None,
) -> Path:
    """A one-sheet workbook whose sheet XML is written here: ``rows`` as inline strings from
    column A, then the raw ``extra`` XML inside <sheetData> (a far cell, empty styled rows),
    and a ``<dimension ref=…>`` when given — the "stray cell far away" family of hostile files.
    The extra XML is streamed into the part, so a million rows are never held at once."""
    write_xlsx(path, [Sheet("附表1", [(1, ["姓名"])])], inline_strings=True)
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in parts.items():
            if name != sheet:
                out.writestr(name, content)
        with out.open(sheet, "w", force_zip64=True) as part:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            part.write(f"{_DECL}<worksheet {_NS} {_RNS}>{dim}<sheetData>".encode())
            for number, cells in rows:
                xml = "".join(
                    inline_cell(f"{column_letter(i)}{number}", str(c))
                    for i, c in enumerate(cells)
                    if c is not None and c != ""
                )
                part.write(f'<row r="{number}">{xml}</row>'.encode())
            buffer: list[str] = []
            for piece in extra:
                buffer.append(piece)
                if len(buffer) > 4096:
                    part.write("".join(buffer).encode())
                    buffer.clear()
            part.write("".join(buffer).encode())
            part.write(b"</sheetData></worksheet>")
    return path
