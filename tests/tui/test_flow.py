"""The whole campaign in the TUI alone: from the imported registrations (the city store) through
routing, the unresolved queue, report-in, needs, assignment, groups and a group's activity, to
the community's 附表3 sheets confirmed (one reopened and confirmed again) and delivered to the
units — every step by keys, checked afterwards through the facade."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from partyreg_core.feedback.model import SheetState
from partyreg_core.members.model import MemberStatus
from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.choose import ChooseDialog
from partyreg_tui.dialogs.confirm import ConfirmDialog, InputDialog
from partyreg_tui.dialogs.form import FormDialog
from partyreg_tui.screens.feedback import FeedbackScreen
from partyreg_tui.screens.report_in import ReportInScreen
from partyreg_tui.screens.routing import RoutingScreen
from partyreg_tui.screens.work import CommunityWorkScreen
from tests.tui import support
from tests.tui.support import settle


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*text)


async def _fill(pilot, app: PartyregApp, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Type into a form's fields (clearing what they held), then Ctrl+S."""
    dialog = app.screen
    assert isinstance(dialog, FormDialog)
    for key, value in values.items():
        field = dialog.query_one(f"#field-{key}", Input)
        field.focus()
        await pilot.pause()
        field.clear()
        await _type(pilot, value)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_from_registrations_to_delivered_sheets(
    app: PartyregApp, workspace: Workspace
) -> None:
    ws = workspace
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # -- 分流: preview, route, then the queue resolved in place ------------------------------
        await pilot.press("f8", "4")
        await settle(
            pilot, lambda: isinstance(app.screen, RoutingScreen) and app.screen.preview is not None
        )
        routing = app.screen
        assert isinstance(routing, RoutingScreen) and routing.preview is not None
        assert len(routing.preview.members) == support.MEMBERS + 1  # nothing written yet
        assert all(m.status is MemberStatus.REGISTERED for m in ws.members.iter())
        await pilot.press("g")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await settle(
            pilot, lambda: routing.queue is not None and len(routing.queue) == support.UNRESOLVED
        )
        # the first queued community: added to the directory from the screen
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, FormDialog))
        await _fill(
            pilot, app, {"phone": "0517-85900001", "secretary": "赵强", "mobile": "13912349999"}
        )
        await settle(
            pilot,
            lambda: routing.queue is not None and len(routing.queue) == support.UNRESOLVED - 1,
        )
        # the others: the chooser, its last choice adds the community to the directory
        for left in range(support.UNRESOLVED - 2, -1, -1):
            await pilot.press("s")
            await settle(pilot, lambda: isinstance(app.screen, ChooseDialog))
            await pilot.press("a")
            await settle(pilot, lambda: isinstance(app.screen, FormDialog))
            await _fill(pilot, app, {"phone": "0517-85900002"})
            await settle(
                pilot, lambda n=left: routing.queue is not None and len(routing.queue) == n
            )  # type: ignore[misc]
        assert all(m.status is not MemberStatus.REGISTERED for m in ws.members.iter())

        # -- 报到: every community's waiting members, all at once ------------------------------
        await pilot.press("f8", "5")
        await settle(
            pilot, lambda: isinstance(app.screen, ReportInScreen) and app.screen.counts is not None
        )
        report_in = app.screen
        assert isinstance(report_in, ReportInScreen)

        def waiting() -> int:
            return sum(c[MemberStatus.ROUTED] for c in (report_in.counts or {}).values())

        assert waiting() == support.MEMBERS + 1

        def chosen_waits() -> bool:
            cid = report_in.community_id
            counts = report_in.counts or {}
            return cid is not None and cid in counts and counts[cid][MemberStatus.ROUTED] > 0

        while waiting():
            before = waiting()
            # the communities are listed most-waiting first: go to the top, as an operator
            # would, and wait until the screen has taken that row as its community
            await pilot.press("home")
            await settle(pilot, chosen_waits)
            await pilot.press("A")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await settle(pilot, lambda b=before: waiting() < b)  # type: ignore[misc]
        assert all(m.status is MemberStatus.REPORTED_IN for m in ws.members.iter())

        # -- 服务: a need, the assignment, the groups, an activity for a whole group -----------
        await pilot.press("f8", "8")
        await settle(
            pilot,
            lambda: isinstance(app.screen, CommunityWorkScreen) and app.screen.rows is not None,
        )
        work = app.screen
        assert isinstance(work, CommunityWorkScreen) and work.community is not None
        community = work.community
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, FormDialog))
        await _fill(pilot, app, {"post": "3", "people": "30", "purpose": "收集社情民意"})
        await settle(pilot, lambda: bool(work.rows))
        await pilot.press("g")  # the assignment's dry run, then saved
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await settle(pilot, lambda: work.view == "assign" and bool(work.rows))
        assigned = ws.service.assignments(community.id)
        assert assigned and all(a.reason for a in assigned)
        await pilot.press("3", "g")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await settle(pilot, lambda: work.view == "groups" and bool(work.rows))
        groups = ws.service.groups(community.id)
        assert groups
        await pilot.press("i")
        await settle(pilot, lambda: isinstance(app.screen, FormDialog))
        await _fill(pilot, app, {"content": "走访居民收集意见", "hours": "2.5", "kind": ""})
        await pilot.press("4")
        await settle(pilot, lambda: work.view == "activities" and bool(work.rows))
        recorded = ws.feedback.activities(community=str(community.id))
        assert len(recorded) == len(groups[0].member_ids)
        assert {a.hours for a in recorded} == {2.5}

        # -- 反馈: the community's sheets confirmed, one reopened and confirmed again, delivered --
        await pilot.press("f8", "9")
        await settle(
            pilot, lambda: isinstance(app.screen, FeedbackScreen) and app.screen.sheets is not None
        )
        feedback = app.screen
        assert isinstance(feedback, FeedbackScreen) and feedback.community == community
        await pilot.press("A")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await settle(
            pilot,
            lambda: (
                bool(feedback.sheets)
                and all(s.state is SheetState.CONFIRMED for s in feedback.sheets or [])
            ),
        )
        table = feedback.query_one("#sheets-table", DataTable)
        first = feedback.sheets[0]  # type: ignore[index]
        table.move_cursor(row=0)
        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, InputDialog))
        await _type(pilot, "补录活动")
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: feedback.sheets is not None and feedback.sheets[0].state is SheetState.DRAFT,
        )
        await pilot.press("y")  # the single confirmation shows the printed sheet first
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert first.number in str(app.screen.title_text)  # type: ignore[attr-defined]
        assert "实绩反馈单" in str(app.screen.body)  # type: ignore[attr-defined]
        await pilot.press("y")
        await settle(
            pilot,
            lambda: (
                feedback.sheets is not None and feedback.sheets[0].state is SheetState.CONFIRMED
            ),
        )
        for unit in sorted({s.unit_code for s in feedback.sheets or []}):
            row = next(i for i, s in enumerate(feedback.sheets or []) if s.unit_code == unit)
            table.move_cursor(row=row)
            await pilot.press("d")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await settle(
                pilot,
                lambda u=unit: all(  # type: ignore[misc]
                    s.state is SheetState.DELIVERED
                    for s in feedback.sheets or []
                    if s.unit_code == u
                ),
            )
    sheets = ws.feedback.sheets(community=str(community.id))
    assert sheets and all(s.state is SheetState.DELIVERED for s in sheets)
    served = {s.member_id: s.hours for s in sheets if s.hours}
    assert served == dict.fromkeys(groups[0].member_ids, 2.5)
