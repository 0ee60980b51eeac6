"""The official forms of the 2014 notice as printable workbooks (附表1–4).

Each writer takes core records and a target path and lays the form out like the seed: the title,
the header lines (单位、日期 / 区（县）街道（乡镇）社区（盖章）), the column headers exactly as the
form writes them, borders, column widths that fit Chinese text, A4 print setup with the header
rows repeated on every page, and the notes and signature lines. Every value is written as text
(so codes and phone numbers keep their digits) and can never start a formula.

Writers use XlsxWriter in ``constant_memory`` mode: rows are written in order and each row goes
to disk as the next one starts, so a district's 100,000-row 附表1 needs little memory and costs
about what a bare workbook of the same cells costs. That mode allows ``set_row`` and
``merge_range`` only on the row being written, so each row's height and merges are set just
before its cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from partyreg_core.ledger import SERVICE_HEADERS, MemberService
from partyreg_core.masking import mask_address, mask_phone
from partyreg_core.members.fields import official_fields
from partyreg_core.orgcodes import OrgUnit
from partyreg_core.records import (
    CommunityRef,
    DirectoryEntry,
    FeedbackSheet,
    Registration,
    ReportType,
)
from partyreg_plugins import pagesetup
from partyreg_plugins.cellsafety import ERROR_VALUES, FORMULA_START, is_dangerous

CAMPAIGN = "全市“在职党员回社区，亮明身份作表率”"
FORM1_TITLE = f"{CAMPAIGN}活动参与党员信息登记表"
FORM2_TITLE = "单位党组织代码表"
FORM3_TITLE = f"{CAMPAIGN}实绩反馈单"
FORM4_TITLE = "全市城市社区通讯录"

# The column headers as the seed's forms write them (line breaks included).
#: 附表1's printed columns, their widths and what each keeps when fitted to A4 (a code, a
#: name, a phone on one line), then the optional columns: all from the field table.
FORM1_FIELDS = official_fields()
FORM1_HEADERS = tuple(f.header for f in FORM1_FIELDS)
FORM1_WIDTHS = tuple(f.width for f in FORM1_FIELDS)
FORM1_MINIMUMS = tuple(f.minimum for f in FORM1_FIELDS)
FORM1_EXTRA_FIELDS = tuple(f for f in official_fields(extra=True) if not f.official)
FORM1_OPTIONAL = tuple(f.header for f in FORM1_EXTRA_FIELDS)
FORM1_OPTIONAL_WIDTHS = tuple(f.width for f in FORM1_EXTRA_FIELDS)
FORM3_HEADERS = (
    "年月日", "服务（活动）内容", "服务地点", "参加人员", "服务时间（小时）", "评价\n（优/良/一般）",
)  # fmt: skip
FORM3_WIDTHS = (13, 34, 18, 18, 12, 14)
#: What 附表3's columns keep on portrait A4: the content stays the widest.
FORM3_MINIMUMS = (8, 19, 10, 10, 6, 7)
FORM3_MIN_ROWS = 12  # the printed form has twelve lines
FORM4_HEADERS = (
    "县区", "街道", "社区", "接收报到\n电话", "接收报到\nQQ群号", "党组织书记\n姓  名", "手机",
    "地   址",
)  # fmt: skip
FORM4_WIDTHS = (12, 16, 16, 16, 14, 12, 15, 36)

#: The seed's 说明 of 附表1, word for word (its two “3、” included).
FORM1_NOTE = (
    "说明：1、本表WORD版仅用于文件印刷，各单位党组织填写时请使用EXCEL版，EXCEL版可从上级党组织处获取。"
    "2、本表按党组织隶属关系逐层填写上报。3、单位代码即单位党组织代码，由县区委组织部和市直党工委根据党内"
    "统计系统代码参照附表2统一编写。3、认领岗位只需填写代码，岗位及代码如下：1、党建工作指导岗；"
    "2、社会组织服务岗；3、社情民意收集岗；4、便民服务奉献岗；5、帮困助残关爱岗；6、就业援助指导岗；"
    "7、法制宣传教育岗；8、医疗卫生保健岗；9、环境卫生保洁岗；10公共设施维护岗；11、社会治安维护岗；"
    "12、民事纠纷调解岗；13、矫正对象帮教岗；14、文明新风倡导岗；15、文体娱乐实践岗"
)
#: The 15 posts the seed's 说明 lists: local posts beyond them are added after it.
SEED_POST_CODES = tuple(str(n) for n in range(1, 16))
MASKED_NOTE = "本表联系方式、住址已部分隐藏"
OTHER_DISTRICTS_SHEET = "回本区社区报到的外区单位党员"
FORM2_NOTE = (
    "说明：各地组织部门和市直党工委参照上表编写规则，为本地本单位下辖党组织编相关代码，"
    "确保与党内统计代码次序保持一致。"
)
FORM3_NOTE = (
    "说明：社区工作指导员负责本表填写并交社区盖章，同时将党员个人活动情况填写至表1（EXCEL版）相关栏目中。"
    "党员到社区党组织或社区工作指导员处领取并交单位党组织。"
)

FONT = "宋体"
#: The 说明's and the table body's font sizes (points).
NOTE_PT = 10
BODY_PT = 10
# Never let XlsxWriter turn text into a formula, a number or a link, whichever call writes it.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


class Style:
    """One cell style in its two forms (plain, and quote-prefixed for a value a spreadsheet
    could read as a formula or an error), plus the font alone for rich-text runs."""

    def __init__(self, wb: Workbook, props: dict[str, Any]) -> None:
        font = {k: props[k] for k in ("font_name", "font_size", "bold") if k in props}
        self.plain: Format = wb.add_format({"num_format": "@", **props})
        self.quoted: Format = wb.add_format({"num_format": "@", "quote_prefix": True, **props})
        self.font: Format = wb.add_format(font)


# A value can be dangerous (cellsafety.is_dangerous) or look like XlsxWriter's rich text only if it
# starts with one of these characters or with white space: the common case is told by one lookup.
_SUSPECT_FIRST = frozenset(
    {start[0] for start in FORMULA_START} | {value[0] for value in ERROR_VALUES} | {"<"}
)


def put(ws: Worksheet, row: int, col: int, value: object, style: Style) -> None:
    """Write ``value`` as text at (``row``, ``col``) (0-based) with ``style``; never a formula.

    An empty value is a blank cell that keeps the style (borders stay). A value that a
    spreadsheet could run or read as an error gets the quote prefix. XlsxWriter passes a string
    shaped like ``<r>…</r>`` into the XML unescaped, taking it for its own rich text: such a value
    is written as a real two-run rich string instead, so it stays plain text.
    """
    text = value if type(value) is str else ("" if value is None else str(value))
    if not text:
        ws.write_blank(row, col, None, style.plain)
        return
    first = text[0]
    if first not in _SUSPECT_FIRST and not first.isspace():
        ws.write_string(row, col, text, style.plain)
        return
    fmt = style.quoted if is_dangerous(text) else style.plain
    if text.startswith("<r>") and text.endswith("</r>"):
        ws.write_rich_string(row, col, text[:1], style.font, text[1:], fmt)
    else:
        ws.write_string(row, col, text, fmt)


def merged(ws: Worksheet, row: int, first: int, last: int, value: object, style: Style) -> None:
    """Merge ``first``..``last`` of ``row`` (0-based) and write ``value`` into it as text."""
    ws.merge_range(row, first, row, last, None, style.plain)  # blank, formatted
    put(ws, row, first, value, style)


class _Styles:
    """The form's styles, made once per workbook."""

    def __init__(self, wb: Workbook) -> None:
        self.title = Style(
            wb, {"font_name": FONT, "font_size": 16, "bold": True, "align": "center",
                 "valign": "vcenter"},
        )  # fmt: skip
        self.line = Style(wb, {"font_name": FONT, "font_size": 11, "valign": "vcenter"})
        self.line_wrap = Style(
            wb, {"font_name": FONT, "font_size": 11, "valign": "vcenter", "text_wrap": True}
        )
        self.system = Style(
            wb, {"font_name": FONT, "font_size": 9, "valign": "vcenter", "text_wrap": True,
                 "top": 1},
        )  # fmt: skip
        self.body_center = Style(
            wb, {"font_name": FONT, "font_size": 10, "align": "center", "valign": "vcenter",
                 "text_wrap": True, "border": 1},
        )  # fmt: skip
        self.line_right = Style(
            wb, {"font_name": FONT, "font_size": 11, "align": "right", "valign": "vcenter"}
        )
        self.header = Style(
            wb, {"font_name": FONT, "font_size": 11, "bold": True, "align": "center",
                 "valign": "vcenter", "text_wrap": True, "border": 1},
        )  # fmt: skip
        self.body = Style(
            wb, {"font_name": FONT, "font_size": 10, "align": "left", "valign": "vcenter",
                 "text_wrap": True, "border": 1},
        )  # fmt: skip
        self.number = wb.add_format(
            {"font_name": FONT, "font_size": 10, "align": "right", "valign": "vcenter",
             "border": 1, "num_format": "General"},
        )  # fmt: skip
        self.note = Style(
            wb, {"font_name": FONT, "font_size": NOTE_PT, "align": "left", "valign": "top",
                 "text_wrap": True},
        )  # fmt: skip


def _workbook(target: Path) -> Workbook:
    return Workbook(str(target), {"constant_memory": True, **WORKBOOK_OPTIONS})


def _setup(
    ws: Worksheet,
    widths: Sequence[float],
    header_row: int,
    *,
    landscape: bool,
    repeat_from: int = 0,
    minimums: Sequence[float] = (),
) -> tuple[float, ...]:
    """Columns and the one page set-up (:mod:`partyreg_plugins.pagesetup`): rows
    ``repeat_from``..``header_row`` (0-based) repeat on every page."""
    return pagesetup.apply(
        ws,
        pagesetup.PageSetup(
            tuple(widths),
            landscape,
            repeat=(repeat_from, header_row),
            freeze_row=header_row + 1,
            minimums=tuple(minimums),
        ),
    )


def _row(ws: Worksheet, row: int, values: Iterable[object], style: Style) -> None:
    for col, value in enumerate(values):
        put(ws, row, col, value, style)


def _title(ws: Worksheet, st: _Styles, text: str, columns: int) -> None:
    ws.set_row(0, 30)
    merged(ws, 0, 0, columns - 1, text, st.title)


def _safe_sheet_title(text: str, used: set[str]) -> str:
    """A worksheet name from ``text``: no characters Excel forbids, unique ignoring case."""
    base = re.sub(r"[\[\]:*?/\\']", "", text)[:28] or "sheet"
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:26]}-{n}"
        n += 1
    used.add(title.lower())
    return title


def _date_line(day: date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


@attrs.frozen
class ServiceColumns:
    """The service (台帐) columns of Table 1: the year and each member's service by
    (name, phone); a member without confirmed activities that year gets zeros."""

    year: int
    by_person: Mapping[tuple[str, str], MemberService]

    def cells(self, name: str, phone: str) -> tuple[str, ...]:
        """The member's service cells in :data:`SERVICE_HEADERS` order."""
        found = self.by_person.get((name, phone))
        if found is None:
            return (str(self.year), "0", "0", "0", "0", "0")
        return found.cells()


def form1_note(post_names: Mapping[str, str]) -> str:
    """附表1's 说明 as the seed writes it, with any local posts beyond the seed's 15 added."""
    extra = [(c, n) for c, n in post_names.items() if c not in SEED_POST_CODES]
    if not extra:
        return FORM1_NOTE
    return FORM1_NOTE + "；" + "；".join(f"{code}、{name}" for code, name in extra)


def write_form1(
    target: Path,
    registrations: Iterable[Registration],
    *,
    unit_name: str,
    day: date,
    post_names: dict[str, str],
    mask: bool = False,
    service: ServiceColumns | None = None,
    others: Iterable[Registration] = (),
) -> int:
    """Write 附表1 (党员信息登记表) and return the number of members on its first sheet.

    ``报到类型`` and ``职级`` columns are added after the form's eleven when any member needs
    them, so the export imports again without a change. ``service`` adds the service columns
    (:data:`~partyreg_core.ledger.SERVICE_HEADERS`) last; the import skips them. ``mask`` masks
    phones and addresses and says so in the header. ``others`` (a district's export: members of
    other districts' units who report to its communities) go on a second sheet, not counted.
    """
    rows = list(registrations)
    outside = list(others)
    everyone = rows + outside
    extra = any(r.report_type is not ReportType.RESIDENCE or r.rank for r in everyone)
    wb = _workbook(target)
    st = _Styles(wb)
    _form1_sheet(
        wb, st, "附表1", rows, unit_name=unit_name, day=day, post_names=post_names, mask=mask,
        service=service, extra=extra,
    )  # fmt: skip
    if outside:
        _form1_sheet(
            wb, st, OTHER_DISTRICTS_SHEET, outside, unit_name=f"{unit_name}（{OTHER_DISTRICTS_SHEET}）",
            day=day, post_names=post_names, mask=mask, service=service, extra=extra,
        )  # fmt: skip
    wb.close()
    return len(rows)


def _form1_sheet(
    wb: Workbook,
    st: _Styles,
    name: str,
    rows: Sequence[Registration],
    *,
    unit_name: str,
    day: date,
    post_names: dict[str, str],
    mask: bool,
    service: ServiceColumns | None,
    extra: bool,
) -> None:
    headers = FORM1_HEADERS + (FORM1_OPTIONAL if extra else ())
    fields = FORM1_FIELDS + (FORM1_EXTRA_FIELDS if extra else ())
    keys = [f.key for f in fields]
    phone_at, address_at = keys.index("phone"), keys.index("address")
    widths: tuple[float, ...] = FORM1_WIDTHS + (FORM1_OPTIONAL_WIDTHS if extra else ())
    if service is not None:
        headers += SERVICE_HEADERS
        widths += (8, 10, 8, 6, 6, 6)
    columns = len(headers)
    ws = wb.add_worksheet(name)
    used = _setup(ws, widths, 2, landscape=True, minimums=FORM1_MINIMUMS)
    _title(ws, st, FORM1_TITLE, columns)
    split = columns - 3
    while split > 4 and sum(used[split:]) < 24:  # room for the date
        split -= 1
    unit_line = f"单位：{unit_name}" + (f"    （{MASKED_NOTE}）" if mask else "")
    merged(ws, 1, 0, split - 1, unit_line, st.line)
    merged(ws, 1, split, columns - 1, _date_line(day), st.line_right)
    ws.set_row(2, max(32, pagesetup.row_height(headers, used, 11)))  # headers never cut
    _row(ws, 2, headers, st.header)
    body = st.body
    row = 3
    service_from = columns - len(SERVICE_HEADERS) if service is not None else columns
    for reg in rows:
        values: list[object] = [f.cell(reg) for f in fields]
        if mask:
            values[phone_at] = mask_phone(reg.phone)
            values[address_at] = mask_address(reg.address)
        ws.set_row(row, pagesetup.row_height(values, used, BODY_PT))  # grows with its text
        for col, value in enumerate(values):
            put(ws, row, col, value, body)
        if service is not None:
            for col, cell in enumerate(service.cells(reg.name, reg.phone), start=service_from):
                number_cell(ws, row, col, cell, st)
        row += 1
    note = form1_note(post_names)
    ws.set_row(row, pagesetup.text_height(note, used, NOTE_PT))
    merged(ws, row, 0, columns - 1, note, st.note)
    pagesetup.print_area(ws, row, columns)


def number_cell(ws: Worksheet, row: int, col: int, value: object, st: _Styles) -> None:
    """A count or hours as a number in the cell (text that is not a number stays text)."""
    try:
        number = float(str(value))
    except ValueError:
        put(ws, row, col, value, st.body)
        return
    ws.write_number(row, col, number, st.number)


def write_form2(target: Path, units: Iterable[OrgUnit], *, title_parent: str = "") -> int:
    """Write 附表2 (单位党组织代码表) with two column pairs side by side, as the seed prints it."""
    entries = list(units)
    half = (len(entries) + 1) // 2
    left, right = entries[:half], entries[half:]
    wb = _workbook(target)
    st = _Styles(wb)
    ws = wb.add_worksheet("附表2")
    used = _setup(ws, (34, 16, 34, 16), 1, landscape=False)
    _title(ws, st, f"{title_parent}{FORM2_TITLE}", 4)
    _row(ws, 1, ("单位党组织", "代码", "单位党组织", "代码"), st.header)
    for i in range(half):
        pair = [left[i].name, str(left[i].code)]
        pair += [right[i].name, str(right[i].code)] if i < len(right) else ["", ""]
        _row(ws, 2 + i, pair, st.body)
    ws.set_row(half + 2, pagesetup.text_height(FORM2_NOTE, used, NOTE_PT))
    merged(ws, half + 2, 0, 3, FORM2_NOTE, st.note)
    pagesetup.print_area(ws, half + 2, 4)
    wb.close()
    return len(entries)


def community_line(community: CommunityRef) -> str:
    """附表3's header line: the district, street and community as the directory names them,
    each followed by the form's label only when the name lacks it (淮阴区, not 淮阴区 区（县）)."""

    def part(name: str, endings: tuple[str, ...], label: str) -> str:
        if not name:
            return f"        {label}"
        return name if name.endswith(endings) else f"{name} {label}"

    return (
        f"{part(community.district, ('区', '县', '市'), '区（县）')}    "
        f"{part(community.street, ('街道', '乡', '镇'), '街道（乡镇）')}    "
        f"{part(community.community, ('社区', '村'), '社区')}（盖章）"
    )


def write_form3(
    target: Path,
    sheets: Iterable[FeedbackSheet],
    *,
    mask: bool = False,
    check_code: Callable[[FeedbackSheet], str] | None = None,
) -> int:
    """Write 附表3 (实绩反馈单): one printable sheet per member, with the member line that the
    printed form leaves to handwriting (姓名、单位、联系方式), so the export imports again.

    The signature, the 社区党组织（盖章） space and the date stay blank for ink and stamp; the
    system's part is printed apart from them: the sheet number, ``系统确认于 YYYY-MM-DD`` and the
    check code ``check_code(sheet)`` gives for a confirmed sheet (decision 0068)."""
    wb = _workbook(target)
    st = _Styles(wb)
    used: set[str] = set()
    count = 0
    columns = len(FORM3_HEADERS)
    for sheet in sheets:
        count += 1
        ws = wb.add_worksheet(_safe_sheet_title(f"{sheet.name}-{sheet.year}", used))
        widths = _setup(ws, FORM3_WIDTHS, 3, landscape=False, minimums=FORM3_MINIMUMS)
        _title(ws, st, FORM3_TITLE, columns)
        merged(ws, 1, 0, 5, community_line(sheet.community), st.line)
        phone = mask_phone(sheet.phone) if mask else sheet.phone
        ws.set_row(2, 30)
        put(ws, 2, 0, f"姓名：{sheet.name}", st.line_wrap)
        put(ws, 2, 1, f"单位：{sheet.unit_name}", st.line_wrap)
        merged(ws, 2, 2, 3, f"联系方式：{phone}", st.line_wrap)
        merged(ws, 2, 4, 5, f"编号：{sheet.number or '（未编号）'}", st.line_right)
        ws.set_row(3, max(32, pagesetup.row_height(FORM3_HEADERS, widths, 11)))  # never cut
        _row(ws, 3, FORM3_HEADERS, st.header)
        row = 4
        for activity in sheet.activities:
            texts = (activity.day.isoformat(), activity.content, activity.place,
                     activity.participants)  # fmt: skip
            ws.set_row(row, pagesetup.row_height(texts, widths, BODY_PT, minimum=24))  # grows
            _row(
                ws, row,
                (activity.day.isoformat(), activity.content, activity.place,
                 activity.participants),
                st.body,
            )  # fmt: skip
            ws.write_number(row, 4, activity.hours, st.number)
            put(ws, row, 5, activity.rating.value, st.body_center)
            row += 1
        for _ in range(max(FORM3_MIN_ROWS - len(sheet.activities), 0)):
            ws.set_row(row, 24)  # the printed form's empty lines, bordered
            _row(ws, row, ("",) * columns, st.body)
            row += 1
        ws.set_row(row, 24)
        put(ws, row, 0, "合计", st.header)
        put(ws, row, 1, f"共 {len(sheet.activities)} 次活动", st.body)
        if sheet.points is None:
            put(ws, row, 2, "", st.body)
            put(ws, row, 3, "", st.body)
        else:  # on the total line: the printed page keeps its rows
            merged(ws, row, 2, 3, f"本年度积分：{sheet.points:g} 分", st.body)
        ws.write_number(row, 4, sheet.total_hours, st.number)
        put(ws, row, 5, "", st.body)
        row += 1
        ws.set_row(row, 36)
        merged(ws, row, 0, 2, "社区党组织书记认证签字：", st.line)
        merged(ws, row, 3, 5, "社区党组织（盖章）        年    月    日", st.line)
        row += 1
        ws.set_row(row, 30)
        merged(ws, row, 0, 5, _system_line(sheet, check_code), st.system)
        row += 1
        ws.set_row(row, pagesetup.text_height(FORM3_NOTE, widths, NOTE_PT))
        merged(ws, row, 0, 5, FORM3_NOTE, st.note)
        pagesetup.print_area(ws, row, columns)
    if count == 0:
        ws = wb.add_worksheet("附表3")
        put(ws, 0, 0, "（没有符合条件的实绩反馈单）", st.line)
    wb.close()
    return count


def _system_line(sheet: FeedbackSheet, check_code: Callable[[FeedbackSheet], str] | None) -> str:
    """The system's part of 附表3: number, the day it recorded the confirmation, the check
    code; never a login name (the people sign and stamp above it)."""
    number = f"编号：{sheet.number or '（未编号）'}"
    if not (sheet.locked and sheet.confirmed_on is not None and sheet.number):
        return f"{number}    系统记录：尚未确认（本单不作凭证）"
    code = check_code(sheet) if check_code is not None else ""
    line = f"{number}    系统确认于 {sheet.confirmed_on.isoformat()}"
    if code:
        line += f"    校验码：{code}（partyreg verify {sheet.number} {code} 可核验）"
    return line


def write_form4(target: Path, entries: Iterable[DirectoryEntry], *, mask: bool = False) -> int:
    """Write 附表4 (全市城市社区通讯录)."""
    wb = _workbook(target)
    st = _Styles(wb)
    ws = wb.add_worksheet("附表4")
    _setup(ws, FORM4_WIDTHS, 1, landscape=True)
    _title(ws, st, FORM4_TITLE, len(FORM4_HEADERS))
    ws.set_row(1, 32)
    _row(ws, 1, FORM4_HEADERS, st.header)
    count = 0
    for entry in entries:
        _row(
            ws, count + 2,
            (entry.district, entry.street, entry.community,
             entry.phone,  # the community's public report-in phone, never masked
             entry.qq_group, entry.secretary,
             mask_phone(entry.mobile) if mask and entry.mobile else entry.mobile,
             entry.address),
            st.body,
        )  # fmt: skip
        count += 1
    pagesetup.print_area(ws, count + 1, len(FORM4_HEADERS))
    wb.close()
    return count
