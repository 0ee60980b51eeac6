"""``partyreg points``: a member's points ledger and balance as it stood on a day, hand
adjustments, and the points rules (viewed, set from a date, their history)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.commands.feedback import _member_id
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.orgcodes import parse_code
from partyreg_core.points.model import PointsEntry
from partyreg_core.points.rules import KEYS, RuleVersion, format_items, rules_dict


def entry_json(e: PointsEntry) -> dict[str, Any]:
    """A ledger entry as ``points show --json`` writes it."""
    return {
        "id": e.id,
        "day": e.day.isoformat(),
        "year": e.year,
        "points": e.points,
        "reason": e.reason,
        "source": e.source.value,
        "source_label": e.source.label,
        "source_id": e.source_id,
        "rule_id": e.rule_id,
        "recorded_by": e.recorded_by,
    }


def version_json(v: RuleVersion) -> dict[str, Any]:
    """A rule version as ``points rules history --json`` writes it."""
    return {
        "id": v.id,
        "district": str(v.district) if v.district else None,
        "effective_from": v.effective_from.isoformat(),
        "values": dict(v.values),
        "items": format_items(v.values),
        "set_by": v.set_by,
    }


@click.group()
def points() -> None:
    """党员积分：服务时长、完成微心愿、居民评价、参加活动都按规则记分，可人工调整（留痕）。"""


@points.command("show")
@click.option("--member", required=True, help="党员编号（或姓名 + --phone）。")
@click.option("--phone", default=None, help="党员的联系方式（重名时）。")
@click.option("--year", type=int, help="年度（默认当前活动年度，或 --on 所在年）。")
@click.option("--on", "on", type=DAY, help="截至这一天的积分（默认今天）：当时的总分。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键 balance、entries）。")
@click.pass_obj
def show(app: App, member: str, phone: str | None, year: int | None, on: date | None,
         as_json: bool) -> None:  # fmt: skip
    """查看党员的积分明细和总分。"""
    ws = app.workspace
    balance = ws.points.show(_member_id(ws, member, phone), year=year, on=on)
    if as_json:
        emit_json(
            {
                "member_id": balance.member_id,
                "name": balance.name,
                "year": balance.year,
                "on": balance.on.isoformat(),
                "balance": balance.balance,
                "entries": [entry_json(e) for e in balance.entries],
            }
        )
        return
    click.echo(
        f"{balance.name}（编号 {balance.member_id}）{balance.year} 年积分，"
        f"截至 {balance.on.isoformat()}：{balance.balance:g} 分"
    )
    if balance.entries:
        emit_table(
            ["日期", "积分", "来源", "原因"],
            [(e.day, f"{e.points:+g}", e.source.label, e.reason) for e in balance.entries],
        )


@points.command("adjust")
@click.option("--member", required=True, help="党员编号（或姓名 + --phone）。")
@click.option("--phone", default=None, help="党员的联系方式（重名时）。")
@click.option("--points", "value", required=True, type=float, help="加分（扣分写负数，如 -5）。")
@click.option("--reason", required=True, help="调整原因（记入审计日志）。")
@click.option("--date", "day", type=DAY, help="调整所记的日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def adjust(app: App, member: str, phone: str | None, value: float, reason: str,
           day: date | None, as_json: bool) -> None:  # fmt: skip
    """人工调整积分（社区或党员所在单位；写明原因，留痕）。"""
    ws = app.workspace
    entry = ws.points.adjust(_member_id(ws, member, phone), value, reason, on=day)
    if as_json:
        emit_json(entry_json(entry))
        return
    click.echo(f"已记入 {entry.points:+g} 分（{entry.reason}），日期 {entry.day.isoformat()}。")


@points.group("rules", invoke_without_command=True)
@click.option("--on", "on", type=DAY, help="这一天有效的规则（默认今天）。")
@click.option("--district", default=None, help="县区代码：该县区党员适用的规则。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_context
def rules(ctx: click.Context, on: date | None, district: str | None, as_json: bool) -> None:
    """查看积分规则（子命令 set 修改，history 查看各版本）。"""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    ws = app.workspace
    day = on or ws.today()
    effect = ws.points.rules_on(day, parse_code(district) if district else None)
    values = rules_dict(effect.rules)
    if as_json:
        emit_json(
            {
                "on": day.isoformat(),
                "district": district,
                "rules": values,
                "items": format_items(values),
                "city_version": effect.city.id if effect.city else None,
                "district_version": effect.district.id if effect.district else None,
            }
        )
        return
    origin = f"市级第 {effect.city.id} 版" if effect.city else "默认规则"
    if effect.district is not None:
        origin += f" + 县区第 {effect.district.id} 版"
    click.echo(f"{day.isoformat()} 有效的积分规则（{origin}）：")
    for item in format_items(values):
        click.echo(f"  {item}")
    click.echo("可设置的项：")
    for key, meaning in KEYS.items():
        click.echo(f"  {key}  {meaning}")


@rules.command("set")
@click.argument("items", nargs=-1, required=True, metavar="键=值...")
@click.option("--from", "effective_from", type=DAY, help="从这一天起适用（默认今天）。")
@click.option("--district", default=None, help="县区代码：设置该县区自己的规则（需市级允许）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def rules_set(app: App, items: tuple[str, ...], effective_from: date | None,
              district: str | None, as_json: bool) -> None:  # fmt: skip
    """修改积分规则，如 partyreg points rules set per_hour=2 cap.day=10 --from 2015-01-01。

    新规则只从 --from 这一天起适用：之前的积分按当时的规则计算，不会改变。"""
    ws = app.workspace
    version = ws.points.set_rules(
        items,
        effective_from=effective_from or ws.today(),
        district=parse_code(district) if district else None,
    )
    if as_json:
        emit_json(version_json(version))
        return
    where = f"县区 {version.district}" if version.district else "全市"
    click.echo(
        f"已保存{where}积分规则第 {version.id} 版，自 {version.effective_from.isoformat()} 起适用。"
    )


@rules.command("history")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def rules_history(app: App, as_json: bool) -> None:
    """积分规则的各个版本（从哪天起适用、谁设置的）。"""
    versions = app.workspace.points.versions()
    if as_json:
        emit_json([version_json(v) for v in versions])
        return
    if not versions:
        click.echo("还没有设置过积分规则：现在适用默认规则（partyreg points rules 查看）。")
        return
    emit_table(
        ["版本", "范围", "起用日期", "设置人", "规则"],
        [
            (
                v.id,
                str(v.district or "全市"),
                v.effective_from,
                v.set_by,
                " ".join(format_items(v.values)),
            )
            for v in versions
        ],
    )
