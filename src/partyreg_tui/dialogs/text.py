"""A long text in a scrolling dialog (a printed sheet's preview, a circular, a list)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class TextDialog(ModalScreen[None]):
    """``body`` scrolls with the arrows and PgUp/PgDn; Esc or Enter closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "关闭"),
        Binding("enter", "close", "关闭", show=False),
    ]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else Text(body)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog text-dialog"):
            yield Static(
                f"{self.title_text}（方向键、PgDn 滚动，Esc 关闭）",
                classes="dialog-title",
                markup=False,
            )
            with VerticalScroll(id="text-scroll"):
                yield Static(self.body, classes="dialog-body", markup=False)

    def on_mount(self) -> None:
        self.query_one("#text-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)
