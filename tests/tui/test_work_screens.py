"""Every screen's help and the switcher; the progress screen's levels and circular; the service
screen's refusals in one Chinese line — by keys, checked against the facade."""

from __future__ import annotations

from textual.widgets import DataTable

from partyreg_core.progress import ProgressBy
from partyreg_tui.app import SCREENS, PartyregApp
from partyreg_tui.dialogs.form import FormDialog
from partyreg_tui.dialogs.help import HelpDialog
from partyreg_tui.dialogs.text import TextDialog
from partyreg_tui.screens.progress import ProgressScreen
from partyreg_tui.screens.work import CommunityWorkScreen
from tests.tui.support import TODAY, settle


async def test_every_screen_is_one_key_from_the_switcher_and_has_help(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for mode, key, label in SCREENS:
            await pilot.press("f8", key)
            await settle(pilot, lambda m=mode: getattr(app.screen, "MODE", "") == m)  # type: ignore[misc]
            # F1 from a screen that starts in a text field (where '?' is typed), '?' elsewhere
            await pilot.press("f1" if mode in ("members", "import") else "question_mark")
            await settle(pilot, lambda: isinstance(app.screen, HelpDialog))
            dialog = app.screen
            assert isinstance(dialog, HelpDialog)
            assert dialog.title_text == label
            keys = dict(dialog.bindings)
            assert keys.get("?") == "帮助" and len(keys) >= 2
            await pilot.press("escape")
            await settle(pilot, lambda m=mode: getattr(app.screen, "MODE", "") == m)  # type: ignore[misc]


async def test_progress_by_level_with_a_districts_units_and_the_circular(app: PartyregApp) -> None:
    ws = app.workspace
    ws.routing.route(on=TODAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f8", "6")
        await settle(
            pilot, lambda: isinstance(app.screen, ProgressScreen) and app.screen.report is not None
        )
        screen = app.screen
        assert isinstance(screen, ProgressScreen) and screen.report is not None
        districts = {r.key: r.routed for r in screen.report.rows}
        assert districts == {r.key: r.routed for r in ws.progress(ProgressBy.DISTRICT).rows}
        table = screen.query_one("#progress-table", DataTable)
        table.move_cursor(row=0)
        first = str(table.get_row_at(0)[0])
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: (
                screen.by is ProgressBy.UNIT
                and screen.report is not None
                and screen.report.by is ProgressBy.UNIT
            ),
        )
        units = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert units and all(u.startswith(first) for u in units)
        # a unit opens onto the communities its members report in at
        table.move_cursor(row=0)
        unit = str(table.get_row_at(0)[0])
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: screen.report is not None and screen.report.by is ProgressBy.COMMUNITY,
        )
        assert screen.unit == unit
        members = list(ws.members.iter())
        expected: dict[str, int] = {}
        for m in members:
            if str(m.unit_code).startswith(unit):  # "": those whose community is unresolved
                key = "" if m.community_id is None else str(m.community_id)
                expected[key] = expected.get(key, 0) + 1
        shown = {r.key: r.registered for r in screen.report.rows}
        assert shown == expected
        assert unit in str(screen.query_one("#progress-title").render())
        await pilot.press("backspace")
        await settle(
            pilot, lambda: screen.report is not None and screen.report.by is ProgressBy.UNIT
        )
        assert screen.district == first and screen.unit is None
        await pilot.press("backspace")
        await settle(
            pilot, lambda: screen.report is not None and screen.report.by is ProgressBy.DISTRICT
        )
        await pilot.press("p")
        await settle(pilot, lambda: isinstance(app.screen, TextDialog))
        body = str(app.screen.body)  # type: ignore[attr-defined]
        assert "进度通报" in body and "不含党员个人信息" in body


async def test_a_refused_activity_is_one_chinese_line_and_nothing_is_written(
    app: PartyregApp,
) -> None:
    ws = app.workspace
    ws.routing.route(on=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f8", "8")
        await settle(
            pilot,
            lambda: isinstance(app.screen, CommunityWorkScreen) and app.screen.rows is not None,
        )
        await pilot.press("4", "i")
        await settle(pilot, lambda: isinstance(app.screen, FormDialog))
        member = next(m for m in ws.members.iter() if m.community_id == 1)
        await pilot.press(*str(member.id), "tab", "tab", *"打扫楼道", "tab")
        app.screen.query_one("#field-hours").value = "30"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors, "the refusal was not shown"
        message = errors[-1].message
        assert "\n" not in message and "Traceback" not in message and "24" in message
        assert not ws.feedback.activities(member_id=member.id)
