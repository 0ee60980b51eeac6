"""The key hints line at the bottom of every screen: one widget drawing one line of text.

Textual's ``Footer`` composes a widget per key and composes them all again whenever the
screen's bindings change — on every focus change, every dialog opened or closed, every screen
switch — which, with the stylesheet applied to each new widget, cost tens of milliseconds per
keystroke on the work screens (decision 0210). This line reads the same active bindings but
only redraws its text, and only when the text changed. A click on a key presses it, as the
footer's keys did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

_DIM = Style(dim=True)

#: (key, what the line shows for it, description, enabled)
Hint = tuple[str, str, str, bool]


class KeyHints(Widget):
    """The shown bindings of the active screen (and of the focused widget), one line."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-hints--key", "key-hints--description"}
    DEFAULT_CSS = """
    KeyHints {
        dock: bottom;
        height: 1;
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        background: $footer-background;
        .key-hints--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-hints--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hints: tuple[Hint, ...] = ()
        #: (first cell, end cell, key) of each hint as last drawn, for clicks
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        hints = self.read_hints()
        if hints != self.hints:
            self.hints = hints
            self.refresh()

    def read_hints(self) -> tuple[Hint, ...]:
        """The hints as the screen's active bindings give them: one per action (the first
        key bound to it), in the order the bindings come, the hidden ones left out."""
        seen: set[str] = set()
        hints: list[Hint] = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            hints.append(
                (binding.key, self.app.get_key_display(binding), binding.description, enabled)
            )
        return tuple(hints)

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-hints--key")
        description_style = self.get_component_rich_style("key-hints--description")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        spans: list[tuple[int, int, str]] = []
        for key, display, description, enabled in self.hints:
            start = text.cell_len
            dim = Style() if enabled else _DIM
            text.append(f" {display} ", key_style + dim)
            if description:
                text.append(f"{description} ", description_style + dim)
            spans.append((start, text.cell_len, key))
        self._spans = spans
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
