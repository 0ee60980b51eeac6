"""The dashboard: deadline, counts by status and by district, the queues; its keys open the
members screen filtered."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from partyreg_core.members.model import MemberStatus
from partyreg_tui.app import PartyregApp
from partyreg_tui.screens.dashboard import DashboardScreen
from partyreg_tui.screens.members import UNRESOLVED, MembersScreen
from tests.tui import support
from tests.tui.support import settle


def _loaded(app: PartyregApp) -> bool:
    screen = app.screen
    return isinstance(screen, DashboardScreen) and screen.data is not None


async def test_dashboard_shows_deadline_counts_and_queues(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: _loaded(app))
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.data is not None
        data = screen.data
        assert data.today == support.TODAY
        assert data.deadline is not None and data.deadline.key == "registration"
        assert data.days_left == 2
        total = support.MEMBERS + 1  # the imported members and the markup one
        assert data.totals[MemberStatus.REGISTERED] == total
        by_code = {str(g.code): g.total for g in data.groups}
        assert by_code == {"008.003": 43, "008.010": total - 43}
        assert data.unresolved == support.UNRESOLVED
        assert [b.file for b in data.batches] == ["手工.xlsx", "form1.xlsx", "directory.xlsx"]
        deadline = screen.query_one("#deadline", Static).render()
        assert "2014-08-30" in str(deadline) and "还有 2 天" in str(deadline)
        groups = screen.query_one("#groups", DataTable)
        assert groups.row_count == 2
        # the group's bar is made of the registered character, with its count beside it
        name, count, bar, _done = groups.get_row_at(1)
        assert "淮安市市级机关工委" in str(name) and str(count) == str(total - 43)
        assert set(str(bar).strip()) == {"░"}


async def test_enter_on_a_district_lists_its_members(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: _loaded(app))
        await pilot.press("enter")  # the first district: 淮安区委 (008.003)
        await settle(
            pilot, lambda: isinstance(app.screen, MembersScreen) and app.screen.page is not None
        )
        screen = app.screen
        assert isinstance(screen, MembersScreen) and screen.page is not None
        assert str(screen.wanted.unit) == "008.003"
        assert screen.page.total == 43
        assert all(str(m.unit_code).startswith("008.003") for m in screen.page.members)


async def test_u_lists_the_members_whose_community_is_unresolved(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: _loaded(app))
        await pilot.press("u")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, MembersScreen)
                and app.screen.page is not None
                and app.screen.page.total == support.UNRESOLVED
            ),
        )
        screen = app.screen
        assert isinstance(screen, MembersScreen) and screen.page is not None
        assert screen.wanted.community == UNRESOLVED
        assert all(m.community_id is None for m in screen.page.members)
        # marked by a sign in the table, not by colour alone
        table = screen.query_one("#member-table", DataTable)
        assert str(table.get_row_at(0)[4]).startswith("?")


async def test_a_unit_operator_sees_bars_by_unit(city_db, app: PartyregApp) -> None:  # type: ignore[no-untyped-def]
    app.workspace = support.open_workspace(city_db, operator="unit_op", later=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: _loaded(app))
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.data is not None
        assert [str(g.code) for g in screen.data.groups] == ["008.010.001"]
        assert screen.data.group_label == "单位"
        who = str(screen.query_one("#who", Static).render())
        assert "tester 代 unit_op" in who and "单位党组织 008.010.001 市民政局机关党委" in who


async def test_u_returns_to_the_list_when_details_were_left_open(app: PartyregApp) -> None:
    from partyreg_tui.screens.member import MemberScreen

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: _loaded(app))
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, MembersScreen))
        await pilot.press("enter", "enter")
        await settle(pilot, lambda: isinstance(app.screen, MemberScreen))
        await pilot.press("f2")
        await settle(pilot, lambda: _loaded(app))
        await pilot.press("u")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, MembersScreen)
                and app.screen.page is not None
                and app.screen.page.total == support.UNRESOLVED
            ),
        )


async def test_the_to_do_list_counts_what_waits_and_opens_its_screen(app: PartyregApp) -> None:
    ws = app.workspace
    support.serve(
        ws
    )  # routed, 60 members with 2014 service: every routed member's sheet to confirm
    member = next(m for m in ws.members.iter() if m.community_id == 1)
    ws.routing.request_change(member.id, 2, "搬家到府前路")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: _loaded(app))
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        todo = {t.key: t.count for t in screen.data.todo}  # type: ignore[union-attr]
        routed = sum(1 for m in ws.members.iter() if m.status is not MemberStatus.REGISTERED)
        assert routed == support.MEMBERS + 1  # the queued ones too: their sheets are due as well
        assert todo["changes"] == 1 and todo["sheets"] == routed
        assert todo["failed"] == 0 and todo["self_reports"] == 0
        queues = screen.query_one("#queues", DataTable)
        rows = [str(queues.get_row_at(i)[0]) for i in range(queues.row_count)]
        assert "社区变更申请" in rows and "反馈单待确认" in rows and "发送失败的消息" not in rows
        queues.focus()
        queues.move_cursor(row=rows.index("社区变更申请"))
        await pilot.press("enter")
        await settle(pilot, lambda: getattr(app.screen, "MODE", "") == "report_in")
