"""``partyreg event add|list|show|close``: a community's events with check-in (decision 0125).

``event add`` prints the six-digit check-in code and a QR code to show at the event (in the
terminal, and as a PNG with ``-o``); members check in on the members' site inside the time
window; ``event close`` turns attendance into activities and lists who did not come.
"""

from __future__ import annotations

import io
from datetime import date, time
from pathlib import Path
from typing import Any

import click
import segno

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.params import RECORD_ID
from partyreg_core.events.model import Attended, Event, EventClosing, EventStatus
from partyreg_core.events.rules import check_in_url, parse_clock
from partyreg_core.outputs import private_output
from partyreg_core.records import Rating

COMMUNITY = "县区/街道/社区|编号"


class ClockType(click.ParamType):
    """A time of day as typed (``09:30``, ``9点30``), parsed by the core's one rule."""

    name = "HH:MM"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> time:
        if isinstance(value, time):
            return value
        field = param.opts[0] if param is not None and param.opts else "时间"
        return parse_clock(str(value), field=field)


CLOCK = ClockType()


def event_json(event: Event) -> dict[str, Any]:
    """An event as ``event … --json`` writes it."""
    return {
        "id": event.id,
        "community_id": event.community_id,
        "community": event.community_name,
        "date": event.day.isoformat(),
        "start": f"{event.start:%H:%M}",
        "end": f"{event.end:%H:%M}",
        "content": event.content,
        "place": event.place,
        "code": event.code,
        "status": event.status.value,
        "created_by": event.created_by,
        "closed_on": event.closed_on.isoformat() if event.closed_on else None,
    }


def _attended_json(a: Attended) -> dict[str, Any]:
    return {
        "member_id": a.member_id,
        "name": a.name,
        "hours": a.hours,
        "activity_id": a.activity_id,
    }


def _qr(app: App, event: Event) -> segno.QRCode:
    return segno.make(check_in_url(app.workspace.signin.base_url(), event.code), error="m")


@click.group("event")
def event_group() -> None:
    """社区活动签到：发布活动（签到码和二维码）、查看签到、结束活动并记录活动时长。"""


@event_group.command("add")
@click.argument("community", metavar=COMMUNITY)
@click.option("--date", "day", type=DAY, required=True, help="活动日期，如 2014-10-12。")
@click.option("--start", type=CLOCK, required=True, help="开始时间，如 09:00。")
@click.option("--end", type=CLOCK, required=True, help="结束时间，如 11:30。")
@click.option("--content", required=True, help="活动内容，如 “清理楼道小广告”。")
@click.option("--place", default="", help="活动地点。")
@click.option(
    "-o", "--output", "target", type=click.Path(path_type=Path, dir_okay=False),
    help="把签到二维码另存为 PNG 图片（用于打印或投屏）。",
)  # fmt: skip
@click.option("--force", is_flag=True, help="图片已存在时覆盖它。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def event_add(app: App, community: str, day: date, start: time, end: time, content: str,
              place: str, target: Path | None, force: bool, as_json: bool) -> None:  # fmt: skip
    """发布社区活动：partyreg event add 社区 --date 2014-10-12 --start 09:00 --end 11:30 --content …。

    给出 6 位签到码和签到二维码；党员在活动开始前 30 分钟到结束之间在党员网站输入签到码签到，
    开始后再输入一次即为签退。
    """
    ws = app.workspace
    event = ws.events.add(community, day, start, end, content, place=place)
    qr = _qr(app, event)
    if target is not None:
        with private_output(target, force=force, protected=ws.store.files()) as partial:
            qr.save(str(partial), kind="png", scale=10, border=4)
    if as_json:
        emit_json({**event_json(event), "qr_text": check_in_url(ws.signin.base_url(), event.code),
                   "qr_file": str(target) if target else None})  # fmt: skip
        return
    click.echo(f"已发布活动 {event.id}：{event.community_name} {event.window} {event.content}")
    click.echo(f"签到码：{event.code}（活动开始前 30 分钟起可签到，结束后 30 分钟内可签退）")
    screen = io.StringIO()
    qr.terminal(out=screen, compact=True)
    click.echo(screen.getvalue().rstrip("\n"))
    if target is not None:
        click.echo(f"签到二维码已保存到 {target}。")
    click.echo(f"活动结束后用 partyreg event close {event.id} 记录党员的活动时长。")


@event_group.command("list")
@click.option("--community", metavar=COMMUNITY, help="只列出该社区的活动。")
@click.option("--open", "only_open", is_flag=True, help="只列出进行中的活动。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def event_list(app: App, community: str | None, only_open: bool, as_json: bool) -> None:
    """列出社区活动（新的在前）。"""
    status = EventStatus.OPEN if only_open else None
    found = app.workspace.events.list_events(community, status=status)
    if as_json:
        emit_json([event_json(e) for e in found])
        return
    if not found:
        click.echo("没有活动：用 partyreg event add 发布。")
        return
    emit_table(
        ["编号", "社区", "时间", "内容", "地点", "签到码", "状态"],
        [
            (e.id, e.community_name, e.window, e.content, e.place, e.code, e.status.label)
            for e in found
        ],
        drop=(4, 1, 5),
    )


@event_group.command("show")
@click.argument("event_id", type=RECORD_ID, metavar="编号")
@click.option("--qr", "show_qr", is_flag=True, help="再显示一次签到二维码。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def event_show(app: App, event_id: int, show_qr: bool, as_json: bool) -> None:
    """查看一次活动和已签到的党员。"""
    events = app.workspace.events
    event = events.get(event_id)
    came = events.attendance(event_id)
    if as_json:
        emit_json({**event_json(event), "attendance": [_attended_json(a) for a in came]})
        return
    click.echo(f"活动 {event.id}：{event.community_name} {event.window} {event.content}")
    if event.place:
        click.echo(f"地点：{event.place}")
    click.echo(f"签到码：{event.code}　状态：{event.status.label}　已签到 {len(came)} 人")
    if show_qr and event.status is EventStatus.OPEN:
        screen = io.StringIO()
        _qr(app, event).terminal(out=screen, compact=True)
        click.echo(screen.getvalue().rstrip("\n"))
    if came:
        emit_table(
            ["党员编号", "姓名", "记入时长（小时）"],
            [(a.member_id, a.name, f"{a.hours:g}") for a in came],
        )


@event_group.command("close")
@click.argument("event_id", type=RECORD_ID, metavar="编号")
@click.option(
    "--rating", type=click.Choice([r.value for r in Rating]), default=Rating.GOOD.value,
    show_default=True, help="记入活动的评价（优/良/一般）。",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def event_close(app: App, event_id: int, rating: str, as_json: bool) -> None:
    """结束活动：为每位签到的党员记一条活动（时长按活动时长，或按签到到签退的时间），
    并列出未到的党员。已关闭年度的活动不能再记录。"""
    closing = app.workspace.events.close(event_id, rating=rating)
    if as_json:
        emit_json(_closing_json(closing))
        return
    event = closing.event
    click.echo(
        f"活动 {event.id} 已结束：{len(closing.attended)} 人签到，已记录 {len(closing.attended)} 条活动"
        f"（共 {sum(a.hours for a in closing.attended):g} 小时）。"
    )
    if closing.attended:
        emit_table(
            ["党员编号", "姓名", "时长（小时）", "活动编号"],
            [(a.member_id, a.name, f"{a.hours:g}", a.activity_id) for a in closing.attended],
        )
    if closing.no_shows:
        click.echo(f"未签到 {len(closing.no_shows)} 人：")
        emit_table(["党员编号", "姓名"], [(p.member_id, p.name) for p in closing.no_shows])
    else:
        click.echo("本社区的党员都已签到。")


def _closing_json(closing: EventClosing) -> dict[str, Any]:
    return {
        **event_json(closing.event),
        "attended": [_attended_json(a) for a in closing.attended],
        "activity_ids": [a.activity_id for a in closing.attended],
        "no_shows": [{"member_id": p.member_id, "name": p.name} for p in closing.no_shows],
    }
