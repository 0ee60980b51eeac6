"""The audit log within the operator's scope: newest first, a page at a time."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from partyreg_core.audit import AuditEntry
from partyreg_tui.screens.base import PartyregScreen
from partyreg_tui.text import fit, literal, local_time, printable
from partyreg_tui.widgets.paged_table import PagedTable

PAGE_SIZE = 100

#: What the dotted actions mean, for operators; unknown ones are shown as they are.
ACTION_LABELS = {
    "store.init": "创建存储",
    "store.upgrade": "升级存储",
    "operator.add": "添加操作员",
    "operator.change": "修改操作员",
    "member.add": "登记党员",
    "member.edit": "修改党员",
    "member.remove": "删除党员",
    "member.route": "分流党员",
    "import.registrations": "导入登记表",
    "import.codes": "导入代码表",
    "import.directory": "导入通讯录",
    "import.activities": "导入活动",
    "import.undo": "撤销导入",
    "setting.change": "修改设置",
}


def action_label(action: str) -> str:
    """``member.edit`` → ``修改党员``; exports as ``导出 form1``."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("export."):
        return f"导出 {action.removeprefix('export.')}"
    return action


def summary(entry: AuditEntry, width: int = 200) -> str:
    """What changed, in one line (the details show all of it)."""
    data = entry.after if entry.after is not None else entry.before
    if data is None:
        return ""
    shown = {
        k: (f"{len(v)} 项" if isinstance(v, list) and len(v) > 5 else v) for k, v in data.items()
    }
    return fit(json.dumps(shown, ensure_ascii=False, default=str), width)


class AuditScreen(PartyregScreen):
    """Newest entries first; ``n``/``p`` page, Enter shows an entry in full."""

    MODE = "audit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "刷新"),
    ]

    class Loaded(Message):
        """A page of entries was read (``before``: the id the page starts below)."""

        def __init__(self, entries: list[AuditEntry], before: int | None, more: bool) -> None:
            super().__init__()
            self.entries = entries
            self.before = before
            self.more = more

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[int, AuditEntry] = {}
        self.starts: list[int | None] = [None]  # the `before` of each page shown so far

    def compose_body(self) -> ComposeResult:
        with Vertical(id="audit"):
            yield Static("审计日志：谁、何时、做了什么（最新的在前；只能追加，不能修改）。",
                         id="audit-title", markup=False)  # fmt: skip
            yield PagedTable(id="audit-table")
            yield Static("", id="audit-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", PagedTable)
        table.add_column(Text("编号", justify="right"), width=6, key="id")
        table.add_column("时间", width=16, key="at")
        table.add_column("操作员", width=10, key="actor")
        table.add_column("操作", width=10, key="action")
        table.add_column("对象", width=14, key="subject")
        table.add_column("内容", width=self._summary_width(), key="summary")
        table.focus()
        self.load(None)

    def on_screen_resume(self) -> None:
        self.starts = [None]
        self.load(None)

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def load(self, before: int | None) -> None:
        """Read one page below ``before`` (worker thread); one extra entry says whether there
        is a next page."""
        try:
            entries = list(
                self.workspace.audit(newest_first=True, before=before, limit=PAGE_SIZE + 1)
            )
        except Exception as error:
            self.show_error(error)
            return
        self.post_message(self.Loaded(entries[:PAGE_SIZE], before, len(entries) > PAGE_SIZE))

    def on_audit_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one("#audit-table", PagedTable)
        table.clear()
        self.entries = {e.id: e for e in message.entries}
        width = self._summary_width()
        for entry in message.entries:
            actor = entry.actor + (f"代{entry.on_behalf_of}" if entry.on_behalf_of else "")
            table.add_row(
                Text(str(entry.id), justify="right"),
                literal(local_time(entry.at)),
                literal(fit(actor, 10)),
                literal(action_label(entry.action)),
                literal(fit(entry.subject, 14)),
                literal(summary(entry, width)),
                key=str(entry.id),
            )
        table.set_pages(previous=len(self.starts) > 1, following=message.more)
        page = len(self.starts)
        self.query_one("#audit-detail", Static).update(
            Text(f"第 {page} 页 · n 更早 · p 更新 · 回车看全部内容", style="dim")
        )

    def _summary_width(self) -> int:
        # what the fixed columns and their padding leave of the screen, so nothing scrolls
        return max(8, self.app.size.width - (6 + 16 + 10 + 10 + 14) - 6 * 2 - 2 - 2)

    def on_paged_table_page_requested(self, event: PagedTable.PageRequested) -> None:
        if event.step > 0 and self.entries:
            before = min(self.entries)
            self.starts.append(before)
            self.load(before)
        elif event.step < 0 and len(self.starts) > 1:
            self.starts.pop()
            self.load(self.starts[-1])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        entry = self.entries.get(int(key)) if key and key.isdigit() else None
        if entry is None:
            return
        from partyreg_tui.dialogs.entry import EntryDialog

        self.app.push_screen(EntryDialog(entry))

    def action_refresh(self) -> None:
        """Back to the newest entries."""
        self.starts = [None]
        self.load(None)


def entry_text(entry: AuditEntry) -> Text:
    """An entry in full: who, when, what, before and after (values literal)."""
    text = Text(end="")
    text.append(f"编号 {entry.id}  {local_time(entry.at)}\n", style="bold")
    text.append("操作员 ")
    text.append_text(literal(entry.actor))
    if entry.on_behalf_of:
        text.append(" 代 ")
        text.append_text(literal(entry.on_behalf_of))
    if entry.os_user:
        text.append("（系统用户 ")
        text.append_text(literal(entry.os_user))
        text.append("）")
    text.append(f"\n操作 {action_label(entry.action)}（{printable(entry.action)}）\n对象 ")
    text.append_text(literal(entry.subject))
    if entry.batch_id:
        text.append(f"\n批次 {printable(entry.batch_id)}")
    for label, data in (("改动前", entry.before), ("改动后", entry.after)):
        if data is not None:
            text.append(f"\n{label}：\n", style="bold")
            text.append(
                printable_block(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            )
    return text


def printable_block(text: str) -> str:
    """Several lines, each with control characters escaped (newlines kept)."""
    return "\n".join(printable(line) for line in text.splitlines())
