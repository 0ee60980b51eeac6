"""One audit entry in full, scrollable."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from partyreg_core.audit import AuditEntry


class EntryDialog(ModalScreen[None]):
    """Who, when, what, before and after; Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "关闭"),
        Binding("enter", "close", "关闭", show=False),
    ]

    def __init__(self, entry: AuditEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        from partyreg_tui.screens.audit import entry_text

        with Vertical(classes="dialog entry-dialog"):
            yield Static("审计记录（Esc 关闭，方向键滚动）", classes="dialog-title", markup=False)
            with VerticalScroll(id="entry-scroll"):
                yield Static(entry_text(self.entry), markup=False)

    def on_mount(self) -> None:
        self.query_one("#entry-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)
