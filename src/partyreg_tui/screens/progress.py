"""进度 progress: the campaign's progress within the scope as of a date, by district, unit or
community (a district opens onto its units, a unit onto the communities its members report in
at), late and overdue against the year's deadlines; the
circular's preview and export, the overdue members, and the reminders that would go out."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.progress import (
    COMPLETION_RULE,
    MILESTONE_LABELS,
    UNDECLARED,
    OverdueMember,
    ProgressBy,
    ProgressReport,
    ProgressRow,
    parse_day,
    ranked,
)
from partyreg_tui.screens.base import WorkScreen, keep_cursor, row_key
from partyreg_tui.text import fit, fit_end, literal, number

#: The overdue list shows this many members (the CLI's ``progress overdue`` has them all).
OVERDUE_ROWS = 300
#: How many days ahead the reminders look (``progress remind --days``).
REMIND_DAYS = 7


def percent(value: float) -> str:
    """``0.4567`` → ``45.7%``."""
    return f"{value * 100:.1f}%"


def circular_text(report: ProgressReport) -> Text:
    """What the circular (通报) holds, as text: the districts and the units ranked by
    completion rate, counts and names only."""
    text = Text(end="")
    text.append("“在职党员回社区 亮明身份作表率”活动进度通报\n", style="bold")
    text.append(f"{report.total.name} · 截至 {report.on.isoformat()} · {report.year} 年度\n\n")
    for title, rows in (("县区（市直党工委）", report.districts), ("单位", report.rows)):
        text.append(f"{title}排名\n", style="bold")
        for place, row in enumerate(ranked(rows), 1):
            text.append(
                f"{place:>3}. {row.name}  已登记 {row.registered}，已报到 {row.reported_in}"
                f"（按时 {row.report_in.on_time}，逾期未报到 {row.report_in.overdue}），"
                f"完成率 {percent(row.completion)}\n"
            )
        text.append("\n")
    text.append(f"说明：{COMPLETION_RULE}本通报只含人数和组织名称，不含党员个人信息。", style="dim")
    return text


class ProgressScreen(WorkScreen):
    """进度：按县区 → 单位 → 社区，截至某日的登记、分流、报到与迟报、逾期；通报预览与导出。"""

    MODE = "progress"
    HELP = """
按 d、u、c 分别按县区、单位、社区查看截至某日的进度；在县区一行按 Enter 看该县区的单位，
在单位一行按 Enter 看该单位的党员在各社区的报到情况，Backspace 返回上一层。t 输入截至日期，[ 和 ] 前后移一周。“迟”是截止日期后才完成，“逾期”是截止
日期已过仍未完成；完成率按预计人数（未申报时按已登记人数）计算。

p 预览进度通报（只含人数和组织名称），e 导出通报为 Excel；o 列出逾期的党员；
m 列出截止日期临近时将发出的催办提醒，确认后发出（县区和市级操作员）。
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "by('district')", "县区"),
        Binding("u", "by('unit')", "单位"),
        Binding("c", "by('community')", "社区"),
        Binding("enter", "open", "展开", show=False),
        Binding("backspace", "back", "返回", show=False),
        Binding("t", "date", "日期"),
        Binding("left_square_bracket", "shift(-7)", "前一周", key_display="[", show=False),
        Binding("right_square_bracket", "shift(7)", "后一周", key_display="]", show=False),
        Binding("p", "preview", "预览"),
        Binding("e", "export", "导出"),
        Binding("o", "overdue", "逾期"),
        Binding("m", "remind", "催办"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.by = ProgressBy.DISTRICT
        self.on: date | None = None
        self.year: int | None = None
        self.district: str | None = None  # units of one district only
        self.unit: str | None = None  # communities of one unit's members only
        self.report: ProgressReport | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="progress-screen", classes="work"):
            yield Static("", id="progress-title", classes="work-title", markup=False)
            yield Static("", id="progress-deadlines", markup=False)
            yield DataTable(id="progress-table", cursor_type="row")
            yield Static("", id="progress-total", markup=False)

    def mount_body(self) -> None:
        ws = self.workspace
        self.year = ws.default_year()
        today = ws.today()
        self.on = today if today.year == self.year else date(self.year, 12, 31)
        table = self.query_one("#progress-table", DataTable)
        wide = self.app.size.width >= 100
        table.add_column("代码", width=12, key="key")
        table.add_column("名称", width=self._name_width(), key="name")
        if wide:
            table.add_column(Text("预计", justify="right"), width=6, key="expected")
        table.add_column(Text("登记", justify="right"), width=6, key="registered")
        table.add_column(Text("分流", justify="right"), width=6, key="routed")
        table.add_column(Text("报到", justify="right"), width=6, key="reported")
        if wide:
            table.add_column(Text("登记逾期", justify="right"), width=8, key="reg_over")
            table.add_column(Text("分流迟/逾", justify="right"), width=9, key="route_late")
        table.add_column(Text("报到迟/逾", justify="right"), width=9, key="report_late")
        table.add_column(Text("完成率", justify="right"), width=7, key="rate")
        table.focus()
        self.load()

    def on_return(self) -> None:
        self.load()

    def _name_width(self) -> int:
        wide = self.app.size.width >= 100
        others = 12 + 6 * 3 + 9 + 7 + ((6 + 8 + 9) if wide else 0)
        columns = 10 if wide else 7
        return max(10, self.app.size.width - others - columns * 2 - 4)

    def load(self) -> None:
        """Read the report for the level and date chosen."""
        ws, by, on, year, unit = self.workspace, self.by, self.on, self.year, self.unit
        self.run(
            "正在统计进度……",
            lambda: ws.progress(by, on=on, year=year, unit=unit),
            self._loaded,
            latest="report",
        )

    def _rows(self) -> list[ProgressRow]:
        if self.report is None:
            return []
        rows = list(self.report.rows)
        if self.district is not None and self.report.by is ProgressBy.UNIT:
            rows = [r for r in rows if (r.district_code or "") == self.district]
        if self.report.by is ProgressBy.COMMUNITY:
            # by name (县区/街道/社区), not by the ids' text ("1", "103", "12"); unresolved last
            rows.sort(key=lambda r: (not r.key, r.name))
        return rows

    def _loaded(self, report: ProgressReport) -> None:
        if report.by is not self.by or report.on != self.on:
            return
        self.report = report
        table = self.query_one("#progress-table", DataTable)
        row = table.cursor_row
        table.clear()
        wide = "expected" in table.columns
        width = self._name_width()
        rows = self._rows()
        community = report.by is ProgressBy.COMMUNITY  # the community's own name is last
        for r in rows:
            table.add_row(
                literal(fit(r.key or "—", 12)),
                literal(fit_end(r.name, width) if community else fit(r.name, width)),
                *(
                    [
                        Text(
                            UNDECLARED if r.expected is None else number(r.expected),
                            justify="right",
                        )
                    ]
                    if wide
                    else []
                ),
                Text(number(r.registered), justify="right"),
                Text(number(r.routed), justify="right"),
                Text(number(r.reported_in), justify="right"),
                *(
                    [
                        Text(number(r.registration.overdue), justify="right"),
                        Text(f"{r.routing.late}/{r.routing.overdue}", justify="right"),
                    ]
                    if wide
                    else []
                ),
                Text(f"{r.report_in.late}/{r.report_in.overdue}", justify="right"),
                Text(percent(r.completion), justify="right"),
                key=r.key or "-",
            )
        if not rows:
            table.add_row("", Text("没有数据", style="dim"), *[""] * (len(table.columns) - 2))
        keep_cursor(table, row)
        level = report.by.label
        if self.unit is not None:
            level += f"（{self.unit} 的党员）"
        elif self.district is not None:
            level += f"（{self.district} 的单位）"
        self.query_one("#progress-title", Static).update(
            Text(f"{report.year} 年度进度 · 截至 {report.on.isoformat()} · 按{level}", style="bold")
        )
        deadlines = Text(end="", style="dim")
        for d in report.calendar.deadlines:
            state = "已过" if report.on > d.due else "未到"
            deadlines.append(
                f"{d.due.strftime('%m-%d')} {MILESTONE_LABELS.get(d.key, d.label)}（{state}） "
            )
        self.query_one("#progress-deadlines", Static).update(deadlines)
        t = report.total
        self.query_one("#progress-total", Static).update(
            Text(
                f"{t.name}：已登记 {number(t.registered)}，已分流 {number(t.routed)}，"
                f"已报到 {number(t.reported_in)}（逾期未报到 {number(t.report_in.overdue)}），"
                f"完成率 {percent(t.completion)}",
                style="bold",
            )
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (or a click on a selected row)."""
        event.stop()
        self.action_open()

    # -- actions --------------------------------------------------------------------------------

    def action_by(self, by: str) -> None:
        """Another level."""
        self.by = ProgressBy(by)
        self.district = self.unit = None
        self.load()

    def action_open(self) -> None:
        """From a district, its units; from a unit, the communities its members report in at."""
        key = row_key(self.query_one("#progress-table", DataTable))
        if not key or key == "-":
            return
        if self.by is ProgressBy.DISTRICT:
            self.by = ProgressBy.UNIT
            self.district = key
            self.load()
        elif self.by is ProgressBy.UNIT:
            self.by = ProgressBy.COMMUNITY
            self.unit = key
            self.load()

    def action_back(self) -> None:
        """One level up: from a unit's communities to the units, from a district's units to
        the districts."""
        if self.unit is not None:
            self.by = ProgressBy.UNIT
            self.unit = None
            self.load()
        elif self.district is not None:
            self.by = ProgressBy.DISTRICT
            self.district = None
            self.load()

    def action_shift(self, days: int) -> None:
        """The date a week earlier or later."""
        if self.on is not None:
            self.on = self.on + timedelta(days=days)
            self.load()

    def action_date(self) -> None:
        """Ask for the date."""

        def chosen(text: str) -> None:
            try:
                self.on = parse_day(text, "截至日期")
            except Exception as error:
                self.show_error(error)
                return
            self.load()

        self.ask_text(
            "截至日期",
            chosen,
            value=self.on.isoformat() if self.on else "",
            hint="如 2014-09-30，Enter 确认。",
        )

    def _unit_report(self) -> Any:
        ws, on, year = self.workspace, self.on, self.year
        return lambda: ws.progress(ProgressBy.UNIT, on=on, year=year)

    def action_preview(self) -> None:
        """The circular as it would be exported."""
        self.run(
            "正在生成通报预览……",
            self._unit_report(),
            lambda report: self.show_text("进度通报预览", circular_text(report)),
            latest="preview",
        )

    def action_export(self) -> None:
        """Export the circular to an .xlsx file."""
        ws, on, year = self.workspace, self.on, self.year
        default = f"进度通报-{on.isoformat() if on else ''}.xlsx"

        def chosen(path: str) -> None:
            target = Path(path).expanduser()
            self.run(
                "正在导出通报……",
                lambda: ws.export("circular", target, {"on": on, "year": year}),
                lambda count: self.notify(
                    f"已导出通报到 {target}（{number(count)} 行）。", markup=False
                ),
            )

        self.ask_text(
            "导出进度通报到文件",
            chosen,
            value=default,
            hint="Excel 文件（.xlsx）；已有的文件不会被覆盖。",
        )

    def action_overdue(self) -> None:
        """The members who missed a deadline by the date."""
        ws, on, year = self.workspace, self.on, self.year

        def read() -> tuple[list[OverdueMember], int]:
            shown: list[OverdueMember] = []
            total = 0
            for member in ws.overdue(on=on, year=year):
                total += 1
                if len(shown) < OVERDUE_ROWS:
                    shown.append(member)
            return shown, total

        def done(result: tuple[list[OverdueMember], int]) -> None:
            shown, total = result
            text = Text(end="")
            text.append(f"截至 {on}，逾期 {number(total)} 人", style="bold")
            if total > len(shown):
                text.append(f"（显示前 {len(shown)} 人；全部名单：partyreg progress overdue）")
            text.append("\n\n")
            for m in shown:
                missed = "、".join(MILESTONE_LABELS.get(k, k) for k in m.overdue)
                text.append(
                    f"{m.id:>6} {m.name}  {m.unit_code}  {m.community or '（未分流）'}  逾期：{missed}\n"
                )
            self.show_text("逾期名单", text)

        self.run("正在列出逾期的党员……", read, done, latest="preview")

    def action_remind(self) -> None:
        """The reminders that would go out, and sending them after a confirmation."""
        ws, on, year = self.workspace, self.on, self.year

        def preview(reminders: Any) -> None:
            if reminders.deadline is None:
                self.notify(f"{REMIND_DAYS} 天内没有截止日期：现在不需要催办。", markup=False)
                return
            if not reminders.events:
                self.notify(
                    f"{reminders.deadline.label}（{reminders.deadline.due}）前没有落后的单位。",
                    markup=False,
                )
                return
            body = Text(end="")
            body.append(
                f"{reminders.deadline.label}截止 {reminders.deadline.due}，将提醒 {len(reminders.events)} 个落后的单位和县区：\n"
            )
            for event in reminders.events[:12]:
                body.append(
                    f"  {event['name']}：已登记 {event['registered']}，已报到 {event['reported_in']}\n"
                )
            if len(reminders.events) > 12:
                body.append(f"  ……另有 {len(reminders.events) - 12} 个\n")

            def go() -> None:
                self.run(
                    "正在发出催办提醒……",
                    lambda: ws.remind(REMIND_DAYS, on=on, year=year),
                    lambda sent: self.notify(
                        f"已提醒 {len(sent.events)} 个单位和县区：待发送消息 {sent.queued.get('pending', 0)} 条，"
                        f"无发送渠道 {sent.queued.get('skipped', 0)} 条。",
                        markup=False,
                    ),
                )

            self.ask("发出催办提醒？", body, go, yes="发出")

        self.run(
            "正在找出落后的单位……",
            lambda: ws.remind(REMIND_DAYS, on=on, year=year, dry_run=True),
            preview,
            latest="preview",
        )
