"""``partyreg notify``: notification channels per org unit, community or instructor, and the
outbox (list, flush, retry). See docs/notifications.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.bulk import bulk_options, confirm_bulk, list_preview, undo_hint
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.params import RECORD_ID
from partyreg_core.dates import parse_date
from partyreg_core.errors import ValidationError
from partyreg_core.notify.model import (
    Attempt,
    Channel,
    DeliveryReport,
    OutboxMessage,
    OutboxStatus,
    Outcome,
)
from partyreg_core.notify.rules import is_secret_setting
from partyreg_core.workspace import LOCAL_ZONE

#: Messages the text listing shows when no --limit is given (--json is always complete).
TEXT_LIMIT = 200
TARGET_HELP = (
    "通知对象：org:单位代码（如 org:008.001）、community:社区编号、instructor:指导员编号、"
    "members:单位代码（该单位及下级单位党员个人的短信等渠道）。"
)


def _local(value: datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def shown_settings(settings: dict[str, str]) -> dict[str, str]:
    """Settings as ``list`` shows them: references (``env:NAME``) as they are, any secret
    value hidden (the store holds none, but a listing never prints one)."""
    return {
        k: ("（已隐藏）" if is_secret_setting(k) and not v.startswith("env:") and v else v)
        for k, v in sorted(settings.items())
    }


def channel_json(channel: Channel) -> dict[str, Any]:
    """A channel as ``channel list --json`` writes it."""
    return {
        "name": channel.name,
        "target": str(channel.target),
        "kind": channel.kind,
        "settings": shown_settings(dict(channel.settings)),
        "enabled": channel.enabled,
        "district_code": str(channel.district_code) if channel.district_code else None,
        "community_id": channel.community_id,
        "created_by": channel.created_by,
        "created_at": _iso(channel.created_at),
    }


def message_json(message: OutboxMessage) -> dict[str, Any]:
    """An outbox message as ``notify list --json`` writes it."""
    return {
        "id": message.id,
        "status": message.status.value,
        "target": str(message.target),
        "channel": message.channel or None,
        "event": message.event,
        "subject": message.subject,
        "body": message.body,
        "attempts": message.attempts,
        "created_at": _iso(message.created_at),
        "next_attempt_at": _iso(message.next_attempt_at)
        if message.status is OutboxStatus.PENDING
        else None,
        "sent_at": _iso(message.sent_at),
        "error_code": message.error_code,
        "error": message.last_error,
        "created_by": message.created_by,
    }


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One delivery attempt as ``notify flush --json`` writes it."""
    return {
        "id": attempt.message_id,
        "outcome": attempt.outcome.value,
        "attempts": attempt.attempts,
        "next_attempt_at": _iso(attempt.next_attempt_at),
        "error_code": attempt.error_code,
        "error": attempt.error,
    }


def report_json(report: DeliveryReport, now: datetime) -> dict[str, Any]:
    """A flush as ``notify flush --json`` writes it."""
    return {
        "now": _iso(now),
        "sent": report.count(Outcome.SENT),
        "retrying": report.count(Outcome.RETRY) - report.deferred,
        "failed": report.count(Outcome.FAILED),
        "deferred": report.deferred,
        "batch_id": report.batch_id,
        "attempts": [attempt_json(a) for a in report.attempts],
    }


def parse_now(text: str | None) -> datetime | None:
    """``--now``: an ISO date or date-time; without a zone it is Beijing time."""
    if text is None:
        return None
    value = text.strip().replace("T", " ")
    if ":" not in value:  # a date alone, as the one date parser reads it (2024/9/8, 2024年9月8日)
        day = parse_date(value, what="--now 的日期")
        parsed = datetime(day.year, day.month, day.day)
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                "notify.now",
                f"--now 的取值“{text}”不是日期时间：应写成 2024-09-08 或 2024-09-08 10:30。",
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_ZONE)
    return parsed.astimezone(UTC)


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                "notify.settings",
                f"--set 的写法不对：“{pair}” 应写成 名称=值（如 url=https://…）。",
            )
        found[key.strip()] = value.strip()
    return found


@click.group()
def notify() -> None:
    """通知：各单位、社区、指导员的通知渠道，以及发送队列（待发送、已发送、失败）。"""


@notify.group()
def channel() -> None:
    """通知渠道：为单位、社区或指导员配置邮件、webhook、企业微信或钉钉群机器人。"""


@channel.command("add")
@click.argument("target")
@click.option(
    "--type",
    "kind",
    required=True,
    help="渠道类型：smtp、webhook、wecom、dingtalk（或插件提供的）。",
)
@click.option(
    "--name", default=None, help="渠道名（英文字母、数字、_.-）；部署配置文件按此名提供机密。"
)
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="名称=值",
    help="渠道设置，可重复；机密（密码、key、secret）写成 名称=env:环境变量名。",
)
@click.option("--disabled", is_flag=True, help="先添加为停用状态。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def channel_add(
    app: App,
    target: str,
    kind: str,
    name: str | None,
    pairs: tuple[str, ...],
    disabled: bool,
    as_json: bool,
) -> None:
    """为 TARGET 添加通知渠道（TARGET 如 org:008.001、community:12、instructor:3）。"""
    saved = app.workspace.notify.add_channel(
        target, kind, _settings(pairs), name=name, enabled=not disabled
    )
    if as_json:
        emit_json(channel_json(saved))
        return
    click.echo(f"已为 {saved.target.label} 添加通知渠道 {saved.name}（{saved.kind}）。")


@channel.command("list")
@click.option("--target", default=None, help=TARGET_HELP)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def channel_list(app: App, target: str | None, as_json: bool) -> None:
    """列出管理范围内的通知渠道（不显示任何机密）。"""
    found = app.workspace.notify.channels(target)
    if as_json:
        emit_json([channel_json(c) for c in found])
        return
    if not found:
        click.echo("没有通知渠道：用 partyreg notify channel add TARGET --type … 添加。")
        return
    emit_table(
        ["渠道", "对象", "类型", "状态", "设置"],
        [
            (
                c.name,
                str(c.target),
                c.kind,
                "启用" if c.enabled else "停用",
                " ".join(f"{k}={v}" for k, v in shown_settings(dict(c.settings)).items()),
            )
            for c in found
        ],
    )


@channel.command("remove")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def channel_remove(app: App, name: str, as_json: bool) -> None:
    """删除通知渠道 NAME（其待发送消息标为失败，可在配置新渠道后重发）。"""
    removed, pending = app.workspace.notify.remove_channel(name)
    if as_json:
        emit_json({"removed": channel_json(removed), "pending_failed": pending})
        return
    extra = f"；其 {pending} 条待发送消息已标为失败" if pending else ""
    click.echo(f"已删除通知渠道 {removed.name}{extra}。")


def _switch(app: App, name: str, as_json: bool, *, enabled: bool) -> None:
    saved = app.workspace.notify.enable_channel(name, enabled=enabled)
    if as_json:
        emit_json(channel_json(saved))
        return
    click.echo(f"已{'启用' if enabled else '停用'}通知渠道 {saved.name}。")


@channel.command("disable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def channel_disable(app: App, name: str, as_json: bool) -> None:
    """停用通知渠道 NAME：新消息不再走它（已排队的仍会发送）。"""
    _switch(app, name, as_json, enabled=False)


@channel.command("enable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def channel_enable(app: App, name: str, as_json: bool) -> None:
    """重新启用通知渠道 NAME。"""
    _switch(app, name, as_json, enabled=True)


@channel.command("test")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def channel_test(app: App, name: str, as_json: bool) -> None:
    """通过渠道 NAME 发送一条测试消息（直接发送，不进发送队列）。"""
    tested = app.workspace.notify.test_channel(name)
    if as_json:
        emit_json({"channel": tested.name, "sent": True})
        return
    click.echo(f"测试消息已通过 {tested.name} 发送到 {tested.target.label}。")


@notify.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in OutboxStatus]),
    default=None,
    help="只列出该状态：pending（待发送）、sent（已发送）、failed（失败）、skipped（无渠道）。",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="最多列出多少条（最新的）。"
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def list_messages(app: App, status: str | None, limit: int | None, as_json: bool) -> None:
    """列出发送队列中的消息（管理范围内），最新的在前。"""
    workspace = app.workspace
    shown = limit if limit is not None or as_json else TEXT_LIMIT
    found = workspace.notify.messages(status, limit=shown)
    counts = workspace.notify.counts()
    if as_json:
        emit_json(
            {
                "counts": {s.value: counts[s] for s in OutboxStatus},
                "messages": [message_json(m) for m in found],
            }
        )
        return
    if found:
        emit_table(
            ["编号", "状态", "对象", "渠道", "标题", "尝试", "时间", "错误"],
            [
                (
                    m.id,
                    m.status.label,
                    str(m.target),
                    m.channel or "—",
                    m.subject,
                    m.attempts,
                    _local(m.sent_at)
                    if m.status is OutboxStatus.SENT
                    else (
                        f"下次 {_local(m.next_attempt_at)}"
                        if m.status is OutboxStatus.PENDING
                        else _local(m.created_at)
                    ),
                    m.last_error or "",
                )
                for m in found
            ],
        )
        total = counts[OutboxStatus(status)] if status else sum(counts.values())
        if limit is None and total > len(found):
            click.echo(
                f"（只显示最新的 {len(found)} 条，共 {total} 条：用 --limit N 或 --json 查看更多。）"
            )
    else:
        click.echo("发送队列中没有这样的消息。")
    click.echo(
        "合计："
        + "，".join(f"{s.label} {counts[s]}" for s in OutboxStatus)
        + "。"
        + (
            "“无渠道”的消息其对象没有配置通知渠道，未发送：配置后可用 partyreg notify retry 编号 补发。"
            if counts[OutboxStatus.SKIPPED]
            else ""
        )
    )


def _print_report(report: DeliveryReport) -> None:
    if not report.attempts:
        click.echo("没有到期待发送的消息。")
        return
    retrying = report.count(Outcome.RETRY) - report.deferred
    click.echo(
        f"发送 {len(report.attempts) - report.deferred} 条：成功 {report.count(Outcome.SENT)}，"
        f"稍后重试 {retrying}，失败 {report.count(Outcome.FAILED)}"
        + (f"；另有 {report.deferred} 条因渠道不通顺延" if report.deferred else "")
        + "。"
    )
    for attempt in report.attempts:
        if attempt.outcome is Outcome.RETRY and attempt.error and attempt.attempts:
            click.echo(
                f"  {attempt.message_id}：第 {attempt.attempts} 次失败，"
                f"{_local(attempt.next_attempt_at)} 重试（{attempt.error}）"
            )
        elif attempt.outcome is Outcome.FAILED:
            click.echo(f"  {attempt.message_id}：发送失败，不再自动重试（{attempt.error}）")


@notify.command("flush")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="日期时间",
    help="把当前时间视为此时刻（北京时间，如 2024-09-08 10:30；补发或检查用）。",
)
@bulk_options("发送")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def flush(app: App, now_text: str | None, dry_run: bool, yes: bool, as_json: bool) -> None:
    """发送发送队列中已到期的消息（失败的按退避时间稍后重试）。定时任务请加 --yes。"""
    workspace = app.workspace
    now = parse_now(now_text) or workspace.now()
    if dry_run or not yes:
        due = workspace.notify.due(now)
        if dry_run:
            if as_json:
                emit_json({"dry_run": True, "due": [message_json(m) for m in due]})
                return
            click.echo(f"将发送 {len(due)} 条到期的消息：")
            list_preview([f"{m.id}  {m.target}  {m.subject}" for m in due])
            click.echo(f"{UNSENDABLE}试运行（--dry-run）：没有发送，也没有写入任何数据。")
            return
        confirm_bulk(len(due), "发送消息", yes=yes, warning=UNSENDABLE)
    report = workspace.notify.deliver(now=now)
    if as_json:
        emit_json(report_json(report, now))
        return
    _print_report(report)
    undo_hint(report.batch_id, "（只撤回尚未送达、等待重试的消息；已发出的无法撤回）")


#: What a flush's question and dry run say first.
UNSENDABLE = "消息一经发出不能撤回（partyreg undo 只能撤回尚未送达的）。"


@notify.command("retry")
@click.argument("message_id", type=RECORD_ID)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def retry(app: App, message_id: int, as_json: bool) -> None:
    """重新发送消息 MESSAGE_ID（失败、待发送或无渠道的消息；尝试次数从零算起），并立即尝试发送。"""
    workspace = app.workspace
    queued = workspace.notify.retry(message_id)
    report = workspace.notify.deliver(ids=[m.id for m in queued])
    after = {m.id: m for m in workspace.notify.messages(ids=[m.id for m in queued])}
    if as_json:
        emit_json({"messages": [message_json(after.get(m.id, m)) for m in queued]})
        return
    click.echo(f"已重新排队 {len(queued)} 条。")
    _print_report(report)
