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
    time; return how many were printed. The first element is fetched before anything is
    printed, so that an error in setting up the query (not permitted, busy) leaves stdout to
    the error boundary's JSON."""
    iterator = iter(items)
    first = next(iterator, _END)
    if first is _END:
        click.echo("[]")
        return 0
    click.echo("[\n  " + _dumps(first), nl=False)
    count = 1
    for item in iterator:
        click.echo(",\n  " + _dumps(item), nl=False)
        count += 1
    click.echo("\n]")
    return count


_END = object()


def _dumps(item: Any) -> str:
    return json.dumps(unstructure(item), ensure_ascii=False, default=str)
