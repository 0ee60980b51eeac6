"""``partyreg wishes``: residents' wishes (微心愿) from a visit, a call or the community's group
— added, imported from a sheet, listed, claimed by a member, done, rated by the resident,
cancelled, and recorded as the member's activity."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.commands.feedback import _member_id
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.params import RECORD_ID
from partyreg_core.normalize import normalize_hours
from partyreg_core.wishes.model import Wish

COMMUNITY = "县区/街道/社区|编号"


def wish_json(w: Wish) -> dict[str, Any]:
    """A wish as ``wishes list --json`` writes it (the resident masked as the role requires)."""
    return {
        "id": w.id,
        "community_id": w.community_id,
        "community": w.community,
        "district_code": str(w.district_code) if w.district_code else None,
        "title": w.title,
        "resident": w.resident_name or None,
        "phone": w.resident_phone or None,
        "resident_masked": w.masked,
        "resident_erased": w.erased,
        "post_code": w.post_code or None,
        "due": w.due.isoformat() if w.due else None,
        "source": w.source or None,
        "received_on": w.received_on.isoformat(),
        "status": w.status.value,
        "status_label": w.status.label,
        "member_id": w.member_id,
        "member": w.member_name or None,
        "claimed_on": w.claimed_on.isoformat() if w.claimed_on else None,
        "done_on": w.done_on.isoformat() if w.done_on else None,
        "done_note": w.done_note or None,
        "rating": w.rating.value if w.rating else None,
        "rating_comment": w.rating_comment or None,
        "rated_on": w.rated_on.isoformat() if w.rated_on else None,
        "cancelled_on": w.cancelled_on.isoformat() if w.cancelled_on else None,
        "cancel_reason": w.cancel_reason or None,
        "activity_id": w.activity_id,
    }


def _said(w: Wish, done: str) -> None:
    click.echo(f"心愿 {w.id}（{w.title}）{done}；现在：{w.status.label}。")


@click.group()
def wishes() -> None:
    """居民微心愿（群众需求）：登记 → 党员认领 → 完成 → 居民评价，可记为党员的服务活动。"""


@wishes.command("add")
@click.argument("community", metavar=COMMUNITY)
@click.option("--title", required=True, help="心愿内容（做什么），最多 200 字。")
@click.option("--resident", default="", help="居民姓名（个人信息：只有本社区看得到全文）。")
@click.option("--phone", default="", help="居民联系电话（个人信息）。")
@click.option("--post", default="", metavar="岗位", help="对应的服务岗位（代码或名称）。")
@click.option("--due", type=DAY, help="希望完成的日期，如 2014-10-20。")
@click.option("--date", "received", type=DAY, help="登记日期（默认今天）。")
@click.option("--source", default="", help="来源：走访、电话、QQ群、微信群……")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键 id 为心愿编号）。")
@click.pass_obj
def add(app: App, community: str, title: str, resident: str, phone: str, post: str,
        due: date | None, received: date | None, source: str, as_json: bool) -> None:  # fmt: skip
    """登记一个居民微心愿：partyreg wishes add 社区 --title “帮助换灯泡” --resident 王大妈 --phone …。"""
    wish = app.workspace.wishes.add(
        community, title, resident=resident, phone=phone, post=post, due=due,
        received_on=received, source=source,
    )  # fmt: skip
    if as_json:
        emit_json(wish_json(wish))
        return
    click.echo(f"已登记心愿 {wish.id}：{wish.title}（{wish.community}）。")
    click.echo(f"党员认领：partyreg wishes claim {wish.id} --member 党员编号或姓名")


@wishes.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", "dry_run", is_flag=True, help="只检查，不写入。")
@click.option("--sheet", default=None, help="要导入的工作表名称。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 报告。")
@click.pass_context
def import_wishes(ctx: click.Context, path: Path, dry_run: bool, sheet: str | None,
                  as_json: bool) -> int:  # fmt: skip
    """从表格导入微心愿（xlsx 或 CSV；列：县区、街道、社区、心愿内容，可选 居民姓名、居民电话、岗位、登记日期、期限、来源）。

    与 partyreg import 文件 --kind wishes 相同：有错误的行一行也不写入，并指出行、列和改法。"""
    from partyreg_cli.commands.imports import import_file

    code: int = ctx.invoke(
        import_file, path=path, kind="wishes", sheet=sheet, dry_run=dry_run,
        skip_invalid=False, errors_out=None, force=False, overwrite_edits=False, on=None,
        as_json=as_json,
    )  # fmt: skip
    return code


@wishes.command("list")
@click.option("--community", default=None, metavar=COMMUNITY, help="只列这个社区的。")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    help="只列这些状态：open 待认领、claimed 已认领、done 已完成、rated 已评价、cancelled 已取消（可多次）。",
)
@click.option("--year", type=int, help="登记年度。")
@click.option("--member", default=None, help="只列这名党员认领的（编号或姓名）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def list_wishes(app: App, community: str | None, statuses: tuple[str, ...], year: int | None,
                member: str | None, as_json: bool) -> None:  # fmt: skip
    """列出你范围内的微心愿（居民姓名和电话：本社区看全文，其他范围看到的是遮挡后的）。"""
    ws = app.workspace
    member_id = _member_id(ws, member, None) if member else None
    found = ws.wishes.find(community=community, statuses=statuses, year=year, member_id=member_id)
    if as_json:
        emit_json([wish_json(w) for w in found])
        return
    if not found:
        click.echo("没有符合条件的微心愿。")
        return
    emit_table(
        ["编号", "社区", "心愿", "居民", "电话", "登记", "状态", "认领党员", "评价"],
        [
            (
                w.id,
                w.community,
                w.title,
                w.resident_name,
                w.resident_phone,
                w.received_on,
                w.status.label,
                w.member_name,
                w.rating or "",
            )
            for w in found
        ],
        drop=[4, 3, 1],
    )


@wishes.command("claim")
@click.argument("wish_id", type=RECORD_ID, metavar="编号")
@click.option("--member", required=True, help="认领的党员（编号，或姓名 + --phone）。")
@click.option("--phone", default=None, help="党员的联系方式（重名时）。")
@click.option("--date", "day", type=DAY, help="认领日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def claim(app: App, wish_id: int, member: str, phone: str | None, day: date | None,
          as_json: bool) -> None:  # fmt: skip
    """党员认领微心愿（社区代为登记；党员须在本社区报到）。"""
    ws = app.workspace
    wish = ws.wishes.claim(wish_id, _member_id(ws, member, phone), on=day)
    if as_json:
        emit_json(wish_json(wish))
        return
    _said(wish, f"已由 {wish.member_name} 认领")


@wishes.command("done")
@click.argument("wish_id", type=RECORD_ID, metavar="编号")
@click.option("--note", required=True, help="完成情况（做了什么）。")
@click.option("--date", "day", type=DAY, help="完成日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def done(app: App, wish_id: int, note: str, day: date | None, as_json: bool) -> None:
    """标记微心愿已完成（认领的党员按积分规则得分）。"""
    wish = app.workspace.wishes.done(wish_id, note, on=day)
    if as_json:
        emit_json(wish_json(wish))
        return
    _said(wish, "已完成")
    click.echo(
        f"记为服务活动：partyreg wishes record {wish.id} --hours 小时数；"
        f"居民评价：partyreg wishes rate {wish.id} --rating 满意"
    )


@wishes.command("rate")
@click.argument("wish_id", type=RECORD_ID, metavar="编号")
@click.option("--rating", required=True, help="居民的评价：满意、基本满意 或 不满意。")
@click.option("--comment", default="", help="居民的意见（可不填）。")
@click.option("--date", "day", type=DAY, help="评价日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def rate(app: App, wish_id: int, rating: str, comment: str, day: date | None,
         as_json: bool) -> None:  # fmt: skip
    """记录居民对已完成心愿的评价（由社区登记）。"""
    wish = app.workspace.wishes.rate(wish_id, rating, comment=comment, on=day)
    if as_json:
        emit_json(wish_json(wish))
        return
    _said(wish, f"居民评价“{wish.rating}”")


@wishes.command("cancel")
@click.argument("wish_id", type=RECORD_ID, metavar="编号")
@click.option("--reason", required=True, help="取消原因。")
@click.option("--date", "day", type=DAY, help="取消日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def cancel(app: App, wish_id: int, reason: str, day: date | None, as_json: bool) -> None:
    """取消一个待认领或已认领的心愿（须写明原因）。"""
    wish = app.workspace.wishes.cancel(wish_id, reason, on=day)
    if as_json:
        emit_json(wish_json(wish))
        return
    _said(wish, "已取消")


@wishes.command("record")
@click.argument("wish_id", type=RECORD_ID, metavar="编号")
@click.option("--hours", required=True, help="服务时间（小时），大于 0、不超过 24。")
@click.option("--content", default="", help="服务内容（默认：微心愿：心愿内容）。")
@click.option("--date", "day", type=DAY, help="活动日期（默认完成日期）。")
@click.option("--rating", default="优", help="活动评价：优、良 或 一般（默认 优）。")
@click.option("--kind", default="", help="活动类型（如 党员奉献日）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键 activity_id）。")
@click.pass_obj
def record(app: App, wish_id: int, hours: str, content: str, day: date | None, rating: str,
           kind: str, as_json: bool) -> None:  # fmt: skip
    """把已完成的心愿记为认领党员的一次服务活动（与 activity add 同样检查：年度、反馈单、每天 24 小时）。"""
    ws = app.workspace
    activity_id = ws.wishes.record_activity(
        wish_id, normalize_hours(hours), content=content, day=day, rating=rating, kind=kind
    )
    if as_json:
        emit_json({"wish_id": wish_id, "activity_id": activity_id})
        return
    click.echo(f"已把心愿 {wish_id} 记为活动 {activity_id}（partyreg activity list 可查）。")
