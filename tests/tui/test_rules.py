"""Issue 15 in the terminal UI: the edit form obeys the same edit rules as ``members edit``
(``partyreg_core.members``): a unit changes by a transfer, a routed member's community by a
change request; the form shows the rule's own refusal and the store is unchanged."""

from __future__ import annotations

import pytest

from partyreg_core.errors import PartyregError
from partyreg_core.members import Route
from partyreg_core.orgcodes import parse_code
from partyreg_core.records import CommunityRef
from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.edit_member import EditMemberDialog
from partyreg_tui.screens.members import MembersScreen
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
        workspace.edit_member(member_id, changes)
    return refused.value.message


async def test_the_form_does_not_move_a_member_to_another_unit(
    app: PartyregApp, workspace: Workspace
) -> None:
    [found] = workspace.find_member("王建伟")
    before = workspace.store.get_member(workspace.actor, found.id)
    expected = _refusal(workspace, found.id, {"unit_code": "008.010.002"})
    assert "members transfer" in expected
    messages = await _edit(app, "王建伟", "unit_code", "008.010.002")
    assert expected in messages
    after = workspace.store.get_member(workspace.actor, found.id)
    assert after == before and after.unit_code == parse_code("008.010.001")


async def test_the_form_does_not_change_a_routed_members_community(
    app: PartyregApp, workspace: Workspace
) -> None:
    [found] = workspace.find_member("王建伟")
    member = workspace.store.get_member(workspace.actor, found.id)
    assert member.community_id is not None and member.district_code is not None
    workspace.route_members([Route(member.id, member.district_code, member.community_id)])
    before = workspace.store.get_member(workspace.actor, found.id)
    other = next(c for c in workspace.communities() if c.id != member.community_id)
    expected = _refusal(workspace, found.id, {"community": other.label})
    assert "change request" in expected
    messages = await _edit(app, "王建伟", "community", other.label)
    assert expected in messages
    after = workspace.store.get_member(workspace.actor, found.id)
    assert after == before
    assert after.community == CommunityRef(*before.community.label.split("/"))
