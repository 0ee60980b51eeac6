"""Issue 15 in the terminal UI: the edit form obeys the same edit rules as ``members edit``
(``partyreg_core.members``): a unit changes by a transfer, a routed member's community by a
change request; the form shows the rule's own refusal and the store is unchanged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from partyreg_core.errors import PartyregError
from partyreg_core.feedback.rules import year_closed_message
from partyreg_core.importing import ImportRequest
from partyreg_core.members.fields import registration_cells
from partyreg_core.members.model import Route
from partyreg_core.orgcodes import parse_code
from partyreg_core.records import CommunityRef
from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.edit_member import EditMemberDialog
from partyreg_tui.screens.imports import ImportScreen
from partyreg_tui.screens.members import MembersScreen
from tests.cli.test_years import _activities_csv
from tests.tui import support
from tests.tui.support import settle


async def _edit(app: PartyregApp, name: str, field: str, value: str) -> list[str]:
    """Open ``name``'s edit form, set ``field`` to ``value``, save; the notifications."""
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(
            pilot, lambda: isinstance(app.screen, MembersScreen) and app.screen.page is not None
        )
        app.screen.query_one("#search").value = name  # type: ignore[attr-defined]
        await settle(pilot, lambda: app.screen.wanted.text == name)  # type: ignore[attr-defined]
        await settle(pilot)
        await pilot.press("enter", "e")
        await settle(pilot, lambda: isinstance(app.screen, EditMemberDialog))
        app.screen.query_one(f"#field-{field}").value = value  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(app._notifications))
        assert isinstance(app.screen, EditMemberDialog)  # still open: nothing was saved
        return [n.message for n in app._notifications]


def _refusal(workspace: Workspace, member_id: int, changes: dict[str, str]) -> str:
    """What the facade (the CLI's path) says to the same edit."""
    with pytest.raises(PartyregError) as refused:
        workspace.members.edit(member_id, changes)
    return refused.value.message


async def test_the_form_does_not_move_a_member_to_another_unit(
    app: PartyregApp, workspace: Workspace
) -> None:
    [found] = workspace.members.find("王建伟")
    before = workspace.store.members.get_member(workspace.actor, found.id)
    expected = _refusal(workspace, found.id, {"unit_code": "008.010.002"})
    assert "members transfer" in expected
    messages = await _edit(app, "王建伟", "unit_code", "008.010.002")
    assert expected in messages
    after = workspace.store.members.get_member(workspace.actor, found.id)
    assert after == before and after.unit_code == parse_code("008.010.001")


async def test_the_form_does_not_change_a_routed_members_community(
    app: PartyregApp, workspace: Workspace
) -> None:
    [found] = workspace.members.find("王建伟")
    member = workspace.store.members.get_member(workspace.actor, found.id)
    assert member.community_id is not None and member.district_code is not None
    workspace.routing.assign([Route(member.id, member.district_code, member.community_id)])
    before = workspace.store.members.get_member(workspace.actor, found.id)
    other = next(c for c in workspace.communities() if c.id != member.community_id)
    expected = _refusal(workspace, found.id, {"community": other.label})
    assert "change request" in expected
    messages = await _edit(app, "王建伟", "community", other.label)
    assert expected in messages
    after = workspace.store.members.get_member(workspace.actor, found.id)
    assert after == before
    assert after.community == CommunityRef(*before.community.label.split("/"))


FORM1_KEYS = ("unit_code", "name", "gender", "unit_and_title", "specialty", "posts", "phone",
              "address", "community", "street", "district")  # fmt: skip


async def _edit_directly(app: PartyregApp, member_id: int, field: str, value: str) -> list[str]:
    """Open the edit form of ``member_id`` (as the member screen does), set ``field``, save;
    the notifications. For members the list no longer shows (one who left)."""
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        member = app.workspace.store.members.get_member(app.workspace.actor, member_id)
        app.push_screen(EditMemberDialog(member))
        await settle(pilot, lambda: isinstance(app.screen, EditMemberDialog))
        app.screen.query_one(f"#field-{field}").value = value  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(app._notifications))
        assert isinstance(app.screen, EditMemberDialog)  # still open: nothing was saved
        return [n.message for n in app._notifications]


async def test_the_form_refuses_to_edit_a_member_who_left_like_the_cli_and_the_import(
    app: PartyregApp, workspace: Workspace, tmp_path: Path
) -> None:
    [found] = workspace.members.find("王建伟")
    workspace.members.leave(found.id, reason="调离本市", on=date(2014, 8, 1))
    before = workspace.store.members.get_member(workspace.actor, found.id)
    expected = _refusal(workspace, found.id, {"phone": "13900000000"})
    assert "已于 2014-08-01 离开" in expected
    messages = await _edit_directly(app, found.id, "phone", "13900000000")
    assert expected in messages
    assert workspace.store.members.get_member(workspace.actor, found.id) == before
    # out of current work: the members list no longer shows them
    assert all(m.id != found.id for m in workspace.members.page().members)
    # the import refuses a changed row of theirs with the same code and text
    cells = {**registration_cells(before), "address": "新住址1号"}
    sheet = support.write_xlsx(
        tmp_path / "again.xlsx", [support.FORM1_HEADER, [cells[k] for k in FORM1_KEYS]]
    )
    report = workspace.import_file(ImportRequest(sheet, date(2014, 8, 28), dry_run=True))
    assert [(e.code, e.message) for e in report.errors] == [("member.left", expected)]


async def test_the_form_refuses_the_name_and_phone_of_an_erased_person(
    app: PartyregApp, workspace: Workspace
) -> None:
    [gone] = workspace.members.find("王建伟")
    person = workspace.store.members.get_member(workspace.actor, gone.id)
    workspace.members.leave(gone.id, reason="调离本市", on=date(2010, 1, 1))
    assert workspace.run_retention(on=date(2014, 8, 28)).members == 1
    other = next(m for m in workspace.members.iter() if m.id != gone.id)
    before = workspace.store.members.get_member(workspace.actor, other.id)
    changes = {"name": person.name, "phone": person.phone}
    with pytest.raises(PartyregError) as refused:
        workspace.members.edit(other.id, changes)
    assert refused.value.code == "member.erased"
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        app.push_screen(EditMemberDialog(before))
        await settle(pilot, lambda: isinstance(app.screen, EditMemberDialog))
        for key, value in changes.items():
            app.screen.query_one(f"#field-{key}").value = value  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(app._notifications))
        assert refused.value.message in [n.message for n in app._notifications]
    assert workspace.store.members.get_member(workspace.actor, other.id) == before
    # the anonymised row itself cannot be filled in again either
    anonymised = _refusal(workspace, gone.id, {"phone": person.phone})
    assert "匿名化" in anonymised
    again = PartyregApp(workspace, theme="textual-dark")
    assert anonymised in await _edit_directly(again, gone.id, "phone", person.phone)


async def test_the_import_screen_refuses_activities_of_a_closed_year_like_the_cli(
    app: PartyregApp, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.open_year(2015, on=date(2014, 8, 28))
    member = next(iter(workspace.members.iter()))
    phone = workspace.store.members.get_member(workspace.actor, member.id).phone
    monkeypatch.chdir(tmp_path)
    _activities_csv(
        tmp_path / "活动.csv",
        [[member.name, phone, "2014-08-20", "补录", "社区", "", "1", "优"]],
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, ImportScreen))
        app.screen.query_one("#path").value = "活动.csv"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot, lambda: app.screen.report is not None)  # type: ignore[attr-defined]
        report = app.screen.report  # type: ignore[attr-defined]
    assert [(e.code, e.message) for e in report.errors] == [
        ("activity.year_closed", year_closed_message(member.name, 2014))
    ]
