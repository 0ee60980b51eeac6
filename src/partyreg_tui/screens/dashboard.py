"""The first screen: what the acting operator needs to know and do today.

The next deadline of the campaign year and the days left; members in scope by status, and by
district (city operators) or unit (others) as bars; the queues that exist so far — members whose
report-in community is not in the directory yet, and the latest import batches. Everything is
read in one worker; the screen is drawn first and filled when the numbers arrive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import ClassVar

import attrs
from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.batches import Batch
from partyreg_core.calendar import CampaignCalendar, Deadline
from partyreg_core.errors import PartyregError
from partyreg_core.members.model import MemberQuery, MemberStatus
from partyreg_core.notify.model import OutboxStatus
from partyreg_core.operators.model import Role
from partyreg_core.orgcodes import OrgCode
from partyreg_core.progress import COMPLETION_RULE, ProgressBy, ProgressRow
from partyreg_core.workspace import Workspace
from partyreg_tui.screens.base import PartyregScreen, Read
from partyreg_tui.text import fit, legend, literal, local_time, number, status_bar

BATCH_KIND_LABELS = {
    "registrations": "登记表",
    "codes": "代码表",
    "directory": "通讯录",
    "activities": "活动",
    "feedback": "确认反馈单",
    "report_in": "确认报到",
    "assign": "岗位分配",
    "group": "服务小组",
    "route": "分流",
    "year": "开启年度",
    "remind": "催办",
    "flush": "发送通知",
    "retention": "到期清理",
}
RECENT_BATCHES = 3


def campaign_calendar(workspace: Workspace, year: int) -> CampaignCalendar:
    """The calendar of ``year`` as every part reads it (``Workspace.calendar``), else the
    seed's dates when the stored setting is damaged (the dashboard must still open)."""
    try:
        return workspace.calendar(year)
    except PartyregError:
        return CampaignCalendar.default(year)


@attrs.frozen
class Group:
    """One bar: a district or unit, its name and its members by status."""

    code: OrgCode | None
    name: str
    counts: dict[MemberStatus, int]

    @property
    def total(self) -> int:
        """Members in the group."""
        return sum(self.counts.values())


@attrs.frozen
class DashboardData:
    """Everything the dashboard shows, read in one go."""

    today: date
    deadline: Deadline | None
    days_left: int | None
    totals: dict[MemberStatus, int]
    groups: tuple[Group, ...]
    group_label: str
    unresolved: int
    batches: tuple[Batch, ...]
    #: the core's progress rows by group key and its total (one completion rate everywhere)
    rates: dict[str, ProgressRow] = attrs.field(factory=dict)
    total: ProgressRow | None = None
    #: what waits on the operator beyond the queue: (key, label, count, detail, screen)
    todo: tuple[ToDo, ...] = ()


@attrs.frozen
class ToDo:
    """One line of the to-do list: what waits, how many, and the screen that handles it."""

    key: str
    label: str
    count: int
    detail: str
    mode: str


def load_todo(
    workspace: Workspace, year: int, total: ProgressRow | None = None
) -> tuple[ToDo, ...]:
    """What waits on the operator, each counted by the core within the operator's scope: change
    requests to decide, self-reported activities, events and wishes to record, the year's
    sheets still to confirm (from the progress report's ``total``: routed members whose sheet
    is not confirmed), messages that failed. A part the operator may not see is left out."""
    items: list[ToDo] = []

    def add(key: str, label: str, count: Callable[[], int], detail: str, mode: str) -> None:
        try:
            items.append(ToDo(key, label, count(), detail, mode))
        except PartyregError:
            return  # not within this operator's role

    add(
        "changes", "社区变更申请", lambda: len(workspace.routing.change_requests("pending")),
        "件待审批（报到屏幕，v 切换）", "report_in",
    )  # fmt: skip
    from partyreg_tui.screens.feedback import Waiting, read_waiting

    waiting = [Waiting()]

    def reports() -> int:
        waiting[0] = read_waiting(workspace)
        return len(waiting[0].reports)

    add("self_reports", "自报活动", reports, "条待确认（反馈屏幕，v 切换）", "feedback")
    add(
        "checkins", "活动签到待记录", lambda: len(waiting[0].events),
        "场活动已结束（反馈屏幕，v 切换）", "feedback",
    )  # fmt: skip
    add(
        "wishes", "微心愿待记录", lambda: len(waiting[0].wishes),
        "件已完成、待记为活动（反馈屏幕，v 切换）", "feedback",
    )  # fmt: skip
    if total is not None:  # the progress report's own counts: no sheet is read
        due = max(0, total.routed - total.confirmed)
        items.append(
            ToDo("sheets", "反馈单待确认", due, f"份 {year} 年度待盖章确认（反馈屏幕）", "feedback")
        )
    add(
        "failed", "发送失败的消息",
        lambda: workspace.notify.counts().get(OutboxStatus.FAILED, 0),
        "条（通知屏幕，f 筛选、t 重发）", "notify",
    )  # fmt: skip
    return tuple(items)


def group_depth(workspace: Workspace) -> int:
    """Bars by aggregator for the city and community roles, else by the units one level
    below the operator's own code."""
    code = workspace.actor.scope.code
    return 2 if code is None else code.depth + 1


def load_dashboard(workspace: Workspace) -> DashboardData:
    """Read what the dashboard shows (in a worker thread)."""
    today = workspace.today()
    year = workspace.default_year()  # the campaign year, not the calendar's (decision 0073)
    calendar = campaign_calendar(workspace, year)
    deadline = calendar.next_deadline(today)
    if deadline is None and year >= today.year:  # the year is over: the next one's first
        calendar = campaign_calendar(workspace, year + 1)
        deadline = calendar.next_deadline(today)
    days_left = None if deadline is None else (deadline.due - today).days
    actor = workspace.actor
    tree = workspace.org_tree
    depth = group_depth(workspace)
    totals: dict[MemberStatus, int] = dict.fromkeys(MemberStatus, 0)
    by_unit: dict[OrgCode | None, dict[MemberStatus, int]] = defaultdict(
        lambda: dict.fromkeys(MemberStatus, 0)
    )
    own = actor.scope.code
    for count in workspace.members.counts(depth=depth):
        totals[count.status] += count.count
        # members routed in from units outside the operator's own code share one line
        key = count.unit if own is None or count.unit.is_within(own) else None
        by_unit[key][count.status] += count.count
    groups = []
    for code, counts in by_unit.items():
        if code is None:
            name = "其他单位（分流到本范围）"
        else:
            unit = tree.find(code)
            name = unit.name if unit is not None else str(code)
        groups.append(Group(code, name, counts))
    groups.sort(key=lambda g: (g.code is None, g.code.segments if g.code else ()))
    unresolved = workspace.members.page(MemberQuery(community_resolved=False, limit=0)).total
    batches = tuple(workspace.batches()[:RECENT_BATCHES])
    label = "县区 / 市直党工委" if depth == 2 and actor.scope.role is Role.CITY else "单位"
    rates, total = completion_rates(workspace, today, depth)
    return DashboardData(
        today,
        deadline,
        days_left,
        totals,
        tuple(groups),
        label,
        unresolved,
        batches,
        rates,
        total,
        load_todo(workspace, year, total),
    )


def completion_rates(
    workspace: Workspace, on: date, depth: int
) -> tuple[dict[str, ProgressRow], ProgressRow | None]:
    """The completion rate of each bar's group and of the scope, as ``partyreg progress`` and
    the circular give them (:func:`partyreg_core.progress.build_report`)."""
    try:
        report = workspace.progress(ProgressBy.DISTRICT if depth <= 2 else ProgressBy.UNIT, on=on)
    except PartyregError:
        return {}, None
    rows = {r.key: r for r in (*report.districts, *report.rows) if r.key}
    return rows, report.total


class DashboardScreen(PartyregScreen):
    """Deadline, progress bars and queues."""

    MODE = "dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "查看", show=True),
        Binding("u", "unresolved", "未确认社区"),
        Binding("r", "refresh", "刷新"),
        Binding("tab", "app.focus_next", "切换", show=False),
    ]

    class Loaded(Read):
        """The dashboard's numbers were read."""

        def __init__(self, data: DashboardData) -> None:
            super().__init__()
            self.data = data

    def __init__(self) -> None:
        super().__init__()
        self.data: DashboardData | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dashboard"):
            yield Static("正在读取…", id="deadline", markup=False)
            yield Static("", id="totals", markup=False)
            yield Static(legend(), id="legend", markup=False)
            yield Static(f"说明：{COMPLETION_RULE}", id="rule", markup=False)
            table: DataTable[object] = DataTable(id="groups", cursor_type="row")
            table.border_title = "进度"
            yield table
            queues: DataTable[object] = DataTable(id="queues", cursor_type="row", show_header=False)
            queues.border_title = "待办"
            yield queues

    def on_mount(self) -> None:
        self.load()

    def on_return(self) -> None:
        # back from an import or an undo: the numbers may have changed
        if self.data is not None:
            self.load()

    def on_resize(self) -> None:
        if self.data is not None:
            self.show(self.data)

    def load(self) -> None:
        """Read the numbers again (in a worker)."""
        self._read(self.ticket("dashboard"))

    @work(thread=True, group="dashboard", exit_on_error=False)
    def _read(self, ticket: int) -> None:
        """Read the numbers (worker thread) and post them back."""
        try:
            self.post_read("dashboard", ticket, self.Loaded(load_dashboard(self.workspace)))
        except Exception as error:
            self.show_error(error)

    def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        if not self.is_fresh(message):
            return  # a newer read has started since this one
        self.data = message.data
        self.show(message.data)

    # -- drawing --------------------------------------------------------------------------------

    def show(self, data: DashboardData) -> None:
        """Fill the widgets from ``data``."""
        self.query_one("#deadline", Static).update(self._deadline_text(data))
        totals = Text(no_wrap=True, end="")
        totals.append(f"在册 {number(sum(data.totals.values()))} 人：")
        totals.append(
            " · ".join(
                f"{status.label} {number(data.totals.get(status, 0))}"
                for status in (
                    MemberStatus.REGISTERED,
                    MemberStatus.ROUTED,
                    MemberStatus.REPORTED_IN,
                )
            )
        )
        self.query_one("#totals", Static).update(totals)
        rule = f"说明：{COMPLETION_RULE}"
        if data.total is not None:
            t = data.total
            rule = (
                f"完成率 {t.completion * 100:.1f}%（已报到 {number(t.reported_in)}，"
                f"基数 {number(t.base)}；按时 {number(t.report_in.on_time)}，"
                f"逾期未报到 {number(t.report_in.overdue)}）。\n{rule}"  # the rule on a line of its own
            )
        self.query_one("#rule", Static).update(rule)
        self._fill_groups(data)
        self._fill_queues(data)

    @staticmethod
    def _deadline_text(data: DashboardData) -> Text:
        text = Text(no_wrap=True, end="")
        if data.deadline is None:
            text.append("本年度各项截止日期都已过。")
            return text
        deadline = data.deadline
        text.append("下一个截止 ")
        text.append(deadline.due.isoformat(), style="bold")
        if data.days_left == 0:
            text.append("（就是今天）", style="bold reverse")
        else:
            text.append(f"（还有 {data.days_left} 天）", style="bold")
        text.append(f" {deadline.label}")
        return text

    def _fill_groups(self, data: DashboardData) -> None:
        table = self.query_one("#groups", DataTable)
        width = max(self.size.width, 80)
        name_width = 24 if width < 100 else 30
        bar_width = max(10, width - name_width - 8 - 8 - 4 * 2 - 4)
        table.clear(columns=True)
        table.add_column(data.group_label, width=name_width, key="name")
        table.add_column(Text("人数", justify="right"), width=8, key="total")
        table.add_column("进度", width=bar_width, key="bar")
        table.add_column(Text("完成率", justify="right"), width=8, key="done")
        scale = max((g.total for g in data.groups), default=0)
        for group in data.groups:
            row = data.rates.get(str(group.code)) if group.code is not None else None
            share = f"{row.completion * 100:.1f}%" if row is not None else "-"
            table.add_row(
                literal(fit(group.name, name_width)),
                Text(number(group.total), justify="right"),
                status_bar(group.counts, scale, bar_width),
                Text(share, justify="right"),
                key=str(group.code) if group.code is not None else "",
            )
        if not data.groups:
            table.add_row(Text("范围内还没有党员：按 F4 导入登记表。", style="dim"), "", "", "")

    def _fill_queues(self, data: DashboardData) -> None:
        queues = self.query_one("#queues", DataTable)
        queues.clear(columns=True)
        width = max(self.size.width, 80)
        detail_width = width - 14 - 2 * 2 - 4
        queues.add_column("", width=14, key="what")
        queues.add_column("", width=detail_width, key="detail")
        style = "bold" if data.unresolved else "dim"
        queues.add_row(
            Text("报到社区未确认", style=style),
            Text(
                f"{number(data.unresolved)} 人（社区不在通讯录中，待县区确认；回车或 u 查看）",
                style=style,
            ),
            key="unresolved",
        )
        for item in data.todo:
            if item.count:
                queues.add_row(
                    Text(item.label, style="bold"),
                    Text(f"{number(item.count)} {item.detail}", style="bold"),
                    key=f"todo:{item.mode}:{item.key}",
                )
        if not data.batches:
            queues.add_row(Text("最近导入", style="dim"), Text("还没有导入过表格", style="dim"))
        for index, batch in enumerate(data.batches):
            head = (
                f"{local_time(batch.at)}  "
                f"{BATCH_KIND_LABELS.get(batch.kind.value, batch.kind.value)} "
                f"{number(batch.written)} 行  "
            )
            tail = "  [已撤销]" if batch.undone_at is not None else ""
            detail = Text(head, no_wrap=True, end="")
            detail.append_text(literal(fit(batch.file, detail_width - cell_len(head + tail))))
            detail.append(tail)
            queues.add_row(Text("最近导入" if index == 0 else ""), detail, key=f"batch:{batch.id}")

    # -- actions ----------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Read the numbers again."""
        self.load()

    def action_unresolved(self) -> None:
        """Members whose report-in community is not in the directory."""
        self.app.open_members(resolved=False)  # type: ignore[attr-defined]

    def action_open(self) -> None:
        """Open what the cursor is on: a unit's members, the unresolved queue, the batches."""
        focused = self.focused
        if not isinstance(focused, DataTable) or focused.row_count == 0:
            return
        key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value or ""
        if focused.id == "groups" and key:
            self.app.open_members(unit=key)  # type: ignore[attr-defined]
        elif key == "unresolved":
            self.action_unresolved()
        elif key.startswith("batch:"):
            self.app.switch_mode("batches")
        elif key.startswith("todo:"):
            self.app.switch_mode(key.split(":")[1])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
