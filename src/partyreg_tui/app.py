"""The partyreg terminal UI: a thin Textual app over the facade.

The CLI opens a :class:`~partyreg_core.workspace.Workspace` (``--db``, ``--as``), checks the
terminal and the operator, and hands the workspace to :class:`PartyregApp`. Each top-level screen
is a mode of its own (it keeps its place while the operator looks elsewhere); the function keys
switch between them from anywhere, also while typing in a field.
"""

from __future__ import annotations

import gc
import importlib
import os
import tempfile
import traceback
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from partyreg_core.errors import PartyregError
from partyreg_core.search import initial_chars
from partyreg_core.workspace import Workspace
from partyreg_tui.screens.dashboard import DashboardScreen

if TYPE_CHECKING:
    from textual.screen import Screen

#: Themes in pairs (dark, light): the ANSI pair uses the terminal's own 16 colours.
THEME_PAIRS = (("textual-dark", "textual-light"), ("ansi-dark", "ansi-light"))

#: The top-level screens with a function key of their own: mode name → (key, label).
NAVIGATION = (
    ("dashboard", "f2", "总览"),
    ("members", "f3", "党员"),
    ("import", "f4", "导入"),
    ("batches", "f5", "批次"),
    ("audit", "f6", "日志"),
    ("service", "f7", "汇总"),
)
#: Every top-level screen in the campaign's order, as the switcher (F8) lists them: mode name
#: → (key in the switcher, label). The first six also have their function key.
SCREENS = (
    ("dashboard", "1", "总览"),
    ("members", "2", "党员"),
    ("import", "3", "导入"),
    ("routing", "4", "分流"),
    ("report_in", "5", "报到"),
    ("progress", "6", "进度"),
    ("notify", "7", "通知"),
    ("work", "8", "服务"),
    ("feedback", "9", "反馈"),
    ("service", "0", "汇总"),
    ("batches", "b", "批次"),
    ("audit", "l", "日志"),
)
SCREEN_LABELS = {mode: label for mode, _key, label in SCREENS}


def default_theme(env: dict[str, str] | None = None) -> str:
    """The starting theme: the terminal's own ANSI colours on a terminal that announces no
    more than 16 colours (PuTTY and Xshell defaults), else Textual's dark theme."""
    env = dict(os.environ) if env is None else env
    term, colorterm = env.get("TERM", ""), env.get("COLORTERM", "")
    rich_colours = "256" in term or colorterm in ("truecolor", "24bit") or "direct" in term
    return "textual-dark" if rich_colours else "ansi-dark"


def _later(module: str, name: str) -> Callable[[], Screen[None]]:
    """A top-level screen made (and its module imported) when its mode is first opened."""

    def make() -> Screen[None]:
        screen: Screen[None] = getattr(
            importlib.import_module(f"partyreg_tui.screens.{module}"), name
        )()
        return screen

    make.__qualname__ = name
    return make


class PartyregApp(App[int]):
    """The operators' terminal UI for one workspace (store + acting operator).

    :param workspace: the facade, opened by the CLI (its ``actor`` already checked).
    :param theme: the starting theme (default :func:`default_theme`).
    """

    TITLE = "partyreg"
    CSS_PATH = "partyreg.tcss"
    ENABLE_COMMAND_PALETTE = False  # its commands are English; every action has a key instead
    #: The first screen is imported with the app; the others when first opened, so the first
    #: screen of a fresh process does not wait on eleven screens' imports (issue 21).
    MODES: ClassVar[dict[str, Callable[[], Screen[None]] | type]] = {  # type: ignore[assignment]
        "dashboard": DashboardScreen,
        "members": _later("members", "MembersScreen"),
        "import": _later("imports", "ImportScreen"),
        "batches": _later("batches", "BatchesScreen"),
        "audit": _later("audit", "AuditScreen"),
        "service": _later("service", "ServiceScreen"),
        "routing": _later("routing", "RoutingScreen"),
        "report_in": _later("report_in", "ReportInScreen"),
        "progress": _later("progress", "ProgressScreen"),
        "notify": _later("notify", "NotifyScreen"),
        "work": _later("work", "CommunityWorkScreen"),
        "feedback": _later("feedback", "FeedbackScreen"),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"switch_mode('{mode}')", label, show=False, priority=True)
            for mode, key, label in NAVIGATION
        ),
        Binding("f8", "switcher", "转到", show=False, priority=True),
        Binding("f9", "toggle_theme", "明暗", show=False, priority=True),
        Binding("f10", "quit", "退出", show=False, priority=True),
        Binding("ctrl+q", "quit", "退出", show=False, priority=True),
    ]

    def __init__(
        self, workspace: Workspace, *, theme: str | None = None, freeze: bool = False
    ) -> None:
        """``freeze``: the app is the process's last work (``partyreg tui``), so what exists
        after its first screen may leave the collector's view (:func:`gc.freeze`) — not in
        tests, which start many apps in one process."""
        super().__init__()
        self.freeze = freeze
        self.workspace = workspace
        self.theme = theme or default_theme()
        self.error_log: Path | None = None

    def on_mount(self) -> None:
        self.switch_mode("dashboard")
        self.warm_up()
        if self.freeze:
            # what exists once the first screen is drawn (modules, styles, widgets) lives as
            # long as the process: out of the collector's full passes, which otherwise stall
            # a key now and then for ~100 ms on a large screen (decision 0210)
            self.call_after_refresh(gc.freeze)

    @work(thread=True, group="warm-up", exit_on_error=False)
    def warm_up(self) -> None:
        """Load the pinyin table now, while the operator reads the dashboard, so that the first
        search by initials (``wjw``) is as quick as the others."""
        initial_chars("a")

    # -- actions ------------------------------------------------------------------------------

    #: Actions that touch no data: they run even for an operator disabled meanwhile.
    UNGUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset(
        {"quit", "toggle_theme", "bell", "switcher"}
    )

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Refuse every action that reads or writes data once the operator is disabled (a
        session can outlive a person's role: ``partyreg operator disable`` takes effect at
        the next key), with a clear message; the refusal is audited."""
        name = action if isinstance(action, str) else action[1]
        if name.split("(")[0].rsplit(".", 1)[-1] not in self.UNGUARDED_ACTIONS:
            try:
                self.workspace.check_still_enabled()  # one indexed lookup
            except PartyregError as exc:
                self.show_error(exc)
                return True
        return await super().run_action(action, default_namespace, namespaces)

    def action_toggle_theme(self) -> None:
        """Dark ↔ light, within the same family (truecolour or the terminal's 16 colours)."""
        for dark, light in THEME_PAIRS:
            if self.theme == dark:
                self.theme = light
                return
            if self.theme == light:
                self.theme = dark
                return
        self.theme = "textual-dark"

    def action_switcher(self) -> None:
        """Every top-level screen in a list: a digit or letter, or the arrows and Enter. The
        list is made once and shown again each time (decision 0210: composing and styling
        it anew cost more than the 50 ms a key may take)."""
        from partyreg_tui.dialogs.choose import ChooseDialog

        if isinstance(self.screen, ChooseDialog) and self.screen.id == "switcher":
            self.screen.dismiss(None)
            return

        def chosen(mode: str | None) -> None:
            if mode:
                self.switch_mode(mode)

        if not self.is_screen_installed("switcher"):
            keys = {mode: key for mode, key, _label in NAVIGATION}
            choices = [
                (mode, f"{label}" + (f"（{keys[mode].upper()}）" if mode in keys else ""))
                for mode, _key, label in SCREENS
            ]
            dialog = ChooseDialog(
                "转到屏幕",
                choices,
                keys=[key for _m, key, _l in SCREENS],
                hint="按数字或字母，Esc 取消。",
            )
            dialog.id = "switcher"
            self.install_screen(dialog, "switcher")
        self.push_screen("switcher", chosen)

    def open_members(self, **filters: object) -> None:
        """Switch to the members screen with ``filters`` applied (from the dashboard)."""

        from partyreg_tui.screens.members import MembersScreen

        async def switch() -> None:
            await self.switch_mode("members")
            # back to the list if a member's details were left open on top of it
            while not isinstance(self.screen, MembersScreen) and len(self.screen_stack) > 1:
                await self.pop_screen()
            screen = self.screen
            if isinstance(screen, MembersScreen):
                screen.apply_filters(**filters)  # type: ignore[arg-type]

        self.call_next(switch)

    def today(self) -> date:
        """Today in Asia/Shanghai, as the workspace's clock says."""
        return self.workspace.today()

    # -- errors ---------------------------------------------------------------------------------

    def show_error(self, error: BaseException) -> None:
        """Tell the operator about a failed action (thread-safe): a partyreg error in its own
        Chinese words, anything else as an internal error logged for the administrator."""
        if isinstance(error, PartyregError):
            self.notify(error.message, title="未完成", severity="error", markup=False)
            return
        where = self._log_error(error)
        self.notify(
            f"内部错误（{type(error).__name__}）：{error}。详情已记录在 {where}，"
            "请发给系统管理员。",
            title="内部错误",
            severity="error",
            timeout=15,
            markup=False,
        )

    def _log_error(self, error: BaseException) -> str:
        if self.error_log is None:
            self.error_log = Path(tempfile.gettempdir()) / f"partyreg-tui-{os.getuid()}.log"
        try:
            fd = os.open(self.error_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as log:
                log.write("".join(traceback.format_exception(error)))
        except OSError:
            return "（日志无法写入）"
        return str(self.error_log)

    def _handle_exception(self, error: Exception) -> None:
        # An operator never sees a traceback: an unexpected error in a handler becomes a
        # notification and the session goes on. Tests (headless) still fail loudly.
        if self.is_headless:
            super()._handle_exception(error)
            return
        self.show_error(error)
