"""What every partyreg screen shares: the top bar, the footer, and the workspace."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from partyreg_core.workspace import Workspace
from partyreg_tui.widgets.topbar import TopBar


class PartyregScreen(Screen[None]):
    """A top-level screen: subclasses name their ``MODE`` and yield their body from
    :meth:`compose_body`; slow work goes to thread workers that post a message back."""

    MODE = ""

    @property
    def workspace(self) -> Workspace:
        """The facade the app was given."""
        return self.app.workspace  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        yield TopBar(self.MODE)
        yield from self.compose_body()
        yield Footer(show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets, between the top bar and the footer."""
        yield from ()

    def show_error(self, error: BaseException) -> None:
        """A failed action as a notification (thread-safe)."""
        self.app.show_error(error)  # type: ignore[attr-defined]
