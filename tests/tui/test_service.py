"""The service screen: summaries by grouping and year, within the operator's scope, with totals
that match the activities written."""

from __future__ import annotations

from collections import Counter

from textual.widgets import DataTable, Static

from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.screens.service import MEMBER_ROWS, ServiceScreen, shown_rows
from tests.tui import support
from tests.tui.support import settle


def _cells(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _loaded(pilot, app: PartyregApp, by: str, year: int | None) -> ServiceScreen:  # type: ignore[no-untyped-def]
    def ready() -> bool:
        screen = app.screen
        return (
            isinstance(screen, ServiceScreen)
            and screen.rows is not None
            and (screen.by, screen.year) == (by, year)
        )

    await settle(pilot, ready)
    screen = app.screen
    assert isinstance(screen, ServiceScreen)
    return screen


async def test_summaries_by_grouping_and_year(app: PartyregApp, workspace: Workspace) -> None:
    written = support.serve(workspace)
    # independently: each member's district is the 县区 of the community they wrote
    district_of = {"淮安区": "008.003", "淮阴区": "008.004"}
    by_district: Counter[str] = Counter()
    for row in support.member_rows()[:60]:
        by_district[district_of[row[10]]] += written[row[1]]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        screen = await _loaded(pilot, app, "district", 2014)
        table = screen.query_one("#service-table", DataTable)
        rows = _cells(table)
        shown = {r[0]: float(r[2].replace(",", "")) for r in rows if float(r[2] or 0)}
        assert shown == {k: round(v, 2) for k, v in by_district.items()}
        assert {r[0]: r[1] for r in rows}["008.003"] == "淮安区委"
        # 优/良/一般 add up to the activities (wide terminal: the rating columns are shown)
        assert all(int(r[4]) + int(r[5]) + int(r[6]) == int(r[3]) for r in rows)
        title = str(screen.query_one("#service-title", Static).render())
        total = sum(written.values())
        assert "2014 年度" in title and "按县区" in title and f"{total:g} 小时" in title
        assert f"{3 * len(written)} 次" in title
        # by member: the member's hours, named
        await pilot.press("m")
        screen = await _loaded(pilot, app, "member", 2014)
        by_name = {r[1]: float(r[2].replace(",", "")) for r in _cells(table) if r[2] != "0"}
        assert by_name == {k: round(v, 2) for k, v in written.items()}
        # another year has no service: every routed member is listed without any
        await pilot.press("left_square_bracket")
        await _loaded(pilot, app, "member", 2013)
        assert {r[3] for r in _cells(table)} == {"0"} and table.row_count > len(written)
        # all years again everything; then back to this year, by month
        await pilot.press("a")
        screen = await _loaded(pilot, app, "member", None)
        assert "全部年度" in str(screen.query_one("#service-title", Static).render())
        assert sum(r.hours for r in screen.rows or []) == total
        await pilot.press("right_square_bracket", "t")
        screen = await _loaded(pilot, app, "month", 2014)
        assert [r[0] for r in _cells(table)] == ["2014-09", "2014-10", "2014-11"]
        assert [r[7] for r in _cells(table)] == ["", "", ""]  # months have no members of their own


async def test_a_unit_operator_sees_its_own_members_service(city_db) -> None:  # type: ignore[no-untyped-def]
    written = support.serve(support.open_workspace(city_db, later=True))
    mine = {row[1] for row in support.member_rows()[:60] if row[0] == "008.010.001"}
    app = PartyregApp(support.open_workspace(city_db, operator="unit_op", later=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f7", "m")
        screen = await _loaded(pilot, app, "member", 2014)
        served = {r.label: r.hours for r in screen.rows or [] if r.activities}
        assert served == {name: written[name] for name in mine}
        # at 80 columns the rating columns give way to the name
        assert len(screen.query_one("#service-table", DataTable).columns) == 6


def test_by_member_the_most_hours_are_shown_first_and_the_rest_left_out() -> None:
    from partyreg_core.feedback.model import SummaryRow

    rows = [
        SummaryRow(str(i), f"党员{i}", float(i % 7), i % 7, 0, 0, 0, 1, 0) for i in range(1, 900)
    ]
    shown, cut = shown_rows("member", rows)
    assert cut and len(shown) == MEMBER_ROWS
    assert [r.hours for r in shown] == sorted((r.hours for r in rows), reverse=True)[:MEMBER_ROWS]
    assert shown_rows("district", rows) == (rows, False)
