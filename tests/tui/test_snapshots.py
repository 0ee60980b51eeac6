"""Snapshots of the main screens at 80x24 (the smallest supported terminal) and 120x40, on the
deterministic city (today fixed to 2014-08-28). Update after an intended change with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the SVGs."""

from __future__ import annotations

from pathlib import Path

import pytest

from partyreg_tui.app import PartyregApp
from partyreg_tui.screens.audit import AuditScreen
from partyreg_tui.screens.batches import BatchesScreen
from partyreg_tui.screens.dashboard import DashboardScreen
from partyreg_tui.screens.imports import ImportScreen
from partyreg_tui.screens.member import MemberScreen
from partyreg_tui.screens.members import MembersScreen
from partyreg_tui.screens.service import ServiceScreen
from tests.tui import support
from tests.tui.support import settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare, app: PartyregApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(
            pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.data is not None
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_members(snap_compare, app: PartyregApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f3")
        await settle(
            pilot, lambda: isinstance(app.screen, MembersScreen) and app.screen.page is not None
        )
        await pilot.press("w", "j")
        await settle(pilot, lambda: app.screen.wanted.text == "wj")  # type: ignore[attr-defined]
        await pilot.press("enter")  # to the list
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_member_detail(snap_compare, app: PartyregApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f3")
        await settle(
            pilot, lambda: isinstance(app.screen, MembersScreen) and app.screen.page is not None
        )
        await pilot.press(*"wjw")
        await settle(pilot, lambda: app.screen.wanted.text == "wjw")  # type: ignore[attr-defined]
        await pilot.press("enter", "down", "enter")  # the second: 王建伟
        await settle(
            pilot, lambda: isinstance(app.screen, MemberScreen) and app.screen.member is not None
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_import_report(  # type: ignore[no-untyped-def]
    snap_compare, app: PartyregApp, size: tuple[int, int], tmp_path: Path, monkeypatch
) -> None:
    from tests.tui.test_import import BAD_ROWS, NEW_ROWS, form1

    monkeypatch.chdir(tmp_path)
    form1(tmp_path, NEW_ROWS + BAD_ROWS + [support.member_rows()[0]])

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, ImportScreen))
        await pilot.press(*"登记表.xlsx", "enter")
        await settle(pilot, lambda: app.screen.report is not None)  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_service(snap_compare, app: PartyregApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    support.serve(app.workspace)

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f7")
        await settle(
            pilot,
            lambda: isinstance(app.screen, ServiceScreen) and app.screen.rows is not None,
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_batches(snap_compare, app: PartyregApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f5")
        await settle(
            pilot, lambda: isinstance(app.screen, BatchesScreen) and bool(app.screen.batches)
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_audit(snap_compare, app: PartyregApp, size: tuple[int, int], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # the log's times are the real clock's (the store stamps them); the picture fixes them
    monkeypatch.setattr("partyreg_tui.screens.audit.local_time", lambda _at: "2014-08-28 10:00")

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f6")
        await settle(
            pilot, lambda: isinstance(app.screen, AuditScreen) and bool(app.screen.entries)
        )

    assert snap_compare(app, terminal_size=size, run_before=ready)
