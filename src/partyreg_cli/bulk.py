"""Bulk actions on the command line (decision 0076): ``--dry-run`` shows what would change and
writes nothing; a run that touches more than one record asks on a terminal first, and without
a terminal needs ``--yes``, so that a script says so once instead of an operator by accident."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from partyreg_core.errors import ValidationError

F = TypeVar("F", bound=Callable[..., Any])


def bulk_options(what: str) -> Callable[[F], F]:
    """``--dry-run`` and ``--yes`` for a bulk command that ``what`` (e.g. "盖章确认反馈单")."""

    def decorate(function: F) -> F:
        function = click.option(
            "--yes", "-y", "yes", is_flag=True, help="不再询问，直接写入（脚本和定时任务用）。"
        )(function)
        return click.option(
            "--dry-run", "dry_run", is_flag=True, help=f"只列出将{what}的记录，不写入。"
        )(function)

    return decorate


def confirm_bulk(count: int, what: str, *, yes: bool, warning: str = "") -> None:
    """Ask before a write that touches ``count`` records (more than one): on a terminal a
    yes/no question, otherwise a refusal saying to add ``--yes`` (``bulk.confirm``).
    ``warning`` (e.g. that it cannot be undone) comes first in both."""
    if count <= 1 or yes:
        return
    if not sys.stdin.isatty():
        raise ValidationError(
            "bulk.confirm",
            f"{warning}这一步将{what} {count} 条记录：确认无误请加 --yes 再运行（可先加 --dry-run 查看）。",
        )
    if not click.confirm(f"{warning}将{what} {count} 条记录，确定吗？", default=False, err=True):
        raise ValidationError("bulk.cancelled", "已取消，没有写入任何数据。")


def undo_hint(batch_id: str | None, note: str = "") -> None:
    """Print the batch a bulk action wrote and the command that takes it back (``note``:
    what the undo cannot take back)."""
    if batch_id:
        click.echo(f"批次号 {batch_id}；撤销：partyreg undo {batch_id} --reason 撤销原因{note}")


def list_preview(rows: Sequence[str], limit: int = 20) -> None:
    """Print a dry run's records, one a line (at most ``limit``, then how many more)."""
    for row in rows[:limit]:
        click.echo(f"  {row}")
    if len(rows) > limit:
        click.echo(f"  …另有 {len(rows) - limit} 条（--json 列出全部）")


def ask_first(
    what: str, count: Callable[[], int], *, dry_run: bool, yes: bool, warning: str = ""
) -> None:
    """Before a real run without ``--yes``: preview it (``count`` runs the dry run and counts
    the records it would touch) and :func:`confirm_bulk`."""
    if dry_run or yes:
        return
    confirm_bulk(count(), what, yes=False, warning=warning)
