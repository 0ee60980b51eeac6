"""Values are shown literally: a name that looks like markup shows its brackets, in the list,
the detail view and the edit form; nothing in a cell styles the screen."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.edit_member import EditMemberDialog
from partyreg_tui.screens.member import MemberScreen
from partyreg_tui.screens.members import MembersScreen
from tests.tui.support import settle


def screen_text(app: PartyregApp) -> str:
    """What the terminal shows, as text (from Textual's own SVG screenshot)."""
    svg = app.export_screenshot()
    lines = re.findall(r"<text [^>]*>(.*?)</text>", svg)
    return html.unescape("".join(lines)).replace("\xa0", " ")


async def test_a_markup_looking_name_is_shown_literally(app: PartyregApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(
            pilot, lambda: isinstance(app.screen, MembersScreen) and app.screen.page is not None
        )
        app.screen.query_one("#search").value = "x"  # type: ignore[attr-defined]
        await settle(pilot, lambda: app.screen.wanted.text == "x")  # type: ignore[attr-defined]
        await settle(pilot)
        shown = screen_text(app)
        assert "[bold]x[/]" in shown
        assert "[red]市财政局[/red]" in shown  # the title column at 120 columns
        await pilot.press("enter", "enter")
        await settle(
            pilot, lambda: isinstance(app.screen, MemberScreen) and app.screen.member is not None
        )
        shown = screen_text(app)
        assert "[bold]x[/]" in shown
        assert "[red]市财政局[/red] 科员" in shown
        assert "[link=http://x]健康路[/link]" in shown
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, EditMemberDialog))
        assert app.screen.query_one("#field-name").value == "[bold]x[/]"  # type: ignore[attr-defined]
        assert "[bold]x[/]" in screen_text(app)


@given(st.text(max_size=40), st.integers(min_value=1, max_value=30))
def test_fit_end_keeps_the_end_within_the_width(value: str, width: int) -> None:
    from rich.cells import cell_len

    from partyreg_tui.text import ELLIPSIS, fit_end, printable

    text = printable(value)
    cut = fit_end(value, width)
    assert cell_len(cut) <= width
    if cell_len(text) <= width:
        assert cut == text
    else:
        assert cut.startswith(ELLIPSIS) and text.endswith(cut[1:])
