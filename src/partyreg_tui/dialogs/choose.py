"""Pick one of a few choices (a suggestion, a screen), with the arrows and Enter or a digit."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ChooseDialog(ModalScreen[str | None]):
    """Choices as ``(value, label)``; Enter picks the one under the cursor, a digit ``1``–``9``
    (or the key given with a choice) picks directly, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "取消")]

    def __init__(
        self,
        title: str,
        choices: list[tuple[str, str]],
        *,
        hint: str = "",
        keys: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.hint = hint
        self.keys = keys or [str(i + 1) for i in range(min(9, len(choices)))]

    def compose(self) -> ComposeResult:
        options = []
        for i, (value, label) in enumerate(self.choices):
            key = self.keys[i] if i < len(self.keys) else " "
            options.append(Option(f"{key}  {label}", id=value))
        with Vertical(classes="dialog choose-dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield OptionList(*options, id="choices", markup=False)
            if self.hint:
                yield Static(self.hint, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).focus()

    def on_key(self, event: Key) -> None:
        if event.character and event.character in self.keys:
            index = self.keys.index(event.character)
            if index < len(self.choices):
                event.stop()
                self.dismiss(self.choices[index][0])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)
