"""Blank templates that superiors hand to units and instructors (``partyreg export template``).

The seed: “各单位党组织填写时请使用EXCEL版，EXCEL版可从上级党组织处获取”. A template is laid out
like the official export (:mod:`partyreg_plugins.official_forms`: title, 单位 line, the form's
headers, borders, A4 landscape with the header repeated), with:

- every input cell formatted as text where a spreadsheet would otherwise change what is typed
  (单位代码 keeps its zeros, a phone number stays digits, a date stays as typed);
- drop-down lists (data validation) where the form allows only some values — 性别, 报到类型,
  认领岗位 (the posts valid in the unit's district), 单位代码 (the unit and the units below it),
  所属 (the directory's 县区); 评价 and 活动类型 on the activity sheet;
- an input hint (the data validation's input message) on every column, saying what to type;
- a 填表说明 sheet with the instructions in Chinese and the post table.

认领岗位 may hold several posts: the drop-down offers one post as ``3、社情民意收集岗`` (the
note's own style, which the import reads as post 3), and its alert is only informative, so
typing ``3、8`` for two posts is accepted; the hint says so (decision 0055).

The 单位代码 is not pre-filled in the rows: a row holding only the code would be a half-filled
row, which the import reports. It is printed in the 单位 line, is the drop-down's first choice,
and the hint names it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.members.model import MemberQuery, MemberStatus
from partyreg_core.orgcodes import OrgUnit
from partyreg_core.ports import Exporter
from partyreg_core.posts import Post
from partyreg_core.records import Gender, Rating, ReportType
from partyreg_plugins import official_forms, pagesetup
from partyreg_plugins.official_forms import (
    FORM1_TITLE,
    FORM3_TITLE,
    WORKBOOK_OPTIONS,
    Style,
    merged,
    put,
)

if TYPE_CHECKING:  # annotations only: importing the plugin stays cheap (decision 0161)
    from partyreg_core.workspace import Workspace

#: Rows made ready (borders, text format, drop-downs) below the header.
DEFAULT_ROWS = 200
MAX_ROWS = 5000
#: Empty rows printed under the header (the printed 附表3 has twelve lines).
PRINTED_ROWS = 15

FORM1_TEMPLATE_HEADERS = (*official_forms.FORM1_HEADERS, *official_forms.FORM1_OPTIONAL)
FORM1_TEMPLATE_WIDTHS = (*official_forms.FORM1_WIDTHS, *official_forms.FORM1_OPTIONAL_WIDTHS)
ACTIVITY_TEMPLATE_HEADERS = (
    "姓名", "联系方式", "年月日", "服务（活动）内容", "服务地点", "参加人员", "服务时间（小时）",
    "评价\n（优/良/一般）", "活动类型", "党员编号",
)  # fmt: skip
ACTIVITY_TEMPLATE_WIDTHS = (10, 15, 13, 34, 18, 18, 16, 14, 16, 10)

#: The seed's themed activities (三、（三）3), offered on the activity sheet's 活动类型.
ACTIVITY_KINDS = ("日常服务", "党员示范岗", "党员奉献日", "服务居民楼幢竞赛", "其他")
REPORT_TYPES = tuple(t.value for t in ReportType)

LISTS_SHEET = "选项"
GUIDE_PT = 11
GUIDE_SHEET = "填表说明"


@attrs.frozen
class Hint:
    """A column's input message (Excel: title ≤ 32 characters, message ≤ 255)."""

    title: str
    message: str


def _form1_hints(unit: OrgUnit, codes: int) -> tuple[Hint, ...]:
    code_hint = f"填写 {unit.code}（本单位）" + (
        "，或从下拉列表选择下属单位的代码" if codes > 1 else ""
    )
    return (
        Hint("单位代码", code_hint + "。已设为文本格式，前面的 0 会保留。"),
        Hint("姓名", "2–30 个汉字或字母，不要加空格、数字或符号。"),
        Hint("性别", "从下拉列表选择：男 或 女。"),
        Hint("单位及职务", "必填，如：市财政局办公室主任。"),
        Hint("特长", "选填，如：法律咨询、医疗、文艺。"),
        Hint(
            "认领岗位",
            "从下拉列表选一个岗位；认领多个岗位时直接输入岗位代码，用顿号分隔，如 3、8"
            "（出现提示时点“确定”）。岗位代码见“填表说明”。",
        ),
        Hint("联系方式", "11 位手机号，或带区号的固定电话如 0517-83601234。已设为文本格式。"),
        Hint("常住住址", "选填，如：清江浦区淮海东路 18 号。"),
        Hint("报到社区", "填写社区名称，须与社区通讯录（附表4）一致，如：河下社区。"),
        Hint("社区所属街道、乡镇", "填写街道或乡镇名称，须与社区通讯录一致，如：河下街道。"),
        Hint("所属", "从下拉列表选择县区（与社区通讯录一致）。"),
        Hint(
            "报到类型", "选填，默认“居住地”。县处级以上领导干部到工作联系点社区报到时选“联系点”。"
        ),
        Hint("职级", "选填；报到类型为“联系点”时必填，如：县处级。"),
    )


ACTIVITY_HINTS = (
    Hint("姓名", "党员姓名，须与党员信息登记表一致（见“本社区党员”表）。"),
    Hint("联系方式", "党员的手机号，须与登记表一致。已设为文本格式。"),
    Hint("年月日", "活动日期，如 2027-03-05，不能晚于今天。已设为文本格式。"),
    Hint("服务（活动）内容", "必填，简要写做了什么，如：入户走访困难家庭。"),
    Hint("服务地点", "选填，如：河下社区活动室。"),
    Hint("参加人员", "选填，如：党员服务小组 5 人。"),
    Hint("服务时间（小时）", "填写数字，大于 0、不超过 24，如 2 或 1.5。"),
    Hint("评价", "从下拉列表选择：优、良 或 一般。"),
    Hint("活动类型", "选填，从下拉列表选择，或输入其他主题活动名称。"),
    Hint("党员编号", "选填：填了党员编号（见“本社区党员”表）时，联系方式可以不填。"),
)

FORM1_GUIDE = (
    "一、本表为{unit}（单位代码 {code}）的党员信息登记表（附表1，EXCEL版），由上级党组织下发，"
    "请在“附表1”工作表中从第 4 行起每行填写一名党员，不要改动表头，不要插入或删除列。",
    "二、单位代码、联系方式、年月日等列已设为文本格式：请直接输入，不要改成数字或日期格式，"
    "否则代码前面的 0 和长号码会丢失。",
    "三、性别、认领岗位、报到类型、所属可从下拉列表选择；选中单元格时会显示填写提示。",
    "四、认领岗位至少填写一个；认领多个岗位时输入岗位代码，用顿号分隔，如 3、8。"
    "可认领的岗位及代码见下表（地方岗位只在报到社区属于本县区时有效）。",
    "五、报到社区、社区所属街道（乡镇）、所属三列须与全市城市社区通讯录（附表4）一致，"
    "否则该行会标为“待县区确认”。",
    "六、特长、常住住址为选填，其余各列必填。同一名党员只填一行。",
    "七、填好后按党组织隶属关系逐级上报（8月30日前），上级用 partyreg import 导入。",
)

ACTIVITY_GUIDE = (
    "一、本表为{community}的党员活动记录（附表3 的各行，外加姓名和联系方式两列），"
    "由社区工作指导员填写，每行一次活动，从第 4 行起填写，不要改动表头。",
    "二、姓名和联系方式须与党员信息登记表一致：可从“本社区党员”工作表复制。",
    "三、年月日写成 2027-03-05；服务时间填写小时数（大于 0，每人每天合计不超过 24 小时）。",
    "四、评价从下拉列表选择 优、良 或 一般；活动类型可选“党员示范岗”“党员奉献日”"
    "“服务居民楼幢竞赛”等主题活动。",
    "五、填好后交社区或县区用 partyreg import 导入；实绩反馈单盖章确认后、或该年度已关闭后，"
    "不能再补录该年的活动。",
)


class _Book:
    """A template workbook: styles, the lists sheet, and data-validation helpers."""

    def __init__(self, target: Path) -> None:
        self.wb = Workbook(str(target), WORKBOOK_OPTIONS)
        props: dict[str, Any] = {"font_name": official_forms.FONT}
        self.title = Style(
            self.wb,
            {**props, "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"},
        )
        self.line = Style(self.wb, {**props, "font_size": 11, "valign": "vcenter"})
        self.header = Style(
            self.wb,
            {**props, "font_size": 11, "bold": True, "align": "center", "valign": "vcenter",
             "text_wrap": True, "border": 1, "bg_color": "#F2F2F2"},
        )  # fmt: skip
        self.text_cell = self.wb.add_format(
            {**props, "font_size": 10, "num_format": "@", "border": 1, "valign": "vcenter"}
        )
        # the columns' own format (no border: the title rows share the columns)
        self.text_column = self.wb.add_format({**props, "font_size": 10, "num_format": "@"})
        self.number_cell = self.wb.add_format(
            {**props, "font_size": 10, "num_format": "General", "border": 1, "valign": "vcenter"}
        )
        self.filled_border = self.wb.add_format({"border": 1})
        self.line_cell = Style(
            self.wb,
            {**props, "font_size": 10, "border": 1, "valign": "vcenter"},
        )
        self.guide = Style(
            self.wb, {**props, "font_size": GUIDE_PT, "text_wrap": True, "valign": "top"}
        )
        self.lists: Worksheet | None = None
        self._list_col = 0

    def sheet(self, name: str) -> Worksheet:
        return self.wb.add_worksheet(name)

    def list_range(self, values: Sequence[str]) -> str:
        """A column of the (hidden) lists sheet holding ``values``: the source of a drop-down
        too long for the 255 characters of an inline list."""
        if self.lists is None:
            self.lists = self.wb.add_worksheet(LISTS_SHEET)
            self.lists.hide()
        col = self._list_col
        self._list_col += 1
        for row, value in enumerate(values):
            put(self.lists, row, col, value, self.line)
        letter = _column_letter(col)
        return f"='{LISTS_SHEET}'!${letter}$1:${letter}${max(len(values), 1)}"

    def close(self) -> None:
        self.wb.close()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _prepare(
    book: _Book,
    ws: Worksheet,
    headers: Sequence[str],
    widths: Sequence[int],
    *,
    title: str,
    line_left: str,
    line_right: str,
    rows: int,
    text_columns: Sequence[int],
) -> tuple[int, int]:
    """Title, the line under it, the header and ``rows`` empty bordered input rows; returns the
    0-based first and last input rows."""
    columns = len(headers)
    pagesetup.apply(
        ws,
        pagesetup.PageSetup(tuple(widths), landscape=True, repeat=(0, 2), freeze_row=3),
        column_formats=[book.text_column if i in text_columns else None for i in range(columns)],
    )
    ws.set_row(0, 30)
    merged(ws, 0, 0, columns - 1, title, book.title)
    merged(ws, 1, 0, 4, line_left, book.line)
    merged(ws, 1, columns - 3, columns - 1, line_right, book.line)
    ws.set_row(2, 32)
    for col, header in enumerate(headers):
        put(ws, 2, col, header, book.header)
    first, last = 3, 3 + rows - 1
    # No print area: what prints is what is filled in. The first rows are bordered (the empty
    # form prints them); the rows below get their borders once something is typed in them
    # (a conditional format), so a filled template prints every member and a blank one
    # prints no empty pages (decision 0067).
    for row in range(first, min(last, first + PRINTED_ROWS - 1) + 1):
        for col in range(columns):
            fmt = book.text_cell if col in text_columns else book.number_cell
            ws.write_blank(row, col, None, fmt)
    if last >= first + PRINTED_ROWS:
        top = first + PRINTED_ROWS
        end = _column_letter(columns - 1)
        ws.conditional_format(
            top, 0, last, columns - 1,
            {"type": "formula", "criteria": f"=COUNTA($A{top + 1}:${end}{top + 1})>0",
             "format": book.filled_border},
        )  # fmt: skip
    return first, last


def _validate(
    ws: Worksheet,
    col: int,
    rows: tuple[int, int],
    hint: Hint,
    *,
    source: Sequence[str] | str | None = None,
    alert: str = "stop",
    error: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """A column's data validation: its input hint, and a drop-down when ``source`` is given (a
    list of values, or a range formula)."""
    first, last = rows
    options: dict[str, Any] = {
        "input_title": hint.title[:32],
        "input_message": hint.message[:255],
        "show_input": True,
    }
    if source is not None:
        options.update(
            validate="list",
            source=list(source) if not isinstance(source, str) else source,
            dropdown=True,
            error_type=alert,
            error_title="请核对",
            error_message=(error or hint.message)[:255],
            show_error=True,
        )
    else:
        options.update(validate="any", ignore_blank=True)
    if extra:
        options.update(extra)
    ws.data_validation(first, col, last, col, options)


def _guide(
    book: _Book, lines: Sequence[str], table: Sequence[Sequence[str]], head: Sequence[str]
) -> None:
    ws = book.sheet(GUIDE_SHEET)
    widths = pagesetup.apply(ws, pagesetup.PageSetup((14, 30, 40), landscape=False))
    merged(ws, 0, 0, 2, "填表说明", book.title)
    ws.set_row(0, 30)
    row = 1
    for line in lines:
        ws.set_row(row, pagesetup.text_height(line, widths, GUIDE_PT))  # never cut
        merged(ws, row, 0, 2, line, book.guide)
        row += 1
    if table:
        row += 1
        for col, text in enumerate(head):
            put(ws, row, col, text, book.header)
        row += 1
        for values in table:
            for col, text in enumerate(values):
                put(ws, row, col, text, book.line)
            row += 1


def write_form1_template(
    target: Path,
    *,
    unit: OrgUnit,
    unit_codes: Sequence[str],
    posts: Sequence[Post],
    districts: Sequence[str],
    rows: int = DEFAULT_ROWS,
) -> int:
    """A blank 附表1 for ``unit``; returns the number of input rows made ready."""
    book = _Book(target)
    ws = book.sheet("附表1")
    text_columns = range(len(FORM1_TEMPLATE_HEADERS))  # every cell as typed
    span = _prepare(
        book, ws, FORM1_TEMPLATE_HEADERS, FORM1_TEMPLATE_WIDTHS,
        title=FORM1_TITLE, line_left=f"单位：{unit.name}（单位代码 {unit.code}）",
        line_right="    年    月    日", rows=rows, text_columns=text_columns,
    )  # fmt: skip
    hints = _form1_hints(unit, len(unit_codes))
    post_items = [f"{p.code}、{p.name}" for p in posts]
    lists: dict[int, tuple[Sequence[str] | str, str, str]] = {
        0: (
            book.list_range(unit_codes),
            "warning",
            f"单位代码应为本单位 {unit.code} 或其下属单位的代码，请核对。",
        ),
        2: ([g.value for g in Gender], "stop", "性别只能是 男 或 女。"),
        5: (
            book.list_range(post_items),
            "information",
            "认领多个岗位时可直接输入岗位代码，用顿号分隔，如 3、8；请确认代码都在岗位表中。",
        ),
        10: (
            book.list_range(list(districts)),
            "warning",
            "所属应为社区通讯录中的县区名称，请核对。",
        ),
        11: (list(REPORT_TYPES), "stop", "报到类型只能是 居住地、工作地、其他 或 联系点。"),
    }
    for col, hint in enumerate(hints):
        if col in lists and (col != 10 or districts):
            source, alert, error = lists[col]
            _validate(ws, col, span, hint, source=source, alert=alert, error=error)
        else:
            _validate(ws, col, span, hint)
    scope = {None: "全市通用"}
    _guide(
        book,
        [
            official_forms.form1_note({p.code: p.name for p in posts}),
            *(line.format(unit=unit.name, code=unit.code) for line in FORM1_GUIDE),
        ],
        [(p.code, p.name, scope.get(None) if p.district is None else f"{p.district} 地方岗位")
         for p in posts],
        ("岗位代码", "岗位名称", "适用范围"),
    )  # fmt: skip
    book.close()
    return rows


def write_activity_template(
    target: Path,
    *,
    community: str,
    community_line: str,
    people: Sequence[tuple[int, str, str]],
    year: int,
    rows: int = DEFAULT_ROWS,
    prefill: bool = False,
) -> int:
    """A blank activity sheet (rows of 附表3 with 姓名 and 联系方式) for one community;
    ``prefill`` writes one row per member (``people``: 党员编号, 姓名, 联系方式) with the
    number and name, which identify the member on import for every role (a masked phone
    would not)."""
    book = _Book(target)
    ws = book.sheet("附表3")
    text_columns = (0, 1, 2, 3, 4, 5, 7, 8, 9)  # 服务时间 stays a number
    if prefill:
        rows = max(rows, len(people))
    span = _prepare(
        book, ws, ACTIVITY_TEMPLATE_HEADERS, ACTIVITY_TEMPLATE_WIDTHS,
        title=FORM3_TITLE, line_left=community_line, line_right=f"{year} 年度",
        rows=rows, text_columns=text_columns,
    )  # fmt: skip
    for col, hint in enumerate(ACTIVITY_HINTS):
        if col == 0 and people:
            _validate(
                ws, col, span, hint, source=book.list_range([n for _i, n, _p in people]),
                alert="warning", error="姓名不在本社区党员名单中，请核对。",
            )  # fmt: skip
        elif col == 6:
            _validate(
                ws, col, span, hint,
                extra={"validate": "decimal", "criteria": "between", "minimum": 0.01,
                       "maximum": 24, "error_type": "stop", "error_title": "请核对",
                       "error_message": "服务时间应大于 0、不超过 24 小时。", "show_error": True},
            )  # fmt: skip
        elif col == 7:
            _validate(
                ws, col, span, hint, source=[r.value for r in Rating],
                error="评价只能是 优、良 或 一般。",
            )  # fmt: skip
        elif col == 8:
            _validate(
                ws, col, span, hint, source=list(ACTIVITY_KINDS), alert="information",
                error="可以输入列表以外的主题活动名称。",
            )  # fmt: skip
        else:
            _validate(ws, col, span, hint)
    _guide(
        book,
        [
            official_forms.FORM3_NOTE,
            *(line.format(community=community) for line in ACTIVITY_GUIDE),
        ],
        (),
        (),
    )
    if prefill:
        for offset, (number, name, _phone) in enumerate(people):
            put(ws, span[0] + offset, 0, name, book.line_cell)
            put(ws, span[0] + offset, 9, str(number), book.line_cell)
    members_ws = book.sheet("本社区党员")
    members_ws.set_column(0, 0, 12)
    members_ws.set_column(1, 1, 16)
    members_ws.set_column(2, 2, 10)
    put(members_ws, 0, 0, "姓名", book.header)
    put(members_ws, 0, 1, "联系方式", book.header)
    put(members_ws, 0, 2, "党员编号", book.header)
    for row, (number, name, phone) in enumerate(people, start=1):
        put(members_ws, row, 0, name, book.line)
        put(members_ws, row, 1, phone, book.line)
        put(members_ws, row, 2, str(number), book.line)
    book.close()
    return rows


# -- the exporter -----------------------------------------------------------------------------


def _rows(options: dict[str, Any] | Any) -> int:
    value = options.get("rows") or DEFAULT_ROWS
    rows = int(value)
    if not 1 <= rows <= MAX_ROWS:
        raise ValidationError(
            "template.rows", f"模板行数 {rows} 不对：请用 1 到 {MAX_ROWS} 之间的行数。"
        )
    return rows


def _form1(workspace: Workspace, target: Path, options: Any) -> int:
    unit_text = options.get("unit")
    if not unit_text:
        raise ValidationError(
            "template.unit", "请用 --unit 单位代码 指定下发给哪个单位，如 --unit 008.010.004。"
        )
    unit = workspace.code(str(unit_text))
    below = workspace.org_tree.subtree(unit.code)
    codes = [
        str(unit.code),
        *sorted(str(u.code) for u in below if u.code != unit.code and u.retired_on is None),
    ]
    district = unit.code.aggregator
    posts = workspace.posts(district=district) if district is not None else workspace.posts()
    districts = sorted({c.district for c in workspace.communities()})
    return write_form1_template(
        target, unit=unit, unit_codes=codes, posts=posts, districts=districts, rows=_rows(options)
    )


def _activities(workspace: Workspace, target: Path, options: Any) -> int:
    text = options.get("community")
    if not text:
        raise ValidationError(
            "template.community",
            "请用 --community 社区编号 或 县区/街道/社区 指定社区，如 --community 12。",
        )
    community = workspace.community(str(text))
    people = [
        (m.id, m.name, m.phone)
        for m in workspace.members.iter(MemberQuery(community_id=community.id))
        if m.status is not MemberStatus.REGISTERED
    ]
    year = int(options.get("year") or workspace.default_year())
    return write_activity_template(
        target,
        community=f"{community.district}{community.street}{community.name}",
        community_line=official_forms.community_line(community.ref),
        people=people,
        year=year,
        rows=_rows(options),
        prefill=bool(options.get("with_members")),
    )


TEMPLATES: dict[str, Callable[[Workspace, Path, Any], int]] = {
    "form1": _form1,
    "activities": _activities,
}


@attrs.frozen
class TemplateExporter:
    """``partyreg export template form1 --unit CODE`` / ``template activities --community ID``:
    blank sheets to hand down, with drop-downs, hints and instructions."""

    name: str = "template"
    title: str = "下发模板（form1 党员信息登记表 / activities 活动记录表）"

    def export(self, workspace: Workspace, target: Path, options: Any) -> int:
        """Write the template named by ``options["kind"]``; returns its input rows."""
        if target.suffix.lower() != ".xlsx":
            raise ValidationError(
                "export.format",
                f"模板是 Excel 工作簿：请把文件名改为以 .xlsx 结尾（而不是 {target.suffix or '无扩展名'}）。",
            )
        kind = options.get("kind")
        if kind not in TEMPLATES:
            raise ValidationError(
                "template.kind",
                f"没有“{kind or ''}”模板：请用 partyreg export template form1 --unit 单位代码，"
                "或 partyreg export template activities --community 社区。",
            )
        return TEMPLATES[str(kind)](workspace, target, options)


@hookimpl
def partyreg_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register the ``template`` export."""
    register(TemplateExporter())


__all__ = [
    "TemplateExporter",
    "write_activity_template",
    "write_form1_template",
]
