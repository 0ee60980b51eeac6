"""Complete JSON lists written as they are read, so that 100,000 members need not sit in
memory as one document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import click

from partyreg_core.converter import unstructure


def stream_json_list(items: Iterable[Any]) -> int:
    """Print ``items`` (core values are unstructured first) as one JSON array, one element at a
    time; return how many were printed."""
    count = 0
    click.echo("[", nl=False)
    for item in items:
        text = json.dumps(unstructure(item), ensure_ascii=False, default=str)
        click.echo(("\n  " if count == 0 else ",\n  ") + text, nl=False)
        count += 1
    click.echo("\n]" if count else "]")
    return count
