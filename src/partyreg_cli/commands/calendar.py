"""``partyreg calendar``: the campaign year's deadlines (shared settings; city operators set
them)."""

from __future__ import annotations

from datetime import date

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.calendar import CampaignCalendar


def calendar_json(calendar: CampaignCalendar) -> dict[str, object]:
    """A year's calendar as ``calendar … --json`` writes it."""
    return {
        "year": calendar.year,
        "deadlines": [
            {"key": d.key, "label": d.label, "due": d.due.isoformat()} for d in calendar.deadlines
        ],
    }


def _print(calendar: CampaignCalendar, as_json: bool) -> None:
    if as_json:
        emit_json(calendar_json(calendar))
        return
    click.echo(f"{calendar.year} 年活动日程：")
    emit_table(
        ["截止日期", "事项", "代码"],
        [(d.due.isoformat(), d.label, d.key) for d in calendar.deadlines],
    )


@click.group()
def calendar() -> None:
    """年度日程：登记上报、梳理分类、社区报到、反馈单确认的截止日期。"""


@calendar.command("show")
@click.option("--year", type=int, help="年度（默认当前活动年度）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def show(app: App, year: int | None, as_json: bool) -> None:
    """显示一年的截止日期（未设置时为通知规定的 8月30日、9月10日、9月20日、12月20日）。"""
    _print(app.workspace.calendar(year), as_json)


@calendar.command("set")
@click.option("--year", type=int, help="年度（默认当前活动年度）。")
@click.option("--registration", type=DAY, help="单位登记上报截止日期。")
@click.option("--routing", type=DAY, help="县区梳理分类截止日期。")
@click.option("--report-in", "report_in", type=DAY, help="社区报到截止日期。")
@click.option("--confirmation", type=DAY, help="反馈单盖章确认截止日期。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def set_dates(
    app: App,
    year: int | None,
    as_json: bool,
    **dues: date | None,
) -> None:
    """修改一年的截止日期（市级操作员；写入审计日志）。"""
    changes = {k: v for k, v in dues.items() if v is not None}
    if not changes:
        raise click.UsageError("请至少给出一个截止日期，如 --report-in 2024-09-25。")
    ws = app.workspace
    _print(ws.set_calendar(year or ws.default_year(), changes), as_json)
