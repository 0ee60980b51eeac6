"""Printing: aligned tables that measure Chinese as two cells, and complete JSON."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any

import click
from rich.cells import cell_len

from partyreg_core.converter import unstructure


def emit_json(data: Any) -> None:
    """Print ``data`` (core values are unstructured first) as one JSON document."""
    click.echo(json.dumps(unstructure(data), ensure_ascii=False, indent=2, default=str))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def _safe(value: object) -> str:
    # Never let a stored value drive the terminal: show control characters as escapes.
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


GAP = 2
# A column wider than this is folded (its cells wrapped onto more lines) before any column is
# dropped, and no column is folded narrower than MIN_FOLD.
LONG_TEXT = 30
MIN_FOLD = 8


def terminal_width() -> int | None:
    """The width tables must fit: ``COLUMNS`` when set (what a test or ``COLUMNS=80 partyreg …``
    asks for), else the terminal's when stdout is one, else ``None`` (a pipe or a file gets
    whole rows: ``--json`` is the machine format, but nobody's ``grep`` should lose columns)."""
    env = os.environ.get("COLUMNS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _fold(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` cells (a wide character is never split)."""
    lines: list[str] = []
    line, used = "", 0
    for ch in text:
        size = cell_len(ch)
        if used + size > width and line:
            lines.append(line)
            line, used = "", 0
        line += ch
        used += size
    lines.append(line)
    return lines


def emit_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    drop: Sequence[int] | None = None,
    width: int | None = None,
) -> None:
    """Print rows under ``headers``, columns aligned by display width (a Chinese character
    takes two cells, measured with rich's ``cell_len``).

    When the table is wider than the terminal (:func:`terminal_width`, or ``width``), it is
    made to fit instead of wrapping mid-row: long text columns are folded (wrapped inside
    their column), then the least important columns are dropped — ``drop`` lists column
    indexes in the order they go (default: from the last column back, the first column
    always stays) — and a last line says which were left out. Every CLI table is printed here.
    """
    cells = [[_safe(c) for c in row] for row in rows]
    widths = [cell_len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))
    limit = width if width is not None else terminal_width()
    shown = list(range(len(headers)))
    folded = list(widths)
    if limit is not None:
        shown, folded = _fit(headers, widths, limit, drop)
    out = [
        "  ".join(_pad(headers[i], folded[i]) for i in shown).rstrip(),
        "  ".join("-" * folded[i] for i in shown),
    ]
    for row in cells:
        parts = [_fold(row[i], folded[i]) for i in shown]
        for line in range(max(len(p) for p in parts)):
            out.append(
                "  ".join(
                    _pad(p[line] if line < len(p) else "", folded[i])
                    for p, i in zip(parts, shown, strict=True)
                ).rstrip()
            )
    click.echo("\n".join(out))
    left_out = [headers[i] for i in range(len(headers)) if i not in shown]
    if left_out:
        click.echo(
            f"（终端宽 {limit} 列，省略了：{'、'.join(left_out)}；加宽窗口或用 --json 查看全部。）"
        )


def _fit(
    headers: Sequence[str], widths: list[int], limit: int, drop: Sequence[int] | None
) -> tuple[list[int], list[int]]:
    """The columns to show and their widths so the table fits in ``limit`` cells."""
    shown = list(range(len(headers)))
    folded = list(widths)

    def total() -> int:
        return sum(folded[i] for i in shown) + GAP * (len(shown) - 1)

    # 1. long text columns fold to LONG_TEXT, widest first
    for i in sorted(shown, key=lambda i: -folded[i]):
        if total() <= limit:
            break
        if folded[i] > LONG_TEXT:
            floor = max(LONG_TEXT, cell_len(headers[i]))
            folded[i] = max(floor, folded[i] - (total() - limit))
    # 2. the least important columns go
    order = list(drop) if drop is not None else list(range(len(headers) - 1, 0, -1))
    for i in order:
        if total() <= limit or len(shown) <= 1:
            break
        if i in shown and i != 0:
            shown.remove(i)
    # 3. the widest column left folds further
    if total() > limit:
        widest = max(shown, key=lambda i: folded[i])
        floor = max(MIN_FOLD, cell_len(headers[widest]))
        folded[widest] = max(floor, folded[widest] - (total() - limit))
    return shown, folded
