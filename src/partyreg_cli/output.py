"""Printing: aligned tables that measure Chinese as two cells, and complete JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from partyreg_core.converter import unstructure
from partyreg_core.text import display_width


def emit_json(data: Any) -> None:
    """Print ``data`` (core values are unstructured first) as one JSON document."""
    click.echo(json.dumps(unstructure(data), ensure_ascii=False, indent=2, default=str))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def _safe(value: object) -> str:
    # Never let a stored value drive the terminal: show control characters as escapes.
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def emit_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows under ``headers``, columns aligned by display width."""
    cells = [[_safe(c) for c in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    click.echo("  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
