"""The key hints line (decision 0210): it shows the active screen's keys and follows them as
they change, without composing widgets again; a click presses a key; the switcher and a
screen's help are made once and shown again."""

from __future__ import annotations

from textual.widget import Widget

from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.choose import ChooseDialog
from partyreg_tui.dialogs.help import HelpDialog
from partyreg_tui.screens.members import MembersScreen
from partyreg_tui.widgets.keyhints import KeyHints
from tests.tui.support import settle


def _shown(app: PartyregApp) -> list[tuple[str, str]]:
    """The keys the screen's bindings say are shown, as (display, description)."""
    seen: set[str] = set()
    found = []
    for _node, binding, _enabled, _tip in app.screen.active_bindings.values():
        if binding.show and binding.action not in seen:
            seen.add(binding.action)
            found.append((app.get_key_display(binding), binding.description))
    return found


def _line(app: PartyregApp) -> str:
    hints = app.screen.query_one(KeyHints)
    return hints.render().plain


async def test_the_line_shows_the_screens_keys_and_follows_the_focus(app: PartyregApp) -> None:
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        dashboard_line = _line(app)
        assert [(d, t) for _k, d, t, _e in app.screen.query_one(KeyHints).hints] == _shown(app)
        assert " ? 帮助 " in dashboard_line
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, MembersScreen))
        hints = app.screen.query_one(KeyHints)
        before, children = hints.hints, list(hints.children)
        assert _line(app) != dashboard_line
        await pilot.press("tab")  # the focus moves from the search box to the list
        await settle(pilot)
        assert [(d, t) for _k, d, t, _e in hints.hints] == _shown(app)
        assert hints.hints != before  # the list's keys, not the search box's
        assert list(hints.children) == children == []  # one widget, never recomposed
        assert app.screen.query_one(KeyHints) is hints


async def test_a_click_on_a_key_presses_it(app: PartyregApp) -> None:
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        hints = app.screen.query_one(KeyHints)
        text = _line(app)
        x = text.index("? 帮助")
        await pilot.click(KeyHints, offset=(x + 1, 0))
        await settle(pilot, lambda: isinstance(app.screen, HelpDialog))
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is hints.screen)
        await pilot.click(KeyHints, offset=(len(text) + 5, 0))  # past the last key: nothing
        await settle(pilot)
        assert app.screen is hints.screen


async def test_switcher_and_help_are_made_once(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown: list[Widget] = []
        for _ in range(2):
            await pilot.press("f8")
            await settle(pilot, lambda: isinstance(app.screen, ChooseDialog))
            shown.append(app.screen)
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, ChooseDialog))
        assert shown[0] is shown[1]
        helps: list[Widget] = []
        for _ in range(2):
            await pilot.press("question_mark")
            await settle(pilot, lambda: isinstance(app.screen, HelpDialog))
            helps.append(app.screen)
            await pilot.press("escape")
            await settle(pilot, lambda: not isinstance(app.screen, HelpDialog))
        assert helps[0] is helps[1]
        # the switcher still switches, and another screen has a help of its own
        await pilot.press("f8", "2")
        await settle(pilot, lambda: isinstance(app.screen, MembersScreen))
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpDialog))
        assert app.screen is not helps[0]
        assert isinstance(app.screen, HelpDialog) and app.screen.title_text == "党员"
