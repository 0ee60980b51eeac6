"""报到 report-in: the communities with members waiting to report in, a community's waiting
members confirmed one, several or all at once, and the change-of-community requests approved or
rejected with a reason."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.changes import ChangeRequest
from partyreg_core.communities import Community
from partyreg_core.members.model import Member, MemberStatus
from partyreg_core.routing.model import ReportInResult
from partyreg_tui.screens.base import WorkScreen, keep_cursor, row_key
from partyreg_tui.text import fit, literal, number


def refusal_text(result: ReportInResult) -> str:
    """The first refusal in words, with how many more."""
    if not result.refused:
        return ""
    more = f"（另有 {len(result.refused) - 1} 人未能确认）" if len(result.refused) > 1 else ""
    return f"党员 {result.refused[0].member_id}：{result.refused[0].message}{more}"


class ReportInScreen(WorkScreen):
    """报到：各社区待报到的党员，确认一人、多人或全部；社区变更申请的审批。"""

    MODE = "report_in"
    HELP = """
上表是你范围内的社区，以及已分流、待报到和已报到的人数；光标所在社区的待报到党员列在下表。
在下表按空格标记党员，按 c 确认标记的（没有标记时确认光标所在的一人）；按 A 确认该社区全部
待报到的党员（先列出人数再确认，写成一个批次，可在“批次”屏幕撤销）。

按 v 切换到社区变更申请：o 通过，j 驳回（需说明理由）。变更由党员所在单位一方审批。
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "标记"),
        Binding("c", "confirm", "确认报到"),
        Binding("A", "confirm_all", "全部确认", key_display="A"),
        Binding("v", "view", "变更申请"),
        Binding("o", "approve", "通过"),
        Binding("j", "reject", "驳回"),
        Binding("r", "refresh", "刷新"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "members"
        self.counts: dict[int, Counter[MemberStatus]] | None = None
        self.communities: dict[int, Community] = {}
        self.community_id: int | None = None
        self.waiting: list[Member] | None = None
        self.marked: set[int] = set()
        self.changes: list[ChangeRequest] | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="report-in", classes="work"):
            yield Static("", id="communities-title", classes="work-title", markup=False)
            yield DataTable(id="communities-table", cursor_type="row", classes="upper")
            yield Static("", id="waiting-title", classes="work-title", markup=False)
            yield DataTable(id="waiting-table", cursor_type="row", classes="lower")
            yield DataTable(id="changes-table", cursor_type="row", classes="lower")

    def mount_body(self) -> None:
        width = self.app.size.width
        communities = self.query_one("#communities-table", DataTable)
        communities.add_column("编号", width=5, key="id")
        communities.add_column("社区（县区/街道/社区）", width=max(30, width - 36), key="label")
        communities.add_column(Text("待报到", justify="right"), width=7, key="routed")
        communities.add_column(Text("已报到", justify="right"), width=7, key="reported")
        waiting = self.query_one("#waiting-table", DataTable)
        waiting.add_column("", width=2, key="mark")
        waiting.add_column("编号", width=6, key="id")
        waiting.add_column("姓名", width=10, key="name")
        waiting.add_column("单位代码", width=12, key="unit")
        waiting.add_column("分流日期", width=10, key="routed_on")
        if width >= 100:
            waiting.add_column("单位及职务", width=width - 56, key="title")
        changes = self.query_one("#changes-table", DataTable)
        changes.add_column("申请", width=5, key="id")
        changes.add_column("党员", width=14, key="member")
        changes.add_column("转到社区", width=max(20, width - 50), key="to")
        changes.add_column("理由", width=14, key="reason")
        changes.add_column("日期", width=10, key="on")
        changes.display = False
        communities.focus()
        self.load()

    def on_return(self) -> None:
        self.load()

    def load(self) -> None:
        """Read the communities' counts and the change requests."""
        ws = self.workspace

        def read() -> tuple[
            dict[int, Counter[MemberStatus]], dict[int, Community], list[ChangeRequest]
        ]:
            # counted by the store in one grouped query, never member by member here
            counts = ws.routing.report_in_counts()
            communities = {c.id: c for c in ws.communities()}
            return counts, communities, ws.routing.change_requests("pending")

        self.run("正在读取各社区的报到情况……", read, self._loaded, latest="counts")

    def _loaded(
        self,
        result: tuple[dict[int, Counter[MemberStatus]], dict[int, Community], list[ChangeRequest]],
    ) -> None:
        self.counts, self.communities, self.changes = result
        table = self.query_one("#communities-table", DataTable)
        row = table.cursor_row
        table.clear()
        width = table.columns["label"].width  # type: ignore[index]
        order = sorted(
            self.counts,
            key=lambda cid: (-self.counts[cid][MemberStatus.ROUTED], cid),  # type: ignore[index]
        )
        for cid in order:
            community = self.communities.get(cid)
            count = self.counts[cid]
            table.add_row(
                Text(str(cid)),
                literal(fit(community.label if community else str(cid), width)),
                Text(number(count[MemberStatus.ROUTED]), justify="right"),
                Text(number(count[MemberStatus.REPORTED_IN]), justify="right"),
                key=str(cid),
            )
        if not order:
            table.add_row("", Text("你的范围内还没有已分流的党员", style="dim"), "", "")
        keep_cursor(table, row)
        waiting = sum(c[MemberStatus.ROUTED] for c in self.counts.values())
        self.query_one("#communities-title", Static).update(
            Text(f"社区 {number(len(order))} 个，待报到 {number(waiting)} 人", style="bold")
        )
        self._fill_changes()
        self._community_changed()

    def _fill_changes(self) -> None:
        table = self.query_one("#changes-table", DataTable)
        row = table.cursor_row
        table.clear()
        width = table.columns["to"].width  # type: ignore[index]
        for change in self.changes or []:
            table.add_row(
                Text(str(change.id)),
                literal(fit(f"{change.name}({change.member_id})", 14)),
                literal(fit(change.to.label, width)),
                literal(fit(change.reason, 14)),
                Text(change.requested_on.isoformat()),
                key=str(change.id),
            )
        if not self.changes:
            table.add_row("", Text("没有待审批的变更申请", style="dim"), "", "", "")
        keep_cursor(table, row)

    @on(DataTable.RowHighlighted, "#communities-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._community_changed()

    def _community_changed(self) -> None:
        key = row_key(self.query_one("#communities-table", DataTable))
        cid = int(key) if key and key.isdigit() else None
        if cid != self.community_id or self.waiting is None:
            self.community_id = cid
            self.marked.clear()
            self.load_waiting()
        self._titles()

    def load_waiting(self) -> None:
        """Read the waiting members of the community under the cursor."""
        cid = self.community_id
        if cid is None:
            self.waiting = []
            self._fill_waiting()
            return
        ws = self.workspace

        def read() -> tuple[int, list[Member]]:
            found = ws.routing.report_in_members(community=str(cid), status=MemberStatus.ROUTED)
            return cid, [m for m in found if m.left_on is None]

        def done(result: tuple[int, list[Member]]) -> None:
            if result[0] == self.community_id:
                self.waiting = result[1]
                self._fill_waiting()

        self.run("正在读取待报到的党员……", read, done, latest="waiting")

    def _fill_waiting(self) -> None:
        table = self.query_one("#waiting-table", DataTable)
        row = table.cursor_row
        table.clear()
        wide = "title" in table.columns
        for member in self.waiting or []:
            table.add_row(
                Text("✓" if member.id in self.marked else ""),
                Text(str(member.id)),
                literal(fit(member.name, 10)),
                Text(str(member.unit_code)),
                Text(member.routed_on.isoformat() if member.routed_on else ""),
                *(
                    [literal(fit(member.unit_and_title, table.columns["title"].width))]
                    if wide
                    else []
                ),  # type: ignore[index]
                key=str(member.id),
            )
        if not self.waiting:
            table.add_row(
                "", "", Text("没有待报到的党员", style="dim"), "", "", *([""] if wide else [])
            )
        keep_cursor(table, row)
        self._titles()

    def _titles(self) -> None:
        if self.view == "changes":
            text = f"待审批的社区变更申请 {number(len(self.changes or []))} 件（o 通过，j 驳回，v 返回报到）"
        else:
            community = self.communities.get(self.community_id or -1)
            where = community.label if community else "（未选社区）"
            marked = f"，已标记 {len(self.marked)} 人" if self.marked else ""
            text = f"{where} 待报到 {number(len(self.waiting or []))} 人{marked}（空格标记，c 确认，A 全部）"
        self.query_one("#waiting-title", Static).update(Text(text, style="bold"))

    # -- actions --------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Read again."""
        self.waiting = None
        self.load()

    def action_view(self) -> None:
        """Between the waiting members and the change requests."""
        self.view = "changes" if self.view == "members" else "members"
        changes = self.view == "changes"
        self.query_one("#changes-table").display = changes
        self.query_one("#waiting-table").display = not changes
        self.query_one("#changes-table" if changes else "#waiting-table").focus()
        self._titles()

    def action_mark(self) -> None:
        """Mark or unmark the member under the cursor."""
        table = self.query_one("#waiting-table", DataTable)
        key = row_key(table)
        if self.view != "members" or key is None or not key.isdigit():
            return
        member_id = int(key)
        self.marked ^= {member_id}
        table.update_cell(key, "mark", Text("✓" if member_id in self.marked else ""))
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._titles()

    def action_confirm(self) -> None:
        """Confirm the marked members (or the one under the cursor)."""
        if self.view != "members":
            return
        ids = sorted(self.marked)
        if not ids:
            key = row_key(self.query_one("#waiting-table", DataTable))
            if key is None or not key.isdigit():
                self.notify("请先在下表选中或标记党员。", markup=False)
                return
            ids = [int(key)]
        names = {m.id: m.name for m in self.waiting or []}
        who = "、".join(names.get(i, str(i)) for i in ids[:5]) + (" 等" if len(ids) > 5 else "")

        def go() -> None:
            self.run(
                "正在确认报到……",
                lambda: self.workspace.routing.confirm_report_in(ids),
                self._confirmed,
            )

        self.ask(
            "确认报到？", f"确认 {who}（{len(ids)} 人）已到社区报到，日期为今天。", go, yes="确认"
        )

    def _confirmed(self, result: ReportInResult) -> None:
        if result.refused:
            self.notify(f"没有写入：{refusal_text(result)}", severity="error", markup=False)
            return
        self.notify(f"已确认报到 {len(result.confirmed)} 人。", markup=False)
        self.marked.clear()
        self.waiting = None
        self.load()

    def action_confirm_all(self) -> None:
        """Confirm every waiting member of the community (after the dry run's count)."""
        cid = self.community_id
        if self.view != "members" or cid is None:
            return
        ws = self.workspace

        def preview(result: ReportInResult) -> None:
            if not result.confirmed:
                self.notify("这个社区没有待报到的党员。", markup=False)
                return
            community = self.communities.get(cid)

            def go() -> None:
                self.run(
                    "正在确认整个社区的报到……",
                    lambda: ws.routing.confirm_community_report_in(str(cid)),
                    self._confirmed,
                )

            self.ask(
                "确认整个社区的报到？",
                f"{community.label if community else cid}：确认 {len(result.confirmed)} 人已报到。\n"
                "写成一个批次，可在“批次”屏幕撤销。",
                go,
                yes="全部确认",
            )

        self.run(
            "正在列出待报到的党员……",
            lambda: ws.routing.confirm_community_report_in(str(cid), dry_run=True),
            preview,
            latest="preview",
        )

    def _change(self) -> ChangeRequest | None:
        if self.view != "changes":
            self.notify("按 v 切换到社区变更申请。", markup=False)
            return None
        key = row_key(self.query_one("#changes-table", DataTable))
        found = [c for c in self.changes or [] if str(c.id) == key]
        return found[0] if found else None

    def action_approve(self) -> None:
        """Approve the change request under the cursor."""
        change = self._change()
        if change is None:
            return

        def go() -> None:
            self.run(
                "正在审批……",
                lambda: self.workspace.routing.approve_change(change.id),
                self._decided,
            )

        self.ask(
            "通过社区变更申请？",
            f"{change.name}（{change.member_id}）转到 {change.to.label}。\n理由：{change.reason}",
            go,
            yes="通过",
        )

    def action_reject(self) -> None:
        """Reject the change request under the cursor, with a reason."""
        change = self._change()
        if change is None:
            return

        def go(reason: str) -> None:
            self.run(
                "正在驳回……",
                lambda: self.workspace.routing.reject_change(change.id, reason),
                self._decided,
            )

        self.ask_text(
            f"驳回 {change.name} 的变更申请：理由",
            go,
            hint="理由记入审计日志，Enter 确认，Esc 取消。",
        )

    def _decided(self, change: ChangeRequest) -> None:
        self.notify(f"变更申请 {change.id}：{change.status.label}。", markup=False)
        self.load()
