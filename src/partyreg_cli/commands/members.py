"""``partyreg members``: registered members, within the operator's scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

import attrs
import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY, up_to
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.streaming import stream_json_list
from partyreg_core.converter import unstructure
from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.members.fields import MEMBER_FIELDS
from partyreg_core.members.fields import labels as labels_of
from partyreg_core.members.model import Member, MemberQuery, MemberStatus
from partyreg_core.records import RowIssue, parse_community, record_id
from partyreg_core.text import shown
from partyreg_core.workspace import Workspace


def _query(
    ws: Workspace, unit: str | None, community: str | None, status: str | None
) -> MemberQuery:
    unit_code = ws.code(unit).code if unit else None
    if community is None:
        return MemberQuery(unit=unit_code, status=MemberStatus(status) if status else None)
    text = community.strip()
    number = record_id(text)
    if number is not None:
        return MemberQuery(unit=unit_code, community_id=number, status=_status(status))
    return MemberQuery(unit=unit_code, community=parse_community(text), status=_status(status))


def _status(status: str | None) -> MemberStatus | None:
    return MemberStatus(status) if status else None


def _one(ws: Workspace, who: str, phone: str | None) -> Member:
    number = record_id(who)
    if number is not None:
        return ws.members.get(number)
    found = ws.members.find(who.strip(), phone)
    if not found:
        raise NotFoundError("member.not_found", f"没有找到党员“{shown(who)}”（或不在你的范围内）。")
    if len(found) > 1:
        raise ValidationError(
            "member.ambiguous",
            f"有 {len(found)} 名党员叫“{shown(who)}”：请用 --phone 或党员编号（members list 可查）指明。",
        )
    return found[0]


@click.group()
def members() -> None:
    """在职党员登记信息（附表1），只含你管理范围内的党员。"""


@members.command("list")
@click.option("--unit", metavar="CODE", help="只列出该单位（含下级单位）的党员。")
@click.option("--community", metavar="县区/街道/社区|编号", help="只列出报到该社区的党员。")
@click.option(
    "--status", type=click.Choice([s.value for s in MemberStatus]), help="只列出该状态的党员。"
)
@click.option("--include-left", is_flag=True, help="也列出已离开（调离、退休离开）的党员。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整，不分页）。")
@click.pass_obj
def list_members(
    app: App,
    unit: str | None,
    community: str | None,
    status: str | None,
    include_left: bool,
    as_json: bool,
) -> None:
    """列出党员：附表1 的全部字段和登记状态（已离开的党员加 --include-left 才列出）。"""
    ws = app.workspace
    query = attrs.evolve(_query(ws, unit, community, status), include_left=include_left)
    found: Iterator[Member] = ws.members.iter(query)
    if as_json:
        stream_json_list(unstructure(m) for m in found)
        return
    emit_table(
        ["编号", "单位代码", "姓名", "性别", "认领岗位", "联系方式", "报到社区", "状态"],
        [
            (
                m.id,
                str(m.unit_code),
                m.name,
                m.gender.value,
                "、".join(m.posts),
                m.phone,
                m.community.label,
                m.status.label,
            )
            for m in found
        ],
        drop=(3, 4, 1),  # at 80 columns: 性别, 认领岗位, 单位代码 go first
    )


@members.command("show")
@click.argument("who", metavar="编号|姓名")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def show(app: App, who: str, phone: str | None, as_json: bool) -> None:
    """显示一名党员的全部登记信息。"""
    member = _one(app.workspace, who, phone)
    if as_json:
        emit_json(unstructure(member))
        return
    labels = {
        "id": "编号",
        **labels_of(f for f in MEMBER_FIELDS if f.key not in ("street", "district")),
        "status": "状态",
        "registered_on": "登记日期",
        "routed_on": "分流日期",
        "reported_on": "报到日期",
    }
    data = unstructure(member)
    data["posts"] = "、".join(member.posts)
    data["status"] = member.status.label
    for key, label in labels.items():
        value = data[key]
        click.echo(f"{label}：{'' if value is None else value}")
    for key, label in (
        ("retired_on", "退休日期"),
        ("left_on", "离开日期"),
        ("left_reason", "离开原因"),
    ):
        if data[key]:
            click.echo(f"{label}：{data[key]}")


F = TypeVar("F", bound=Callable[..., Any])


def _field_options(required: bool) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        for spec in reversed(MEMBER_FIELDS):
            needed = required and spec.value_required
            function = click.option(spec.flag, spec.key, required=needed, help=spec.help)(function)
        return function

    return decorate


def _warn(issues: list[RowIssue]) -> None:
    for issue in issues:
        click.echo(f"partyreg: 提示：{issue.column}：{issue.message}", err=True)


@members.command("add")
@_field_options(required=True)
@click.option("--date", "on", type=DAY, help="登记日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def add(app: App, /, on: date | None, as_json: bool, **fields: str | None) -> None:
    """登记一名党员（与导入附表1 的规则相同）。"""
    ws = app.workspace
    day = up_to(ws.today(), on, "登记日期")
    registration, warnings = ws.members.from_fields(
        {k: v for k, v in fields.items() if v is not None}, on=day
    )
    member = ws.members.add(registration, on=day)
    _warn(warnings)
    if as_json:
        emit_json(unstructure(member))
        return
    click.echo(f"已登记党员 {member.name}（编号 {member.id}）。")


@members.command("edit")
@click.argument("who", metavar="编号|姓名")
@click.option("--match-phone", "match_phone", help="同名时用联系方式区分。")
@_field_options(required=False)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def edit(
    app: App, /, who: str, match_phone: str | None, as_json: bool, **fields: str | None
) -> None:
    """修改一名党员的登记信息（只改给出的字段，改动记入审计日志）。"""
    ws = app.workspace
    member = _one(ws, who, match_phone)
    updated, warnings = ws.members.edit(
        member.id, {k: v for k, v in fields.items() if v is not None}
    )
    _warn(warnings)
    if as_json:
        emit_json(unstructure(updated))
        return
    click.echo(f"已修改党员 {updated.name}（编号 {updated.id}）。")


@members.command("remove")
@click.argument("who", metavar="编号|姓名")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--reason", required=True, help="删除原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def remove(app: App, who: str, phone: str | None, reason: str, as_json: bool) -> None:
    """删除一名误登记的党员（已分流或已有活动记录的不能删除）。"""
    ws = app.workspace
    member = _one(ws, who, phone)
    removed = ws.members.remove(member.id, reason)
    if as_json:
        emit_json(unstructure(removed))
        return
    click.echo(f"已删除党员 {removed.name}（编号 {removed.id}）。")


@members.command("invite")
@click.argument("who", metavar="编号|姓名")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option(
    "--hours",
    type=click.FloatRange(min=0.02, max=168),
    default=24.0,
    show_default=True,
    help="链接的有效期（小时）。",
)
@click.option(
    "--base-url", metavar="URL", help="网站地址（默认 partyreg serve --public-url 设定的）。"
)
@click.option("--no-send", is_flag=True, help="只生成链接，不经通知发件箱发给党员。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（键 url、expires_at、queued）。")
@click.pass_obj
def invite(
    app: App,
    who: str,
    phone: str | None,
    hours: float,
    base_url: str | None,
    no_send: bool,
    as_json: bool,
) -> None:
    """生成党员服务网站的一次性登录链接，并发到党员登记的手机（已配置短信通道时）。"""
    from datetime import timedelta

    ws = app.workspace
    member = _one(ws, who, phone)
    made = ws.signin.invite(
        member.id, base_url=base_url, ttl=timedelta(hours=hours), send=not no_send
    )
    if as_json:
        emit_json(
            {
                "member_id": made.member_id,
                "url": made.url,
                "expires_at": made.expires_at.isoformat(),
                "queued": made.queued,
            }
        )
        return
    click.echo(
        f"{member.name} 的登录链接（只能用一次，{made.expires_at:%Y-%m-%d %H:%M} UTC 前有效）："
    )
    click.echo(made.url)
    if made.queued:
        click.echo(f"已放入通知发件箱，发往党员登记的手机（{made.queued} 条）。")
    elif not no_send:
        click.echo(
            "没有可发给党员的通道（notify channel add members:… --type sms）：请把链接当面或"
            "电话告知本人，勿发到群里。"
        )
