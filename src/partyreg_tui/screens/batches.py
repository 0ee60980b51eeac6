"""Import batches, newest first, and undoing one (confirmed in a dialog)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from partyreg_core.batches import Batch, UndoReport
from partyreg_tui.dialogs.confirm import ConfirmDialog
from partyreg_tui.screens.base import PartyregScreen, Read
from partyreg_tui.screens.dashboard import BATCH_KIND_LABELS
from partyreg_tui.text import fit, literal, local_time, number

#: Terminal width from which the batch id is shown too.
WIDE = 100


class BatchesScreen(PartyregScreen):
    """The batches the operator may see; ``u`` undoes the one under the cursor."""

    MODE = "batches"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "undo", "撤销"),
        Binding("r", "refresh", "刷新"),
    ]

    class Loaded(Read):
        """The batches were read."""

        def __init__(self, batches: list[Batch]) -> None:
            super().__init__()
            self.batches = batches

    class Undone(Message):
        """A batch was undone."""

        def __init__(self, report: UndoReport) -> None:
            super().__init__()
            self.report = report

    def __init__(self) -> None:
        super().__init__()
        self.batches: dict[str, Batch] = {}

    def compose_body(self) -> ComposeResult:
        with Vertical(id="batches"):
            yield Static(
                "导入批次（最新的在前）。尚未被后续操作使用的批次可以撤销：u 撤销，r 刷新。",
                id="batches-title",
                markup=False,
            )
            yield DataTable(id="batch-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#batch-table", DataTable)
        table.add_column("时间", width=16, key="at")
        table.add_column("类别", width=6, key="kind")
        table.add_column(Text("写入", justify="right"), width=7, key="written")
        table.add_column("文件", width=18, key="file")
        table.add_column("操作员", width=10, key="operator")
        table.add_column("状态", width=6, key="state")
        if self.app.size.width >= WIDE:  # the id is for `partyreg import undo`; no room at 80
            table.add_column("批次号", width=22, key="id")
        table.focus()
        self.load()

    def on_return(self) -> None:
        self.load()

    def load(self) -> None:
        """Read the batches again (in a worker)."""
        self._read(self.ticket("batches"))

    @work(thread=True, group="batches", exit_on_error=False)
    def _read(self, ticket: int) -> None:
        """Read the batches (worker thread)."""
        try:
            batches = self.workspace.batches()
        except Exception as error:
            self.show_error(error)
            return
        self.post_read("batches", ticket, self.Loaded(batches))

    def on_batches_screen_loaded(self, message: Loaded) -> None:
        if not self.is_fresh(message):
            return  # a newer read has started since this one
        table = self.query_one("#batch-table", DataTable)
        row = table.cursor_row
        table.clear()
        self.batches = {b.id: b for b in message.batches}
        for batch in message.batches:
            operator = batch.operator
            if batch.on_behalf_of:
                operator += f"代{batch.on_behalf_of}"
            table.add_row(
                literal(local_time(batch.at)),
                literal(BATCH_KIND_LABELS.get(batch.kind.value, batch.kind.value)),
                Text(number(batch.written), justify="right"),
                literal(fit(batch.file, 18)),
                literal(fit(operator, 10)),
                Text("已撤销" if batch.undone_at else ""),
                *([literal(batch.id)] if len(table.columns) > 6 else []),
                key=batch.id,
            )
        if not message.batches:
            empty = Text("还没有导入过表格", style="dim")
            table.add_row(*["", "", "", empty, "", "", ""][: len(table.columns)])
        elif row:
            table.move_cursor(row=min(row, table.row_count - 1))

    def action_refresh(self) -> None:
        """Read the batches again."""
        self.load()

    def action_undo(self) -> None:
        """Undo the batch under the cursor, after a confirmation."""
        table = self.query_one("#batch-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        batch = self.batches.get(key or "")
        if batch is None:
            return
        if batch.undone_at is not None:
            self.notify("这个批次已经撤销过了。", markup=False)
            return
        body = Text(end="")
        body.append(f"批次 {batch.id}\n")
        body.append(f"{local_time(batch.at)} 导入 ")
        body.append_text(literal(batch.file, "bold"))
        body.append(f"，写入 {number(batch.written)} 行。\n")
        body.append("撤销后这些行被删除（或恢复为导入前的内容），审计日志会记下这次撤销。")

        def answered(yes: bool | None) -> None:
            if yes:
                self.undo(batch.id)

        self.app.push_screen(ConfirmDialog("撤销这个导入批次？", body, yes="撤销"), answered)

    @work(thread=True, exclusive=True, group="undo", exit_on_error=False)
    def undo(self, batch_id: str) -> None:
        """Undo through the facade (worker thread)."""
        try:
            report = self.workspace.undo_batch(batch_id)
        except Exception as error:
            self.show_error(error)
            return
        self.post_message(self.Undone(report))

    def on_batches_screen_undone(self, message: Undone) -> None:
        report = message.report
        self.notify(
            f"已撤销批次 {report.batch_id}：删除 {number(report.removed)} 行，"
            f"恢复 {number(report.restored)} 行。",
            markup=False,
        )
        self.load()
