"""Org changes with effective dates (``partyreg codes add|rename|move|retire|merge|apply|history``)
and the member lifecycle (``partyreg members transfer|retire|leave|count``).

The commands are attached to the ``codes`` and ``members`` groups by :func:`attach`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY, up_to
from partyreg_cli.commands.members import _one
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.converter import unstructure
from partyreg_core.members.model import Member, MemberStatus
from partyreg_core.orgchanges import (
    AppliedChange,
    ChangeKind,
    OrgChange,
    OrgChangeRecord,
    OrgPlan,
    parse_org_kind,
)
from partyreg_core.orgcodes import parse_code
from partyreg_core.workspace import Workspace


def _on(ws: Workspace, day: date | None) -> date:
    """An effective date (default today; never after today)."""
    return up_to(ws.today(), day, "生效日期") or ws.today()


def applied_json(applied: AppliedChange) -> dict[str, object]:
    """One change as the JSON of ``codes add|…|apply`` writes it."""
    change = applied.change
    return {
        "line": change.line,
        "kind": change.kind.value,
        "on": change.on.isoformat(),
        "code": str(applied.code),
        "name_before": applied.name_before or None,
        "name_after": applied.name_after,
        "reason": change.reason,
        "moves": [
            {"old": str(m.old), "new": str(m.new), "kind": m.kind.value} for m in applied.moves
        ],
        "summary": applied.summary,
    }


def _report(plan: OrgPlan, dry_run: bool, as_json: bool, file: str | None = None) -> None:
    if as_json:
        emit_json(
            {
                "file": file,
                "dry_run": dry_run,
                "changes": [applied_json(a) for a in plan.changes],
                "codes_added": len(plan.added),
                "codes_moved": len(plan.moves),
            }
        )
        return
    head = "试运行（未写入）：" if dry_run else "已调整："
    click.echo(head)
    for applied in plan.changes:
        click.echo(f"  {applied.summary}")
        for move in applied.moves[1:11]:
            click.echo(f"      {move.old} → {move.new}")
        if len(applied.moves) > 11:
            click.echo(f"      …（另有 {len(applied.moves) - 11} 个代码）")


def _run(app: App, change: OrgChange, dry_run: bool, as_json: bool) -> None:
    app.admin_login_ok = True  # a re-code carries rows across scopes
    plan = app.workspace.apply_org_changes([change], dry_run=dry_run)
    _report(plan, dry_run, as_json)


_common = [
    click.option("--on", "on", type=DAY, help="生效日期（默认今天，不能晚于今天）。"),
    click.option("--reason", required=True, help="调整原因或依据（记入审计日志）。"),
    click.option("--dry-run", is_flag=True, help="只检查并显示将做的调整，不写入。"),
    click.option("--json", "as_json", is_flag=True, help="输出 JSON。"),
]


def _options(function: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_common):
        function = option(function)
    return function


@click.command("add")
@click.argument("parent", metavar="上级代码")
@click.argument("name", metavar="名称")
@click.option("--kind", "org_kind", help="类别：县区、功能区、市直党工委、院校、单位（默认单位）。")
@_options
@click.pass_obj
def add_unit(
    app: App,
    parent: str,
    name: str,
    org_kind: str | None,
    on: date | None,
    reason: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """在 PARENT 下新增单位，取下一个可用代码（用过的代码不再使用）。"""
    ws = app.workspace
    change = OrgChange(
        ChangeKind.ADD,
        _on(ws, on),
        reason,
        to=parent,
        name=name,
        org_kind=parse_org_kind(org_kind) if org_kind else None,
    )
    _run(app, change, dry_run, as_json)


@click.command("rename")
@click.argument("code", metavar="代码")
@click.argument("name", metavar="新名称")
@_options
@click.pass_obj
def rename_unit(
    app: App, code: str, name: str, on: date | None, reason: str, dry_run: bool, as_json: bool
) -> None:
    """单位更名（代码不变；生效日期之前仍显示原名称）。"""
    ws = app.workspace
    _run(
        app,
        OrgChange(ChangeKind.RENAME, _on(ws, on), reason, unit=code, name=name),
        dry_run,
        as_json,
    )


@click.command("move")
@click.argument("code", metavar="代码")
@click.option("--to", "to", required=True, metavar="上级代码", help="新的上级单位。")
@_options
@click.pass_obj
def move_unit(
    app: App, code: str, to: str, on: date | None, reason: str, dry_run: bool, as_json: bool
) -> None:
    """单位调整隶属：在新上级下取新代码，下级单位、党员、分流和活动记录一并改用新代码。"""
    ws = app.workspace
    _run(app, OrgChange(ChangeKind.MOVE, _on(ws, on), reason, unit=code, to=to), dry_run, as_json)


@click.command("retire")
@click.argument("code", metavar="代码")
@_options
@click.pass_obj
def retire_unit(
    app: App, code: str, on: date | None, reason: str, dry_run: bool, as_json: bool
) -> None:
    """撤销单位（须已没有下级单位和党员；代码保留，不再使用）。"""
    ws = app.workspace
    _run(app, OrgChange(ChangeKind.RETIRE, _on(ws, on), reason, unit=code), dry_run, as_json)


@click.command("merge")
@click.argument("code", metavar="代码")
@click.option("--into", "into", required=True, metavar="代码", help="并入的单位。")
@_options
@click.pass_obj
def merge_unit(
    app: App, code: str, into: str, on: date | None, reason: str, dry_run: bool, as_json: bool
) -> None:
    """把单位合并到另一单位：其党员归入该单位，下级单位在其下取新代码。"""
    ws = app.workspace
    _run(
        app, OrgChange(ChangeKind.MERGE, _on(ws, on), reason, unit=code, to=into), dry_run, as_json
    )


@click.command("apply")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只检查并显示将做的调整，不写入。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def apply_file(app: App, file: Path, dry_run: bool, as_json: bool) -> None:
    """按调整文件（CSV：生效日期,调整,代码,名称,上级,类别,原因）一次完成一批组织调整；
    任何一行有错，整个文件都不执行，并指明是第几行。"""
    app.admin_login_ok = True  # a re-code carries rows across scopes
    ws = app.workspace
    changes = ws.read_change_file(file)
    plan = ws.apply_org_changes(changes, file=file.name, dry_run=dry_run)
    _report(plan, dry_run, as_json, file.name)


def record_json(record: OrgChangeRecord) -> dict[str, object]:
    """A recorded change as ``codes history --json`` writes it."""
    return {
        "id": record.id,
        "kind": record.kind.value,
        "code": str(record.code),
        "new_code": str(record.new_code) if record.new_code else None,
        "name_before": record.name_before or None,
        "name_after": record.name_after or None,
        "on": record.on.isoformat(),
        "reason": record.reason,
        "actor": record.actor,
        "batch_id": record.batch_id,
        "line": record.line,
    }


@click.command("history")
@click.argument("code", metavar="代码", required=False)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def history(app: App, code: str | None, as_json: bool) -> None:
    """组织调整记录（某代码的，或全部）：旧代码 → 新代码、更名、撤销，何时、为何、谁办理。"""
    records = app.workspace.org_history(code)
    if as_json:
        emit_json([record_json(r) for r in records])
        return
    if not records:
        click.echo("没有调整记录。")
        return
    emit_table(
        ["生效日期", "调整", "代码", "新代码", "原名称", "新名称", "原因", "办理人"],
        [
            (
                r.on.isoformat(),
                r.kind.label,
                str(r.code),
                str(r.new_code) if r.new_code else "",
                r.name_before,
                r.name_after,
                r.reason,
                r.actor,
            )
            for r in records
        ],
    )


# -- members ------------------------------------------------------------------------------


def _done(member: Member, text: str, as_json: bool) -> None:
    if as_json:
        emit_json(unstructure(member))
        return
    click.echo(text)


@click.command("transfer")
@click.argument("who", metavar="编号|姓名")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--to", "to", required=True, metavar="单位代码", help="转入的单位。")
@click.option("--on", "on", type=DAY, help="转出日期（默认今天）。")
@click.option("--reason", required=True, help="原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def transfer(
    app: App, who: str, phone: str | None, to: str, on: date | None, reason: str, as_json: bool
) -> None:
    """党员转到另一单位（由原单位或其上级办理）：新单位接管，报到社区、活动和记录都保留。"""
    app.admin_login_ok = True  # the member leaves the operator's scope
    ws = app.workspace
    member = _one(ws, who, phone)
    moved = ws.members.transfer(member.id, to, reason=reason, on=_on(ws, on))
    unit = ws.code(moved.unit_code)
    _done(
        moved,
        f"已把 {moved.name}（编号 {moved.id}）从 {member.unit_code} 转到 {moved.unit_code} {unit.name}。",
        as_json,
    )


@click.command("retire")
@click.argument("who", metavar="编号|姓名")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--on", "on", type=DAY, help="退休日期（默认今天）。")
@click.option("--stay", is_flag=True, help="退休后自愿继续参加活动（离退休党员）。")
@click.option("--reason", default="", help="说明（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def retire(
    app: App,
    who: str,
    phone: str | None,
    on: date | None,
    stay: bool,
    reason: str,
    as_json: bool,
) -> None:
    """登记党员退休；加 --stay 表示自愿继续参加（仍在名单中），否则视为离开。"""
    ws = app.workspace
    member = _one(ws, who, phone)
    saved = ws.members.retire(member.id, reason=reason, on=_on(ws, on), stay=stay)
    tail = "，自愿继续参加活动" if stay else "，不再列入当前名单（往年统计仍计入）"
    _done(
        saved, f"已登记 {saved.name}（编号 {saved.id}）于 {saved.retired_on} 退休{tail}。", as_json
    )


@click.command("leave")
@click.argument("who", metavar="编号|姓名")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--on", "on", type=DAY, help="离开日期（默认今天）。")
@click.option("--reason", required=True, help="离开原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def leave(
    app: App, who: str, phone: str | None, on: date | None, reason: str, as_json: bool
) -> None:
    """登记党员离开（调离本市、组织关系转出等）：不再列入当前名单，往年统计仍计入。"""
    ws = app.workspace
    member = _one(ws, who, phone)
    saved = ws.members.leave(member.id, reason=reason, on=_on(ws, on))
    _done(
        saved, f"已登记 {saved.name}（编号 {saved.id}）于 {saved.left_on} 离开：{reason}。", as_json
    )


@click.command("count")
@click.option("--on", "on", type=DAY, help="按这一天的代码和名单统计（默认今天）。")
@click.option("--depth", type=click.IntRange(2, 8), default=2, show_default=True,
              help="按几级代码汇总（2：县区和市直党工委；3：其下单位）。")  # fmt: skip
@click.option("--under", metavar="CODE", help="只统计该代码及其下级。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def count(app: App, on: date | None, depth: int, under: str | None, as_json: bool) -> None:
    """按单位统计党员人数（已登记/已分流/已报到）；--on 给出某一天的情况（当时的代码和名称，
    当时在册的党员，含后来离开的）。"""
    ws = app.workspace
    day = on or ws.today()
    counts = ws.members.counts_on(day, depth=depth, under=under)
    by_code: dict[str, dict[str, int]] = {}
    for c in counts:
        by_code.setdefault(str(c.unit), {s.value: 0 for s in MemberStatus})[c.status.value] = (
            c.count
        )
    tree = ws.org_tree

    def name(code: str) -> str:
        unit = tree.find(parse_code(code)) if code else None
        return unit.name_on(day) if unit is not None else ""

    rows = [
        {"code": code, "name": name(code), **states, "total": sum(states.values())}
        for code, states in sorted(by_code.items())
    ]
    if as_json:
        emit_json({"on": day.isoformat(), "depth": depth, "units": rows,
                   "total": sum(int(r["total"]) for r in rows)})  # fmt: skip
        return
    click.echo(f"{day} 的党员人数（按当时的代码）：")
    emit_table(
        ["代码", "单位党组织", "已登记", "已分流", "已报到", "合计"],
        [
            (r["code"], r["name"], r["registered"], r["routed"], r["reported_in"], r["total"])
            for r in rows
        ],
    )
    click.echo(f"合计：{sum(int(r['total']) for r in rows)} 人")


def attach(codes: click.Group, members: click.Group) -> None:
    """Add the org-change commands to ``codes`` and the lifecycle commands to ``members``."""
    for command in (add_unit, rename_unit, move_unit, retire_unit, merge_unit, apply_file, history):
        codes.add_command(command)
    for command in (transfer, retire, leave, count):
        members.add_command(command)
