"""The official forms of the 2014 notice as printable workbooks (附表1–4).

Each writer takes core records and a target path and lays the form out like the seed: the title,
the header lines (单位、日期 / 区（县）街道（乡镇）社区（盖章）), the column headers exactly as the
form writes them, borders, column widths that fit Chinese text, A4 print setup with the header
rows repeated on every page, and the notes and signature lines. Every value is written as text
(so codes and phone numbers keep their digits) and can never start a formula.

Writers stream with openpyxl's write-only mode, so a district's 100,000-row 附表1 needs little
memory.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from partyreg_core.masking import mask_address, mask_phone
from partyreg_core.orgcodes import OrgUnit
from partyreg_core.records import DirectoryEntry, FeedbackSheet, Registration, ReportType
from partyreg_plugins.cellsafety import is_dangerous

CAMPAIGN = "全市“在职党员回社区，亮明身份作表率”"
FORM1_TITLE = f"{CAMPAIGN}活动参与党员信息登记表"
FORM2_TITLE = "单位党组织代码表"
FORM3_TITLE = f"{CAMPAIGN}实绩反馈单"
FORM4_TITLE = "全市城市社区通讯录"

# The column headers as the seed's forms write them (line breaks included).
FORM1_HEADERS = (
    "单位代码", "姓 名", "性别", "单位及职务", "特长", "认领岗位", "联系方式", "常住住址",
    "报到\n社区", "社区所属街道、乡镇", "所属",
)  # fmt: skip
FORM1_WIDTHS = (14, 10, 6, 28, 16, 14, 16, 34, 16, 18, 12)
FORM1_OPTIONAL = ("报到类型", "职级")
FORM3_HEADERS = (
    "年月日", "服务（活动）内容", "服务地点", "参加人员", "服务时间（小时）", "评价\n（优/良/一般）",
)  # fmt: skip
FORM3_WIDTHS = (13, 34, 18, 18, 12, 14)
FORM3_MIN_ROWS = 12  # the printed form has twelve lines
FORM4_HEADERS = (
    "县区", "街道", "社区", "接收报到\n电话", "接收报到\nQQ群号", "党组织书记\n姓  名", "手机",
    "地   址",
)  # fmt: skip
FORM4_WIDTHS = (12, 16, 16, 16, 14, 12, 15, 36)

FORM1_NOTE = (
    "说明：1、本表按党组织隶属关系逐层填写上报。2、单位代码即单位党组织代码，由县区委组织部和市直党工委"
    "参照附表2统一编写。3、认领岗位只需填写代码，多个岗位用顿号分隔，岗位及代码如下：{posts}"
)
FORM2_NOTE = (
    "说明：各地组织部门和市直党工委参照上表编写规则，为本地本单位下辖党组织编相关代码，"
    "确保与党内统计代码次序保持一致。"
)
FORM3_NOTE = (
    "说明：社区工作指导员负责本表填写并交社区盖章，同时将党员个人活动情况填写至表1（EXCEL版）相关栏目中。"
    "党员到社区党组织或社区工作指导员处领取并交单位党组织。"
)

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = "宋体"


class _Styles:
    """Prototype cells whose style arrays are copied onto each written cell (fast in bulk)."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.title = self._make(Font(name=_FONT, size=16, bold=True), Alignment("center", "center"))
        self.line = self._make(Font(name=_FONT, size=11), Alignment("left", "center"))
        self.line_right = self._make(Font(name=_FONT, size=11), Alignment("right", "center"))
        self.header = self._make(
            Font(name=_FONT, size=11, bold=True),
            Alignment("center", "center", wrap_text=True),
            _BORDER,
        )
        self.body = self._make(
            Font(name=_FONT, size=10), Alignment("left", "center", wrap_text=True), _BORDER
        )
        self.note = self._make(Font(name=_FONT, size=10), Alignment("left", "top", wrap_text=True))

    def _make(
        self, font: Font, alignment: Alignment, border: Border | None = None
    ) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value="")
        cell.font = font
        cell.alignment = alignment
        cell.number_format = "@"
        if border is not None:
            cell.border = border
        return cell

    def cell(self, value: object, proto: WriteOnlyCell) -> WriteOnlyCell:
        """A text cell holding ``value`` with ``proto``'s style; never a formula."""
        text = "" if value is None else str(value)
        cell = WriteOnlyCell(self.ws)
        cell.value = text
        cell.data_type = "s"  # openpyxl would make "=…" a formula and "#N/A" an error
        cell._style = copy.copy(proto._style)
        if is_dangerous(text):
            cell.quotePrefix = True
        return cell


def _setup(
    ws: WriteOnlyWorksheet, widths: Sequence[int], header_row: int, *, landscape: bool
) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = f"A{header_row + 1}"


def _merge(ws: WriteOnlyWorksheet, row: int, first: int, last: int) -> None:
    ws.merged_cells.add(f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}")


def _title(ws: WriteOnlyWorksheet, st: _Styles, text: str, columns: int) -> None:
    ws.row_dimensions[1].height = 30
    _merge(ws, 1, 1, columns)
    ws.append([st.cell(text, st.title)])


def _safe_sheet_title(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "", text)[:28] or "sheet"
    title, n = base, 2
    while title in used:
        title = f"{base[:26]}-{n}"
        n += 1
    used.add(title)
    return title


def _date_line(day: date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def write_form1(
    target: Path,
    registrations: Iterable[Registration],
    *,
    unit_name: str,
    day: date,
    post_names: dict[str, str],
    mask: bool = False,
) -> int:
    """Write 附表1 (党员信息登记表) and return the number of members written.

    ``报到类型`` and ``职级`` columns are added after the form's eleven when any member needs
    them, so the export imports again without a change.
    """
    rows = list(registrations)
    extra = any(r.report_type is not ReportType.RESIDENCE or r.rank for r in rows)
    headers = FORM1_HEADERS + (FORM1_OPTIONAL if extra else ())
    widths = FORM1_WIDTHS + ((10, 12) if extra else ())
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("附表1")
    st = _Styles(ws)
    _setup(ws, widths, 3, landscape=True)
    columns = len(headers)
    _title(ws, st, FORM1_TITLE, columns)
    _merge(ws, 2, 1, 4)
    _merge(ws, 2, columns - 2, columns)
    line = [st.cell(f"单位：{unit_name}", st.line)] + [st.cell("", st.line)] * (columns - 4)
    ws.append([*line[: columns - 3], st.cell(_date_line(day), st.line_right)])
    ws.row_dimensions[3].height = 32
    ws.append([st.cell(h, st.header) for h in headers])
    for reg in rows:
        values = [
            str(reg.unit_code),
            reg.name,
            reg.gender.value,
            reg.unit_and_title,
            reg.specialty,
            "、".join(reg.posts),
            mask_phone(reg.phone) if mask else reg.phone,
            mask_address(reg.address) if mask else reg.address,
            reg.community.community,
            reg.community.street,
            reg.community.district,
        ]
        if extra:
            values += [reg.report_type.value, reg.rank]
        ws.append([st.cell(v, st.body) for v in values])
    note_row = len(rows) + 4
    _merge(ws, note_row, 1, columns)
    ws.row_dimensions[note_row].height = 60
    posts = "；".join(f"{code}、{name}" for code, name in post_names.items())
    ws.append([st.cell(FORM1_NOTE.format(posts=posts), st.note)])
    wb.save(target)
    return len(rows)


def write_form2(target: Path, units: Iterable[OrgUnit], *, title_parent: str = "") -> int:
    """Write 附表2 (单位党组织代码表) with two column pairs side by side, as the seed prints it."""
    entries = list(units)
    half = (len(entries) + 1) // 2
    left, right = entries[:half], entries[half:]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("附表2")
    st = _Styles(ws)
    _setup(ws, (34, 16, 34, 16), 2, landscape=False)
    _title(ws, st, f"{title_parent}{FORM2_TITLE}", 4)
    ws.append([st.cell(h, st.header) for h in ("单位党组织", "代码", "单位党组织", "代码")])
    for i in range(half):
        pair = [left[i].name, str(left[i].code)]
        pair += [right[i].name, str(right[i].code)] if i < len(right) else ["", ""]
        ws.append([st.cell(v, st.body) for v in pair])
    _merge(ws, half + 3, 1, 4)
    ws.row_dimensions[half + 3].height = 36
    ws.append([st.cell(FORM2_NOTE, st.note)])
    wb.save(target)
    return len(entries)


def write_form3(target: Path, sheets: Iterable[FeedbackSheet], *, mask: bool = False) -> int:
    """Write 附表3 (实绩反馈单): one printable sheet per member, with the member line that the
    printed form leaves to handwriting (姓名、单位、联系方式), so the export imports again."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    count = 0
    for sheet in sheets:
        count += 1
        ws = wb.create_sheet(_safe_sheet_title(f"{sheet.name}-{sheet.year}", used))
        st = _Styles(ws)
        _setup(ws, FORM3_WIDTHS, 4, landscape=False)
        _title(ws, st, FORM3_TITLE, 6)
        community = sheet.community
        _merge(ws, 2, 1, 6)
        ws.append(
            [
                st.cell(
                    f"{community.district}  区（县）    {community.street}  街道（乡镇）    "
                    f"{community.community}  社区（盖章）",
                    st.line,
                )
            ]
        )
        phone = mask_phone(sheet.phone) if mask else sheet.phone
        ws.append(
            [
                st.cell(f"姓名：{sheet.name}", st.line),
                st.cell(f"单位：{sheet.unit_name}", st.line),
                st.cell(f"联系方式：{phone}", st.line),
                st.cell("", st.line),
                st.cell(f"编号：{sheet.number}", st.line_right),
            ]
        )
        _merge(ws, 3, 3, 4)
        _merge(ws, 3, 5, 6)
        ws.row_dimensions[4].height = 32
        for row in range(5, 5 + max(len(sheet.activities), FORM3_MIN_ROWS) + 1):
            ws.row_dimensions[row].height = 24
        ws.append([st.cell(h, st.header) for h in FORM3_HEADERS])
        for activity in sheet.activities:
            hours = f"{activity.hours:g}"
            ws.append(
                [
                    st.cell(v, st.body)
                    for v in (
                        activity.day.isoformat(),
                        activity.content,
                        activity.place,
                        activity.participants,
                        hours,
                        activity.rating.value,
                    )
                ]
            )
        for _ in range(max(FORM3_MIN_ROWS - len(sheet.activities), 0)):
            ws.append([st.cell("", st.body) for _ in FORM3_HEADERS])
        ws.append(
            [
                st.cell("合计", st.header),
                st.cell(f"共 {len(sheet.activities)} 次活动", st.body),
                st.cell("", st.body),
                st.cell("", st.body),
                st.cell(f"{sheet.total_hours:g}", st.body),
                st.cell("", st.body),
            ]
        )
        signed = ""
        if sheet.locked and sheet.confirmed_on is not None:
            signed = f"{sheet.confirmed_by}    {_date_line(sheet.confirmed_on)}（已盖章确认）"
        ws.append([st.cell(f"社区党组织书记认证签字：{signed}", st.line)])
        next_row = 5 + max(len(sheet.activities), FORM3_MIN_ROWS) + 2
        _merge(ws, next_row - 1, 1, 6)
        _merge(ws, next_row, 1, 6)
        ws.row_dimensions[next_row].height = 42
        ws.append([st.cell(FORM3_NOTE, st.note)])
    if count == 0:
        ws = wb.create_sheet("附表3")
        st = _Styles(ws)
        ws.append([st.cell("（没有符合条件的实绩反馈单）", st.line)])
    wb.save(target)
    return count


def write_form4(target: Path, entries: Iterable[DirectoryEntry], *, mask: bool = False) -> int:
    """Write 附表4 (全市城市社区通讯录)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("附表4")
    st = _Styles(ws)
    _setup(ws, FORM4_WIDTHS, 2, landscape=True)
    _title(ws, st, FORM4_TITLE, len(FORM4_HEADERS))
    ws.row_dimensions[2].height = 32
    ws.append([st.cell(h, st.header) for h in FORM4_HEADERS])
    count = 0
    for entry in entries:
        count += 1
        values = (
            entry.district,
            entry.street,
            entry.community,
            mask_phone(entry.phone) if mask and entry.phone else entry.phone,
            entry.qq_group,
            entry.secretary,
            mask_phone(entry.mobile) if mask and entry.mobile else entry.mobile,
            entry.address,
        )
        ws.append([st.cell(v, st.body) for v in values])
    wb.save(target)
    return count
