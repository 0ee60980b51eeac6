"""Snapshots of the campaign's work screens (分流 报到 进度 通知 服务 反馈) at 80x24 and 120x40 on
the deterministic city, each in the state an operator meets it in. Update after an intended
change with ``pytest tests/tui/test_snapshots_work.py --snapshot-update`` and look at the SVGs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.screens.base import WorkScreen
from tests.tui import support
from tests.tui.support import settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def routed(ws: Workspace) -> None:
    ws.routing.route(on=support.TODAY)


def served(ws: Workspace) -> None:
    support.serve(ws)
    ws.service.add_need(1, "3", 10, purpose="收集社情民意")
    ws.service.add_need(1, "8", 5, purpose="义诊")
    ws.service.assign(1)


def _snapshot(snap_compare, app: PartyregApp, size: tuple[int, int], key: str, mode: str) -> bool:  # type: ignore[no-untyped-def]
    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f8", key)
        await settle(pilot, lambda: isinstance(app.screen, WorkScreen) and mode == app.screen.MODE)
        await settle(pilot, lambda: not app.screen.busy)  # type: ignore[attr-defined]

    return bool(snap_compare(app, terminal_size=size, run_before=ready))


SCREENS: list[tuple[str, str, Callable[[Workspace], None] | None]] = [
    ("4", "routing", None),
    ("5", "report_in", routed),
    ("6", "progress", routed),
    ("7", "notify", routed),
    ("8", "work", served),
    ("9", "feedback", served),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("key", "mode", "prepare"), SCREENS, ids=[m for _k, m, _p in SCREENS])
def test_work_screen(  # type: ignore[no-untyped-def]
    snap_compare, app: PartyregApp, size: tuple[int, int], key: str, mode: str, prepare
) -> None:
    if prepare is not None:
        prepare(app.workspace)
    assert _snapshot(snap_compare, app, size, key, mode)
