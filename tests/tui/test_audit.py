"""The audit log screen: newest first, a page at a time, an entry in full; within scope."""

from __future__ import annotations

from textual.widgets import DataTable

from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.entry import EntryDialog
from partyreg_tui.screens.audit import PAGE_SIZE, AuditScreen
from tests.tui.support import settle


def _ids(table: DataTable[object]) -> list[int]:
    return [int(str(table.get_row_at(i)[0])) for i in range(table.row_count)]


async def test_newest_first_in_pages_with_the_entry_in_full(
    app: PartyregApp, workspace: Workspace
) -> None:
    for i in range(PAGE_SIZE + 5):
        workspace.set_setting("tui-test", i)
    everything = [e.id for e in workspace.audit()]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(
            pilot, lambda: isinstance(app.screen, AuditScreen) and bool(app.screen.entries)
        )
        table = app.screen.query_one("#audit-table", DataTable)
        assert _ids(table) == everything[::-1][:PAGE_SIZE]
        assert str(table.get_row_at(0)[3]) == "修改设置"
        await pilot.press("n")
        await settle(pilot, lambda: max(app.screen.entries) < everything[-PAGE_SIZE])  # type: ignore[attr-defined]
        assert _ids(table) == everything[::-1][PAGE_SIZE : 2 * PAGE_SIZE]
        await pilot.press("p")
        await settle(pilot, lambda: max(app.screen.entries) == everything[-1])  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, EntryDialog))
        entry = app.screen.entry  # type: ignore[attr-defined]
        assert entry.id == everything[-1] and entry.after == {"value": PAGE_SIZE + 4}
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, AuditScreen))


async def test_a_unit_operator_sees_its_own_scope_only(city_db, app: PartyregApp) -> None:  # type: ignore[no-untyped-def]
    from tests.tui import support

    app.workspace = support.open_workspace(city_db, operator="unit_op", later=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot, lambda: isinstance(app.screen, AuditScreen))
        seen = set(app.screen.entries)  # type: ignore[attr-defined]
        allowed = {e.id for e in app.workspace.audit()}
        assert seen == allowed
        everything = {e.id for e in support.open_workspace(city_db).audit()}
        assert allowed < everything


async def test_disabling_an_operator_stops_a_running_session_at_the_next_key(city_db) -> None:  # type: ignore[no-untyped-def]
    from tests.tui import support

    session = support.open_workspace(city_db, operator="unit_op", later=True)
    app = PartyregApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        admin = support.open_workspace(city_db, later=True)
        admin.operators.disable("unit_op")
        await pilot.press("f6")
        await settle(pilot)
        assert not isinstance(app.screen, AuditScreen)  # the action did not run
        [note] = [n for n in app._notifications if "已被停用" in n.message]
        assert "unit_op" in note.message
        refused = [e for e in admin.audit() if e.action == "denied.operator.disabled"]
        assert [(e.actor, e.subject) for e in refused] == [(support.OS_USER, "operator:unit_op")]
        admin.close()
    session.close()


def test_actions_and_changes_read_in_chinese() -> None:
    from datetime import UTC, datetime

    from partyreg_core.audit import AuditEntry
    from partyreg_tui.screens.audit import action_label, entry_text, summary

    assert action_label("member.edit") == "修改党员"
    assert action_label("change.approved") == "通过社区变更申请"
    assert action_label("route.routed") == "分流到社区"
    assert action_label("wish.claim") == "认领微心愿"
    assert action_label("feedback.delivered") == "交付反馈单"
    assert action_label("zzz.unknown") == "zzz.unknown"
    at = datetime(2014, 8, 28, 2, tzinfo=UTC)
    edit = AuditEntry(
        1, at, "tester", "member.edit", "member:7", {"phone": "13900000000", "name": "王建伟"},
        {"phone": "13900000001", "name": "王建伟"},
    )  # fmt: skip
    assert summary(edit) == "联系方式 13900000000→13900000001"
    routed = AuditEntry(
        2, at, "tester", "route.routed", "community:1", None,
        {"community": "淮安区 淮城街道 河下社区", "count": 3, "members": [1, 2, 3, 4, 5, 6]},
    )  # fmt: skip
    assert summary(routed) == "社区 淮安区 淮城街道 河下社区；人数 3；党员 6 项"
    text = str(entry_text(routed))
    assert "改动后：" in text and "  社区：淮安区 淮城街道 河下社区" in text and "{" not in text
