"""Reads finish in any order; only the newest read for a purpose reaches the screen.

The 报到 race (issue 20): after ``A`` and ``y``, a reload started while the confirmation was
still writing (then: the one that closing the dialog started; now also ``r`` pressed meanwhile,
or coming back from another screen) could read before the write committed and finish after
the reload the confirmation itself started, and the old counts overwrote the new ones. The
test forces exactly that order with events (no timing): the reload ``r`` starts reads first,
the write waits for it, the confirmation's own reload finishes, and only then is the stale
reload let go."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from partyreg_core.members.model import MemberStatus
from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.confirm import ConfirmDialog
from partyreg_tui.screens.report_in import ReportInScreen
from tests.tui import support
from tests.tui.support import settle

GUARD = 30  # seconds an event may take before the test gives up (never reached when it passes)


async def test_a_reload_started_before_the_write_cannot_overwrite_the_fresh_counts(
    app: PartyregApp, workspace: Workspace
) -> None:
    ws = workspace
    ws.routing.route(on=support.TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f8", "5")
        await settle(
            pilot, lambda: isinstance(app.screen, ReportInScreen) and app.screen.counts is not None
        )
        screen = app.screen
        assert isinstance(screen, ReportInScreen)

        def waiting() -> int:
            return sum(c[MemberStatus.ROUTED] for c in (screen.counts or {}).values())

        before = waiting()
        await pilot.press("home")
        await settle(pilot, lambda: screen.community_id is not None)
        chosen = screen.community_id
        assert chosen is not None and screen.counts is not None
        in_chosen = screen.counts[chosen][MemberStatus.ROUTED]
        assert in_chosen > 0
        await pilot.press("A")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))

        stale_read = threading.Event()  # the resumed reload has read the old counts
        fresh_shown = threading.Event()  # the confirmation's reload is on screen
        real_read = ws.routing.report_in_counts
        real_write = ws.routing.confirm_community_report_in
        calls = {"read": 0}

        def read(*args: Any, **kwargs: Any) -> Any:
            found = real_read(*args, **kwargs)
            if calls["read"] == 0:  # the first counting read: the one ``r`` starts
                calls["read"] += 1
                stale_read.set()
                assert fresh_shown.wait(GUARD)
            return found

        def write(*args: Any, **kwargs: Any) -> Any:
            assert stale_read.wait(GUARD)
            return real_write(*args, **kwargs)

        ws.routing.report_in_counts = read  # type: ignore[method-assign]
        ws.routing.confirm_community_report_in = write  # type: ignore[method-assign]
        await pilot.press("y")  # the write starts, and waits until the stale read is done
        await pilot.press("r")

        try:
            # not settle(): the stale reload's worker is held back until this holds
            deadline = asyncio.get_running_loop().time() + GUARD
            while not (calls["read"] == 1 and waiting() == before - in_chosen):
                assert asyncio.get_running_loop().time() < deadline, "the fresh counts never came"
                await pilot.pause(0.01)
        finally:
            fresh_shown.set()  # let the stale reload go (also when the fresh one never came)
        await settle(pilot)  # the stale reload has been let go and has finished
        assert calls["read"] == 1
        assert waiting() == before - in_chosen
        assert screen.counts is not None and screen.counts[chosen][MemberStatus.ROUTED] == 0
