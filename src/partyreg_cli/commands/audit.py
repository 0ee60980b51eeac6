"""``partyreg audit``: the audit log, within the operator's scope."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_table
from partyreg_cli.streaming import stream_json_list
from partyreg_core.audit import AuditEntry
from partyreg_core.workspace import LOCAL_ZONE


def entry_json(entry: AuditEntry) -> dict[str, object]:
    """An audit entry as ``audit --json`` writes it (times in Asia/Shanghai, with offset)."""
    return {
        "id": entry.id,
        "at": entry.at.astimezone(LOCAL_ZONE).isoformat(),
        "actor": entry.actor,
        "on_behalf_of": entry.on_behalf_of,
        "os_user": entry.os_user,
        "action": entry.action,
        "subject": entry.subject,
        "before": entry.before,
        "after": entry.after,
        "batch_id": entry.batch_id,
    }


def _summary(entry: AuditEntry) -> str:
    data = entry.after if entry.after is not None else entry.before
    text = json.dumps(data, ensure_ascii=False) if data is not None else ""
    return text if len(text) <= 60 else text[:57] + "..."


@click.command()
@click.option("--since", type=DAY, help="只列出该日（含）以后的记录，如 2024-09-01。")
@click.option("--action", metavar="ACTION", help="只列出该类操作，如 member 或 member.edit。")
@click.option("--limit", type=click.IntRange(min=1), help="只列出最新的 N 条（仍按时间先后排列）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整，不截断）。")
@click.pass_obj
def audit(
    app: App, since: date | None, action: str | None, limit: int | None, as_json: bool
) -> None:
    """审计日志：谁、何时、做了什么、改动前后（只能追加，不能修改或删除）。"""
    ws = app.workspace
    since_day = since  # a future date simply finds nothing
    entries: Iterable[AuditEntry]
    if limit is None:
        entries = ws.audit(since=since_day, action=action)
    else:  # the newest N, shown in the order they happened like the full listing
        entries = reversed(
            list(ws.audit(since=since_day, action=action, limit=limit, newest_first=True))
        )
    if as_json:
        stream_json_list(entry_json(e) for e in entries)
        return
    emit_table(
        ["编号", "时间", "操作员", "代为", "操作", "对象", "内容"],
        [
            (
                e.id,
                f"{e.at.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.on_behalf_of or "",
                e.action,
                e.subject,
                _summary(e),
            )
            for e in entries
        ],
    )
