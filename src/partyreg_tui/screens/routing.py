"""分流 routing: the registrations waiting to be routed, by district and community (the dry
run's preview of what ``partyreg route`` would do), running it, and the queue of communities the
directory does not know, resolved in place (a suggestion, or the community added)."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.communities import Community
from partyreg_core.routing.model import QueueGroup, RouteOutcome, RoutingRun
from partyreg_tui.screens.base import WorkScreen, keep_cursor, row_key
from partyreg_tui.text import fit, literal, number

#: The directory columns asked when a community is added from the queue.
COMMUNITY_FIELDS = (
    ("district", "县区"),
    ("street", "街道"),
    ("community", "社区"),
    ("phone", "接收报到电话"),
    ("qq_group", "接收报到QQ群号"),
    ("secretary", "党组织书记姓名"),
    ("mobile", "手机"),
    ("address", "地址"),
)


def run_summary(run: RoutingRun) -> str:
    """``分流 12 人，待认定社区 3 人，待认定县区 1 人`` (and the members left out of scope)."""
    text = (
        f"分流 {number(run.count(RouteOutcome.ROUTED))} 人，"
        f"待认定社区 {number(run.count(RouteOutcome.QUEUED))} 人，"
        f"待认定县区 {number(run.count(RouteOutcome.WAITING))} 人"
    )
    if run.skipped:
        text += f"，超出你的范围未动 {number(run.skipped)} 人"
    return text


class RoutingScreen(WorkScreen):
    """分流：待分流的登记按县区、社区列出（试运行预览），执行分流；待认定队列就地认定。"""

    MODE = "routing"
    HELP = """
上表是待分流的党员：按县区和将分去的社区列出，是试运行（不写入）的结果；按 g 执行分流，
确认后写入（写成一个批次，可在“批次”屏幕撤销）。

下表是待认定队列：党员填写的社区在社区名录中找不到（或县区不明）。选中一行按 Enter，
从名录的相近社区中选一个认定；或按 a 把该社区加入名录（填写接收报到电话等）后认定。
所看到的范围由操作员的权限决定：县区只看到本县区的队列。
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "route", "执行分流"),
        Binding("enter", "resolve", "认定", show=False),
        Binding("s", "resolve", "认定"),
        Binding("a", "add_community", "加入名录"),
        Binding("r", "refresh", "刷新"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.preview: RoutingRun | None = None
        self.queue: list[QueueGroup] | None = None
        self.communities: dict[int, Community] = {}

    def compose_body(self) -> ComposeResult:
        with Vertical(id="routing", classes="work"):
            yield Static("", id="routing-title", classes="work-title", markup=False)
            yield DataTable(id="pending-table", cursor_type="row", classes="upper")
            yield Static("", id="queue-title", classes="work-title", markup=False)
            yield DataTable(id="queue-table", cursor_type="row", classes="lower")

    def mount_body(self) -> None:
        wide = self.app.size.width >= 100
        pending = self.query_one("#pending-table", DataTable)
        pending.add_column("县区", width=10 if wide else 8, key="district")
        pending.add_column("去向", width=self._place_width(), key="place")
        pending.add_column(Text("人数", justify="right"), width=6, key="count")
        queue = self.query_one("#queue-table", DataTable)
        queue.add_column("填写的社区", width=self._written_width(), key="written")
        queue.add_column(Text("人数", justify="right"), width=4, key="count")
        queue.add_column("名录中相近的社区", width=self._suggestion_width(), key="suggestion")
        queue.focus()
        self.load()

    def on_return(self) -> None:
        self.load()

    def _place_width(self) -> int:
        # what the district and count columns, their padding and the scroll bar leave
        district = 10 if self.app.size.width >= 100 else 8
        return max(24, self.app.size.width - district - 6 - 3 * 2 - 2 - 2)

    def _suggestion_width(self) -> int:
        return 40 if self.app.size.width >= 100 else 24

    def _written_width(self) -> int:
        return max(20, self.app.size.width - 4 - self._suggestion_width() - 3 * 2 - 2 - 2)

    def load(self) -> None:
        """Read the preview and the queue again."""
        ws = self.workspace

        def read() -> tuple[RoutingRun, list[QueueGroup], dict[int, Community]]:
            return (
                ws.routing.route(dry_run=True),
                ws.routing.queue(),
                {c.id: c for c in ws.communities()},
            )

        self.run("正在读取待分流的登记……", read, self._loaded, latest="queue")

    def _loaded(self, result: tuple[RoutingRun, list[QueueGroup], dict[int, Community]]) -> None:
        self.preview, self.queue, self.communities = result
        ws = self.workspace
        tree = ws.org_tree
        pending = self.query_one("#pending-table", DataTable)
        row = pending.cursor_row
        pending.clear()
        counts: Counter[tuple[str, str]] = Counter()
        changing = [m for m in self.preview.members if m.changed]
        for member in changing:
            route = member.route
            district = route.district_code or route.aggregator
            unit = tree.find(district)
            name = unit.name if unit is not None else str(district)
            if route.outcome is RouteOutcome.ROUTED and route.community_id is not None:
                community = self.communities.get(route.community_id)
                place = community.label if community else str(route.community_id)
            else:
                place = f"（{route.outcome.label}：分流后进入下方队列）"
            counts[(name, place)] += 1
        width = self._place_width()
        for (district, place), count in sorted(counts.items()):
            pending.add_row(
                literal(fit(district, 10)),
                literal(fit(place, width)),
                Text(number(count), justify="right"),
            )
        if not counts:
            pending.add_row("", Text("没有待分流的登记", style="dim"), "")
        keep_cursor(pending, row)
        title = f"待分流 {number(len(changing))} 人（试运行预览）：{run_summary(self.preview)}"
        self.query_one("#routing-title", Static).update(Text(title, style="bold"))
        queue = self.query_one("#queue-table", DataTable)
        row = queue.cursor_row
        queue.clear()
        for index, group in enumerate(self.queue):
            suggestions = (
                "、".join(c.label for c in group.suggestions[:3]) or "（名录中没有相近的）"
            )
            if group.district_code is None:
                suggestions = "（县区不明：请先补充代码表）"
            queue.add_row(
                literal(fit(group.community.label, self._written_width())),
                Text(number(group.count), justify="right"),
                literal(fit(suggestions, self._suggestion_width())),
                key=str(index),
            )
        if not self.queue:
            queue.add_row(Text("队列为空", style="dim"), "", "")
        keep_cursor(queue, row)
        waiting = sum(g.count for g in self.queue)
        self.query_one("#queue-title", Static).update(
            Text(
                f"待认定队列 {number(len(self.queue))} 个社区、{number(waiting)} 人"
                "（Enter/s 选相近社区认定，a 加入名录）",
                style="bold",
            )
        )

    def _group(self) -> QueueGroup | None:
        key = row_key(self.query_one("#queue-table", DataTable))
        if key is None or self.queue is None or not key.isdigit():
            self.notify("请先在待认定队列中选中一行。", markup=False)
            return None
        return self.queue[int(key)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (or a click on a selected row)."""
        event.stop()
        if event.data_table.id == "#queue-table".lstrip("#"):
            self.action_resolve()

    def action_refresh(self) -> None:
        """Read again."""
        self.load()

    def action_route(self) -> None:
        """Route every pending registration in scope, after a confirmation showing the preview."""
        if self.preview is None:
            return
        if not any(m.changed for m in self.preview.members):
            self.notify("没有待分流的登记（队列中的党员在认定社区后分流）。", markup=False)
            return
        body = f"将{run_summary(self.preview)}。\n写成一个批次，可在“批次”屏幕撤销。"

        def go() -> None:
            self.run("正在分流……", lambda: self.workspace.routing.route(), self._routed)

        self.ask("执行分流？", body, go, yes="分流")

    def _routed(self, run: RoutingRun) -> None:
        self.notify(f"已完成分流：{run_summary(run)}。", markup=False)
        self.load()

    def action_resolve(self) -> None:
        """Pick one of the directory's close matches for the queued community."""
        from partyreg_tui.dialogs.choose import ChooseDialog

        group = self._group()
        if group is None:
            return
        if group.district_code is None:
            self.notify(
                f"“{group.community.label}”的县区在代码表中找不到：请先导入或补充单位代码表。",
                markup=False,
            )
            return
        choices = [(str(c.id), f"{c.label}（编号 {c.id}）") for c in group.suggestions[:9]]
        choices.append(("add", "名录中没有：把它加入社区名录"))
        keys = [str(i + 1) for i in range(len(choices) - 1)] + ["a"]

        def chosen(value: str | None) -> None:
            if value == "add":
                self._add(group)
            elif value:
                self._resolve(group, value)

        self.app.push_screen(
            ChooseDialog(
                f"“{group.community.label}”（{group.count} 人）认定为：",
                choices,
                keys=keys,
                hint="数字或 Enter 选择，a 加入名录，Esc 取消。",
            ),
            chosen,
        )

    def _resolve(self, group: QueueGroup, community_id: str) -> None:
        def done(run: RoutingRun) -> None:
            target = self.communities.get(int(community_id))
            where = target.label if target else community_id
            self.notify(
                f"已认定“{group.community.label}”为 {where}：分流 "
                f"{number(run.count(RouteOutcome.ROUTED))} 人。",
                markup=False,
            )
            self.load()

        self.run(
            "正在认定并分流……",
            lambda: self.workspace.routing.resolve(group.community, community_id),
            done,
        )

    def action_add_community(self) -> None:
        """Add the queued community to the directory, then route its members there."""
        group = self._group()
        if group is not None:
            self._add(group)

    def _add(self, group: QueueGroup) -> None:
        from partyreg_tui.dialogs.form import FormDialog

        written = group.community
        values = {
            "district": written.district,
            "street": written.street,
            "community": written.community,
        }
        fields = [(key, label, values.get(key, "")) for key, label in COMMUNITY_FIELDS]

        def saved(cells: dict[str, str] | None) -> None:
            if cells is None:
                return

            def add() -> tuple[Community, RoutingRun]:
                community, _warnings = self.workspace.routing.add_community(cells)
                return community, self.workspace.routing.resolve(written, str(community.id))

            def done(result: tuple[Community, RoutingRun]) -> None:
                community, run = result
                self.notify(
                    f"已把 {community.label} 加入社区名录（编号 {community.id}），分流 "
                    f"{number(run.count(RouteOutcome.ROUTED))} 人。",
                    markup=False,
                )
                self.load()

            self.run("正在加入名录并分流……", add, done)

        self.app.push_screen(FormDialog(f"把“{written.label}”加入社区名录", fields), saved)
