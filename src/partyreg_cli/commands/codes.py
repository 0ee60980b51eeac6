"""``partyreg codes``: the org code table (附表2)."""

from __future__ import annotations

from datetime import date

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.commands.orgchanges import record_json
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.orgcodes import OrgUnit

_KIND_LABELS = {
    "city": "市",
    "district": "县区",
    "zone": "功能区",
    "committee": "市直党工委",
    "institution": "院校",
    "unit": "单位",
}


def unit_json(unit: OrgUnit) -> dict[str, object]:
    """A unit as the JSON of ``codes list/show`` writes it."""
    return {
        "code": str(unit.code),
        "name": unit.name,
        "kind": unit.kind.value,
        "parent": str(unit.parent) if unit.parent else None,
        "aggregator": str(unit.code.aggregator) if unit.code.aggregator else None,
        "depth": unit.code.depth,
        "retired_on": unit.retired_on.isoformat() if unit.retired_on else None,
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "moved_to": str(unit.moved_to) if unit.moved_to else None,
    }


@click.group()
def codes() -> None:
    """单位党组织代码表（附表2）。"""


@codes.command("list")
@click.option("--parent", metavar="CODE", help="只列出该代码的直接下级。")
@click.option("--on", "on", type=DAY, help="列出这一天使用的代码和当时的名称。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def list_codes(app: App, parent: str | None, on: date | None, as_json: bool) -> None:
    """列出代码表（--on：某一天的代码表）。"""
    units = app.workspace.codes_on(on, parent) if on else app.workspace.codes(parent)
    if as_json:
        emit_json([unit_json(u) for u in units])
        return
    emit_table(
        ["代码", "单位党组织", "类别"],
        [
            ("  " * (u.code.depth - 1) + str(u.code), u.name, _KIND_LABELS[u.kind.value])
            for u in units
        ],
    )


@codes.command("show")
@click.argument("code")
@click.option("--on", "on", type=DAY, help="显示这一天的情况（当时的名称和下级）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def show_code(app: App, code: str, on: date | None, as_json: bool) -> None:
    """显示一个代码：名称、上级、所属汇总单位（县区委或市直党工委）、下级、调整记录。"""
    ws = app.workspace
    day = on
    if day is not None:
        unit = ws.code_on(code, day)
        children = ws.codes_on(day, unit.code)
        aggregator = ws.code_on(unit.code.aggregator, day) if unit.code.aggregator else None
        parent = ws.code_on(unit.parent, day) if unit.parent else None
    else:
        unit = ws.code(code)
        children = ws.codes(unit.code)
        aggregator = ws.code(unit.code.aggregator) if unit.code.aggregator else None
        parent = ws.code(unit.parent) if unit.parent else None
    changes = ws.org_history(unit.code)
    if as_json:
        data = unit_json(unit)
        data["aggregator_name"] = aggregator.name if aggregator else None
        data["children"] = [{"code": str(c.code), "name": c.name} for c in children]
        data["on"] = day.isoformat() if day else None
        data["changes"] = [record_json(r) for r in changes]
        emit_json(data)
        return
    click.echo(f"代码：{unit.code}")
    click.echo(f"名称：{unit.name}")
    click.echo(f"类别：{_KIND_LABELS[unit.kind.value]}")
    if parent is not None:
        click.echo(f"上级：{parent.code} {parent.name}")
    if aggregator is not None:
        click.echo(f"汇总单位：{aggregator.code} {aggregator.name}")
    if unit.retired_on is not None and day is None:
        went = f"，改用 {unit.moved_to}" if unit.moved_to else ""
        click.echo(f"已停用：{unit.retired_on} 起{went}")
    click.echo(f"下级：{len(children)} 个")
    for child in children:
        click.echo(f"  {child.code} {child.name}")
    for change in changes:
        new = f" → {change.new_code}" if change.new_code else ""
        names = (
            f"（{change.name_before} → {change.name_after}）"
            if change.kind.value == "rename"
            else ""
        )
        click.echo(
            f"调整：{change.on} {change.kind.label} {change.code}{new}{names}：{change.reason}"
        )


@codes.command("next")
@click.argument("parent")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def next_code(app: App, parent: str, as_json: bool) -> None:
    """给出 PARENT 下的下一个可用代码（用过的代码不再使用）。"""
    ws = app.workspace
    code = ws.next_code(parent)
    if as_json:
        emit_json({"parent": str(code.parent), "next": str(code)})
        return
    click.echo(str(code))
