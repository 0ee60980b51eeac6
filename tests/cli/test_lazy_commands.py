"""The root group imports a built-in command only when it runs or shows its own help (decision
0160): its listing comes from :data:`partyreg_cli.main.COMMANDS`. These tests keep that table
true to the commands themselves, so ``partyreg --help`` cannot drift from what runs."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from partyreg_cli import main
from partyreg_cli.app import App
from partyreg_core.hookspecs import hookimpl
from partyreg_core.plugins import make_plugin_manager


def _eager_root() -> click.Group:
    """A plain click group holding every built-in command, imported the old way."""
    main.cli.load_all()
    root = click.Group(
        "partyreg", params=main.cli.params, help=main.cli.help, callback=main.cli.callback,
        context_settings=main.cli.context_settings,
    )  # fmt: skip
    for name in main.COMMANDS:
        root.add_command(main.cli.commands[name], name)
    main._usage_in_chinese(root)
    return root


def test_the_table_names_every_command_with_its_own_help() -> None:
    for name, (module, attribute, summary) in main.COMMANDS.items():
        command = getattr(importlib.import_module(f"partyreg_cli.commands.{module}"), attribute)
        assert isinstance(command, click.Command), name
        assert command.name == name
        assert not command.short_help and not command.hidden and not command.deprecated, name
        assert summary == (command.help or "").partition("\n\n")[0].strip(), name


def test_every_command_module_is_in_the_table() -> None:
    """A command module added without its table entry would never be listed."""
    from pathlib import Path

    folder = Path(main.__file__).parent / "commands"
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "dates"}
    listed = {module for module, _a, _s in main.COMMANDS.values()}
    listed |= {module for modules in main.EXTENSIONS.values() for module in modules}
    assert modules <= listed, modules - listed


@pytest.mark.parametrize("columns", [80, 120])
def test_root_help_is_what_the_imported_commands_give(columns: int) -> None:
    main._usage_in_chinese(main.cli)  # as run() does
    lazy = CliRunner().invoke(main.cli, ["--help"], terminal_width=columns, prog_name="partyreg")
    eager = CliRunner().invoke(
        _eager_root(), ["--help"], terminal_width=columns, prog_name="partyreg"
    )
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output
    assert all(f"  {name} " in lazy.output for name in main.COMMANDS)


def test_each_group_help_lists_the_same_commands_as_before() -> None:
    eager = _eager_root()
    for name, command in eager.commands.items():
        lazy = CliRunner().invoke(
            main.cli, [name, "--help"], terminal_width=100, prog_name="partyreg"
        )
        real = CliRunner().invoke(eager, [name, "--help"], terminal_width=100, prog_name="partyreg")
        assert lazy.exit_code == real.exit_code == 0, name
        assert lazy.output == real.output, name
        if isinstance(command, click.Group):
            for sub, subcommand in command.commands.items():
                assert subcommand.hidden or f"  {sub}" in lazy.output, (name, sub)


def test_the_subcommands_other_modules_add_are_there_on_first_use() -> None:
    """``members count`` (org changes) and ``notify plan`` (nudges) join their groups."""
    code = (
        "import sys, click; from partyreg_cli.main import cli;"
        "ctx = click.Context(cli);"
        "members = cli.get_command(ctx, 'members'); notify = cli.get_command(ctx, 'notify');"
        "codes = cli.get_command(ctx, 'codes');"
        "sys.exit(0 if {'count', 'transfer'} <= set(members.commands) and 'plan' in "
        "notify.commands and 'history' in codes.commands else 1)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_help_imports_no_command_module_and_no_heavy_library() -> None:
    code = (
        "import sys; from partyreg_cli.main import run; code = run(['--help']);"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'alembic', 'fpdf', 'scipy', 'numpy', 'xlsxwriter', 'textual')"
        " or m.startswith('partyreg_cli.commands.') or m == 'partyreg_core.workspace'];"
        "print(heavy); sys.exit(code or (1 if heavy else 0))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


class _CommandPlugin:
    """A plugin that adds a command, as an entry-point plugin would."""

    @staticmethod
    @hookimpl
    def partyreg_register_commands(cli: click.Group) -> None:
        @click.command("hello-huaian")
        def hello() -> None:
            """淮安区的问候。"""
            click.echo("你好，淮安")

        cli.add_command(hello)


def test_a_plugin_still_adds_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    pm = make_plugin_manager([_CommandPlugin])
    try:
        assert main.run(["--help"], app=App("sqlite:///unused.db", None, pm)) == 0
        listing = capsys.readouterr().out
        assert "hello-huaian" in listing and "淮安区的问候。" in listing
        assert "members" in listing
        assert main.run(["hello-huaian"], app=App("sqlite:///unused.db", None, pm)) == 0
        assert capsys.readouterr().out == "你好，淮安\n"
    finally:
        main.cli.commands.pop("hello-huaian", None)
