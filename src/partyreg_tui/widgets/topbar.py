"""The two lines at the top of every screen: who is acting, and where the operator can go."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgTree
from partyreg_tui.text import day_text, literal


def operator_line(actor: Actor, tree: OrgTree) -> Text:
    """``操作员 张三 · 县区/市直党工委 008.003 淮安区委`` (values literal)."""
    line = Text(no_wrap=True, end="")
    line.append("操作员 ")
    line.append_text(literal(actor.real_name, "bold"))
    if actor.on_behalf_of is not None:
        line.append(" 代 ")
        line.append_text(literal(actor.on_behalf_of, "bold"))
    line.append(" · ")
    line.append(scope_text(actor, tree))
    return line


def scope_text(actor: Actor, tree: OrgTree) -> str:
    """The scope in words: ``市级（全市）``, ``单位党组织 008.010.001 市民政局机关党委``."""
    scope = actor.scope
    if scope.code is not None:
        unit = tree.find(scope.code)
        name = f" {unit.name}" if unit is not None else ""
        return f"{scope.role.label} {scope.code}{name}"
    if scope.communities:
        return f"{scope.role.label}（{len(scope.communities)} 个社区）"
    if scope.role.needs_communities:
        return f"{scope.role.label}（尚未分配社区）"
    return f"{scope.role.label}（全市）"


class TopBar(Vertical):
    """Operator, scope and date; then the function keys of the top-level screens, the current
    one marked by brackets as well as colour."""

    def __init__(self, current: str) -> None:
        super().__init__(id="topbar")
        self.current = current

    def compose(self) -> ComposeResult:
        from partyreg_tui.app import NAVIGATION  # the app module imports the screens

        app = self.app
        ws = app.workspace  # type: ignore[attr-defined]
        who = operator_line(ws.actor, ws.org_tree)
        who.append("  ")
        who.append(day_text(ws.today()), style="dim")
        yield Static(who, id="who", markup=False)
        nav = []
        keyed = {mode for mode, _key, _label in NAVIGATION}
        for mode, key, label in NAVIGATION:
            text = f"{key.upper()} {label}"
            if mode == self.current:
                nav.append(f"[reverse b]\\[{text}][/]")
            else:
                nav.append(f"[@click=app.switch_mode('{mode}')] {text} [/]")
        if self.current in keyed or not self.current:
            nav.append("[@click=app.switcher] F8 转到… [/]")
        else:
            from partyreg_tui.app import SCREEN_LABELS

            nav.append(f"[reverse b]\\[F8 {SCREEN_LABELS.get(self.current, '')}][/]")
        if app.size.width >= 100:
            nav.append("[@click=app.toggle_theme] F9 明暗 [/]")
        nav.append("[@click=app.quit] F10 退出 [/]")
        yield Static("".join(nav), id="nav")
