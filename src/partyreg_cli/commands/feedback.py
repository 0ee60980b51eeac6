"""``partyreg activity`` (instructors record service) and ``partyreg feedback`` (附表3 sheets,
summaries, rankings, tiers, pairing suggestions)."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
import click

from partyreg_cli.app import App
from partyreg_cli.bulk import bulk_options, confirm_bulk, undo_hint
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.params import RECORD_ID
from partyreg_core.dates import not_after
from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.feedback.model import (
    PendingActivity,
    Ranked,
    SheetInfo,
    StoredActivity,
    SummaryBy,
    SummaryRow,
)
from partyreg_core.feedback.rules import ACTIVITY_DATE_FIX, TIER_HOURS, parse_rating, rank
from partyreg_core.normalize import normalize_hours
from partyreg_core.records import record_id
from partyreg_core.text import shown
from partyreg_core.wishes.model import WishTally
from partyreg_core.workspace import Workspace


def _member_id(ws: Workspace, who: str, phone: str | None) -> int:
    number = record_id(who)
    if number is not None:
        return number
    found = ws.members.find(who.strip(), phone)
    if not found:
        raise NotFoundError("member.not_found", f"没有找到党员“{shown(who)}”（或不在你的范围内）。")
    if len(found) > 1:
        raise ValidationError(
            "member.ambiguous",
            f"有 {len(found)} 名党员叫“{shown(who)}”：请用 --phone 或党员编号（members list 可查）指明。",
        )
    return found[0].id


def _day(ws: Workspace, day: date | None) -> date:
    if day is None:
        return ws.today()
    return not_after(day, ws.today(), fix=ACTIVITY_DATE_FIX)


def _pending_json(p: PendingActivity) -> dict[str, Any]:
    return {
        "id": p.id,
        "member_id": p.member_id,
        "name": p.name,
        "community_id": p.community_id,
        "day": p.day.isoformat(),
        "content": p.content,
        "place": p.place,
        "participants": p.participants,
        "hours": p.hours,
        "rating": p.rating.value,
        "kind": p.kind,
    }


def _sheet_json(s: SheetInfo) -> dict[str, Any]:
    return {
        "number": s.number,
        "member_id": s.member_id,
        "name": s.name,
        "unit_code": s.unit_code,
        "year": s.year,
        "community_id": s.community_id,
        "community": s.community,
        "state": s.state.value,
        "hours": s.hours,
        "activities": s.activities,
        "confirmed_by": s.confirmed_by or None,
        "confirmed_on": s.confirmed_on.isoformat() if s.confirmed_on else None,
        "stamp": s.stamp or None,
        "delivered_on": s.delivered_on.isoformat() if s.delivered_on else None,
        "reopened_reason": s.reopened_reason or None,
    }


def _summary_json(r: SummaryRow) -> dict[str, Any]:
    return {
        "key": r.key,
        "label": r.label,
        "hours": r.hours,
        "activities": r.activities,
        "ratings": {"优": r.excellent, "良": r.good, "一般": r.fair},
        "members": r.members,
        "members_without_activity": r.idle,
    }


_RECORD_OPTIONS = [
    click.option(
        "--date",
        "day",
        type=DAY,
        required=True,
        help="活动日期，如 2014-10-12（或 2014年10月12日）。",
    ),
    click.option("--hours", required=True, help="服务时间（小时），大于 0、不超过 24。"),
    click.option("--content", required=True, help="服务（活动）内容。"),
    click.option("--rating", required=True, help="评价：优、良 或 一般。"),
    click.option(
        "--kind", default="", help="活动类型（activity kinds 列出可用的，如 党员奉献日）。"
    ),
    click.option("--place", default="", help="服务地点。"),
    click.option("--participants", default="", help="参加人员。"),
    click.option("--year", type=int, help="记录的年度（默认当前活动年度；补录往年时写明）。"),
    click.option("--json", "as_json", is_flag=True, help="输出 JSON。"),
]


def _record_options(fn: Any) -> Any:
    for option in reversed(_RECORD_OPTIONS):
        fn = option(fn)
    return fn


@click.group()
def activity() -> None:
    """服务活动：社区工作指导员逐条或按小组记录活动，确认党员自报的活动。"""


@activity.command("add")
@click.argument("member", metavar="党员编号|姓名")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--self", "self_reported", is_flag=True, help="党员自报的活动：经确认后才计入。")
@_record_options
@click.pass_obj
def add(
    app: App,
    member: str,
    phone: str | None,
    self_reported: bool,
    day: date,
    hours: str,
    content: str,
    rating: str,
    kind: str,
    place: str,
    participants: str,
    year: int | None,
    as_json: bool,
) -> None:
    """为一名党员记录一次活动（只能为本社区的党员记录）。"""
    ws = app.workspace
    member_id = _member_id(ws, member, phone)
    ids = ws.feedback.record_activity(
        member_id,
        _day(ws, day),
        content,
        normalize_hours(hours),
        parse_rating(rating),
        kind=kind,
        place=place,
        participants=participants,
        self_reported=self_reported,
        year=year,
    )
    if as_json:
        emit_json({"member_id": member_id, "ids": ids, "self_reported": self_reported})
        return
    note = "（自报，待确认后计入）" if self_reported else ""
    click.echo(f"已为党员 {member_id} 记录活动，编号 {ids[0]}{note}。")


@activity.command("group")
@click.argument("group_id", type=RECORD_ID)
@click.option(
    "--except", "absent", multiple=True, type=RECORD_ID, help="未参加的党员编号（可重复）。"
)
@_record_options
@click.pass_obj
def group(
    app: App,
    group_id: int,
    absent: tuple[int, ...],
    day: date,
    hours: str,
    content: str,
    rating: str,
    kind: str,
    place: str,
    participants: str,
    year: int | None,
    as_json: bool,
) -> None:
    """为一个服务小组记录一次活动：全组参加，--except 除外；任何一人不符合规则则全部不记录。"""
    ws = app.workspace
    ids = ws.feedback.record_group_activity(
        group_id,
        _day(ws, day),
        content,
        normalize_hours(hours),
        parse_rating(rating),
        kind=kind,
        place=place,
        participants=participants,
        absent=absent,
        year=year,
    )
    if as_json:
        emit_json({"group_id": group_id, "ids": ids, "absent": sorted(absent)})
        return
    click.echo(f"已为服务小组 {group_id} 的 {len(ids)} 名党员记录活动（未参加 {len(absent)} 人）。")


def _activity_json(a: StoredActivity) -> dict[str, Any]:
    return {
        "id": a.id,
        "member_id": a.member_id,
        "name": a.name,
        "community_id": a.community_id,
        "day": a.day.isoformat(),
        "year": a.day.year,
        "content": a.content,
        "hours": a.hours,
        "rating": a.rating.value,
        "kind": a.kind,
        "place": a.place,
        "participants": a.participants,
        "self_reported": a.self_reported,
        "confirmed": a.confirmed,
        "group_id": a.group_id,
        "batch_id": a.batch_id,
    }


@activity.command("list")
@click.option("--member", "member", metavar="党员编号|姓名", help="只列出该党员的活动。")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--community", metavar="县区/街道/社区|编号", help="只列出该社区的活动。")
@click.option("--year", type=int, help="只列出该年度的活动。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def list_activities(
    app: App,
    member: str | None,
    phone: str | None,
    community: str | None,
    year: int | None,
    as_json: bool,
) -> None:
    """列出你范围内的活动（可按党员、社区、年度筛选），编号用于 activity edit/remove。"""
    ws = app.workspace
    member_id = _member_id(ws, member, phone) if member else None
    rows = ws.feedback.activities(member_id=member_id, community=community, year=year)
    if as_json:
        emit_json([_activity_json(a) for a in rows])
        return
    emit_table(
        ["编号", "党员", "日期", "内容", "小时", "评价", "类型", "状态"],
        [
            (a.id, f"{a.name}（{a.member_id}）", a.day.isoformat(), a.content, f"{a.hours:g}",
             a.rating.value, a.kind, "已计入" if a.confirmed else "自报待确认")
            for a in rows
        ],
    )  # fmt: skip
    click.echo(f"共 {len(rows)} 条。")


@activity.command("edit")
@click.argument("activity_id", type=int)
@click.option("--date", "day", type=DAY, help="改为该日期。")
@click.option("--hours", help="改为该服务时间（小时），大于 0、不超过 24。")
@click.option("--content", help="改为该服务（活动）内容。")
@click.option("--rating", help="改为该评价：优、良 或 一般。")
@click.option("--kind", help="改为该活动类型。")
@click.option("--place", help="改为该服务地点。")
@click.option("--participants", help="改为该参加人员。")
@click.option("--reason", default="", help="修改原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def edit_activity(
    app: App,
    activity_id: int,
    day: date | None,
    hours: str | None,
    content: str | None,
    rating: str | None,
    kind: str | None,
    place: str | None,
    participants: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """更正一条活动（只改给出的栏目；已关闭的年度、已盖章的反馈单不能改）。"""
    ws = app.workspace
    changes: dict[str, Any] = {}
    if day is not None:
        changes["day"] = _day(ws, day)
    if hours is not None:
        changes["hours"] = normalize_hours(hours)
    if rating is not None:
        changes["rating"] = parse_rating(rating)
    for key, value in (("content", content), ("kind", kind), ("place", place),
                       ("participants", participants)):  # fmt: skip
        if value is not None:
            changes[key] = value.strip()
    updated = ws.feedback.edit_activity(activity_id, changes, reason)
    if as_json:
        emit_json(_activity_json(updated))
        return
    click.echo(f"已修改活动 {updated.id}（{updated.name} {updated.day}，{updated.hours:g} 小时）。")


@activity.command("remove")
@click.argument("activity_id", type=int)
@click.option("--reason", required=True, help="删除原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def remove_activity(app: App, activity_id: int, reason: str, as_json: bool) -> None:
    """删除一条录错的活动（原因记入审计日志；已关闭的年度、已盖章的反馈单不能删）。"""
    removed = app.workspace.feedback.remove_activity(activity_id, reason)
    if as_json:
        emit_json(_activity_json(removed))
        return
    click.echo(f"已删除活动 {removed.id}（{removed.name} {removed.day} {removed.content}）。")


@activity.command("pending")
@click.option("--community", metavar="县区/街道/社区|编号", help="只列出该社区。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def pending(app: App, community: str | None, as_json: bool) -> None:
    """列出党员自报、待确认的活动。"""
    found = app.workspace.feedback.pending_activities(community)
    if as_json:
        emit_json([_pending_json(p) for p in found])
        return
    emit_table(
        ["编号", "党员", "日期", "内容", "时长", "评价"],
        [(p.id, f"{p.name}({p.member_id})", p.day, p.content, f"{p.hours:g}", p.rating.value)
         for p in found],
    )  # fmt: skip


@activity.command("confirm")
@click.argument("ids", nargs=-1, type=RECORD_ID, required=True)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def confirm(app: App, ids: tuple[int, ...], as_json: bool) -> None:
    """确认党员自报的活动（确认后计入服务时间）。"""
    done = app.workspace.feedback.confirm_activities(list(ids))
    if as_json:
        emit_json([_pending_json(p) for p in done])
        return
    click.echo(f"已确认 {len(done)} 条自报活动。")


@activity.command("reject")
@click.argument("ids", nargs=-1, type=RECORD_ID, required=True)
@click.option("--reason", required=True, help="退回原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def reject(app: App, ids: tuple[int, ...], reason: str, as_json: bool) -> None:
    """退回党员自报的活动（不计入，原因记入审计日志）。"""
    done = app.workspace.feedback.reject_activities(list(ids), reason)
    if as_json:
        emit_json([_pending_json(p) for p in done])
        return
    click.echo(f"已退回 {len(done)} 条自报活动。")


@activity.command("kinds")
@click.option("--set", "new", metavar="类型,类型", help="设置本市增加的活动类型（市级操作员）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def kinds(app: App, new: str | None, as_json: bool) -> None:
    """列出活动类型：主题活动（党员奉献日、党员示范岗、服务居民楼幢竞赛……）和本市增加的。"""
    ws = app.workspace
    found = (
        ws.feedback.set_kinds([k for k in new.replace("，", ",").split(",")])
        if new is not None
        else ws.feedback.kinds()
    )
    if as_json:
        emit_json(list(found))
        return
    click.echo("、".join(found))


# -- feedback ---------------------------------------------------------------------------------


@click.group()
def feedback() -> None:
    """实绩反馈单（附表3）：编号、盖章确认、退回、交单位台帐；汇总统计、排名、星级、结对建议。"""


@feedback.command("sheets")
@click.option("--community", metavar="县区/街道/社区|编号", help="只列出该社区。")
@click.option("--unit", metavar="CODE", help="只列出该单位（含下级）。")
@click.option("--member", type=RECORD_ID, help="只列出该党员。")
@click.option("--year", type=int, help="年度（默认当前活动年度）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def sheets(
    app: App,
    community: str | None,
    unit: str | None,
    member: int | None,
    year: int | None,
    as_json: bool,
) -> None:
    """列出反馈单：编号、党员、社区、服务时间、状态（首次列出时为已分流的党员编号）。"""
    found = app.workspace.feedback.sheets(year, member_id=member, unit=unit, community=community)
    if as_json:
        emit_json([_sheet_json(s) for s in found])
        return
    emit_table(
        ["编号", "党员", "单位代码", "社区", "次数", "时长", "状态", "确认人", "确认日期"],
        [(s.number, f"{s.name}({s.member_id})", s.unit_code, s.community, s.activities,
          f"{s.hours:g}", s.state.label, s.confirmed_by, s.confirmed_on or "")
         for s in found],
    )  # fmt: skip


@feedback.command("confirm")
@click.argument("numbers", nargs=-1)
@click.option(
    "--community", metavar="县区/街道/社区|编号", help="与 --all 一起：该社区的全部待确认反馈单。"
)
@click.option("--all", "all_", is_flag=True, help="确认该社区全部待确认的反馈单。")
@click.option("--year", type=int, help="年度（与 --all 一起，默认当前活动年度）。")
@click.option("--date", "on", type=DAY, help="确认日期（默认今天）。")
@bulk_options("盖章确认")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def confirm_sheets(
    app: App,
    numbers: tuple[str, ...],
    community: str | None,
    all_: bool,
    year: int | None,
    on: date | None,
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """盖章确认反馈单：确认后锁定，该党员该年度不能再增改活动。

    用 --all 确认整个社区时写成一个批次，可用 partyreg undo 批次号 --reason … 一次撤销。
    """
    ws = app.workspace
    if all_ != (community is not None) or (all_ and numbers) or (not all_ and not numbers):
        raise click.UsageError("请给出反馈单编号，或用 --community 社区 --all 确认整个社区。")
    day = _day(ws, on)
    batch_id = None
    if community is not None:
        _none, drafts = ws.feedback.confirm_community(community, year=year, on=day, dry_run=True)
        if dry_run:
            _print_sheets(drafts, as_json, "将盖章确认", dry_run=True)
            return
        confirm_bulk(len(drafts), "盖章确认反馈单", yes=yes)
        batch_id, done = ws.feedback.confirm_community(community, year=year, on=day)
    else:
        if dry_run:
            raise click.UsageError("--dry-run 与 --community 社区 --all 一起用。")
        done = ws.feedback.confirm(numbers, on=day)
    if as_json:
        emit_json([{**_sheet_json(s), "batch_id": batch_id} for s in done])
        return
    _print_sheets(done, False, "已盖章确认")
    undo_hint(batch_id)


def _print_sheets(
    sheets: list[SheetInfo], as_json: bool, verb: str, *, dry_run: bool = False
) -> None:
    if as_json:
        emit_json([_sheet_json(s) for s in sheets])
        return
    click.echo(f"{verb} {len(sheets)} 份反馈单。")
    for s in sheets:
        click.echo(f"  {s.number}  {s.name}  {s.hours:g} 小时  {s.stamp}".rstrip())
    if dry_run:
        click.echo("试运行（--dry-run）：没有写入任何数据。")


@feedback.command("reopen")
@click.argument("number")
@click.option("--reason", required=True, help="退回原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def reopen(app: App, number: str, reason: str, as_json: bool) -> None:
    """退回已确认的反馈单以便更正（须说明原因）。"""
    sheet = app.workspace.feedback.reopen(number, reason)
    if as_json:
        emit_json(_sheet_json(sheet))
        return
    click.echo(f"反馈单 {sheet.number} 已退回为待确认：{reason}")


@feedback.command("deliver")
@click.option("--unit", required=True, metavar="CODE", help="单位代码（含下级单位）。")
@click.option("--year", type=int, help="年度（默认当前活动年度）。")
@click.option("--date", "on", type=DAY, help="交付日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def deliver(app: App, unit: str, year: int | None, on: date | None, as_json: bool) -> None:
    """把单位已确认的反馈单交单位台帐（标记为已交付）；台帐用 export ledger 导出。"""
    ws = app.workspace
    done = ws.feedback.deliver(unit, year=year, on=_day(ws, on))
    if as_json:
        emit_json([_sheet_json(s) for s in done])
        return
    click.echo(f"已将 {len(done)} 份已确认的反馈单交 {unit} 的台帐。")


@feedback.command("summary")
@click.option("--by", "by", required=True, type=click.Choice([b.value for b in SummaryBy]),
              help="按 党员/社区/单位/县区/岗位/月份 汇总。")  # fmt: skip
@click.option("--year", type=int, help="年度（默认全部年度）。")
@click.option("--unit", metavar="CODE", help="只汇总该单位（含下级）的党员。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def summary(app: App, by: str, year: int | None, unit: str | None, as_json: bool) -> None:
    """汇总已计入的服务：时长、次数、评价分布、尚无活动的党员数。

    按岗位汇总时，活动计入其服务小组的岗位；不是小组活动的，计入党员该年度分配的岗位；
    未分配的，计入党员认领的第一个岗位。
    """
    ws = app.workspace
    rows = ws.feedback.summary(by, year=year, unit=unit)
    # residents' wishes are counted per community and district (not per unit or member)
    tallies = ws.wishes.tally(by, year=year) if by in ("community", "district") else None
    if as_json:
        data: dict[str, Any] = {"by": by, "year": year, "rows": [_summary_json(r) for r in rows]}
        if tallies is not None:
            data["wishes"] = [wish_tally_json(t) for t in tallies]
        emit_json(data)
        return
    emit_table(
        ["键", "名称", "时长", "次数", "优", "良", "一般", "党员数", "尚无活动"],
        [(r.key, r.label, f"{r.hours:g}", r.activities, r.excellent, r.good, r.fair,
          "" if r.members is None else r.members, "" if r.idle is None else r.idle)
         for r in rows],
    )  # fmt: skip
    if tallies:
        click.echo("居民微心愿：")
        print_wish_tallies(tallies)


def wish_tally_json(t: WishTally) -> dict[str, Any]:
    """One line of wish counts (``feedback summary --json``'s ``wishes``)."""
    rate = t.satisfaction_rate
    return {
        "key": t.key,
        "label": t.label,
        "received": t.received,
        "claimed": t.claimed,
        "done": t.done,
        "rated": t.rated,
        "ratings": {"满意": t.satisfied, "基本满意": t.basic, "不满意": t.unsatisfied},
        "cancelled": t.cancelled,
        "satisfaction_rate": None if rate is None else round(rate, 4),
    }


def print_wish_tallies(tallies: list[WishTally]) -> None:
    """Wish counts as a table: received, claimed, done, rated and the satisfaction rate."""
    emit_table(
        ["键", "名称", "收到", "已认领", "已完成", "已评价", "满意率", "已取消"],
        [
            (
                t.key, t.label, t.received, t.claimed, t.done, t.rated,
                "" if t.satisfaction_rate is None else f"{t.satisfaction_rate:.0%}",
                t.cancelled,
            )
            for t in tallies
        ],
    )  # fmt: skip


def _ranked_json(r: Ranked, points: dict[int, float] | None = None) -> dict[str, Any]:
    data = {"rank": r.rank, "score": r.score, **_summary_json(r.row)}
    if points is not None:
        data["points"] = points.get(int(r.row.key), 0.0) if r.row.key.isdigit() else None
    return data


@feedback.command("ranking")
@click.option("--of", "of", type=click.Choice(["member", "community"]), default="member",
              help="member 先进个人（默认）；community 先进集体（社区）。")  # fmt: skip
@click.option("--year", type=int, help="年度（默认当前活动年度）。")
@click.option("--top", type=int, default=20, show_default=True, help="列出前几名（0 为全部）。")
@click.option("--by", "by", type=click.Choice(["score", "points"]), default="score",
              help="score 按得分（默认）；points 按积分（先进个人）。")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def ranking(app: App, of: str, year: int | None, top: int, by: str, as_json: bool) -> None:
    """先进个人、先进集体排名（先进个人另列积分）；权重可由市级操作员在设置 ranking_weights 中修改。"""
    ws = app.workspace
    weights = ws.feedback.weights()
    chosen = year or ws.default_year()
    points = ws.points.balances(chosen) if of == "member" else None
    if by == "points" and points is not None:
        table = points
        ranked = rank(
            [r for r in ws.feedback.summary("member", year=chosen) if r.activities],
            lambda r: table.get(int(r.key), 0.0),
            top or None,
        )
    else:
        ranked = ws.feedback.ranking(of, year=year, top=top or None, weights=weights)
    if as_json:
        emit_json(
            {"of": of, "year": chosen, "by": by, "weights": weights,
             "rows": [_ranked_json(r, points) for r in ranked]}
        )  # fmt: skip
        return
    if by == "points":
        click.echo("按积分排名（得分即积分）。")
    elif of == "member":
        click.echo(
            f"得分 = 时长×{weights.hours:g} + 次数×{weights.activity:g} + 优×{weights.excellent:g}"
            f" + 良×{weights.good:g} + 一般×{weights.fair:g}"
        )
    else:
        click.echo(
            f"得分 = 人均时长×{weights.hours:g} + 参与率(%)×{weights.participation:g}"
            f" + 优秀率(%)×{weights.excellence:g}"
        )
    if points is not None:
        emit_table(
            ["名次", "名称", "得分", "时长", "积分", "次数", "优", "良", "一般"],
            [(r.rank, r.row.label, f"{r.score:g}", f"{r.row.hours:g}",
              f"{points.get(int(r.row.key), 0.0):g}", r.row.activities,
              r.row.excellent, r.row.good, r.row.fair) for r in ranked],
        )  # fmt: skip
        return
    emit_table(
        ["名次", "名称", "得分", "时长", "次数", "优", "良", "一般"],
        [(r.rank, r.row.label, f"{r.score:g}", f"{r.row.hours:g}", r.row.activities,
          r.row.excellent, r.row.good, r.row.fair) for r in ranked],
    )  # fmt: skip


@feedback.command("tiers")
@click.option("--min", "minimum", type=click.IntRange(0, 5), default=1, show_default=True,
              help="只列出达到该星级的党员（0 为全部）。")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def tiers(app: App, minimum: int, as_json: bool) -> None:
    """服务星级：按历年累计服务时长（100/300/600/1000/1500 小时为一至五星）。"""
    lines = app.workspace.feedback.tiers(minimum=minimum)
    if as_json:
        emit_json(
            {"thresholds": list(TIER_HOURS),
             "members": [{"member_id": t.member_id, "name": t.name, "hours": t.hours,
                          "tier": t.tier, "label": t.label, "to_next": t.to_next}
                         for t in lines]}
        )  # fmt: skip
        return
    emit_table(
        ["党员编号", "姓名", "累计时长", "星级", "距下一星级"],
        [(t.member_id, t.name, f"{t.hours:g}", t.label,
          "" if t.to_next is None else f"{t.to_next:g}") for t in lines],
    )  # fmt: skip


@feedback.command("pairing")
@click.option("--per-unit", type=int, default=3, show_default=True, help="每个单位建议几个社区。")
@click.option("--min", "minimum", type=int, default=1, show_default=True, help="至少几名党员。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def pairing(app: App, per_unit: int, minimum: int, as_json: bool) -> None:
    """结对共建建议：每个单位的党员报到最集中的社区。"""
    found = app.workspace.feedback.pairings(per_unit=per_unit, minimum=minimum)
    if as_json:
        emit_json([{"unit_code": p.unit_code, "community_id": p.community_id,
                    "community": p.community, "members": p.members, "share": p.share}
                   for p in found])  # fmt: skip
        return
    emit_table(
        ["单位代码", "社区", "党员数", "占本单位已分流党员"],
        [(p.unit_code, p.community, p.members, f"{p.share:.0%}") for p in found],
    )


@feedback.command("weights")
@click.option("--set", "changes", multiple=True, metavar="项=数值",
              help="修改一项权重（市级操作员），如 --set hours=1 --set excellent=3。")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def weights(app: App, changes: tuple[str, ...], as_json: bool) -> None:
    """查看或修改先进个人、先进集体排名的权重（设置 ranking_weights）。"""
    ws = app.workspace
    current = ws.feedback.weights()
    if changes:
        values: dict[str, Any] = {
            f.name: getattr(current, f.name) for f in attrs.fields(type(current))
        }
        for change in changes:
            key, sep, value = change.partition("=")
            if not sep:
                raise click.UsageError(f"“{change}”应写成 项=数值，如 hours=1。")
            values[key.strip()] = value.strip()
        current = ws.feedback.set_weights(values)
    if as_json:
        emit_json(current)
        return
    emit_table(["项", "权重"], [(f.name, f"{getattr(current, f.name):g}")
                                for f in attrs.fields(type(current))])  # fmt: skip
