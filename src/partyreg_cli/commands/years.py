"""``partyreg year``: campaign years (open the next one, confirm carried-over registrations);
``partyreg retention``: the retention period of members who left, and anonymising them."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.bulk import ask_first, bulk_options, undo_hint
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.batches import RETENTION_IRREVERSIBLE
from partyreg_core.calendar import CampaignCalendar
from partyreg_core.errors import ValidationError
from partyreg_core.retention import RETENTION_SETTING, RetentionReport, retention_years
from partyreg_core.years import (
    MONTH_DAYS_SETTING,
    SEED_MONTH_DAYS,
    CampaignYear,
    UnitConfirmation,
    calendar_for,
    parse_month_day,
)

_DATE = DAY


def _day(value: date | None) -> date | None:
    return value


def _calendar_json(calendar: CampaignCalendar) -> dict[str, Any]:
    return {
        d.key: {"label": d.label, "due": d.due.isoformat(), "phase": d.phase.value}
        for d in calendar.deadlines
    }


def year_json(year: CampaignYear) -> dict[str, Any]:
    """A campaign year as ``year list/show --json`` write it."""
    return {
        "year": year.year,
        "status": year.status.value,
        "locked": year.locked,
        "calendar": _calendar_json(year.calendar),
        "opened_on": year.opened_on.isoformat(),
        "opened_by": year.opened_by,
        "closed_on": year.closed_on.isoformat() if year.closed_on else None,
        "closed_by": year.closed_by,
        "units": year.units,
        "units_confirmed": year.units_confirmed,
        "units_pending": year.units - year.units_confirmed,
        "members_carried": year.members_carried,
    }


def confirmation_json(c: UnitConfirmation) -> dict[str, Any]:
    """A unit's confirmation as the JSON of ``year pending/confirm`` writes it."""
    return {
        "year": c.year,
        "unit_code": str(c.unit_code),
        "unit": c.unit_name,
        "members": c.members,
        "confirmed": c.confirmed,
        "confirmed_on": c.confirmed_on.isoformat() if c.confirmed_on else None,
        "confirmed_by": c.confirmed_by,
        "confirmed_members": c.confirmed_members,
    }


def _show_calendar(calendar: CampaignCalendar) -> None:
    emit_table(
        ["截止日期", "事项"],
        [(d.due.isoformat(), d.label) for d in calendar.deadlines],
    )


@click.group("year")
def year_group() -> None:
    """活动年度：开启新年度、确认沿用的登记、查看往年（往年只读）。"""


@year_group.command("open")
@click.argument("year", type=int)
@click.option("--date", "on", type=_DATE, help="开启日期（默认今天）。")
@bulk_options("关闭和沿用")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def open_year(
    app: App, year: int, on: date | None, dry_run: bool, yes: bool, as_json: bool
) -> None:
    """开启 YEAR 年度（市级操作员）：按月日设置生成当年日程，关闭以前各年度，
    各单位现有登记沿用到新年度，待单位确认。"""
    ws = app.workspace
    ask_first(
        "开启年度并沿用各单位的登记",
        lambda: ws.open_year(year, on=_day(on), dry_run=True).members,
        dry_run=dry_run,
        yes=yes,
    )
    opening = ws.open_year(year, on=_day(on), dry_run=dry_run)
    if as_json:
        emit_json(
            {
                **year_json(opening.year),
                "closed_years": list(opening.closed_years),
                "units_to_confirm": opening.units,
                "members_carried": opening.members,
                "dry_run": dry_run,
                "batch_id": opening.batch_id,
            }
        )
        return
    will = "将" if dry_run else "已"
    click.echo(f"{will}开启 {year} 年度。")
    if opening.closed_years:
        years = "、".join(str(y) for y in opening.closed_years)
        click.echo(f"{will}关闭 {years} 年度：可以查看和导出，不能再添加活动。")
    click.echo(
        f"{opening.units} 个单位的 {opening.members} 名党员登记{'将' if dry_run else ''}沿用到 "
        f"{year} 年度，待各单位核对后确认（partyreg year confirm --unit 单位代码）。"
    )
    _show_calendar(opening.year.calendar)
    if dry_run:
        click.echo("试运行（--dry-run）：没有写入任何数据。")
    else:
        undo_hint(opening.batch_id, "（录入该年度的数据之前）")


@year_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def list_years(app: App, as_json: bool) -> None:
    """列出已开启的年度（最新的在前）。"""
    years = app.workspace.campaign_years()
    if as_json:
        emit_json([year_json(y) for y in years])
        return
    if not years:
        click.echo("还没有开启过年度：市级操作员用 partyreg year open 年份 开启。")
        return
    emit_table(
        ["年度", "状态", "开启", "关闭", "单位确认", "沿用登记"],
        [
            (
                y.year,
                y.status.label,
                f"{y.opened_on} {y.opened_by}",
                f"{y.closed_on} {y.closed_by}" if y.closed_on else "",
                f"{y.units_confirmed}/{y.units}",
                y.members_carried,
            )
            for y in years
        ],
    )


@year_group.command("show")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def show_year(app: App, year: int, as_json: bool) -> None:
    """显示 YEAR 年度：状态、日程和单位确认情况。"""
    found = app.workspace.campaign_year(year)
    if as_json:
        emit_json(year_json(found))
        return
    state = "（只读：不能再添加活动）" if found.locked else ""
    click.echo(f"{found.year} 年度：{found.status.label}{state}")
    click.echo(f"开启：{found.opened_on} {found.opened_by}")
    if found.closed_on:
        click.echo(f"关闭：{found.closed_on} {found.closed_by}")
    click.echo(
        f"单位确认：{found.units_confirmed}/{found.units}；沿用登记 {found.members_carried} 人"
    )
    _show_calendar(app.workspace.calendar(found.year))


@year_group.command("confirm")
@click.option("--unit", "unit", required=True, metavar="CODE", help="确认登记的单位代码。")
@click.option("--year", "year", type=int, help="年度（默认最新开启的年度）。")
@click.option("--date", "on", type=_DATE, help="确认日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def confirm(app: App, unit: str, year: int | None, on: date | None, as_json: bool) -> None:
    """单位确认本单位沿用到新年度的党员登记（有变化的先重新导入附表1 再确认）。"""
    ws = app.workspace
    chosen = year if year is not None else _current(app)
    done = ws.confirm_year(chosen, unit, on=_day(on))
    if as_json:
        emit_json(confirmation_json(done))
        return
    click.echo(
        f"{done.unit_name}（{done.unit_code}）已确认 {chosen} 年度的登记："
        f"{done.confirmed_members} 名党员。"
    )


@year_group.command("pending")
@click.option("--year", "year", type=int, help="年度（默认最新开启的年度）。")
@click.option("--all", "show_all", is_flag=True, help="也列出已确认的单位。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def pending(app: App, year: int | None, show_all: bool, as_json: bool) -> None:
    """列出还没有确认登记的单位（--all 列出全部）。"""
    chosen = year if year is not None else _current(app)
    rows = app.workspace.year_confirmations(chosen, pending_only=not show_all)
    if as_json:
        emit_json([confirmation_json(c) for c in rows])
        return
    if not rows:
        click.echo(f"{chosen} 年度没有待确认的单位。")
        return
    emit_table(
        ["单位代码", "单位", "沿用登记", "确认"],
        [
            (
                c.unit_code,
                c.unit_name,
                c.members,
                f"{c.confirmed_on} {c.confirmed_by}（{c.confirmed_members} 人）"
                if c.confirmed
                else "待确认",
            )
            for c in rows
        ],
    )


@year_group.command("calendar")
@click.argument("changes", nargs=-1, metavar="[KEY=MM-DD]...")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def calendar_setting(app: App, changes: tuple[str, ...], as_json: bool) -> None:
    """查看或修改每年的截止月日（市级操作员），新开启的年度按此生成日程。

    \b
    KEY: registration 登记上报（默认 08-30）  routing 梳理分类（09-10）
         report_in 社区报到（09-20）          confirmation 反馈单确认（12-20）
    例：partyreg year calendar registration=08-25 confirmation=12-15
    """
    ws = app.workspace
    current = dict(ws.setting(MONTH_DAYS_SETTING) or {})
    if changes:
        for change in changes:
            key, sep, value = change.partition("=")
            key = key.strip()
            if not sep or key not in SEED_MONTH_DAYS:
                raise ValidationError(
                    "calendar.unknown",
                    f"“{change}”不对：请写成 KEY=MM-DD，KEY 为 {'、'.join(SEED_MONTH_DAYS)}。",
                )
            month, day = parse_month_day(value, key)
            current[key] = f"{month:02d}-{day:02d}"
        merged = {k: current.get(k, v) for k, v in SEED_MONTH_DAYS.items()}
        calendar_for(2000, merged)  # the order of the deadlines is checked before saving
        ws.set_setting(MONTH_DAYS_SETTING, merged)
        current = merged
    shown = {k: current.get(k, v) for k, v in SEED_MONTH_DAYS.items()}
    if as_json:
        emit_json(shown)
        return
    emit_table(["截止日期", "月-日"], list(shown.items()))


def _current(app: App) -> int:
    year = app.workspace.current_year()
    if year is None:
        raise ValidationError(
            "year.none",
            "还没有开启过年度：请用 --year 指定，或由市级操作员先运行 partyreg year open 年份。",
        )
    return year


# -- retention ------------------------------------------------------------------------------


def retention_json(report: RetentionReport) -> dict[str, Any]:
    """A retention run as ``retention run --json`` writes it (ids and counts only)."""
    return {
        "on": report.on.isoformat(),
        "years": report.years,
        "left_on_or_before": report.cutoff.isoformat(),
        "dry_run": report.dry_run,
        "members": report.members,
        "member_ids": list(report.member_ids),
        "by_unit": dict(report.by_unit),
        "audit_entries": report.audit_entries,
        "audit_entry_ids": list(report.audit_entry_ids),
        "wishes": report.wishes,
        "wish_ids": list(report.wish_ids),
    }


@click.group("retention")
def retention_group() -> None:
    """个人信息保留期限：离开的党员超过保留期限后匿名化（统计数字不变）。"""


@retention_group.command("run")
@click.option("--on", "on", type=_DATE, help="按哪一天计算（默认今天）。")
@bulk_options("匿名化")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def run_retention(app: App, on: date | None, dry_run: bool, yes: bool, as_json: bool) -> None:
    """把离开超过保留期限的党员匿名化，并清除审计日志中他们的个人信息（市级操作员）。

    匿名化不能撤销：先用 --dry-run 核对名单。"""
    app.admin_login_ok = True  # rewrites the append-only audit log
    ws = app.workspace
    ask_first(
        "匿名化党员",
        lambda: (lambda r: r.members + r.wishes)(ws.run_retention(on=_day(on), dry_run=True)),
        dry_run=dry_run,
        yes=yes,
        warning=RETENTION_IRREVERSIBLE,
    )
    report = ws.run_retention(on=_day(on), dry_run=dry_run)
    if as_json:
        emit_json({**retention_json(report), "batch_id": report.batch_id, "undoable": False})
        return
    if dry_run and report.members:
        click.echo(RETENTION_IRREVERSIBLE)
    click.echo(
        f"保留期限 {report.years} 年：{report.cutoff} 及以前离开的党员到期（按 {report.on} 计算）。"
    )
    verb = "将匿名化" if dry_run else "已匿名化"
    click.echo(
        f"{verb} {report.members} 名党员，{'将' if dry_run else '已'}清除 "
        f"{report.audit_entries} 条审计记录中的个人信息。"
    )
    if report.wishes:
        click.echo(
            f"{'将' if dry_run else '已'}清除 {report.wishes} 个已办结微心愿中居民的姓名和电话"
            f"（{report.cutoff} 及以前办结）。"
        )
    if report.by_unit:
        emit_table(["单位代码", "人数"], list(report.by_unit.items()))
    if dry_run:
        click.echo("试运行（--dry-run）：没有写入任何数据。")
    elif report.batch_id:
        click.echo(f"批次号 {report.batch_id}（记录匿名化了哪些党员；匿名化不能撤销）。")


@retention_group.command("period")
@click.argument("years", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def period(app: App, years: int | None, as_json: bool) -> None:
    """查看或设置保留期限（年，默认 3；设置须市级操作员）。"""
    ws = app.workspace
    if years is not None:
        ws.set_setting(RETENTION_SETTING, retention_years(years))
    current = ws.retention_years()
    if as_json:
        emit_json({"years": current})
        return
    click.echo(f"保留期限：离开后 {current} 年。")
