"""Screenshots of the terminal UI for the operator guide (docs/operator_guide.md, 终端界面).

    .venv/bin/python docs/tui/screenshots.py [--demo DIR]

Builds the demo city (``examples/demo.py``, unless ``--demo`` names one already built), drives
``partyreg tui`` with Textual's Pilot at 80x24 — the smallest terminal operators have — and
saves each main screen as SVG (Textual's own screenshot) and as PNG next to this file. The PNGs
are drawn by ``rsvg-convert`` (Debian: ``apt-get install librsvg2-bin``) with Noto Sans Mono CJK
(``fonts-noto-cjk``) and DejaVu Sans Mono, sized so that every character fills its cells as in a
terminal (a Chinese character two, everything else one).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

from rich.cells import get_character_cell_size

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FONT = "Noto Sans Mono CJK SC"
CELL = 12.2  # the width of one cell in Textual's SVG, in pixels
SIZE = (80, 24)


def build_demo(folder: Path) -> Path:
    """The demo city of ``make demo`` in ``folder``."""
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--out", str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


def _font(match: re.Match[str]) -> str:
    """One text run, each character placed at its own cell (an SVG ``x`` list), in a font
    sized to fill its cells: Noto Sans Mono CJK at two cells per em for runs with Chinese (its
    Latin letters are half an em: one cell), DejaVu Sans Mono at one cell per 0.6 em for the
    rest (its block and box characters are one cell, as terminals draw them; a CJK font draws
    them two cells wide). Textual's own SVG gives a run one start and a length counted in
    characters, which leaves Chinese text misplaced."""
    tag, text = match.group(1), html.unescape(match.group(2))
    wide = any(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    style = (
        f"font-family: '{FONT}'; font-size: {CELL * 2:.2f}px"
        if wide
        else f"font-family: 'DejaVu Sans Mono'; font-size: {CELL / 0.602:.2f}px"
    )
    x = float(re.search(r' x="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
    places = []
    for ch in text:
        places.append(f"{x:.1f}")
        x += get_character_cell_size(ch) * CELL
    tag = re.sub(r' textLength="[^"]*"', "", tag)
    tag = re.sub(r' x="[^"]*"', f' x="{" ".join(places)}"', tag)
    shown = html.escape(text, quote=False).replace("\xa0", "&#160;").replace(" ", "&#160;")
    return f'{tag[:-1]} style="{style}">{shown}</text>'


def save(app, name: str) -> None:  # type: ignore[no-untyped-def]
    """The screen as docs/tui/NAME.png (through Textual's SVG, fonts fixed for Chinese)."""
    svg = app.export_screenshot(title="partyreg tui")
    svg = re.sub(r'(<text class="terminal[^"]*"[^>]*>)([^<]*)</text>', _font, svg)
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as f:
        f.write(svg)
    try:
        subprocess.run(
            ["rsvg-convert", "--zoom", "1.25", f.name, "-o", str(HERE / f"{name}.png")],
            check=True,
        )
    finally:
        os.unlink(f.name)
    print(f"docs/tui/{name}.png")


async def settle(pilot, until=lambda: True) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        await pilot.pause(0.02)
        busy = any(w.is_running for w in pilot.app.workers if w.group != "_loader")
        if not busy and until():
            await pilot.pause(0.05)
            return
    raise TimeoutError("the screen did not settle")


async def shoot(demo: Path) -> None:
    from partyreg_core.workspace import Workspace
    from partyreg_tui.app import PartyregApp

    os.chdir(demo)
    workspace = Workspace(f"sqlite:///{demo / 'partyreg.db'}")
    app = PartyregApp(workspace, theme="textual-dark")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: getattr(app.screen, "data", None) is not None)
        save(app, "dashboard")
        await pilot.press("f3")
        await settle(pilot, lambda: getattr(app.screen, "page", None) is not None)
        await pilot.press("w", "q")
        await settle(pilot, lambda: app.screen.wanted.text == "wq")  # type: ignore[attr-defined]
        save(app, "members")
        await pilot.press("enter", "enter")
        await settle(pilot, lambda: getattr(app.screen, "member", None) is not None)
        save(app, "member")
        await pilot.press("e")
        await settle(pilot)
        save(app, "edit")
        await pilot.press("escape", "escape", "f4")
        await settle(pilot)
        app.screen.query_one("#path").value = "表格/附表1-市民政局机关党委.xlsx"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot, lambda: getattr(app.screen, "report", None) is not None)
        save(app, "import")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        save(app, "undo")
        await pilot.press("n", "f6")
        await settle(pilot)
        save(app, "audit")
        await pilot.press("f7", "a")  # the demo's service is of 2014: all years together
        await settle(
            pilot,
            lambda: (
                getattr(app.screen, "year", 0) is None
                and getattr(app.screen, "rows", None) is not None
            ),
        )
        save(app, "service")
        await pilot.press("f2", "f9")
        await settle(pilot)
        save(app, "dashboard-light")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, help="a demo city already built by examples/demo.py")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo or build_demo(Path(tmp) / "demo")
        asyncio.run(shoot(demo.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
