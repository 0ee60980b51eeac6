"""What every partyreg screen shares: the top bar, the key hints line, the workspace, the help (``?``)
and, for the screens of the campaign's work, a busy line with a progress bar while a worker
runs (the operator keeps typing meanwhile)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, ProgressBar, Static

from partyreg_core.workspace import Workspace
from partyreg_tui.widgets.keyhints import KeyHints
from partyreg_tui.widgets.topbar import TopBar


class Read(Message):
    """What a read found, posted back from its worker thread. :meth:`PartyregScreen.post_read`
    stamps it with the read's purpose and ticket; the handler drops it unless
    :meth:`PartyregScreen.is_fresh` (a newer read for the same purpose has started since)."""

    purpose = ""
    ticket = 0


class PartyregScreen(Screen[None]):
    """A top-level screen: subclasses name their ``MODE`` and yield their body from
    :meth:`compose_body`; slow work goes to thread workers that post a message back. ``HELP``
    is what ``?`` shows above the screen's keys."""

    MODE = ""
    HELP = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "帮助", key_display="?"),
        # the same from a text field, where '?' is typed
        Binding("f1", "help", "帮助", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._tickets: dict[str, int] = {}
        #: What last covered the screen: a dialog of its own, another screen, or nothing yet.
        self._covered_by: str | None = None

    def on_screen_suspend(self) -> None:
        self._covered_by = "dialog" if isinstance(self.app.screen, ModalScreen) else "screen"

    def on_screen_resume(self) -> None:
        """Back on top: read again (:meth:`on_return`) when the operator comes back from
        another screen, where the data may have changed — not when a dialog of this screen
        closes (help, a confirmation, a cancelled form): the screen's actions read again
        after what they write, and a full reload after every dialog would only compete with
        the typing for the interpreter (decision 0151). The first time on top the screen is
        being mounted, and reads then."""
        covered_by, self._covered_by = self._covered_by, None
        if covered_by == "screen":
            self.on_return()

    def on_return(self) -> None:
        """The operator is back from another screen (subclasses read their data again)."""

    def ticket(self, purpose: str) -> int:
        """A new read for ``purpose`` starts (on the screen's thread): from now on the result
        of every earlier read for it is stale. Reads run in threads and may finish in any
        order — a read started before a write committed can finish after the read the
        write's own callback started — so only the newest read's result may reach the
        screen (decision 0150)."""
        self._tickets[purpose] = self._tickets.get(purpose, 0) + 1
        return self._tickets[purpose]

    def is_current(self, purpose: str, ticket: int) -> bool:
        """Whether ``ticket`` is still the newest read for ``purpose``."""
        return self._tickets.get(purpose) == ticket

    def post_read(self, purpose: str, ticket: int, message: Read) -> None:
        """Post a read's result from its worker thread (the screen's state is changed only
        by the handler, on the screen's thread)."""
        message.purpose, message.ticket = purpose, ticket
        self.post_message(message)

    def is_fresh(self, message: Read) -> bool:
        """Whether a posted read is the newest for its purpose (else the handler drops it)."""
        return self.is_current(message.purpose, message.ticket)

    @property
    def workspace(self) -> Workspace:
        """The facade the app was given."""
        return self.app.workspace  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        yield TopBar(self.MODE)
        yield from self.compose_body()
        yield KeyHints()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets, between the top bar and the footer."""
        yield from ()

    def show_error(self, error: BaseException) -> None:
        """A failed action as a notification (thread-safe)."""
        self.app.show_error(error)  # type: ignore[attr-defined]

    def key_help(self) -> list[tuple[str, str]]:
        """The screen's keys as ``(key, label)``, as the footer names them."""
        seen: list[tuple[str, str]] = []
        for _key, bindings in self._bindings.key_to_bindings.items():
            for binding in bindings:
                if not binding.description:
                    continue
                key = binding.key_display or self.app.get_key_display(binding)
                if (key, binding.description) not in seen:
                    seen.append((key, binding.description))
        return seen

    def action_help(self) -> None:
        """Show the screen's help and keys."""
        from partyreg_tui.app import SCREEN_LABELS
        from partyreg_tui.dialogs.help import HelpDialog

        body = self.HELP or (self.__doc__ or "").strip()
        # made once per screen and shown again while its keys stay the same (decision 0210)
        name, keys = f"help-{self.MODE or id(self)}", self.key_help()
        if self.app.is_screen_installed(name):
            shown = self.app.get_screen(name)
            if not isinstance(shown, HelpDialog) or shown.bindings != keys:
                self.app.uninstall_screen(name)
        if not self.app.is_screen_installed(name):
            self.app.install_screen(HelpDialog(SCREEN_LABELS.get(self.MODE, ""), body, keys), name)
        self.app.push_screen(name)


class WorkScreen(PartyregScreen):
    """A screen of the campaign's work: :meth:`run` does the core's work in a thread worker
    while a progress bar says what is running, then hands the result to a callback on the
    screen's thread; errors become one Chinese line (:meth:`show_error`)."""

    def compose(self) -> ComposeResult:
        yield TopBar(self.MODE)
        yield from self.compose_body()
        with Horizontal(id="busy", classes="busy"):
            yield Static("", id="busy-label", markup=False)
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="busy-bar")
        yield KeyHints()

    tasks = 0  #: tasks started and not finished yet (the busy line shows while any runs)

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        self.mount_body()

    def mount_body(self) -> None:
        """Set up the tables (columns) and read the first data."""

    @property
    def busy(self) -> bool:
        """Whether a task of this screen is running."""
        return self.tasks > 0

    def run(
        self,
        label: str,
        task: Callable[[], Any],
        done: Callable[[Any], None] | None = None,
        *,
        latest: str | None = None,
    ) -> None:
        """Run ``task`` (the core's work) in a worker, ``label`` beside the progress bar;
        ``done(result)`` afterwards on the screen's thread.

        ``latest`` names what a read is for (``"counts"``, ``"waiting"``…): when another
        read for the same purpose starts before this one's result arrives, this result is
        dropped (:meth:`ticket`). Writes pass no ``latest``: each one's result counts."""
        self.query_one("#busy-label", Static).update(Text(label, style="bold"))
        self.query_one("#busy").display = True
        self.tasks += 1
        ticket = self.ticket(latest) if latest is not None else 0
        self._work(task, done, latest, ticket)

    @work(thread=True, group="task", exit_on_error=False)
    def _work(
        self,
        task: Callable[[], Any],
        done: Callable[[Any], None] | None,
        latest: str | None,
        ticket: int,
    ) -> None:
        try:
            result = task()
        except Exception as error:
            self.app.call_from_thread(self._finished, None, None, None, 0)
            self.show_error(error)
            return
        self.app.call_from_thread(self._finished, done, result, latest, ticket)

    def _finished(
        self, done: Callable[[Any], None] | None, result: Any, latest: str | None, ticket: int
    ) -> None:
        self.tasks -= 1
        if self.tasks <= 0:
            self.tasks = 0
            self.query_one("#busy").display = False
        if done is None or (latest is not None and not self.is_current(latest, ticket)):
            return  # overtaken by a newer read for the same purpose
        done(result)

    # -- small helpers the screens share ------------------------------------------------------

    def ask(
        self, title: str, body: Text | str, then: Callable[[], None], *, yes: str = "确定"
    ) -> None:
        """Ask yes/no; ``then()`` on yes."""
        from partyreg_tui.dialogs.confirm import ConfirmDialog

        def answered(answer: bool | None) -> None:
            if answer:
                then()

        self.app.push_screen(ConfirmDialog(title, body, yes=yes), answered)

    def ask_text(
        self, title: str, then: Callable[[str], None], *, value: str = "", hint: str = ""
    ) -> None:
        """Ask for one line; ``then(text)`` unless cancelled or empty."""
        from partyreg_tui.dialogs.confirm import InputDialog

        def answered(answer: str | None) -> None:
            if answer:
                then(answer)

        self.app.push_screen(InputDialog(title, value, hint), answered)

    def show_text(self, title: str, body: Text | str) -> None:
        """A long text (a preview) in a scrolling dialog."""
        from partyreg_tui.dialogs.text import TextDialog

        self.app.push_screen(TextDialog(title, body))


def row_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor (``None`` on an empty table)."""
    if not table.row_count:
        return None
    value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return None if value is None else str(value)


def keep_cursor(table: DataTable[Any], row: int) -> None:
    """Put the cursor back near ``row`` after the table was filled again."""
    if table.row_count:
        table.move_cursor(row=min(row, table.row_count - 1))
