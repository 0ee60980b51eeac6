"""The root ``partyreg`` group, its global options, and the error boundary.

Exit codes (DESIGN.md §5, §9): 0 done; 1 rows rejected; 2 unusable input or command (one line on
stderr, never a traceback); 3 temporary — try again. With ``--json``, exits 2 and 3 also print
``{"error": {"code", "message"}}`` on stdout.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

import partyreg_cli.commands  # noqa: F401  (click speaks Chinese before any help is made)
from partyreg_core import DEFAULT_DB
from partyreg_core.errors import NotPermittedError, PartyregError

if TYPE_CHECKING:
    from partyreg_cli.app import App
    from partyreg_core.audit import AuditEntry

COMMANDS: dict[str, tuple[str, str, str]] = {
    "posts": ("posts", "posts", "服务岗位目录。"),
    "codes": ("codes", "codes", "单位党组织代码表（附表2）。"),
    "plugins": ("plugins", "plugins", "列出已加载的插件、版本和实现的钩子。"),
    "init": (
        "init",
        "init",
        "创建或升级存储，载入单位党组织代码表和服务岗位（重复运行不会改动任何内容）。",
    ),
    "doctor": (
        "doctor",
        "doctor",
        "检查存储的访问权限：文件的权限、所有者和用户组（SQLite），或登录用户（PostgreSQL）。",
    ),
    "operator": ("operator", "operator", "操作员账号：角色和管理范围（仅市级操作员）。"),
    "members": ("members", "members", "在职党员登记信息（附表1），只含你管理范围内的党员。"),
    "audit": (
        "audit",
        "audit",
        "审计日志：谁、何时、做了什么、改动前后（只能追加，不能修改或删除）。",
    ),
    "import": (
        "imports",
        "import_group",
        "导入表格：partyreg import 文件 [选项]；撤销：partyreg import undo 批次号。",
    ),
    "undo": (
        "imports",
        "undo_command",
        "一步撤销一个批次：导入，或批量操作（如 feedback confirm --all）写下的批次。",
    ),
    "export": ("exports", "export", "导出正式表格：partyreg export 表格名 -o 文件.xlsx。"),
    "tui": ("tui", "tui", "终端界面：总览、党员、导入、批次、审计日志（键盘操作，适合 SSH）。"),
    "community": ("routing", "community", "社区通讯录（附表4）：查看，县区维护本县区的社区。"),
    "instructor": ("routing", "instructor", "社区工作指导员：添加、查看，分配到社区。"),
    "route": (
        "routing",
        "route",
        "分流：把你范围内待分流的党员，经所在县区分到报到社区及其指导员。",
    ),
    "report-in": ("routing", "report_in", "报到：社区确认党员已来报到，查看报到情况。"),
    "change": ("change", "change", "变更报到社区：党员居住地变化后向单位申请，单位审批。"),
    "calendar": (
        "calendar",
        "calendar",
        "年度日程：登记上报、梳理分类、社区报到、反馈单确认的截止日期。",
    ),
    "progress": (
        "progress",
        "progress",
        "活动进度：各单位预计人数、已登记、已分流、已报到，按时与逾期（按年度截止日期）。",
    ),
    "notify": (
        "notify",
        "notify",
        "通知：各单位、社区、指导员的通知渠道，以及发送队列（待发送、已发送、失败）。",
    ),
    "needs": ("service", "needs", "社区服务需求清单：岗位、人数、用途、时间；发布后通知社区党员。"),
    "assign": (
        "service",
        "assign",
        "按志愿和特长把社区党员安排到需求清单的岗位（名额以内），并说明理由。",
    ),
    "group": ("service", "group", "按岗位把已分配的党员编成人数均衡的小组，并按规则确定组长。"),
    "specialties": ("service", "specialties", "特长与岗位的对应（岗位分配按特长安排时使用）。"),
    "activity": (
        "feedback",
        "activity",
        "服务活动：社区工作指导员逐条或按小组记录活动，确认党员自报的活动。",
    ),
    "feedback": (
        "feedback",
        "feedback",
        "实绩反馈单（附表3）：编号、盖章确认、退回、交单位台帐；汇总统计、排名、星级、结对建议。",
    ),
    "year": ("years", "year_group", "活动年度：开启新年度、确认沿用的登记、查看往年（往年只读）。"),
    "retention": (
        "years",
        "retention_group",
        "个人信息保留期限：离开的党员超过保留期限后匿名化（统计数字不变）。",
    ),
    "verify": (
        "verify",
        "verify",
        "核验纸质表格上的编号和校验码（如实绩反馈单）：partyreg verify 编号 校验码。",
    ),
    "event": (
        "events",
        "event_group",
        "社区活动签到：发布活动（签到码和二维码）、查看签到、结束活动并记录活动时长。",
    ),
    "certificate": (
        "certificate",
        "certificate",
        "出具在职党员到社区报到证（含社区回执）：partyreg certificate 党员编号 -o 报到证.pdf。",
    ),
    "wishes": (
        "wishes",
        "wishes",
        "居民微心愿（群众需求）：登记 → 党员认领 → 完成 → 居民评价，可记为党员的服务活动。",
    ),
    "points": (
        "points",
        "points",
        "党员积分：服务时长、完成微心愿、居民评价、参加活动都按规则记分，可人工调整（留痕）。",
    ),
    "serve": (
        "serve",
        "serve",
        "运行党员服务网站（党员用一次性链接登录，查看登记、自报活动、认领岗位）。",
    ),
}
"""The built-in commands: name → (module under ``partyreg_cli.commands``, attribute, the first
paragraph of its help). ``partyreg --help`` lists them from this table without importing one;
a command's module is imported when the command is invoked or its own help is asked for
(decision 0160). tests/cli/test_lazy_commands.py compares the table with the commands."""

EXTENSIONS: dict[str, tuple[str, ...]] = {
    "codes": ("orgchanges",),
    "members": ("orgchanges",),
    "notify": ("nudges",),
}
"""Modules that add subcommands to a built-in group: imported with it (the org-change commands
join ``codes`` and ``members``, the nudge commands ``notify``)."""


def _extend(module: str) -> None:
    loaded = importlib.import_module(f"partyreg_cli.commands.{module}")
    if module == "orgchanges" and not getattr(loaded, "_attached", False):
        codes = importlib.import_module("partyreg_cli.commands.codes")
        members = importlib.import_module("partyreg_cli.commands.members")
        loaded.attach(codes.codes, members.members)
        loaded._attached = True  # type: ignore[attr-defined]


class LazyGroup(click.Group):
    """The root group: built-in commands are imported on first use, listed from
    :data:`COMMANDS`; commands added with ``add_command`` (the plugins') are listed as usual."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = self.load(cmd_name)
        if command is not None and cmd_name in COMMANDS:
            for module in EXTENSIONS.get(cmd_name, ()):
                _extend(module)
            _usage_in_chinese(command)
        return command

    def load(self, cmd_name: str) -> click.Command:
        """Import the built-in command ``cmd_name`` and add it to the group."""
        module, attribute, _help = COMMANDS[cmd_name]
        command: click.Command = getattr(
            importlib.import_module(f"partyreg_cli.commands.{module}"), attribute
        )
        self.add_command(command, cmd_name)
        return command

    def load_all(self) -> None:
        """Import every built-in command (tests walking the whole tree)."""
        ctx = click.Context(self)
        for name in COMMANDS:
            self.get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, with a stand-in carrying the table's help for each command not
        # imported yet: its short help is made from that text exactly as from the command's
        listed: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                command = click.Command(name, help=COMMANDS[name][2])
            if not command.hidden:
                listed.append((name, command))
        if listed:
            limit = formatter.width - 6 - max(len(name) for name, _c in listed)
            rows = [(name, command.get_short_help_str(limit)) for name, command in listed]
            with formatter.section(click.core._("Commands")):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
        from partyreg_cli.app import App

        ctx.obj = App(db_url, operator)
    else:  # tests hand in an App with a prepared plugin manager
        ctx.obj.db_url, ctx.obj.operator = db_url, operator


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
        if app is None:
            from partyreg_cli.app import App

            app = App(os.environ.get("PARTYREG_DB", DEFAULT_DB), None)
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
