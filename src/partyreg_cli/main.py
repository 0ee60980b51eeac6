"""The root ``partyreg`` group, its global options, and the error boundary.

Exit codes (DESIGN.md §5, §9): 0 done; 1 rows rejected; 2 unusable input or command (one line on
stderr, never a traceback); 3 temporary — try again. With ``--json``, exits 2 and 3 also print
``{"error": {"code", "message"}}`` on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence

import click

from partyreg_cli.app import App
from partyreg_cli.commands import (
    audit,
    calendar,
    change,
    codes,
    exports,
    feedback,
    imports,
    init,
    members,
    notify,
    operator,
    orgchanges,
    plugins,
    posts,
    progress,
    routing,
    service,
    tui,
    years,
)
from partyreg_core.errors import PartyregError
from partyreg_core.workspace import DEFAULT_DB


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="PARTYREG_DB",
    default=DEFAULT_DB,
    show_default=True,
    help="存储地址：sqlite:///文件 或 postgresql://…（环境变量 PARTYREG_DB）。",
)
@click.option(
    "--as",
    "operator",
    envvar="PARTYREG_OPERATOR",
    default=None,
    help="以该操作员身份执行（环境变量 PARTYREG_OPERATOR）。",
)
@click.version_option(package_name="partyreg", prog_name="partyreg")
@click.pass_context
def cli(ctx: click.Context, db_url: str, operator: str | None) -> None:
    """partyreg — 在职党员回社区 亮明身份作表率 活动管理。"""
    if ctx.obj is None:
        ctx.obj = App(db_url, operator)
    else:  # tests hand in an App with a prepared plugin manager
        ctx.obj.db_url, ctx.obj.operator = db_url, operator


cli.add_command(posts.posts)
cli.add_command(codes.codes)
cli.add_command(plugins.plugins)
cli.add_command(init.init)
cli.add_command(operator.operator)
cli.add_command(members.members)
cli.add_command(audit.audit)
cli.add_command(imports.import_group)
cli.add_command(imports.undo_command)
cli.add_command(exports.export)
cli.add_command(tui.tui)
cli.add_command(routing.community)
cli.add_command(routing.instructor)
cli.add_command(routing.route)
cli.add_command(routing.report_in)
cli.add_command(change.change)
cli.add_command(calendar.calendar)
cli.add_command(progress.progress)
cli.add_command(notify.notify)
cli.add_command(service.needs)
cli.add_command(service.assign)
cli.add_command(service.group)
cli.add_command(service.specialties)
orgchanges.attach(codes.codes, members.members)
cli.add_command(feedback.activity)
cli.add_command(feedback.feedback)
cli.add_command(years.year_group)
cli.add_command(years.retention_group)


def _register_plugin_commands(app: App) -> None:
    app.pm.hook.partyreg_register_commands(cli=cli)


def _fail(code: str, message: str, exit_code: int, want_json: bool) -> int:
    if want_json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    click.echo(f"partyreg: {message}", err=True)
    return exit_code


def run(args: Sequence[str] | None = None, app: App | None = None) -> int:
    """Run the CLI on ``args`` and return the exit code; no exception escapes."""
    argv = list(sys.argv[1:] if args is None else args)
    want_json = "--json" in argv
    try:
        app = app or App(os.environ.get("PARTYREG_DB", DEFAULT_DB), None)
        _register_plugin_commands(app)
        result = cli.main(argv, prog_name="partyreg", standalone_mode=False, obj=app)
        return result if isinstance(result, int) else 0
    except PartyregError as exc:
        return _fail(exc.code, exc.message, exc.exit_code, want_json)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        return _fail("aborted", "已取消。", 2, want_json)
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f"（运行 {exc.ctx.command_path} --help 查看用法）"
        return _fail("usage", f"命令用法错误：{exc.format_message()}{hint}", 2, want_json)
    except click.ClickException as exc:
        return _fail("usage", exc.format_message(), exc.exit_code, want_json)
    except KeyboardInterrupt:
        return _fail("interrupted", "已中断，未完成的写入已撤销。", 3, want_json)
    except Exception as exc:  # the boundary: an operator never sees a traceback
        return _fail(
            "internal",
            f"内部错误（{type(exc).__name__}）：{exc}。请把这条信息和所用命令发给系统管理员。",
            2,
            want_json,
        )


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
