"""反馈 feedback sheets (附表3): a community's sheets of the year by status, a sheet confirmed
after the preview of the printed sheet (or the whole community at once, as one batch), a sheet
reopened with a reason, a unit's confirmed sheets delivered to its ledger; and the confirmations
waiting on the operator that the members' own reports add (self-reported activities)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import attrs
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.communities import Community
from partyreg_core.events.model import Event, EventStatus
from partyreg_core.feedback.model import PendingActivity, SheetInfo, SheetState
from partyreg_core.masking import mask_phone
from partyreg_core.records import FeedbackSheet
from partyreg_core.wishes.model import Wish, WishStatus
from partyreg_core.workspace import LOCAL_ZONE, Workspace
from partyreg_plugins.official_forms import FORM3_HEADERS, FORM3_NOTE, FORM3_TITLE, community_line
from partyreg_tui.screens.base import WorkScreen, keep_cursor, row_key
from partyreg_tui.screens.work import hours_of
from partyreg_tui.text import fit, literal, number

#: The status filter, in the order ``s`` steps through it.
STATES: tuple[SheetState | None, ...] = (
    None,
    SheetState.DRAFT,
    SheetState.CONFIRMED,
    SheetState.DELIVERED,
)


@attrs.frozen
class Waiting:
    """What waits on the community before its sheets are complete: self-reported activities to
    confirm, events that ended with check-ins still to record, wishes done and not yet recorded
    as activities — each decided by the core when the operator confirms it."""

    reports: tuple[PendingActivity, ...] = ()
    events: tuple[Event, ...] = ()
    wishes: tuple[Wish, ...] = ()

    def __len__(self) -> int:
        return len(self.reports) + len(self.events) + len(self.wishes)


def read_waiting(ws: Workspace, community: str | None = None) -> Waiting:
    """The waiting confirmations within the operator's scope (of one community): events over
    and still open, wishes done without their activity, self-reports."""
    now = ws.now().astimezone(LOCAL_ZONE)
    ended = [
        e
        for e in ws.events.list_events(community, status=EventStatus.OPEN)
        if datetime.combine(e.day, e.end, tzinfo=LOCAL_ZONE) <= now
    ]
    done = [
        w
        for w in ws.wishes.find(community=community, statuses=[WishStatus.DONE, WishStatus.RATED])
        if w.activity_id is None
    ]
    return Waiting(tuple(ws.feedback.pending_activities(community)), tuple(ended), tuple(done))


def sheet_text(sheet: FeedbackSheet) -> Text:
    """附表3 as it prints (the phone masked on the screen): title, community line, member line,
    the activities, the total, the signature space and the system's line."""
    text = Text(end="")
    text.append(f"{FORM3_TITLE}\n", style="bold")
    text.append(community_line(sheet.community) + "\n")
    text.append(
        f"姓名：{sheet.name}    单位：{sheet.unit_name}    联系方式：{mask_phone(sheet.phone)}\n"
    )
    text.append(f"编号：{sheet.number or '（未编号）'}\n\n")
    headers = [h.replace("\n", "") for h in FORM3_HEADERS]
    text.append(" | ".join(headers) + "\n", style="bold")
    for a in sheet.activities:
        text.append(
            f"{a.day.isoformat()} | {a.content} | {a.place or '—'} | {a.participants or '—'} | {a.hours:g} | {a.rating.value}\n"
        )
    if not sheet.activities:
        text.append("（该年度还没有已确认的活动）\n", style="dim")
    text.append(
        f"合计：共 {len(sheet.activities)} 次活动，{sheet.total_hours:g} 小时\n\n", style="bold"
    )
    text.append("社区党组织书记认证签字：            社区党组织（盖章）    年  月  日\n")
    if sheet.confirmed_on is not None:
        text.append(f"系统确认于 {sheet.confirmed_on.isoformat()}（{sheet.stamp}）\n")
    else:
        text.append("系统记录：尚未确认（本单不作凭证）\n")
    text.append("\n" + FORM3_NOTE, style="dim")
    return text


class FeedbackScreen(WorkScreen):
    """反馈：社区的实绩反馈单按状态列出，预览后盖章确认，退回（须说明原因），交单位台帐；自报活动的确认。"""

    MODE = "feedback"
    HELP = """
c 选择社区，[ 和 ] 换年度，s 按状态筛选（全部、待确认、已盖章确认、已交单位台帐）。
Enter 或 p 预览光标所在党员的反馈单（附表3，打印出来的样子）；y 预览后盖章确认这一份；
A 确认该社区全部待确认的反馈单（写成一个批次，可在“批次”屏幕撤销）；o 退回已确认的
反馈单（须说明原因）；d 把光标所在党员单位的已确认反馈单交单位台帐。

v 切换到待确认的事项：党员在网站上自报的活动（y 确认，j 退回并说明原因）；已结束、
还没记录的社区活动签到（y 结束活动，为每位签到者记录一次活动）；党员已完成、还没记为活动
的居民微心愿（y 填写时长后记为活动）。
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "community", "社区"),
        Binding("s", "state", "状态"),
        Binding("left_square_bracket", "year(-1)", "上一年", key_display="[", show=False),
        Binding("right_square_bracket", "year(1)", "下一年", key_display="]", show=False),
        Binding("p", "preview", "预览"),
        Binding("enter", "preview", "预览", show=False),
        Binding("y", "confirm", "确认"),
        Binding("A", "confirm_all", "全部确认", key_display="A"),
        Binding("o", "reopen", "退回"),
        Binding("d", "deliver", "交付"),
        Binding("v", "view", "自报"),
        Binding("j", "reject", "退回自报", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "sheets"
        self.year: int | None = None
        self.state: SheetState | None = None
        self.community: Community | None = None
        self.sheets: list[SheetInfo] | None = None
        self.pending: Waiting | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="feedback", classes="work"):
            yield Static("", id="feedback-title", classes="work-title", markup=False)
            yield DataTable(id="sheets-table", cursor_type="row")
            yield DataTable(id="pending-table", cursor_type="row")
            yield Static("", id="feedback-detail", markup=False)

    def mount_body(self) -> None:
        width = self.app.size.width
        self.year = self.workspace.default_year()
        sheets = self.query_one("#sheets-table", DataTable)
        sheets.add_column("编号", width=14, key="number")
        sheets.add_column("党员", width=max(12, width - 14 - 12 - 5 - 6 - 12 - 16), key="member")
        sheets.add_column("单位代码", width=12, key="unit")
        sheets.add_column(Text("次数", justify="right"), width=5, key="count")
        sheets.add_column(Text("时长", justify="right"), width=6, key="hours")
        sheets.add_column("状态", width=12, key="state")
        pending = self.query_one("#pending-table", DataTable)
        pending.add_column("待确认", width=8, key="kind")
        pending.add_column("日期", width=10, key="day")
        pending.add_column("党员", width=12, key="member")
        pending.add_column("内容", width=max(12, width - 8 - 10 - 12 - 6 - 14), key="content")
        pending.add_column(Text("时长", justify="right"), width=6, key="hours")
        pending.display = False
        sheets.focus()
        ws = self.workspace

        def first() -> Community | None:
            mine = ws.service.communities_of()
            return mine[0] if mine else None

        self.run("正在读取社区……", first, self._chose, latest="community")

    def on_return(self) -> None:
        if self.community is not None:
            self.load()

    def _chose(self, community: Community | None) -> None:
        self.community = community
        self.load()

    def load(self) -> None:
        """Read the community's sheets and the self-reports waiting."""
        community, year, ws = self.community, self.year, self.workspace
        if community is None:
            return

        def read() -> tuple[list[SheetInfo], Waiting]:
            return ws.feedback.sheets(year, community=str(community.id)), read_waiting(
                ws, str(community.id)
            )

        self.run("正在读取反馈单……", read, self._loaded, latest="sheets")

    def _loaded(self, result: tuple[list[SheetInfo], Waiting]) -> None:
        self.sheets, self.pending = result
        table = self.query_one("#sheets-table", DataTable)
        row = table.cursor_row
        table.clear()
        width = table.columns["member"].width  # type: ignore[index]
        shown = [s for s in self.sheets if self.state is None or s.state is self.state]
        for s in shown:
            table.add_row(
                Text(s.number),
                literal(fit(f"{s.name}({s.member_id})", width)),
                Text(s.unit_code),
                Text(number(s.activities), justify="right"),
                Text(f"{s.hours:g}", justify="right"),
                Text(s.state.label, style="bold" if s.state is SheetState.DRAFT else ""),
                key=s.number,
            )
        if not shown:
            table.add_row("", Text("没有反馈单", style="dim"), "", "", "", "")
        keep_cursor(table, row)
        pending = self.query_one("#pending-table", DataTable)
        pending.clear()
        width = pending.columns["content"].width  # type: ignore[index]
        waiting = self.pending
        for a in waiting.reports:
            pending.add_row(
                Text("自报活动"),
                Text(a.day.isoformat()),
                literal(fit(f"{a.name}({a.member_id})", 12)),
                literal(fit(a.content, width)),
                Text(f"{a.hours:g}", justify="right"),
                key=f"report:{a.id}",
            )
        for e in waiting.events:
            pending.add_row(
                Text("活动签到"),
                Text(e.day.isoformat()),
                Text(f"活动 {e.id}"),
                literal(fit(f"{e.content}（{e.window}，已结束，确认后为签到者记录活动）", width)),
                Text(""),
                key=f"event:{e.id}",
            )
        for w in waiting.wishes:
            pending.add_row(
                Text("居民微心愿"),
                Text(w.done_on.isoformat() if w.done_on else ""),
                literal(fit(f"{w.member_name}({w.member_id})", 12)),
                literal(fit(f"{w.title}：{w.done_note}", width)),
                Text(""),
                key=f"wish:{w.id}",
            )
        if not len(waiting):
            pending.add_row("", "", Text("没有待确认的事项", style="dim"), "", "")
        self._title()

    def _title(self) -> None:
        where = self.community.label if self.community else "（你的范围内没有社区）"
        counts = {
            state: sum(1 for s in self.sheets or [] if s.state is state) for state in SheetState
        }
        if self.view == "pending":
            text = f"{where} · 待确认 {len(self.pending or ())} 项（y 确认，j 退回自报，v 返回）"
        else:
            state = self.state.label if self.state else "全部"
            text = f"{where} · {self.year} 年度反馈单（{state}）"
        self.query_one("#feedback-title", Static).update(Text(text, style="bold"))
        summary = "，".join(f"{s.label} {number(n)}" for s, n in counts.items())
        self.query_one("#feedback-detail", Static).update(
            Text(f"{summary}；待确认 {len(self.pending or ())} 项（v）", style="dim")
        )

    def _sheet(self) -> SheetInfo | None:
        key = row_key(self.query_one("#sheets-table", DataTable))
        found = [s for s in self.sheets or [] if s.number == key]
        if not found:
            self.notify("请先选中一份反馈单。", markup=False)
        return found[0] if found else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (or a click on a selected row)."""
        event.stop()
        if event.data_table.id == "#sheets-table".lstrip("#"):
            self.action_preview()

    # -- actions --------------------------------------------------------------------------------

    def action_community(self) -> None:
        """Choose the community (within the scope)."""
        from partyreg_tui.dialogs.choose import ChooseDialog

        def chosen_list(found: list[Community]) -> None:
            by_id = {str(c.id): c for c in found}

            def chosen(value: str | None) -> None:
                if value in by_id:
                    self.community = by_id[value]
                    self.load()

            self.app.push_screen(
                ChooseDialog("选择社区", [(str(c.id), f"{c.label}（编号 {c.id}）") for c in found]),
                chosen,
            )

        self.run(
            "正在读取社区……", self.workspace.service.communities_of, chosen_list, latest="choose"
        )

    def action_state(self) -> None:
        """The next status filter."""
        self.state = STATES[(STATES.index(self.state) + 1) % len(STATES)]
        self.load()

    def action_year(self, step: int) -> None:
        """The year before or after."""
        self.year = (self.year or self.workspace.default_year()) + step
        self.load()

    def action_view(self) -> None:
        """Between the sheets and the self-reports waiting."""
        self.view = "pending" if self.view == "sheets" else "sheets"
        pending = self.view == "pending"
        self.query_one("#pending-table").display = pending
        self.query_one("#sheets-table").display = not pending
        self.query_one("#pending-table" if pending else "#sheets-table").focus()
        self._title()

    def _printed(self, sheet: SheetInfo) -> Any:
        ws, year = self.workspace, sheet.year
        return lambda: next(iter(ws.feedback_sheets(year, member_id=sheet.member_id)))

    def action_preview(self) -> None:
        """The printed sheet of the member under the cursor."""
        if self.view != "sheets":
            return
        sheet = self._sheet()
        if sheet is not None:
            self.run(
                "正在生成反馈单预览……",
                self._printed(sheet),
                lambda printed: self.show_text(f"反馈单 {sheet.number}", sheet_text(printed)),
                latest="preview",
            )

    def action_confirm(self) -> None:
        """Confirm the sheet under the cursor after its preview (or a self-report)."""
        if self.view == "pending":
            self._decide_pending(confirm=True)
            return
        sheet = self._sheet()
        if sheet is None:
            return
        if sheet.state is not SheetState.DRAFT:
            self.notify(f"反馈单 {sheet.number} {sheet.state.label}：不需要再确认。", markup=False)
            return
        ws = self.workspace

        def preview(printed: FeedbackSheet) -> None:
            self.ask(
                f"盖章确认反馈单 {sheet.number}？确认后锁定",
                sheet_text(printed),
                lambda: self.run(
                    "正在确认……",
                    lambda: ws.feedback.confirm([sheet.number]),
                    lambda done: (
                        self.notify(f"已盖章确认 {len(done)} 份反馈单。", markup=False),
                        self.load(),
                    ),
                ),
                yes="盖章确认",
            )

        self.run("正在生成反馈单预览……", self._printed(sheet), preview, latest="preview")

    def action_confirm_all(self) -> None:
        """Confirm every draft sheet of the community (the dry run's list first)."""
        community, year, ws = self.community, self.year, self.workspace
        if community is None or self.view != "sheets":
            return

        def preview(result: tuple[str | None, list[SheetInfo]]) -> None:
            drafts = result[1]
            if not drafts:
                self.notify("这个社区没有待确认的反馈单。", markup=False)
                return
            body = Text(f"{community.label} {year} 年度：盖章确认 {len(drafts)} 份反馈单\n")
            for s in drafts[:10]:
                body.append(f"  {s.number} {s.name} {s.activities} 次 {s.hours:g} 小时\n")
            if len(drafts) > 10:
                body.append(f"  ……另有 {len(drafts) - 10} 份\n")
            body.append("写成一个批次，可在“批次”屏幕撤销。")

            def done(result: tuple[str | None, list[SheetInfo]]) -> None:
                self.notify(
                    f"已盖章确认 {len(result[1])} 份反馈单（批次 {result[0]}）。", markup=False
                )
                self.load()

            self.ask(
                "盖章确认全部？",
                body,
                lambda: self.run(
                    "正在确认……",
                    lambda: ws.feedback.confirm_community(str(community.id), year=year),
                    done,
                ),
                yes="全部确认",
            )

        self.run(
            "正在列出待确认的反馈单……",
            lambda: ws.feedback.confirm_community(str(community.id), year=year, dry_run=True),
            preview,
            latest="preview",
        )

    def action_reopen(self) -> None:
        """Reopen the confirmed sheet under the cursor, with a reason."""
        if self.view != "sheets":
            return
        sheet = self._sheet()
        if sheet is None:
            return
        if sheet.state is SheetState.DRAFT:
            self.notify(f"反馈单 {sheet.number} 还没有确认：不需要退回。", markup=False)
            return
        ws = self.workspace
        self.ask_text(
            f"退回反馈单 {sheet.number}（{sheet.name}）：原因",
            lambda reason: self.run(
                "正在退回……",
                lambda: ws.feedback.reopen(sheet.number, reason),
                lambda done: (
                    self.notify(f"反馈单 {done.number} 已退回为待确认。", markup=False),
                    self.load(),
                ),
            ),
            hint="原因记入审计日志，如“补录 11 月活动”。Enter 确认，Esc 取消。",
        )

    def action_deliver(self) -> None:
        """Deliver the confirmed sheets of the unit of the member under the cursor."""
        if self.view != "sheets":
            return
        sheet = self._sheet()
        if sheet is None:
            return
        ws, year = self.workspace, self.year
        unit = sheet.unit_code
        ready = [
            s for s in self.sheets or [] if s.unit_code == unit and s.state is SheetState.CONFIRMED
        ]
        self.ask(
            "交单位台帐？",
            f"把单位 {unit} 已盖章确认的 {year} 年度反馈单交单位台帐（本社区可见的 {len(ready)} 份；"
            "你范围内该单位其他社区已确认的也一并交付）。",
            lambda: self.run(
                "正在交付……",
                lambda: ws.feedback.deliver(unit, year=year),
                lambda done: (
                    self.notify(f"已把 {len(done)} 份反馈单交 {unit} 的台帐。", markup=False),
                    self.load(),
                ),
            ),
            yes="交付",
        )

    def action_reject(self) -> None:
        """Reject the self-report under the cursor, with a reason."""
        if self.view == "pending":
            self._decide_pending(confirm=False)

    def _decide_pending(self, *, confirm: bool) -> None:
        key = row_key(self.query_one("#pending-table", DataTable)) or ""
        waiting = self.pending or Waiting()
        kind, _sep, ident = key.partition(":")
        ws = self.workspace
        if kind == "event":
            event = next(e for e in waiting.events if str(e.id) == ident)
            if not confirm:
                self.notify("活动签到不能退回：不记录时保持不动即可。", markup=False)
                return
            self.ask(
                "结束活动并记录？",
                f"活动 {event.id}：{event.day} {event.window} {event.content}\n为每位签到的党员记录一次活动。",
                lambda: self.run(
                    "正在记录签到者的活动……",
                    lambda: ws.events.close(event.id or 0),
                    lambda closing: (
                        self.notify(
                            f"已为 {len(closing.attended)} 名签到者记录活动。", markup=False
                        ),
                        self.load(),
                    ),
                ),
            )
            return
        if kind == "wish":
            wish = next(w for w in waiting.wishes if str(w.id) == ident)
            if not confirm:
                self.notify(
                    "已完成的微心愿不能在这里退回：用 partyreg wish 命令处理。", markup=False
                )
                return
            self.ask_text(
                f"把微心愿“{wish.title}”记为 {wish.member_name} 的活动：时长（小时）",
                lambda hours: self.run(
                    "正在记录……",
                    lambda: ws.wishes.record_activity(wish.id, hours_of(hours)),
                    lambda _id: (self.notify("已记为活动。", markup=False), self.load()),
                ),
                value="1",
                hint="0 到 24 之间的小时数，Enter 确认。",
            )
            return
        found = [a for a in waiting.reports if str(a.id) == ident]
        if not found:
            return
        item = found[0]
        what = f"{item.name} {item.day} {item.content} {item.hours:g} 小时"
        if confirm:
            self.ask(
                "确认这条自报活动？",
                what,
                lambda: self.run(
                    "正在确认……",
                    lambda: ws.feedback.confirm_activities([item.id]),
                    lambda _d: (self.notify("已确认自报活动。", markup=False), self.load()),
                ),
            )
        else:
            self.ask_text(
                f"退回自报活动（{what}）：原因",
                lambda reason: self.run(
                    "正在退回……",
                    lambda: ws.feedback.reject_activities([item.id], reason),
                    lambda _d: (self.notify("已退回自报活动。", markup=False), self.load()),
                ),
            )
