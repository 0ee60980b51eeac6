"""The 反馈 screen's waiting confirmations: a self-reported activity, an event's check-ins and a
resident's wish done by a member, each confirmed by keys and checked through the facade."""

from __future__ import annotations

from datetime import date, time

from textual.widgets import DataTable

from partyreg_core.events.model import EventStatus
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.confirm import ConfirmDialog, InputDialog
from partyreg_tui.screens.feedback import FeedbackScreen
from tests.tui import support
from tests.tui.support import TODAY, settle


async def test_waiting_confirmations_are_decided_on_the_feedback_screen(
    app: PartyregApp, city_db
) -> None:  # type: ignore[no-untyped-def]
    ws = app.workspace
    ws.routing.route(on=TODAY)
    first, second, third = [m for m in ws.members.iter() if m.community_id == 1][:3]
    ws.routing.confirm_community_report_in("1")
    report = ws.feedback.record_activity(
        first.id, date(2014, 8, 20), "自己打扫楼道", 2, "良", self_reported=True
    )
    event = ws.events.add("1", TODAY, time(10), time(10, 30), "河下社区义诊")
    at_the_event = support.open_workspace(city_db)  # 10:00 that day: the member checks in
    at_the_event.events.check_in(second.id, event.code)
    at_the_event.close()
    wish = ws.wishes.add("1", "帮张奶奶修水龙头", resident="张奶奶")
    ws.wishes.claim(wish.id, third.id)
    ws.wishes.done(wish.id, "已换新水龙头")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f8", "9")
        await settle(
            pilot, lambda: isinstance(app.screen, FeedbackScreen) and app.screen.pending is not None
        )
        screen = app.screen
        assert isinstance(screen, FeedbackScreen) and screen.pending is not None
        assert len(screen.pending) == 3
        await pilot.press("v")
        table = screen.query_one("#pending-table", DataTable)
        kinds = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert kinds == ["自报活动", "活动签到", "居民微心愿"]
        for _ in range(3):
            table.move_cursor(row=0)
            kind = str(table.get_row_at(0)[0])
            await pilot.press("y")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog | InputDialog))
            if kind == "居民微心愿":
                await pilot.press("backspace", "2", "enter")
            else:
                await pilot.press("y")
            await settle(
                pilot,
                lambda k=kind: (
                    k not in [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
                ),
            )  # type: ignore[misc]
        assert len(screen.pending) == 0
    assert not ws.feedback.pending_activities()
    assert ws.feedback.activity(report[0]).confirmed
    assert ws.events.get(event.id or 0).status is EventStatus.CLOSED
    recorded = {a.member_id: a.hours for a in ws.feedback.activities(community="1")}
    assert recorded[second.id] == 0.5  # the event's half hour
    assert recorded[third.id] == 2.0 and recorded[first.id] == 2.0
    assert ws.wishes.get(wish.id).activity_id is not None
