"""通知 notifications: the outbox within the scope (pending, sent, failed, no channel), a failed
message retried, the due messages sent now, and the channels per organisation — their kind and
target only: a channel's secrets never reach the screen."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.notify.model import Channel, DeliveryReport, OutboxMessage, OutboxStatus, Outcome
from partyreg_tui.screens.base import WorkScreen, keep_cursor, row_key
from partyreg_tui.text import fit, literal, local_time, number

#: The outbox shows the newest this many messages of the status chosen.
OUTBOX_ROWS = 500
#: What one read of the screen brings: messages, counts by status, channels, community names.
Outbox = tuple[list[OutboxMessage], dict[OutboxStatus, int], list[Channel], dict[int, str]]
#: The filters: key → (status or None for all, label).
FILTERS = {
    "a": (None, "全部"),
    "p": (OutboxStatus.PENDING, "待发送"),
    "s": (OutboxStatus.SENT, "已发送"),
    "f": (OutboxStatus.FAILED, "失败"),
    "k": (OutboxStatus.SKIPPED, "无渠道"),
}


def message_text(message: OutboxMessage) -> Text:
    """One message in full: where to, through what, its state and its text."""
    text = Text(end="")
    text.append(f"{message.subject}\n", style="bold")
    text.append(
        f"发往 {message.target.label} · 渠道 {message.channel or '（无）'} · {message.status.label}\n"
    )
    text.append(f"生成于 {local_time(message.created_at)} · 已尝试 {message.attempts} 次")
    if message.sent_at:
        text.append(f" · 发送于 {local_time(message.sent_at)}")
    if message.next_attempt_at and message.status is OutboxStatus.PENDING:
        text.append(f" · 下次尝试 {local_time(message.next_attempt_at)}")
    text.append("\n")
    if message.last_error:
        text.append(f"最近一次错误：{message.last_error}\n", style="bold")
    text.append("\n")
    text.append(message.body)
    return text


class NotifyScreen(WorkScreen):
    """通知：待发送、已发送、失败、无渠道的消息；重发失败的消息；各组织的发送渠道。"""

    MODE = "notify"
    HELP = """
发件箱列出你范围内的通知消息，最新的在前。a 全部、p 待发送、s 已发送、f 失败、k 无渠道
（对方没有可用的发送渠道）。Enter 查看消息全文；t 重发光标所在的失败（或无渠道）消息；
x 立即发送所有到期的待发送消息。

按 v 切换到发送渠道：每个组织、社区的渠道类型和是否启用。渠道的密钥、口令只保存在服务器的
配置中，屏幕上从不显示；增删渠道用 partyreg notify channel add/remove。
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"only('{key}')", label) for key, (_status, label) in FILTERS.items()),
        Binding("enter", "show", "全文", show=False),
        Binding("t", "retry", "重发"),
        Binding("x", "flush", "发送"),
        Binding("v", "view", "渠道"),
        Binding("r", "refresh", "刷新", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.only = "a"
        self.view = "outbox"
        self.messages: list[OutboxMessage] | None = None
        self.counts: dict[OutboxStatus, int] = {}
        self.channels: list[Channel] | None = None
        self.places: dict[int, str] = {}

    def compose_body(self) -> ComposeResult:
        with Vertical(id="notify", classes="work"):
            yield Static("", id="notify-title", classes="work-title", markup=False)
            yield DataTable(id="outbox-table", cursor_type="row")
            yield DataTable(id="channels-table", cursor_type="row")

    def mount_body(self) -> None:
        width = self.app.size.width
        outbox = self.query_one("#outbox-table", DataTable)
        outbox.add_column("编号", width=6, key="id")
        outbox.add_column("时间", width=11, key="at")
        outbox.add_column("状态", width=6, key="status")
        outbox.add_column("发往", width=self._target_width(), key="target")
        if width >= 100:
            outbox.add_column("渠道", width=12, key="channel")
        used = 6 + 11 + 6 + self._target_width() + (12 if width >= 100 else 0)
        columns = 6 if width >= 100 else 5
        outbox.add_column("主题", width=max(12, width - used - columns * 2 - 4), key="subject")
        channels = self.query_one("#channels-table", DataTable)
        channels.add_column("名称", width=16, key="name")
        channels.add_column("类型", width=10, key="kind")
        channels.add_column("组织", width=max(16, width - 48), key="target")
        channels.add_column("状态", width=6, key="enabled")
        channels.display = False
        outbox.focus()
        self.load()

    def on_return(self) -> None:
        self.load()

    def _target_width(self) -> int:
        return 30 if self.app.size.width >= 100 else 14

    def _target(self, message: OutboxMessage) -> str:
        """Where a message goes; a community by its unique three-part name."""
        if message.target.kind.value == "community" and message.target.id in self.places:
            return f"社区 {self.places[message.target.id]}"
        return message.target.label

    def load(self) -> None:
        """Read the outbox (of the status chosen), its counts and the channels."""
        ws = self.workspace
        status = FILTERS[self.only][0]

        def read() -> Outbox:
            # the thread only reads: the screen's state changes in _loaded, on its own thread
            return (
                ws.notify.messages(status, limit=OUTBOX_ROWS),
                ws.notify.counts(),
                ws.notify.channels(),
                {c.id: c.label for c in ws.communities()},
            )

        self.run("正在读取发件箱……", read, self._loaded, latest="outbox")

    def _loaded(self, result: Outbox) -> None:
        self.messages, self.counts, self.channels, self.places = result
        outbox = self.query_one("#outbox-table", DataTable)
        row = outbox.cursor_row
        outbox.clear()
        wide = "channel" in outbox.columns
        width = outbox.columns["subject"].width  # type: ignore[index]
        for m in self.messages:
            outbox.add_row(
                Text(str(m.id)),
                Text(local_time(m.created_at)[5:]),
                Text(m.status.label, style="bold" if m.status is OutboxStatus.FAILED else ""),
                literal(fit(self._target(m), self._target_width())),
                *([literal(fit(m.channel, 12))] if wide else []),
                literal(fit(m.subject, width)),
                key=str(m.id),
            )
        if not self.messages:
            outbox.add_row(
                "", "", "", Text("没有消息", style="dim"), *[""] * (len(outbox.columns) - 4)
            )
        keep_cursor(outbox, row)
        channels = self.query_one("#channels-table", DataTable)
        channels.clear()
        width = channels.columns["target"].width  # type: ignore[index]
        for c in self.channels:
            channels.add_row(
                literal(fit(c.name, 16)),
                literal(fit(c.kind, 10)),
                literal(fit(c.target.label, width)),
                Text("启用" if c.enabled else "停用"),
                key=c.name,
            )
        if not self.channels:
            channels.add_row(
                "", "", Text("还没有发送渠道：partyreg notify channel add", style="dim"), ""
            )
        self._title()

    def _title(self) -> None:
        counts = "，".join(f"{s.label} {number(self.counts.get(s, 0))}" for s in OutboxStatus)
        if self.view == "channels":
            text = f"发送渠道 {len(self.channels or [])} 个（密钥不显示）· v 返回发件箱"
        else:
            text = f"发件箱（{FILTERS[self.only][1]}）· {counts}"
        self.query_one("#notify-title", Static).update(Text(text, style="bold"))

    def _message(self) -> OutboxMessage | None:
        key = row_key(self.query_one("#outbox-table", DataTable))
        found = [m for m in self.messages or [] if str(m.id) == key]
        return found[0] if found else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (or a click on a selected row)."""
        event.stop()
        if event.data_table.id == "#outbox-table".lstrip("#"):
            self.action_show()

    # -- actions --------------------------------------------------------------------------------

    def action_only(self, key: str) -> None:
        """Only the messages of one status (or all)."""
        self.only = key
        self.load()

    def action_refresh(self) -> None:
        """Read again."""
        self.load()

    def action_view(self) -> None:
        """Between the outbox and the channels."""
        self.view = "channels" if self.view == "outbox" else "outbox"
        channels = self.view == "channels"
        self.query_one("#channels-table").display = channels
        self.query_one("#outbox-table").display = not channels
        self.query_one("#channels-table" if channels else "#outbox-table").focus()
        self._title()

    def action_show(self) -> None:
        """The message under the cursor in full."""
        message = self._message()
        if message is not None and self.view == "outbox":
            self.show_text(f"消息 {message.id}", message_text(message))

    def action_retry(self) -> None:
        """Queue the failed message under the cursor again."""
        message = self._message()
        if message is None or self.view != "outbox":
            return
        if message.status is OutboxStatus.SENT:
            self.notify("这条消息已经发送过了。", markup=False)
            return

        def go() -> None:
            self.run(
                "正在重新排队……",
                lambda: self.workspace.notify.retry(message.id),
                lambda queued: (
                    self.notify(f"已重新排队 {len(queued)} 条消息，按 x 立即发送。", markup=False),
                    self.load(),
                ),
            )

        self.ask("重发这条消息？", message_text(message), go, yes="重发")

    def action_flush(self) -> None:
        """Send the due pending messages now."""
        ws = self.workspace

        def preview(due: list[OutboxMessage]) -> None:
            if not due:
                self.notify("没有到期待发送的消息。", markup=False)
                return

            def go() -> None:
                self.run("正在发送……", lambda: ws.notify.deliver(timeout=10), self._sent)

            self.ask("立即发送？", f"将发送 {len(due)} 条到期的消息。", go, yes="发送")

        self.run("正在列出到期的消息……", ws.due_notifications, preview, latest="preview")

    def _sent(self, report: DeliveryReport) -> None:
        self.notify(
            f"已发送 {report.count(Outcome.SENT)} 条，稍后重试 {report.count(Outcome.RETRY)} 条，"
            f"失败 {report.count(Outcome.FAILED)} 条。",
            markup=False,
        )
        self.load()
