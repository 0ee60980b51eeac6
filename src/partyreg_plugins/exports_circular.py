"""The progress circular (``partyreg export circular -o 通报.xlsx [--on DATE] [--year Y]``),
registered through ``partyreg_register_exporters``.

Districts supervise the campaign with circulars (通报): the districts and the units ranked by
completion rate as of a date, against the year's deadlines. A circular is passed around, so it
holds counts and organisation names only — no member's name, phone or address (decision 0028).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import Exporter
from partyreg_core.progress import (
    COMPLETION_RULE,
    MILESTONE_LABELS,
    UNDECLARED,
    ProgressBy,
    ProgressReport,
    ProgressRow,
    ranked,
)
from partyreg_core.wishes.model import WishTally
from partyreg_plugins import pagesetup
from partyreg_plugins.official_forms import FONT, WORKBOOK_OPTIONS, Style, put

if TYPE_CHECKING:  # annotations only: importing the plugin stays cheap (decision 0161)
    from partyreg_core.workspace import Workspace

CIRCULAR_TITLE = "“在职党员回社区 亮明身份作表率”活动进度通报"
DISTRICT_HEADERS = (
    "名次", "县区（市直党工委）", "预计人数", "已登记", "已分流", "已报到", "按时报到",
    "逾期未报到", "完成率",
)  # fmt: skip
UNIT_HEADERS = (
    "名次", "单位", "所属县区（市直党工委）", "预计人数", "已登记", "已分流", "已报到",
    "按时报到", "逾期未报到", "完成率",
)  # fmt: skip
UNIT_WIDTHS = (6, 34, 24, 10, 9, 9, 9, 10, 11, 9)
NOTE = f"说明：{COMPLETION_RULE}本通报只含人数和组织名称，不含党员个人信息。"


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _counts(row: ProgressRow) -> tuple[int | None, ...]:
    return (
        row.expected,
        row.registered,
        row.routed,
        row.reported_in,
        row.report_in.on_time,
        row.report_in.overdue,
    )


WISH_HEADERS = ("县区", "收到微心愿", "已认领", "已完成", "已评价", "满意率")


def write_circular(
    target: Path,
    report: ProgressReport,
    *,
    scope_label: str,
    names: Mapping[str, str],
    wishes: Sequence[WishTally] = (),
) -> int:
    """Write the circular of ``report`` (rows by unit) to ``target``, and the residents' wishes
    of the year per district (counts only); returns how many units it ranks."""
    units = ranked([r for r in report.rows if r.key])
    districts = ranked([r for r in report.districts if r.key])
    wb = Workbook(str(target), WORKBOOK_OPTIONS)
    try:
        base = {"font_name": FONT, "font_size": 11, "valign": "vcenter"}
        border = {**base, "border": 1, "align": "center"}
        title = Style(wb, {**base, "font_size": 18, "bold": True, "align": "center"})
        line = Style(wb, {**base, "text_wrap": True})
        heading = Style(wb, {**base, "bold": True, "font_size": 12})
        header = Style(wb, {**border, "bold": True, "text_wrap": True, "bg_color": "#F2F2F2"})
        cell = Style(wb, border)
        left = Style(wb, {**border, "align": "left"})
        number = wb.add_format(border)
        percent = wb.add_format({**border, "num_format": "0.0%"})
        ws: Worksheet = wb.add_worksheet("进度通报")
        last = len(UNIT_HEADERS) - 1
        # the one page set-up; the units table's header repeats (set below), not the title
        used = pagesetup.apply(ws, pagesetup.PageSetup(UNIT_WIDTHS, landscape=True))

        def merged_line(row: int, text: str, style: Style, height: float = 20) -> None:
            ws.set_row(row, height)
            ws.merge_range(row, 0, row, last, "", style.plain)
            put(ws, row, 0, text, style)

        merged_line(0, f"{report.year}年{CIRCULAR_TITLE}", title, 34)
        merged_line(1, f"通报范围：{scope_label}　　截至 {_chinese_date(report.on)}", line)
        dues = "；".join(
            f"{MILESTONE_LABELS[d.key]} {d.due.month}月{d.due.day}日"
            f"（{'已过' if report.on > d.due else '未到'}）"
            for d in report.calendar.deadlines
        )
        merged_line(2, f"年度日程：{dues}", line, 32)
        t = report.total
        expected = UNDECLARED if t.expected is None else f"{t.expected}人"
        merged_line(
            3,
            f"{scope_label}预计{expected}，已登记{t.registered}人，已分流{t.routed}人，"
            f"已报到{t.reported_in}人（按时{t.report_in.on_time}人，逾期未报到"
            f"{t.report_in.overdue}人），完成率{t.completion * 100:.1f}%。",
            line,
            32,
        )
        row = 5
        put(ws, row, 0, "一、各县区（市直党工委）进度排名", heading)
        row += 1
        row = _table(
            ws, row, DISTRICT_HEADERS, districts, header, cell, left, number, percent, None
        )
        row += 1
        put(ws, row, 0, "二、各单位进度排名（按完成率）", heading)
        row += 1
        ws.repeat_rows(row)  # the units table's header on every page
        row = _table(ws, row, UNIT_HEADERS, units, header, cell, left, number, percent, names.get)
        row += 1
        if wishes:
            put(ws, row, 0, "三、居民微心愿办理情况（各县区）", heading)
            row += 1
            ws.set_row(row, 30)
            for col, text in enumerate(WISH_HEADERS):
                put(ws, row, col, text, header)
            row += 1
            for tally in wishes:
                put(ws, row, 0, names.get(tally.key, tally.label), left)
                for col, value in enumerate(
                    (tally.received, tally.claimed, tally.done, tally.rated), start=1
                ):
                    ws.write_number(row, col, value, number)
                rate = tally.satisfaction_rate
                if rate is None:
                    put(ws, row, 5, "—", cell)
                else:
                    ws.write_number(row, 5, rate, percent)
                row += 1
            row += 1
        merged_line(row, NOTE, line, pagesetup.text_height(NOTE, used, 11))
        pagesetup.print_area(ws, row, len(UNIT_HEADERS))
    finally:
        wb.close()
    return len(units)


def _table(
    ws: Worksheet,
    row: int,
    headers: Sequence[str],
    rows: Sequence[ProgressRow],
    header: Style,
    cell: Style,
    left: Style,
    number: Any,
    percent: Any,
    district_name: Callable[[str], str | None] | None,
) -> int:
    ws.set_row(row, 30)
    for col, text in enumerate(headers):
        put(ws, row, col, text, header)
    row += 1
    for rank, item in enumerate(rows, start=1):
        col = 0
        ws.write_number(row, col, rank, number)
        put(ws, row, 1, item.name, left)
        col = 2
        if district_name is not None:
            code = item.district_code or ""
            put(ws, row, col, district_name(code) or code, left)
            col += 1
        for value in _counts(item):
            if value is None:
                put(ws, row, col, UNDECLARED, cell)
            else:
                ws.write_number(row, col, value, number)
            col += 1
        ws.write_number(row, col, item.completion, percent)
        row += 1
    return row


@attrs.frozen
class CircularExporter:
    """进度通报: districts and units ranked by completion rate as of ``--on`` (masked: counts
    and organisation names only)."""

    name: str = "circular"
    title: str = "活动进度通报（县区、单位排名；只含人数）"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the circular of the operator's scope."""
        if target.suffix.lower() != ".xlsx":
            raise ValidationError(
                "export.format",
                f"进度通报导出为 Excel 工作簿：请把文件名改为以 .xlsx 结尾（而不是 {target.suffix or '无扩展名'}）。",
            )
        on = options.get("on")
        day = on if isinstance(on, date) else workspace.today()
        year = options.get("year")
        report = workspace.progress(ProgressBy.UNIT, on=day, year=int(year) if year else None)
        names = {str(u.code): u.name_on(day) for u in workspace.codes()}  # that day's names
        tallies = workspace.wishes.tally("district", year=report.year)
        return write_circular(
            target, report, scope_label=report.total.name, names=names, wishes=tallies
        )


@hookimpl
def partyreg_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register the progress circular."""
    register(CircularExporter())
