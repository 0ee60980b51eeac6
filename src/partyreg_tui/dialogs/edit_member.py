"""The edit form of one member: 附表1's fields as text, checked exactly as an import checks a
row (``Workspace.edit_member``); a refused edit stays open with the reason as a notification."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from partyreg_core.members.fields import registration_cells
from partyreg_core.members.model import Member
from partyreg_core.records import RowIssue
from partyreg_tui.screens.member import FIELD_LABELS
from partyreg_tui.text import literal, printable


class EditMemberDialog(ModalScreen[Member | None]):
    """Change a member's fields; only the fields changed are sent, so a phone or an address
    shown masked is kept unless retyped in full."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存", priority=True),
        Binding("escape", "cancel", "取消"),
    ]

    class Saved(Message):
        """The edit was written."""

        def __init__(self, member: Member, warnings: list[RowIssue]) -> None:
            super().__init__()
            self.member = member
            self.warnings = warnings

    class Refused(Message):
        """The edit was refused (the reason is already shown)."""

    def __init__(self, member: Member) -> None:
        super().__init__()
        self.member = member
        self.original = registration_cells(member)
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog", classes="dialog"):
            title = Text(no_wrap=True, end="")
            title.append("修改党员 ")
            title.append_text(literal(self.member.name, "bold"))
            title.append("：规则与导入附表1 相同；只保存改动的栏目")
            yield Static(title, classes="dialog-title", markup=False)
            with VerticalScroll(id="edit-fields"), Grid(id="edit-grid"):
                for key, label in FIELD_LABELS:
                    yield Label(label, classes="field-label")
                    yield Input(
                        value=printable(self.original.get(key, "")),
                        id=f"field-{key}",
                        compact=True,
                    )
            yield Static(
                "Tab 下一栏  Ctrl+S 保存  Esc 取消。隐去的手机号、住址不改就保持原样。",
                classes="dialog-hint",
                markup=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("保存 Ctrl+S", id="save", variant="primary", compact=True)
                yield Button("取消 Esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#field-unit_code", Input).focus()

    def changes(self) -> dict[str, str]:
        """The fields whose text was changed."""
        changed = {}
        for key, _label in FIELD_LABELS:
            value = self.query_one(f"#field-{key}", Input).value
            if value != printable(self.original.get(key, "")):
                changed[key] = value
        return changed

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        """Check and write the changes (in a worker)."""
        if self.saving:
            return
        changes = self.changes()
        if not changes:
            self.notify("没有改动。", markup=False)
            return
        self.saving = True
        self.save(changes)

    @work(thread=True, exclusive=True, group="edit", exit_on_error=False)
    def save(self, changes: dict[str, str]) -> None:
        """Write the edit through the facade (worker thread)."""
        try:
            member, warnings = self.app.workspace.members.edit(  # type: ignore[attr-defined]
                self.member.id, changes
            )
        except Exception as error:
            self.app.show_error(error)  # type: ignore[attr-defined]
            self.post_message(self.Refused())
            return
        self.post_message(self.Saved(member, warnings))

    def on_edit_member_dialog_saved(self, message: Saved) -> None:
        self.saving = False
        self.notify(f"已修改党员 {printable(message.member.name)}。", markup=False)
        for issue in message.warnings:
            self.notify(
                f"{printable(issue.column or '')}：{printable(issue.message)}",
                title="提示",
                severity="warning",
                markup=False,
            )
        self.dismiss(message.member)

    def on_edit_member_dialog_refused(self) -> None:
        self.saving = False

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
