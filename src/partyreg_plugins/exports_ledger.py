"""``partyreg export ledger --unit CODE [--year Y]``: a unit's ledger (台帐) of its members'
community service for a year — hours, activities, ratings, each member's feedback sheet
(number, state, who confirmed it and when, delivery) and the year's points — laid out like the
official forms."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import Exporter
from partyreg_plugins import official_forms as forms

if TYPE_CHECKING:  # annotations only: importing the plugin stays cheap (decision 0161)
    from partyreg_core.workspace import Workspace

LEDGER_HEADERS = (
    "单位代码", "姓名", "报到社区", "服务次数", "服务时间（小时）", "优", "良", "一般",
    "反馈单编号", "状态", "确认人", "确认日期", "交付日期", "积分",
)  # fmt: skip
LEDGER_WIDTHS = (12, 10, 30, 10, 14, 6, 6, 6, 18, 14, 10, 12, 12, 8)


@attrs.frozen
class LedgerExporter:
    """台帐: one line per member of the unit (and the units below it) for one year."""

    name: str = "ledger"
    title: str = "单位党员回社区活动台帐"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the ledger of ``--unit`` (or ``--scope``) for ``--year`` (default this year)."""
        if target.suffix.lower() != ".xlsx":
            raise ValidationError(
                "export.format",
                f"台帐导出为 Excel 工作簿：请把文件名改为以 .xlsx 结尾（而不是 {target.suffix or '无扩展名'}）。",
            )
        text = options.get("unit") or options.get("scope")
        if not text:
            raise ValidationError("export.unit", "请用 --unit 单位代码 指明导出哪个单位的台帐。")
        unit = workspace.code(str(text))
        on = options.get("on")
        day = on if isinstance(on, date) else workspace.today()
        year = int(options.get("year") or day.year)
        lines = workspace.feedback.ledger(unit.code, year=year)
        wb = forms._workbook(target)
        st = forms._Styles(wb)
        ws = wb.add_worksheet("台帐")
        columns = len(LEDGER_HEADERS)
        forms._setup(ws, LEDGER_WIDTHS, 2, landscape=True)
        forms._title(ws, st, f"{unit.name}{year}年度党员回社区活动台帐", columns)
        forms.merged(ws, 1, 0, 5, f"单位：{unit.name_on(day)}", st.line)
        forms.merged(ws, 1, 6, columns - 1, forms._date_line(day), st.line_right)
        ws.set_row(2, 32)
        forms._row(ws, 2, LEDGER_HEADERS, st.header)
        row = 3
        for line in lines:
            forms._row(
                ws, row,
                (line.unit_code, line.name, line.community, "", "", "", "", "",
                 line.number, line.state, line.confirmed_by,
                 line.confirmed_on.isoformat() if line.confirmed_on else "",
                 line.delivered_on.isoformat() if line.delivered_on else "", ""),
                st.body,
            )  # fmt: skip
            ws.write_number(row, 13, line.points, st.number)
            for col, value in enumerate(
                (line.activities, line.hours, line.excellent, line.good, line.fair), start=3
            ):
                ws.write_number(row, col, value, st.number)
            row += 1
        total = round(sum(line.hours for line in lines), 2)
        forms.put(ws, row, 0, "合计", st.header)
        forms._row(
            ws, row, ("合计", f"{len(lines)} 人", "", "", "", "", "", "", "", "", "", "", "", ""),
            st.body,
        )  # fmt: skip
        ws.write_number(row, 13, round(sum(x.points for x in lines), 2), st.number)
        ws.write_number(row, 3, sum(x.activities for x in lines), st.number)
        ws.write_number(row, 4, total, st.number)
        forms.pagesetup.print_area(ws, row, columns)
        wb.close()
        return len(lines)


@hookimpl
def partyreg_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register the unit ledger export."""
    register(LedgerExporter())
