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
from datetime import UTC, datetime

import click

from partyreg_cli.app import App
from partyreg_cli.commands import (
    audit,
    calendar,
    certificate,
    change,
    codes,
    doctor,
    events,
    exports,
    feedback,
    imports,
    init,
    members,
    notify,
    nudges,
    operator,
    orgchanges,
    plugins,
    points,
    posts,
    progress,
    routing,
    serve,
    service,
    tui,
    verify,
    wishes,
    years,
)
from partyreg_core.audit import AuditEntry
from partyreg_core.errors import NotPermittedError, PartyregError
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
cli.add_command(doctor.doctor)
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
assert nudges.nudge  # the nudge commands join the notify group
cli.add_command(service.needs)
cli.add_command(service.assign)
cli.add_command(service.group)
cli.add_command(service.specialties)
orgchanges.attach(codes.codes, members.members)
cli.add_command(feedback.activity)
cli.add_command(feedback.feedback)
cli.add_command(years.year_group)
cli.add_command(years.retention_group)
cli.add_command(verify.verify)
cli.add_command(events.event_group)
cli.add_command(certificate.certificate)
cli.add_command(wishes.wishes)
cli.add_command(points.points)
cli.add_command(serve.serve)


def _register_plugin_commands(app: App) -> None:
    app.pm.hook.partyreg_register_commands(cli=cli)
    _usage_in_chinese(cli)


def _usage_in_chinese(command: click.Command) -> None:
    # the usage line's placeholders are not messages click translates: set them on every
    # command, the plugins' included
    command.options_metavar = "[选项]"
    if isinstance(command, click.Group):
        command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            _usage_in_chinese(sub)


MAX_MESSAGE = 600
"""The longest error line printed: a message that echoes something huge an operator typed is
cut (each message cuts what it echoes with :func:`partyreg_core.text.shown`; this is the net)."""


def _fail(code: str, message: str, exit_code: int, want_json: bool) -> int:
    if len(message) > MAX_MESSAGE:
        message = f"{message[:MAX_MESSAGE]}…（信息过长，已截断）"
    if want_json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    click.echo(f"partyreg: {message}", err=True)
    return exit_code


def _record(app: App, error: NotPermittedError, argv: Sequence[str]) -> None:
    """A refused command goes into the audit log (who tried what), where the store lets the
    user append to it; never a second error."""
    if "workspace" not in app.__dict__:
        return
    try:
        app.workspace.operators.record_refusal(error, _command_words(argv))
    except Exception:  # the refusal itself is what the operator must see
        return


def _command_words(argv: Sequence[str]) -> str:
    """The command as typed up to its first option (no option values: they may be secrets),
    without the global ``--db``/``--as`` (recorded elsewhere)."""
    words = list(argv)
    while words and words[0] in ("--db", "--as"):
        words = words[2:]
    kept = []
    for word in words:
        if word.startswith("-"):
            break
        kept.append(word)
    return " ".join(["partyreg", *kept])


INTERRUPTED = 130
"""The exit code of a command stopped with Ctrl-C, however early (the shell's 128 + SIGINT)."""


def _interrupted(app: App | None, started: datetime, want_json: bool) -> int:
    """What an interrupt left behind: each write commits in one transaction with its audit
    entries, so the entries this OS user wrote since the command started are what it wrote."""
    try:
        ws = app.__dict__.get("workspace") if app is not None else None
        written: list[AuditEntry] = []
        if ws is not None:
            os_user = ws.actor.os_user
            for entry in ws.audit(newest_first=True, limit=200):
                if entry.at < started:
                    break
                if entry.os_user == os_user:
                    written.append(entry)
    except Exception:  # the store may be as unusable as the interrupted command left it
        message = "已中断：无法确认中断前是否已写入，请用 partyreg audit --limit 5 查看最近的记录。"
        return _fail("interrupted", message, INTERRUPTED, want_json)
    if not written:
        return _fail("interrupted", "已中断：已回滚，未写入任何内容。", INTERRUPTED, want_json)
    batches = sorted({e.batch_id for e in written if e.batch_id})
    what = (
        f"批次号 {'、'.join(batches)}" if batches else f"{len(written)} 条记录，见 partyreg audit"
    )
    message = f"已中断，但中断前已写入（{what}）：如需撤销，用 partyreg import undo 批次号。"
    if not batches:
        message = f"已中断，但中断前已写入（{what}）。"
    return _fail("interrupted", message, INTERRUPTED, want_json)


def _broken_pipe() -> int:
    return _fail("output", "输出未写完：接收输出的程序已先关闭（如 | head）。", 2, False)


def run(args: Sequence[str] | None = None, app: App | None = None) -> int:
    """Run the CLI on ``args`` and return the exit code; no exception escapes."""
    argv = list(sys.argv[1:] if args is None else args)
    want_json = "--json" in argv
    started = datetime.now(UTC)
    if sys.stdout is None:  # started with standard output closed (``>&-``)
        return _fail(
            "output", "无法输出结果：标准输出已关闭。请去掉 >&-，或把输出重定向到文件。", 2, False
        )
    try:
        app = app or App(os.environ.get("PARTYREG_DB", DEFAULT_DB), None)
        _register_plugin_commands(app)
        result = cli.main(argv, prog_name="partyreg", standalone_mode=False, obj=app)
        sys.stdout.flush()  # a reader that went away shows here, not after the exit code is set
        return result if isinstance(result, int) else 0
    except PartyregError as exc:
        if isinstance(exc, NotPermittedError) and app is not None:
            _record(app, exc, argv)
        return _fail(exc.code, exc.message, exc.exit_code, want_json)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # Ctrl-C at a prompt
            return _interrupted(app, started, want_json)
        return _fail("aborted", "已取消。", 2, want_json)
    except click.exceptions.NoArgsIsHelpError as exc:
        # a group typed alone: its help, which lists what it can do
        click.echo(exc.format_message(), err=True)
        return 2
    except click.UsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f"（运行 {exc.ctx.command_path} --help 查看用法）"
        message = exc.format_message().rstrip(".")
        return _fail("usage", f"命令用法错误：{message}{hint}", 2, want_json)
    except click.ClickException as exc:
        return _fail("usage", exc.format_message(), exc.exit_code, want_json)
    except KeyboardInterrupt:
        return _interrupted(app, started, want_json)
    except BrokenPipeError:
        # the reader went away (``| head``) at the last flush: say so once, and keep Python's
        # own flush at exit from printing a second complaint
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _broken_pipe()
    except SystemExit as exc:
        # click's own answer to a reader that went away mid-command: it wraps the streams so
        # that their flush is quiet, and exits 1
        if type(sys.stdout).__name__ == "_PacifyFlushWrapper":
            return _broken_pipe()
        return exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:  # the boundary: an operator never sees a traceback
        return _fail(
            "internal",
            f"内部错误（{type(exc).__name__}）：{exc}。请把这条信息和所用命令发给系统管理员。",
            2,
            want_json,
        )


def main() -> None:
    """Console-script entry point."""
    code = run()
    if code == INTERRUPTED:
        # Python remembers an interrupt that reached code it ran through its C API (imports,
        # generated code) and, even after the interrupt was handled here, turns the exit status
        # into "killed by SIGINT" at shutdown; the line is printed and every write is
        # committed or rolled back by now, so leave with the one documented code
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        os._exit(code)
    sys.exit(code)
