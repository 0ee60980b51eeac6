"""A short form of labelled one-line fields (an activity, a community): Enter on the last field
or Ctrl+S saves, Esc cancels; the caller judges the values through the core."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class FormDialog(ModalScreen[dict[str, str] | None]):
    """``fields``: ``(key, label, value)``; returns ``{key: text}`` as typed (stripped)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消"),
        Binding("ctrl+s", "save", "保存"),
    ]

    def __init__(self, title: str, fields: list[tuple[str, str, str]], *, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.hint = hint

    def compose(self) -> ComposeResult:
        width = max(len(label) for _key, label, _value in self.fields) * 2 + 1
        with Vertical(classes="dialog form-dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            with VerticalScroll(id="form-fields"):
                for key, label, value in self.fields:
                    with Horizontal(classes="form-row"):
                        field_label = Static(label, classes="field-label", markup=False)
                        field_label.styles.width = width
                        yield field_label
                        yield Input(value=value, id=f"field-{key}", compact=True)
            yield Static(
                self.hint or "Tab 下一项，Enter（最后一项）或 Ctrl+S 保存，Esc 取消。",
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, str]:
        """The fields as typed."""
        return {
            key: self.query_one(f"#field-{key}", Input).value.strip() for key, _l, _v in self.fields
        }

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_save()
        else:
            inputs[inputs.index(event.input) + 1].focus()

    def action_save(self) -> None:
        """Close with the values."""
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
