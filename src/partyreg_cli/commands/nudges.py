"""``partyreg notify plan|nudge|optout|optin|nudges``: nudges to individuals — what the day
would send and to whom (quiet hours, the daily cap and opt-outs shown), queueing them for
``notify flush``, members' opt-outs, and the settings."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.bulk import bulk_options, confirm_bulk
from partyreg_cli.commands.dates import DAY
from partyreg_cli.commands.feedback import _member_id
from partyreg_cli.commands.notify import notify
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.nudges.model import NudgeKind, NudgePlan, NudgeStatus, PlannedNudge
from partyreg_core.nudges.rules import ZONE, format_items


def planned_json(n: PlannedNudge) -> dict[str, Any]:
    """A planned message as ``notify plan --json`` writes it."""
    c = n.candidate
    return {
        "kind": c.kind.value,
        "kind_label": c.kind.label,
        "target": str(c.target),
        "recipient": c.recipient,
        "member_id": c.member_id,
        "community_id": c.community_id,
        "subject": c.subject,
        "body": c.body,
        "status": n.status.value,
        "status_label": n.status.label,
        "send_at": n.send_at.astimezone(ZONE).isoformat(timespec="minutes"),
    }


def plan_json(plan: NudgePlan) -> dict[str, Any]:
    """A day's plan as ``notify plan --json`` writes it."""
    return {
        "on": plan.on.isoformat(),
        "at": plan.at.astimezone(ZONE).isoformat(timespec="minutes"),
        "counts": {s.value: plan.count(s) for s in NudgeStatus},
        "messages": [planned_json(n) for n in plan.nudges],
    }


def print_plan(plan: NudgePlan) -> None:
    """A day's plan as a table, with the counts by decision."""
    at = plan.at.astimezone(ZONE)
    click.echo(f"{plan.on.isoformat()} 的个人提醒（按 {at:%H:%M} 计划）：共 {len(plan.nudges)} 条")
    if not plan.nudges:
        return
    emit_table(
        ["对象", "收件人", "种类", "标题", "安排"],
        [
            (
                str(n.candidate.target),
                n.candidate.recipient,
                n.candidate.kind.label,
                n.candidate.subject,
                n.status.label
                + (
                    f"（{n.send_at.astimezone(ZONE):%H:%M}）"
                    if n.status is NudgeStatus.DEFERRED
                    else ""
                ),
            )
            for n in plan.nudges
        ],
        drop=[1],
    )
    counts = "，".join(f"{s.label} {plan.count(s)}" for s in NudgeStatus if plan.count(s))
    click.echo(counts)


@notify.command("plan")
@click.option("--on", "on", type=DAY, help="计划哪一天（默认今天）；其他日子按设置的发送时间计划。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（每条消息及其对象）。")
@click.pass_obj
def plan_command(app: App, on: date | None, as_json: bool) -> None:
    """这一天将发出哪些个人提醒、发给谁（不发送、不写入）：静默时段、每人每天上限、退订都已计入。"""
    plan = app.workspace.nudges.plan(on)
    if as_json:
        emit_json(plan_json(plan))
        return
    print_plan(plan)


@notify.command("nudge")
@click.option("--on", "on", type=DAY, help="按哪一天的情况提醒（默认今天）。")
@bulk_options("排入发送队列")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def nudge(app: App, on: date | None, dry_run: bool, yes: bool, as_json: bool) -> None:
    """把当天的个人提醒排入发送队列（之后由 partyreg notify flush 发送）；同一天再运行不会重复排队。"""
    ws = app.workspace
    if dry_run or not yes:
        plan = ws.nudges.plan(on)
        queued = [n for n in plan.nudges if n.status.queues]
        if dry_run:
            if as_json:
                emit_json({"dry_run": True, **plan_json(plan)})
                return
            print_plan(plan)
            click.echo("试运行（--dry-run）：没有排队，也没有写入任何数据。")
            return
        confirm_bulk(len(queued), "把提醒排入发送队列", yes=yes)
    plan, added = ws.nudges.enqueue(on)
    if as_json:
        emit_json({"dry_run": False, "outbox_ids": added, **plan_json(plan)})
        return
    print_plan(plan)
    click.echo(f"已排入发送队列 {len(added)} 条（partyreg notify list 查看，notify flush 发送）。")


@notify.command("optout")
@click.argument("member")
@click.option("--phone", default=None, help="党员的联系方式（重名时）。")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    help="只退订这些提醒（可多次）："
    + "、".join(f"{k.value}（{k.label}）" for k in NudgeKind)
    + "；不写为全部退订。",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def optout(app: App, member: str, phone: str | None, kinds: tuple[str, ...],
           as_json: bool) -> None:  # fmt: skip
    """党员本人要求不再接收个人提醒（社区或单位代为登记，留痕）。"""
    ws = app.workspace
    member_id = _member_id(ws, member, phone)
    chosen = ws.nudges.opt_out(member_id, kinds)
    if as_json:
        emit_json({"member_id": member_id, "opted_out": sorted(chosen)})
        return
    what = (
        "全部个人提醒" if "*" in chosen else "、".join(NudgeKind(k).label for k in sorted(chosen))
    )
    click.echo(f"党员 {member_id} 已退订：{what}。恢复：partyreg notify optin {member_id}")


@notify.command("optin")
@click.argument("member")
@click.option("--phone", default=None, help="党员的联系方式（重名时）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def optin(app: App, member: str, phone: str | None, as_json: bool) -> None:
    """恢复接收个人提醒。"""
    ws = app.workspace
    member_id = _member_id(ws, member, phone)
    ws.nudges.opt_in(member_id)
    if as_json:
        emit_json({"member_id": member_id, "opted_out": []})
        return
    click.echo(f"党员 {member_id} 已恢复接收个人提醒。")


@notify.command("nudges")
@click.argument("items", nargs=-1, metavar="[键=值...]")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def nudge_settings(app: App, items: tuple[str, ...], as_json: bool) -> None:
    """查看（不带参数）或修改（市级）个人提醒的设置，如 no_service_days=30 quiet=21:00-08:00 cap=2。"""
    ws = app.workspace
    settings = ws.nudges.set_settings(items) if items else ws.nudges.settings()
    shown = format_items(settings)
    if as_json:
        emit_json({"settings": shown})
        return
    if items:
        click.echo("已保存个人提醒设置：")
    for item in shown:
        click.echo(f"  {item}")
