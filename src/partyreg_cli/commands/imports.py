"""``partyreg import``: read an operator's sheet (附表1/2/4, activity rows) into the store.

``partyreg import FILE`` imports; ``partyreg import undo BATCH`` reverts a batch nothing has
built on; ``partyreg import list`` shows the batches.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.batches import BatchKind
from partyreg_core.errors import ValidationError
from partyreg_core.forms import FormKind
from partyreg_core.importing import ImportProgress, ImportReport, ImportRequest
from partyreg_core.workspace import LOCAL_ZONE

KINDS = {k.value: k for k in FormKind}
KIND_LABELS = {
    FormKind.REGISTRATIONS: "党员信息登记表（附表1）",
    FormKind.CODES: "单位党组织代码表（附表2）",
    FormKind.DIRECTORY: "社区通讯录（附表4）",
    FormKind.ACTIVITIES: "活动记录（附表3）",
    FormKind.WISHES: "居民微心愿",
}
MAX_ISSUES_SHOWN = 50


class _ImportGroup(click.Group):
    """``import FILE`` and ``import undo|list``: a first argument that is not a subcommand is
    the file to import."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # ``import --help`` is asked by someone about to import a file: show that command's
        # options here, not only the group's
        super().format_help(ctx, formatter)
        file_command = self.commands["file"]
        with formatter.section("导入文件的选项（partyreg import 文件 [选项]）"):
            options = [p for p in file_command.params if isinstance(p, click.Option)]
            records = [o.get_help_record(ctx) for o in options]
            formatter.write_dl([r for r in records if r is not None])

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if first is not None and first not in self.commands and not ctx.resilient_parsing:
            args = ["file", *args]
        return super().parse_args(ctx, args)


@click.group("import", cls=_ImportGroup, invoke_without_command=False)
def import_group() -> None:
    """导入表格：partyreg import 文件 [选项]；撤销：partyreg import undo 批次号。

    \b
    类别（--kind）不填时按表头自动识别：
      registrations 党员信息登记表（附表1）   codes 单位党组织代码表（附表2）
      directory     社区通讯录（附表4）       activities 活动记录（附表3）
      wishes        居民微心愿
    """


BAR_WIDTH = 24


def progress_line(progress: ImportProgress) -> str:
    """One line of the import's progress on a terminal: a bar with the percentage when the
    sheet's size is known, else the rows read so far."""
    fraction = progress.fraction
    if fraction is None:
        return f"已读取 {progress.rows:,} 行…"
    filled = round(fraction * BAR_WIDTH)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)  # ASCII: one column wide in any locale
    return f"导入中 [{bar}] {fraction:4.0%}  已读取 {progress.rows:,} 行"


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    width = [0]

    def report(progress: ImportProgress) -> None:
        line = progress_line(progress)
        sys.stderr.write("\r" + line.ljust(width[0]))
        width[0] = max(width[0], len(line))
        sys.stderr.flush()

    return report


@import_group.command("file", hidden=True)
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--kind", type=click.Choice(sorted(KINDS)), help="表格类别（默认按表头识别）。")
@click.option(
    "--sheet", metavar="NAME", help="读取指定名称的工作表（默认第一个可识别的可见工作表）。"
)
@click.option("--dry-run", is_flag=True, help="只检查，不写入。")
@click.option("--skip-invalid", is_flag=True, help="写入合格的行，跳过有错误的行。")
@click.option(
    "--errors-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="把有错误的行写成工作簿（.xlsx），改正后可直接再导入。",
)
@click.option("--force", is_flag=True, help="--errors-out 的文件已存在时覆盖它。")
@click.option(
    "--overwrite-edits",
    is_flag=True,
    help="社区通讯录（附表4）：上次导入后手工修改过的联系方式也用表中的值（默认保留较新的修改）。",
)
@click.option(
    "--date",
    "on",
    type=DAY,
    help="业务日期，如 2014-09-15 或 2014/9/15（默认今天，北京时间）。",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 报告。")
@click.pass_obj
def import_file(
    app: App,
    path: Path,
    kind: str | None,
    sheet: str | None,
    dry_run: bool,
    skip_invalid: bool,
    errors_out: Path | None,
    force: bool,
    overwrite_edits: bool,
    on: Any,
    as_json: bool,
) -> int:
    """导入一个表格文件。"""
    if errors_out is not None and errors_out.suffix.lower() != ".xlsx":
        raise click.BadParameter("错误工作簿须为 .xlsx 文件。", param_hint="--errors-out")
    day: date = on if on is not None else app.workspace.today()
    request = ImportRequest(
        path=path,
        on=day,
        kind=KINDS[kind] if kind else None,
        sheet=sheet,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        errors_out=errors_out,
        force=force,
        overwrite_edits=overwrite_edits,
    )
    show_progress = not as_json and sys.stderr.isatty()
    report = app.workspace.import_file(request, progress=_progress(show_progress))
    if show_progress:
        sys.stderr.write("\n")
    if as_json:
        emit_json(report.to_json())
    else:
        _print_report(report)
    return report.exit_code


def _print_changes(report: ImportReport) -> None:
    """Which rows change whom, and in what: an operator checks these before trusting 变更 N."""
    verb = "将变更" if report.dry_run else "已变更"
    click.echo(f"{verb}的行（{len(report.changes)} 行）：")
    for change in report.changes[:MAX_ISSUES_SHOWN]:
        fields = "、".join(change.fields)
        click.echo(f"  第 {change.row} 行（党员编号 {change.member_id}）：{fields}")
    if len(report.changes) > MAX_ISSUES_SHOWN:
        click.echo(f"  ……另有 {len(report.changes) - MAX_ISSUES_SHOWN} 行，用 --json 查看全部。")


def _print_report(report: ImportReport) -> None:
    kind = KIND_LABELS.get(FormKind(report.kind), report.kind)
    sheets = report.sheets or (report.sheet,)
    named = "".join(f"“{name}”" for name in sheets)
    count = f"共 {len(sheets)} 个" if len(sheets) > 1 else ""
    click.echo(f"文件：{report.file}（工作表{named}{count}，{kind}）")
    if report.hidden_sheets:
        hidden = "".join(f"“{name}”" for name in report.hidden_sheets)
        click.echo(f"已跳过隐藏的工作表{hidden}：隐藏的工作表不导入，要导入请先取消隐藏。")
    click.echo(
        f"共 {report.rows_total} 行：合格 {report.rows_valid}，有错误 {report.rows_rejected}；"
        f"新增 {report.rows_new}，变更 {report.rows_changed}，无变化 {report.rows_unchanged}。"
    )
    if report.changes:
        _print_changes(report)
    if report.change_requests:
        if report.dry_run:
            click.echo(
                f"其中 {report.change_requests} 人的报到社区有变化，正式导入时将生成变更社区申请。"
            )
        else:
            click.echo(f"其中 {report.change_requests} 人的报到社区有变化，已生成变更社区申请。")
    for title, issues in (("错误", report.errors), ("提示", report.warnings)):
        if not issues:
            continue
        click.echo(f"\n{title}（{len(issues)} 条）：")
        shown = issues[:MAX_ISSUES_SHOWN]
        if any(i.sheet for i in shown):
            emit_table(
                ["工作表", "行", "列", "内容", "说明"],
                [
                    (i.sheet, i.row, " ".join((i.column or "").split()), i.value, i.message)
                    for i in shown
                ],
            )
        else:
            emit_table(
                ["行", "列", "内容", "说明"],
                [(i.row, " ".join((i.column or "").split()), i.value, i.message) for i in shown],
            )
        if len(issues) > MAX_ISSUES_SHOWN:
            click.echo(
                f"……另有 {len(issues) - MAX_ISSUES_SHOWN} 条，用 --json 或 --errors-out 查看全部。"
            )
    click.echo("")
    if report.dry_run:
        click.echo("试运行（--dry-run）：没有写入任何数据。")
    elif report.rows_written:
        click.echo(f"已写入 {report.rows_written} 行，批次号 {report.batch_id}。")
        if report.rows_rejected:
            click.echo(f"有错误的 {report.rows_rejected} 行未写入。")
    elif report.rows_rejected:
        click.echo(
            "因有错误，本次没有写入任何数据：改正后重新导入，或加 --skip-invalid 只写入合格的行。"
        )
    else:
        click.echo("没有需要写入的变化。")
    if report.errors_out:
        click.echo(f"有错误的行已写入 {report.errors_out}：按“错误说明”改正后可直接再导入。")


@import_group.command("undo")
@click.argument("batch_id")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def undo(app: App, batch_id: str, as_json: bool) -> None:
    """撤销一个导入批次（尚未被后续操作使用时）。"""
    result = app.workspace.undo_batch(batch_id)
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"已撤销批次 {result.batch_id}：删除 {result.removed} 行，恢复 {result.restored} 行。"
    )


@click.command("undo")
@click.argument("batch_id")
@click.option("--reason", required=True, help="撤销原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def undo_command(app: App, batch_id: str, reason: str, as_json: bool) -> None:
    """一步撤销一个批次：导入，或批量操作（如 feedback confirm --all）写下的批次。"""
    if not reason.strip():
        raise ValidationError("batch.reason", "撤销批次需要说明原因：--reason “确认错了社区”。")
    result = app.workspace.undo_batch(batch_id, reason)
    if as_json:
        emit_json(result)
        return
    if result.kind in (BatchKind.REMIND, BatchKind.FLUSH):
        click.echo(
            f"已撤销批次 {result.batch_id}（{result.kind.label}）：撤回尚未发出的消息 "
            f"{result.removed + result.restored} 条。"
        )
        if result.unrecalled:
            click.echo(f"另有 {result.unrecalled} 条已经发出，无法撤回：如需更正请另行通知。")
        return
    click.echo(
        f"已撤销批次 {result.batch_id}（{result.kind.label}）：删除 {result.removed} 行，"
        f"恢复 {result.restored} 行。"
    )
    if result.unrecalled:
        click.echo(
            f"这一批次发出的通知中有 {result.unrecalled} 条已经发出，无法撤回：如需更正请另行通知。"
        )


@import_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def list_batches(app: App, as_json: bool) -> None:
    """列出导入批次（最新的在前）。"""
    batches = app.workspace.batches()
    if as_json:
        emit_json(batches)
        return
    emit_table(
        ["批次号", "类别", "文件", "操作员", "时间", "行数", "写入", "状态"],
        [_batch_row(b) for b in batches],
    )


def _batch_row(b: Any) -> tuple[object, ...]:
    status = "已撤销" if b.undone_at else ""
    at = f"{b.at.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}"  # Beijing time, as operators read it
    return (b.id, b.kind.label, b.file, b.operator, at, b.rows, b.written, status)
