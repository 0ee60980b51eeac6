"""The members screen: search as you type, filters, pages, the detail view and edits that are
checked as imports are — asserted on the store afterwards."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from partyreg_core.members.model import MemberQuery
from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.edit_member import EditMemberDialog
from partyreg_tui.screens.member import MemberScreen
from partyreg_tui.screens.members import MembersScreen
from tests.tui import support
from tests.tui.support import settle


def _members(app: PartyregApp) -> MembersScreen:
    screen = app.screen
    assert isinstance(screen, MembersScreen)
    return screen


def _names(app: PartyregApp) -> list[str]:
    page = _members(app).page
    assert page is not None
    return sorted(m.name for m in page.members)


async def _open(pilot, app: PartyregApp) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("f3")
    await settle(
        pilot, lambda: isinstance(app.screen, MembersScreen) and app.screen.page is not None
    )


async def _type(pilot, app: PartyregApp, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` key by key."""
    await pilot.press(*text)
    await settle(
        pilot, lambda: _members(app).page is not None and _members(app).wanted.text == text
    )


async def _enter(pilot, app: PartyregApp, text: str) -> None:  # type: ignore[no-untyped-def]
    """Put ``text`` in the search box at once (as a paste would; quicker than keys)."""
    app.screen.query_one("#search").value = text  # type: ignore[attr-defined]
    await settle(
        pilot, lambda: _members(app).page is not None and _members(app).wanted.text == text
    )


async def test_search_as_you_type_by_name_initials_phone_and_code(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app)
        assert _members(app).page.total == support.MEMBERS + 1  # type: ignore[union-attr]
        await _type(pilot, app, "wjw")
        assert _names(app) == ["吴佳文", "王建伟"]
        await pilot.press("backspace")
        await settle(pilot, lambda: _members(app).wanted.text == "wj")
        assert len(_names(app)) == 8
        await _enter(pilot, app, "王建伟")
        assert _names(app) == ["王建伟"]
        # the city sees phones masked: the last digits it is shown find the member
        await _enter(pilot, app, "0000")
        assert "王建伟" in _names(app)
        await _enter(pilot, app, "008.003")
        assert _members(app).page.total == 43  # type: ignore[union-attr]
        status = str(app.screen.query_one("#member-status", Static).render())
        assert "共 43 人" in status


async def test_pages_of_a_hundred_rows(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app)
        table = app.screen.query_one("#member-table", DataTable)
        assert table.row_count == 100
        await pilot.press("enter")  # from the search box to the list
        await pilot.press("n")
        await settle(pilot, lambda: _members(app).page.offset == 100)  # type: ignore[union-attr]
        assert table.row_count == support.MEMBERS + 1 - 100
        await pilot.press("p")
        await settle(pilot, lambda: _members(app).page.offset == 0)  # type: ignore[union-attr]
        assert table.cursor_row == 99  # back where the previous page ended
        # moving past the last row turns the page, and above the first row turns it back
        await pilot.press("down")
        await settle(pilot, lambda: _members(app).page.offset == 100)  # type: ignore[union-attr]
        assert table.cursor_row == 0
        await pilot.press("up")
        await settle(pilot, lambda: _members(app).page.offset == 0)  # type: ignore[union-attr]


async def test_filter_by_status_and_community(app: PartyregApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app)
        screen = _members(app)
        await settle(pilot, lambda: screen._communities_loaded)
        community = screen.query_one("#community")
        hexia = next(c for c in app.workspace.communities() if c.name == "河下社区")
        community.value = hexia.id  # type: ignore[attr-defined]
        await settle(pilot, lambda: screen.wanted.community == hexia.id and screen.page is not None)
        await settle(pilot)
        expected = app.workspace.members.page(MemberQuery(community_id=hexia.id, limit=0)).total
        assert screen.page.total == expected > 0  # type: ignore[union-attr]
        assert {m.community_id for m in screen.page.members} == {hexia.id}  # type: ignore[union-attr]
        from partyreg_core.members.model import MemberStatus

        screen.query_one("#status").value = MemberStatus.REPORTED_IN  # type: ignore[attr-defined]
        await settle(pilot, lambda: screen.wanted.status is MemberStatus.REPORTED_IN)
        await settle(pilot)
        assert screen.page.total == 0  # type: ignore[union-attr]
        await pilot.press("escape", "x")
        await settle(
            pilot, lambda: screen.wanted.community is None and screen.wanted.status is None
        )
        await settle(pilot)
        assert screen.page.total == support.MEMBERS + 1  # type: ignore[union-attr]


async def test_detail_shows_every_field_and_an_edit_changes_the_store(
    app: PartyregApp, workspace: Workspace
) -> None:
    [found] = workspace.members.find("王建伟")
    member = workspace.store.members.get_member(workspace.actor, found.id)  # unmasked
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app)
        await _enter(pilot, app, "王建伟")
        await pilot.press("enter", "enter")
        await settle(
            pilot, lambda: isinstance(app.screen, MemberScreen) and app.screen.member is not None
        )
        fields = app.screen.query_one("#member-fields", DataTable)
        shown = {
            str(fields.get_row_at(i)[0]): str(fields.get_row_at(i)[1])
            for i in range(fields.row_count)
        }
        assert shown["姓名"] == "王建伟"
        assert shown["单位代码"] == "008.010.001 市民政局机关党委"
        assert shown["认领岗位"].startswith("3 ") and "、8 " in shown["认领岗位"]
        assert shown["联系方式"] == "139****0000"  # the city sees it masked
        assert shown["状态"] == "已登记"
        for label in ("性别", "单位及职务", "特长", "常住住址", "报到社区", "社区所属街道、乡镇",
                      "所属县区", "报到类型", "职级", "登记日期"):  # fmt: skip
            assert label in shown
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, EditMemberDialog))
        dialog = app.screen
        dialog.query_one("#field-phone").value = "13812345678"  # type: ignore[attr-defined]
        dialog.query_one("#field-specialty").value = "摄影"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, MemberScreen))
        await settle(pilot)
    saved = workspace.store.members.get_member(workspace.actor, member.id)
    assert saved.phone == "13812345678"
    assert saved.specialty == "摄影"
    assert saved.address == member.address  # shown masked, not retyped: kept


async def test_a_refused_edit_says_why_in_chinese_and_changes_nothing(
    app: PartyregApp, workspace: Workspace
) -> None:
    [found] = workspace.members.find("吴佳文")
    member = workspace.store.members.get_member(workspace.actor, found.id)  # unmasked
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open(pilot, app)
        await _enter(pilot, app, "吴佳文")
        await pilot.press("enter", "e")
        await settle(pilot, lambda: isinstance(app.screen, EditMemberDialog))
        app.screen.query_one("#field-phone").value = "12345"  # type: ignore[attr-defined]
        app.screen.query_one("#field-posts").value = "99"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(app._notifications))
        assert isinstance(app.screen, EditMemberDialog)  # still open, to correct
        messages = [n.message for n in app._notifications]
        assert any("联系方式" in m and "认领岗位" in m for m in messages), messages
    assert workspace.store.members.get_member(workspace.actor, member.id) == member


async def test_filter_by_post_shows_exactly_the_members_who_claimed_it(
    app: PartyregApp, workspace: Workspace
) -> None:
    claimed = {
        m.id for m in workspace.members.iter(MemberQuery()) if "5" in m.posts
    }  # every third member of the city claimed post 5
    assert 0 < len(claimed) < support.MEMBERS
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app)
        screen = _members(app)
        await pilot.press("escape", "g")  # from the list, g (岗) opens the post filter
        await settle(pilot)
        select = screen.query_one("#post")
        assert select.expanded  # type: ignore[attr-defined]
        assert any(str(label).startswith("5 ") for label, _ in select._options)  # type: ignore[attr-defined]
        select.value = "5"  # type: ignore[attr-defined]
        await settle(pilot, lambda: screen.wanted.post == "5")
        await settle(pilot)
        assert screen.page is not None
        assert {m.id for m in screen.page.members} == claimed
        assert screen.page.total == len(claimed)
        assert all("5" in m.posts for m in screen.page.members)
        screen.query_one("#member-table").focus()
        await pilot.press("x")
        await settle(pilot, lambda: screen.wanted.post is None)
        await settle(pilot)
        assert screen.page.total == support.MEMBERS + 1


async def test_detail_shows_the_members_history_with_an_edit_before_and_after(
    app: PartyregApp, workspace: Workspace
) -> None:
    [found] = workspace.members.find("王建伟")
    workspace.members.edit(found.id, {"specialty": "摄影"})
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, app)
        await _enter(pilot, app, "王建伟")
        await pilot.press("enter", "enter")
        await settle(
            pilot, lambda: isinstance(app.screen, MemberScreen) and app.screen.member is not None
        )
        history = app.screen.query_one("#member-history", DataTable)
        rows = [[str(cell) for cell in history.get_row_at(i)] for i in range(history.row_count)]
        assert len(rows) == 2, rows
        at, actor, action, change = rows[0]  # newest first
        assert at  # when the store wrote the entry
        assert action == "修改党员"
        assert actor == support.OS_USER
        assert change == "特长 书法→摄影"
        assert rows[-1][2] == "登记"
        assert found.batch_id is not None and found.batch_id in rows[-1][3]


async def test_rows_show_the_number_and_a_unique_community_and_search_takes_full_pinyin(
    app: PartyregApp, workspace: Workspace
) -> None:
    # a second 河下社区, in another district: rows must say which one
    workspace.routing.add_community(
        {
            "district": "淮阴区",
            "street": "王营街道",
            "community": "河下社区",
            "phone": "0517-84900000",
        }
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, app)
        screen = _members(app)
        await settle(pilot, lambda: bool(screen.repeated))
        await _type(pilot, app, "wangjianwei")
        assert _names(app) == ["王建伟"]
        table = screen.query_one("#member-table", DataTable)
        wang = screen.page.members[0]  # type: ignore[union-attr]
        cells = [str(c) for c in table.get_row_at(0)]
        assert cells[0] == str(wang.id)
        assert "淮安区·河下社区" in cells
        # 'x' clears the filters; '/' then starts a search instead of typing a slash
        await pilot.press("escape", "x")
        await settle(pilot, lambda: screen.wanted.text == "")
        table.focus()
        await pilot.press("slash", *"wang")
        await settle(pilot, lambda: screen.wanted.text == "wang" and screen.page is not None)
        assert {m.name[0] for m in screen.page.members} == {"王"}  # type: ignore[union-attr]
        await _enter(pilot, app, str(wang.id))
        assert wang.name in _names(app)
