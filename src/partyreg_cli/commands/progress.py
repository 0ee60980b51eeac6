"""``partyreg progress``: progress against the year's deadlines, expected counts, overdue
lists and reminders (decision 0026)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import click

from partyreg_cli.app import App
from partyreg_cli.bulk import ask_first, bulk_options, undo_hint
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.streaming import stream_json_list
from partyreg_core.progress import (
    COMPLETION_RULE,
    MILESTONE_LABELS,
    MILESTONES,
    UNDECLARED,
    OverdueMember,
    ProgressBy,
    ProgressReport,
    ProgressRow,
)


def row_json(row: ProgressRow) -> dict[str, object]:
    """One row of ``progress --json``."""
    data: dict[str, object] = {
        "key": row.key,
        "name": row.name,
        "district_code": row.district_code,
        "expected": row.expected,
        "registered": row.registered,
        "routed": row.routed,
        "reported_in": row.reported_in,
        "confirmed": row.confirmed,
    }
    for key in MILESTONES:
        stage = row.stage(key)
        data[key] = {
            "done": stage.done,
            "on_time": stage.on_time,
            "late": stage.late,
            "overdue": stage.overdue,
        }
    data["completion"] = round(row.completion, 4)
    return data


def report_json(report: ProgressReport) -> dict[str, object]:
    """``progress --json``: the deadlines as of the date, the rows, the districts, the total."""
    return {
        "year": report.year,
        "on": report.on.isoformat(),
        "by": report.by.value,
        "deadlines": [
            {
                "key": d.key,
                "label": d.label,
                "due": d.due.isoformat(),
                "passed": report.on > d.due,
            }
            for d in report.calendar.deadlines
        ],
        "rows": [row_json(r) for r in report.rows],
        "districts": [row_json(r) for r in report.districts],
        "total": row_json(report.total),
    }


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _table(rows: tuple[ProgressRow, ...] | list[ProgressRow], first: str) -> None:
    emit_table(
        [first, "名称", "预计", "已登记", "已分流", "已报到", "登记逾期", "分流迟/逾期",
         "报到迟/逾期", "完成率"],
        [
            (
                r.key or "—",
                r.name,
                UNDECLARED if r.expected is None else r.expected,
                r.registered,
                r.routed,
                r.reported_in,
                r.registration.overdue,
                f"{r.routing.late}/{r.routing.overdue}",
                f"{r.report_in.late}/{r.report_in.overdue}",
                _percent(r.completion),
            )
            for r in rows
        ],
        drop=(7, 6, 4, 2),  # at 80 columns: 分流迟/逾期, 登记逾期, 已分流, 预计 go first
    )  # fmt: skip


def _print_report(report: ProgressReport) -> None:
    click.echo(f"{report.year} 年活动进度，截至 {report.on.isoformat()}（按{report.by.label}）")
    for d in report.calendar.deadlines:
        state = "已过" if report.on > d.due else "未到"
        click.echo(f"  {d.due.isoformat()} {MILESTONE_LABELS[d.key]}（{state}）")
    click.echo("")
    _table(report.rows, "社区编号" if report.by is ProgressBy.COMMUNITY else "代码")
    if report.by is not ProgressBy.DISTRICT:
        click.echo("\n按县区汇总：")
        _table(report.districts, "代码")
    t = report.total
    click.echo(
        f"\n{t.name}：预计 {UNDECLARED if t.expected is None else f'{t.expected} 人'}，已登记 {t.registered}，"
        f"已分流 {t.routed}，已报到 {t.reported_in}（按时 {t.report_in.on_time}，"
        f"逾期未报到 {t.report_in.overdue}），完成率 {_percent(t.completion)}。"
    )
    click.echo(f"说明：{COMPLETION_RULE}迟 = 截止日期之后才完成；逾期 = 截止日期已过仍未完成。")


@click.group(invoke_without_command=True)
@click.option("--on", "on", type=DAY, help="截至日期（默认今天）。")
@click.option(
    "--by", type=click.Choice([b.value for b in ProgressBy]), default="unit", show_default=True,
    help="按单位、县区或社区分行。",
)  # fmt: skip
@click.option("--year", type=int, help="年度（默认截至日期所在年）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_context
def progress(ctx: click.Context, on: date | None, by: str, year: int | None, as_json: bool) -> None:
    """活动进度：各单位预计人数、已登记、已分流、已报到，按时与逾期（按年度截止日期）。

    \b
    partyreg progress expect 单位代码 人数   申报预计人数
    partyreg progress overdue               逾期名单
    partyreg progress remind --days 3       截止日期临近时催办落后单位
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    report = app.workspace.progress(by, on=on, year=year)
    if as_json:
        emit_json(report_json(report))
        return
    _print_report(report)


@progress.command("expect")
@click.argument("unit", metavar="单位代码")
@click.argument("count", metavar="人数", type=click.IntRange(min=0))
@click.option("--year", type=int, help="年度（默认当前活动年度）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def expect(app: App, unit: str, count: int, year: int | None, as_json: bool) -> None:
    """申报单位预计参加人数（单位报本单位的；县区、市级可为下级单位设置）。"""
    ws = app.workspace
    code = ws.code(unit)
    year = year or ws.default_year()
    before = ws.set_expected(code.code, count, year=year)
    if as_json:
        emit_json({"code": str(code.code), "year": year, "expected": count, "before": before})
        return
    was = f"（原为 {before} 人）" if before is not None else ""
    click.echo(f"{code.name}（{code.code}）{year} 年预计 {count} 人{was}。")


def overdue_json(member: OverdueMember) -> dict[str, object]:
    """One member of ``progress overdue --json`` (no phone, no address)."""
    dates = member.dates
    return {
        "id": member.id,
        "name": member.name,
        "unit_code": str(member.unit_code),
        "status": member.status,
        "community_id": member.community_id,
        "community": member.community,
        "registered_on": dates.registered_on.isoformat() if dates.registered_on else None,
        "routed_on": dates.routed_on.isoformat() if dates.routed_on else None,
        "reported_on": dates.reported_on.isoformat() if dates.reported_on else None,
        "overdue": list(member.overdue),
    }


@progress.command("overdue")
@click.option("--on", "on", type=DAY, help="截至日期（默认今天）。")
@click.option("--year", type=int, help="年度（默认截至日期所在年）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def overdue(app: App, on: date | None, year: int | None, as_json: bool) -> None:
    """逾期名单：截止日期已过仍未分流、未报到或反馈单未确认的党员。"""
    found = app.workspace.overdue(on=on, year=year)
    if as_json:
        stream_json_list(overdue_json(m) for m in found)
        return
    rows = [
        (
            m.id,
            m.name,
            str(m.unit_code),
            m.community,
            "、".join(MILESTONE_LABELS[k] for k in m.overdue),
        )
        for m in found
    ]
    if not rows:
        click.echo("没有逾期未完成的党员。")
        return
    emit_table(["编号", "姓名", "单位代码", "报到社区", "逾期未完成"], rows)
    click.echo(f"共 {len(rows)} 人。")


def _queued_line(queued: Mapping[str, int]) -> str:
    """What the reminders really became in the outbox."""
    pending, skipped, duplicate = queued["pending"], queued["skipped"], queued["duplicate"]
    if not (pending or skipped or duplicate):
        return "没有提醒进入通知发件箱（没有落后的单位，或未启用通知插件）。"
    parts = [f"待发送 {pending} 条"]
    if skipped:
        parts.append(
            f"{skipped} 条因对方未设置通知渠道而未发送（partyreg notify channel add 设置）"
        )
    if duplicate:
        parts.append(f"{duplicate} 条今天已在发件箱中，未重复加入")
    return f"通知发件箱：{'；'.join(parts)}。发送情况用 partyreg notify list 查看。"


@progress.command("remind")
@click.option("--days", required=True, type=click.IntRange(min=0), help="提前天数。")
@click.option("--on", "on", type=DAY, help="今天的日期（默认今天）。")
@click.option("--year", type=int, help="年度（默认所在年）。")
@bulk_options("发出提醒")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def remind(
    app: App, days: int, on: date | None, year: int | None, dry_run: bool, yes: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """截止日期在 N 天内时，给每个落后的单位和县区发一条催办提醒（不是每人一条）。"""
    ws = app.workspace
    ask_first(
        "发出催办提醒",
        lambda: len(ws.remind(days, on=on, year=year, dry_run=True).events),
        dry_run=dry_run,
        yes=yes,
    )
    result = ws.remind(days, on=on, year=year, dry_run=dry_run)
    deadline = result.deadline
    if as_json:
        emit_json(
            {
                "on": result.on.isoformat(),
                "days": days,
                "deadline": None
                if deadline is None
                else {
                    "key": deadline.key,
                    "label": deadline.label,
                    "due": deadline.due.isoformat(),
                },
                "reminders": [dict(e) for e in result.events],
                "queued": dict(result.queued),
                "dry_run": dry_run,
                "batch_id": result.batch_id,
            }
        )
        return
    if deadline is None:
        click.echo(f"{days} 天内没有截止日期：不发提醒。")
        return
    click.echo(
        f"{deadline.due.isoformat()}（还有 {(deadline.due - result.on).days} 天）"
        f"{MILESTONE_LABELS[deadline.key]}截止：落后的单位和县区 {len(result.events)} 个。"
    )
    if dry_run:
        click.echo(f"将向这 {len(result.events)} 个单位和县区发出提醒：")
    else:
        click.echo(_queued_line(result.queued))
    if result.events:
        emit_table(
            ["代码", "名称", "预计", "已登记", "已分流", "已报到"],
            [
                (
                    e["code"],
                    e["name"],
                    "" if e["expected"] is None else e["expected"],
                    e["registered"],
                    e["routed"],
                    e["reported_in"],
                )
                for e in result.events
            ],
        )
    if dry_run:
        click.echo("试运行（--dry-run）：没有写入任何数据，也没有发出提醒。")
    else:
        undo_hint(result.batch_id, "（撤回尚未发出的提醒；已发出的无法撤回）")
