"""Screenshots of the campaign's whole flow in the terminal UI, for the operator guide
(docs/operator_guide.md, 8.11–8.17).

    .venv/bin/python docs/tui/walkthrough.py

Builds the small deterministic city of the TUI tests (a code table, a directory of three
communities and a 附表1 of 131 members, four of them at communities the directory does not know),
then drives ``partyreg tui`` at 80x24 with Textual's Pilot through the steps the guide describes —
routing, the queue, report-in, needs, assignment, groups, an activity, the sheets confirmed and
delivered — and saves each step as ``docs/tui/flow-*.svg`` (Textual's own screenshot, every
character placed at its own cell so Chinese lines up as in a terminal). The same steps are the
test ``tests/tui/test_flow.py``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("screenshots", HERE / "screenshots.py")
assert _spec is not None and _spec.loader is not None
screenshots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(screenshots)


def save(app, name: str) -> None:  # type: ignore[no-untyped-def]
    """The screen as docs/tui/flow-NAME.svg."""
    svg = app.export_screenshot(title="partyreg tui")
    svg = re.sub(r'(<text class="terminal[^"]*"[^>]*>)([^<]*)</text>', screenshots._font, svg)
    (HERE / f"flow-{name}.svg").write_text(svg, encoding="utf-8")
    print(f"docs/tui/flow-{name}.svg")


async def shoot(folder: Path) -> None:
    from tests.tui import support
    from tests.tui.support import settle
    from textual.widgets import DataTable, Input

    from partyreg_tui.app import PartyregApp

    db = support.build_city(folder)
    with support.fixed_tokens(start=0x1000):
        ws = support.open_workspace(db, later=True)
        app = PartyregApp(ws, theme="textual-dark")
        async with app.run_test(size=(80, 24)) as pilot:

            async def fill(values: dict[str, str], shot: str | None = None) -> None:
                for key, value in values.items():
                    field = app.screen.query_one(f"#field-{key}", Input)
                    field.focus()
                    field.clear()
                    await pilot.press(*value)
                if shot:
                    save(app, shot)
                await pilot.press("ctrl+s")
                await settle(pilot)

            await settle(pilot)
            await pilot.press("f8")
            await settle(pilot)
            save(app, "switcher")
            await pilot.press("4")
            await settle(pilot, lambda: getattr(app.screen, "preview", None) is not None)
            save(app, "routing")
            await pilot.press("g")
            await settle(pilot)
            save(app, "route-confirm")
            await pilot.press("y")
            await settle(pilot, lambda: len(getattr(app.screen, "queue", None) or ()) == 4)
            save(app, "queue")
            await pilot.press("s")
            await settle(pilot)
            save(app, "queue-choose")
            await pilot.press("a")
            await settle(pilot)
            await fill({"phone": "0517-85900001", "secretary": "赵强"}, "add-community")
            for _ in range(3):
                await pilot.press("a")
                await settle(pilot)
                await fill({"phone": "0517-85900002"})
            await pilot.press("question_mark")
            await settle(pilot)
            save(app, "help")
            await pilot.press("escape", "f8", "5")
            await settle(pilot, lambda: getattr(app.screen, "counts", None) is not None)
            await pilot.press("tab", "space", "down", "space")
            await settle(pilot)
            save(app, "report-in")
            await pilot.press("shift+tab")
            for _ in range(7):
                await pilot.press("A")
                await settle(pilot)
                if _ == 0:
                    save(app, "report-in-all")
                await pilot.press("y")
                await settle(pilot)
            await pilot.press("f8", "6")
            await settle(pilot, lambda: getattr(app.screen, "report", None) is not None)
            save(app, "progress")
            await pilot.press("f8", "8")
            await settle(pilot, lambda: getattr(app.screen, "rows", None) is not None)
            await pilot.press("n")
            await settle(pilot)
            await fill({"post": "3", "people": "20", "purpose": "收集社情民意"}, "need")
            await pilot.press("n")
            await settle(pilot)
            await fill({"post": "8", "people": "10", "purpose": "义诊"})
            save(app, "needs")
            await pilot.press("g")
            await settle(pilot)
            save(app, "assign")
            await pilot.press("y")
            await settle(pilot)
            await pilot.press("3", "g")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            save(app, "groups")
            await pilot.press("i")
            await settle(pilot)
            await fill({"content": "走访居民收集意见", "hours": "2.5"}, "group-activity")
            await pilot.press("4")
            await settle(pilot)
            save(app, "activities")
            await pilot.press("f8", "9")
            await settle(pilot, lambda: getattr(app.screen, "sheets", None) is not None)
            save(app, "sheets")
            await pilot.press("y")
            await settle(pilot)
            save(app, "sheet-confirm")
            await pilot.press("y")
            await settle(pilot)
            await pilot.press("A")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            table = app.screen.query_one("#sheets-table", DataTable)
            sheets = app.screen.sheets  # type: ignore[attr-defined]
            for unit in sorted({s.unit_code for s in sheets}):
                table.move_cursor(row=next(i for i, s in enumerate(sheets) if s.unit_code == unit))
                await pilot.press("d")
                await settle(pilot)
                await pilot.press("y")
                await settle(pilot)
                sheets = app.screen.sheets  # type: ignore[attr-defined]
            table.move_cursor(row=0)
            await settle(pilot)
            save(app, "delivered")
            await pilot.press("f8", "7")
            await settle(pilot, lambda: getattr(app.screen, "messages", None) is not None)
            save(app, "notify")
            await pilot.press("f2")
            await settle(pilot, lambda: getattr(app.screen, "data", None) is not None)
            save(app, "dashboard")
        ws.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(shoot(Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
