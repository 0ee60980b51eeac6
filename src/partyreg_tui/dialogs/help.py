"""The help of one screen (``?``): what it shows, its keys, and how to move between screens."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

#: How to move around, the same on every screen.
MOVING = (
    "F2–F7 直接切换常用屏幕，F8 打开屏幕列表（按数字选择）；F9 明暗，F10 或 Ctrl+Q 退出。\n"
    "? 或 F1 显示帮助（在输入框里用 F1）。\n"
    "方向键、PgUp/PgDn 在表格中移动；Tab 在区域之间切换；Esc 关闭对话框。鼠标可选。"
)


def key_lines(bindings: list[tuple[str, str]]) -> Text:
    """``  g   执行分流`` — one key a line, the key padded to a column."""
    text = Text(end="")
    for key, label in bindings:
        text.append(f"  {key:<8}", style="bold")
        text.append(f"{label}\n")
    return text


class HelpDialog(ModalScreen[None]):
    """The screen's help text and keys; Esc, Enter or ``?`` closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "关闭"),
        Binding("enter", "close", "关闭", show=False),
        Binding("question_mark", "close", "关闭", show=False),
        Binding("f1", "close", "关闭", show=False),
    ]

    def __init__(self, title: str, body: str, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        text = Text(end="")
        text.append(self.body.strip() + "\n\n")
        text.append("本屏按键：\n", style="bold")
        text.append_text(key_lines(self.bindings))
        text.append("\n")
        text.append(MOVING, style="dim")
        with Vertical(classes="dialog help-dialog"):
            yield Static(
                f"帮助 · {self.title_text}（Esc 关闭）", classes="dialog-title", markup=False
            )
            with VerticalScroll(id="help-scroll"):
                yield Static(text, classes="dialog-body", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
