"""``partyreg community``, ``instructor``, ``route`` and ``report-in``: the directory kept by
each district, community work instructors, routing registrations to communities (with the
queue of communities not yet in the directory) and confirming report-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from partyreg_cli.app import App
from partyreg_cli.bulk import ask_first, bulk_options, list_preview, undo_hint
from partyreg_cli.commands.dates import DAY, up_to
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.streaming import stream_json_list
from partyreg_core.communities import Community
from partyreg_core.converter import unstructure
from partyreg_core.errors import ValidationError
from partyreg_core.instructors import Instructor
from partyreg_core.members.model import MemberQuery, MemberStatus
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import RowIssue, record_id
from partyreg_core.routing.model import QueueGroup, ReportInResult, RouteOutcome, RoutingRun
from partyreg_core.text import shown
from partyreg_core.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


def _day(ws: Workspace, day: date | None) -> date | None:
    return up_to(ws.today(), day)


def _warn(issues: list[RowIssue]) -> None:
    for issue in issues:
        click.echo(f"partyreg: 提示：{issue.column}：{issue.message}", err=True)


def _name(ws: Workspace, code: OrgCode | None) -> str:
    if code is None:
        return ""
    found = ws.org_tree.find(code)
    return found.name if found is not None else str(code)


# ---------------------------------------------------------------------------------------------
# community
# ---------------------------------------------------------------------------------------------


def community_json(community: Community, instructors: list[Instructor]) -> dict[str, Any]:
    """A directory community as ``community list/show --json`` writes it."""
    return {
        "id": community.id,
        "district_code": str(community.district_code),
        "district": community.district,
        "street": community.street,
        "name": community.name,
        "community": community.label,
        "phone": community.phone,
        "qq_group": community.qq_group,
        "secretary": community.secretary,
        "mobile": community.mobile,
        "address": community.address,
        "instructors": [
            {"id": i.id, "name": i.name, "phone": i.phone}
            for i in instructors
            if community.id in i.community_ids
        ],
    }


_DIRECTORY_OPTIONS = (
    ("street", "--street", "街道（乡镇）。"),
    ("community", "--name", "社区名称。"),
    ("phone", "--phone", "接收报到电话（手机或带区号的座机）。"),
    ("qq_group", "--qq", "接收报到QQ群号。"),
    ("secretary", "--secretary", "党组织书记姓名。"),
    ("mobile", "--mobile", "书记手机。"),
    ("address", "--address", "地址。"),
)


def _directory_options(required: bool) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        for key, flag, help_text in reversed(_DIRECTORY_OPTIONS):
            needed = required and key in ("street", "community")
            function = click.option(flag, key, required=needed, help=help_text)(function)
        return function

    return decorate


@click.group()
def community() -> None:
    """社区通讯录（附表4）：查看，县区维护本县区的社区。"""


@community.command("list")
@click.option("--district", metavar="CODE", help="只列出该县区（代码，如 008.003）的社区。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def community_list(app: App, district: str | None, as_json: bool) -> None:
    """列出社区通讯录，含每个社区的指导员。"""
    ws = app.workspace
    found = ws.communities(ws.code(district).code if district else None)
    teachers = ws.routing.instructors()
    if as_json:
        emit_json([community_json(c, teachers) for c in found])
        return
    rows = []
    for c in found:
        names = "、".join(i.name for i in teachers if c.id in i.community_ids)
        rows.append((c.id, c.district, c.street, c.name, c.phone, c.secretary, names))
    emit_table(["编号", "县区", "街道", "社区", "接收报到电话", "书记", "指导员"], rows)


@community.command("show")
@click.argument("which", metavar="编号|县区/街道/社区")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def community_show(app: App, which: str, as_json: bool) -> None:
    """显示一个社区：附表4 的各栏、指导员，以及你范围内分流到这里的党员人数。"""
    ws = app.workspace
    found = ws.community(which)
    data = community_json(found, ws.routing.instructors())
    counts = {s.value: 0 for s in (MemberStatus.ROUTED, MemberStatus.REPORTED_IN)}
    for member in ws.members.iter(MemberQuery(community_id=found.id)):
        if member.status.value in counts:
            counts[member.status.value] += 1
    data["members"] = counts
    if as_json:
        emit_json(data)
        return
    labels = {
        "id": "编号",
        "district_code": "县区代码",
        "district": "县区",
        "street": "街道",
        "name": "社区",
        "phone": "接收报到电话",
        "qq_group": "接收报到QQ群号",
        "secretary": "党组织书记",
        "mobile": "手机",
        "address": "地址",
    }
    for key, label in labels.items():
        click.echo(f"{label}：{data[key]}")
    teachers = (
        "、".join(f"{i['name']}（{i['phone']}）" for i in data["instructors"]) or "（未分配）"
    )
    click.echo(f"指导员：{teachers}")
    click.echo(f"已分流：{counts['routed']} 人，已报到：{counts['reported_in']} 人")


@community.command("add")
@click.option("--district", required=True, help="县区名称，如 淮安区（按名称对应县区委）。")
@click.option("--district-code", metavar="CODE", help="县区代码（名称对应不到唯一县区时填写）。")
@_directory_options(required=True)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def community_add(
    app: App, /, district: str, district_code: str | None, as_json: bool, **fields: str | None
) -> None:
    """在社区通讯录中添加一个社区（县区只能添加本县区的社区）。"""
    ws = app.workspace
    cells = {k: v for k, v in fields.items() if v is not None}
    cells["district"] = district
    if district_code:
        cells["district_code"] = district_code
    saved, warnings = ws.routing.add_community(cells)
    _warn(warnings)
    if as_json:
        emit_json(community_json(saved, ws.routing.instructors()))
        return
    click.echo(
        f"已添加社区 {saved.label}（编号 {saved.id}）。待认定队列中写作该社区的党员，下次分流时即可分流。"
    )


@community.command("edit")
@click.argument("which", metavar="编号|县区/街道/社区")
@_directory_options(required=False)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def community_edit(app: App, /, which: str, as_json: bool, **fields: str | None) -> None:
    """修改一个社区的街道、名称或联系信息（只改给出的栏，改动记入审计日志）。"""
    ws = app.workspace
    saved, warnings = ws.routing.edit_community(
        which, {k: v for k, v in fields.items() if v is not None}
    )
    _warn(warnings)
    if as_json:
        emit_json(community_json(saved, ws.routing.instructors()))
        return
    click.echo(f"已修改社区 {saved.label}（编号 {saved.id}）。")


# ---------------------------------------------------------------------------------------------
# instructor
# ---------------------------------------------------------------------------------------------


def instructor_json(instructor: Instructor, labels: dict[int, str]) -> dict[str, Any]:
    """An instructor as ``instructor list --json`` writes it."""
    return {
        "id": instructor.id,
        "name": instructor.name,
        "phone": instructor.phone,
        "district_code": str(instructor.district_code) if instructor.district_code else None,
        "communities": [
            {"id": c, "community": labels.get(c, str(c))} for c in instructor.community_ids
        ],
    }


@click.group()
def instructor() -> None:
    """社区工作指导员：添加、查看，分配到社区。"""


@instructor.command("add")
@click.argument("name")
@click.option("--phone", required=True, help="手机（或带区号的座机）。")
@click.option("--district", metavar="CODE", help="所属县区代码（县区操作员默认本县区）。")
@click.option(
    "--community",
    "communities",
    multiple=True,
    metavar="编号|县区/街道/社区",
    help="分配的社区（可多次）。",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def instructor_add(
    app: App,
    name: str,
    phone: str,
    district: str | None,
    communities: tuple[str, ...],
    as_json: bool,
) -> None:
    """添加一名社区工作指导员。"""
    ws = app.workspace
    saved = ws.routing.add_instructor(name, phone, district=district, communities=communities)
    labels = {c.id: c.label for c in ws.communities()}
    if as_json:
        emit_json(instructor_json(saved, labels))
        return
    where = "、".join(labels[c] for c in saved.community_ids) or "（尚未分配社区）"
    click.echo(f"已添加指导员 {saved.name}（编号 {saved.id}），指导社区：{where}。")


@instructor.command("list")
@click.option("--district", metavar="CODE", help="只列出该县区的指导员。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def instructor_list(app: App, district: str | None, as_json: bool) -> None:
    """列出社区工作指导员和他们指导的社区。"""
    ws = app.workspace
    found = ws.routing.instructors(district)
    labels = {c.id: c.label for c in ws.communities()}
    if as_json:
        emit_json([instructor_json(i, labels) for i in found])
        return
    emit_table(
        ["编号", "姓名", "手机", "县区", "指导社区"],
        [
            (
                i.id,
                i.name,
                i.phone,
                str(i.district_code or ""),
                "、".join(labels.get(c, str(c)) for c in i.community_ids),
            )
            for i in found
        ],
    )


def _assign(app: App, who: str, communities: tuple[str, ...], remove: bool, as_json: bool) -> None:
    ws = app.workspace
    saved = ws.routing.assign_instructor(who, communities, remove=remove)
    labels = {c.id: c.label for c in ws.communities()}
    if as_json:
        emit_json(instructor_json(saved, labels))
        return
    where = "、".join(labels[c] for c in saved.community_ids) or "（无）"
    click.echo(f"指导员 {saved.name} 现在指导：{where}。")


@instructor.command("assign")
@click.argument("who", metavar="编号|姓名")
@click.argument("communities", nargs=-1, required=True, metavar="社区…")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def instructor_assign(app: App, who: str, communities: tuple[str, ...], as_json: bool) -> None:
    """把指导员分配到社区（编号或 县区/街道/社区，可多个）。"""
    _assign(app, who, communities, False, as_json)


@instructor.command("unassign")
@click.argument("who", metavar="编号|姓名")
@click.argument("communities", nargs=-1, required=True, metavar="社区…")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def instructor_unassign(app: App, who: str, communities: tuple[str, ...], as_json: bool) -> None:
    """取消指导员对社区的指导。"""
    _assign(app, who, communities, True, as_json)


# ---------------------------------------------------------------------------------------------
# route
# ---------------------------------------------------------------------------------------------


def run_json(ws: Workspace, run: RoutingRun) -> dict[str, Any]:
    """A routing run as ``route --json`` writes it: totals, then counts per aggregator,
    district and community, and the queues."""
    labels = {c.id: c for c in ws.communities()}
    return {
        "on": run.on.isoformat(),
        "dry_run": run.dry_run,
        "batch_id": run.batch_id,
        "pending": len(run.members),
        "routed": run.count(RouteOutcome.ROUTED),
        "queued": run.count(RouteOutcome.QUEUED),
        "waiting": run.count(RouteOutcome.WAITING),
        "skipped": run.skipped,
        "by_aggregator": [
            {
                "code": str(code),
                "name": _name(ws, code),
                "routed": counts[RouteOutcome.ROUTED],
                "queued": counts[RouteOutcome.QUEUED],
                "waiting": counts[RouteOutcome.WAITING],
            }
            for code, counts in run.by_aggregator().items()
        ],
        "by_district": [
            {
                "code": str(code),
                "name": _name(ws, code),
                "routed": counts[RouteOutcome.ROUTED],
                "queued": counts[RouteOutcome.QUEUED],
            }
            for code, counts in run.by_district().items()
        ],
        "by_community": [
            {
                "community_id": cid,
                "community": labels[cid].label if cid in labels else str(cid),
                "district_code": str(labels[cid].district_code) if cid in labels else None,
                "count": len(routed),
                "instructor_ids": list(routed[0].route.instructor_ids),
            }
            for cid, routed in run.by_community().items()
        ],
        "queued_by_district": [
            {"district_code": str(code), "name": _name(ws, code), "count": count}
            for code, count in run.queued_by_district().items()
        ],
        "waiting_by_aggregator": [
            {"code": str(code), "name": _name(ws, code), "count": count}
            for code, count in run.waiting_by_aggregator().items()
        ],
    }


def _print_run(ws: Workspace, run: RoutingRun) -> None:
    data = run_json(ws, run)
    verb = "将分流" if run.dry_run else "已分流"
    click.echo(
        f"{'（试运行，未写入）' if run.dry_run else ''}待分流 {data['pending']} 人：{verb}到社区 "
        f"{data['routed']} 人，进入县区待认定队列 {data['queued']} 人，"
        f"县区不明、留在上级党组织 {data['waiting']} 人。"
    )
    if run.skipped:
        click.echo(f"另有 {run.skipped} 人的去向超出你的管理范围，未动：请由市级操作员分流。")
    if data["by_aggregator"]:
        click.echo("\n按上报汇总单位：")
        emit_table(
            ["代码", "名称", "分流", "待认定社区", "县区不明"],
            [
                (a["code"], a["name"], a["routed"], a["queued"], a["waiting"])
                for a in data["by_aggregator"]
            ],
        )
    if data["by_district"]:
        click.echo("\n按社区所在县区：")
        emit_table(
            ["代码", "名称", "分流", "待认定社区"],
            [(d["code"], d["name"], d["routed"], d["queued"]) for d in data["by_district"]],
        )
    if data["by_community"]:
        click.echo("\n按社区：")
        emit_table(
            ["编号", "社区", "人数"],
            [(c["community_id"], c["community"], c["count"]) for c in data["by_community"]],
        )
    if data["queued_by_district"] or data["waiting_by_aggregator"]:
        click.echo("\n仍在等待认定：用 partyreg route queue 查看，partyreg route resolve 认定。")


@click.group(invoke_without_command=True)
@click.option("--on", "on", type=DAY, help="分流日期（默认今天）。")
@bulk_options("分流")
@click.option("--unit", metavar="CODE", help="只分流该单位（含下级）的党员。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_context
def route(
    ctx: click.Context,
    on: date | None,
    dry_run: bool,
    yes: bool,
    unit: str | None,
    as_json: bool,
) -> None:
    """分流：把你范围内待分流的党员，经所在县区分到报到社区及其指导员。

    不带子命令时分流全部待分流的党员；子命令 queue 查看待认定队列，resolve 认定社区。
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    ws = app.workspace
    day = _day(ws, on)
    ask_first(
        "分流党员",
        lambda: len(ws.routing.route(on=day, dry_run=True, unit=unit).members),
        dry_run=dry_run,
        yes=yes,
    )
    run = ws.routing.route(on=day, dry_run=dry_run, unit=unit)
    if as_json:
        emit_json(run_json(ws, run))
        return
    _print_run(ws, run)
    undo_hint(run.batch_id, "（分流发出的通知不能撤回）")


def queue_json(group: QueueGroup) -> dict[str, Any]:
    """A queue entry as ``route queue --json`` writes it."""
    return {
        "reason": group.reason.value,
        "district_code": str(group.district_code) if group.district_code else None,
        "aggregator": str(group.aggregator) if group.aggregator else None,
        "community": group.community.label,
        "district": group.community.district,
        "street": group.community.street,
        "community_name": group.community.community,
        "count": group.count,
        "member_ids": list(group.member_ids),
        "suggestions": [{"id": c.id, "community": c.label} for c in group.suggestions],
    }


@route.command("queue")
@click.option("--district", metavar="CODE", help="只看该县区（或上级党组织）的队列。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def route_queue(app: App, district: str | None, as_json: bool) -> None:
    """待认定队列：按填写的社区分组，附通讯录中相近的社区。"""
    ws = app.workspace
    groups = ws.routing.queue(district)
    if as_json:
        emit_json([queue_json(g) for g in groups])
        return
    if not groups:
        click.echo("待认定队列为空。")
        return
    emit_table(
        ["所在队列", "填写的社区", "人数", "原因", "可能是"],
        [
            (
                str(g.district_code or g.aggregator or ""),
                g.community.label,
                g.count,
                "社区不在通讯录" if g.district_code else "县区不明",
                "；".join(f"{c.id} {c.label}" for c in g.suggestions[:3]) or "（无相近社区）",
            )
            for g in groups
        ],
    )
    click.echo(
        "\n认定：partyreg route resolve '填写的社区' --to 编号（或先用 community add 补充通讯录）。"
    )


@route.command("resolve")
@click.argument("written", metavar="填写的县区/街道/社区")
@click.option("--to", "to", required=True, metavar="编号|县区/街道/社区", help="通讯录中的社区。")
@click.option("--on", "on", type=DAY, help="分流日期（默认今天）。")
@click.option("--dry-run", is_flag=True, help="只显示将分流谁，不写入。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def route_resolve(
    app: App, written: str, to: str, on: date | None, dry_run: bool, as_json: bool
) -> None:
    """认定：把队列中这样填写社区的党员（写法相同的全部）认定为通讯录中的社区并分流。"""
    ws = app.workspace
    run = ws.routing.resolve(written, to, on=_day(ws, on), dry_run=dry_run)
    if as_json:
        emit_json(run_json(ws, run))
        return
    _print_run(ws, run)


# ---------------------------------------------------------------------------------------------
# report-in
# ---------------------------------------------------------------------------------------------


def report_json(result: ReportInResult) -> dict[str, Any]:
    """A confirmation as ``report-in confirm --json`` writes it."""
    return {
        "on": result.on.isoformat(),
        "confirmed": list(result.confirmed),
        "already": list(result.already),
        "refused": [
            {"member_id": r.member_id, "code": r.code, "message": r.message} for r in result.refused
        ],
        "batch_id": result.batch_id,
    }


@click.group("report-in")
def report_in() -> None:
    """报到：社区确认党员已来报到，查看报到情况。"""


def _ids(values: tuple[str, ...], what: str) -> list[int]:
    out = []
    for value in values:
        for part in value.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            number = record_id(part)
            if number is None:
                raise ValidationError(
                    "member.id",
                    f"{what}“{shown(part)}”不是党员编号：请用 report-in list 查看编号。",
                )
            out.append(number)
    return out


@report_in.command("confirm")
@click.argument("member_ids", nargs=-1, metavar="党员编号…")
@click.option("--community", metavar="编号|县区/街道/社区", help="确认该社区的党员。")
@click.option(
    "--all", "everyone", is_flag=True, help="与 --community 一起：确认该社区全部已分流的党员。"
)
@click.option(
    "--except",
    "exceptions",
    multiple=True,
    metavar="编号",
    help="与 --all 一起：除去这些党员（可多次）。",
)
@click.option("--on", "on", type=DAY, help="报到日期（默认今天）。")
@bulk_options("确认报到")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def report_in_confirm(
    app: App,
    member_ids: tuple[str, ...],
    community: str | None,
    everyone: bool,
    exceptions: tuple[str, ...],
    on: date | None,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> int:
    """确认党员已到社区报到（只能确认分流到本社区的党员；有一人不能确认则全部不写入）。"""
    ws = app.workspace
    day = _day(ws, on)
    if everyone:
        if community is None or member_ids:
            raise ValidationError(
                "report_in.usage", "--all 需要与 --community 一起使用，且不再列出党员编号。"
            )
        skip = _ids(exceptions, "--except")
        if dry_run:
            result = ws.routing.confirm_community_report_in(community, except_ids=skip, on=day,
                                                    dry_run=True)  # fmt: skip
            if as_json:
                emit_json({**report_json(result), "dry_run": True})
                return 0
            click.echo(f"将确认报到 {len(result.confirmed)} 人：")
            list_preview([str(i) for i in result.confirmed])
            click.echo("试运行（--dry-run）：没有写入任何数据。")
            return 0
        ask_first(
            "确认报到",
            lambda: len(ws.routing.report_in_candidates(community, except_ids=skip)),
            dry_run=dry_run,
            yes=yes,
        )
        result = ws.routing.confirm_community_report_in(community, except_ids=skip, on=day)
    else:
        if community is not None or exceptions:
            raise ValidationError(
                "report_in.usage", "--community 和 --except 要与 --all 一起用；或直接列出党员编号。"
            )
        if dry_run:
            raise click.UsageError("--dry-run 与 --community 社区 --all 一起用。")
        result = ws.routing.confirm_report_in(_ids(member_ids, "党员编号"), on=day)
    if as_json:
        emit_json(report_json(result))
        return 0 if result.ok else 1
    for refusal in result.refused:
        click.echo(f"partyreg: 党员 {refusal.member_id}：{refusal.message}", err=True)
    if not result.ok:
        click.echo(f"有 {len(result.refused)} 人不能确认，全部未写入：请处理后重试。")
        return 1
    click.echo(
        f"已确认报到 {len(result.confirmed)} 人（{result.on.isoformat()}）"
        + (f"，另有 {len(result.already)} 人此前已报到。" if result.already else "。")
    )
    undo_hint(result.batch_id)
    return 0


@report_in.command("list")
@click.option("--community", metavar="编号|县区/街道/社区", help="只列出该社区的党员。")
@click.option(
    "--status",
    type=click.Choice([MemberStatus.ROUTED.value, MemberStatus.REPORTED_IN.value]),
    help="routed：已分流未报到；reported_in：已报到。",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def report_in_list(app: App, community: str | None, status: str | None, as_json: bool) -> None:
    """列出已分流的党员：报到社区、报到类型、认领岗位、状态和日期。"""
    ws = app.workspace
    found = ws.routing.report_in_members(
        community=community, status=MemberStatus(status) if status else None
    )
    if as_json:
        stream_json_list(unstructure(m) for m in found)
        return
    labels = {c.id: c.label for c in ws.communities()}
    emit_table(
        ["编号", "姓名", "单位代码", "报到社区", "报到类型", "认领岗位", "状态", "报到日期"],
        [
            (
                m.id,
                m.name,
                str(m.unit_code),
                labels.get(m.community_id, "")
                if m.community_id
                else f"待认定：{m.community.label}",
                m.report_type.value,
                "、".join(m.posts),
                m.status.label,
                m.reported_on.isoformat() if m.reported_on else "",
            )
            for m in found
        ],
    )
