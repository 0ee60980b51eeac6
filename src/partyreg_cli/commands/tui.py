"""``partyreg tui``: the operators' terminal UI.

Textual is imported only here, inside the command, so that importing the CLI (and running any
other command) never loads it. Before the app starts, the terminal is checked (it must show
Chinese) and so are the store and the operator, so that a problem is one line of text, never a
screen of garbage or a traceback.
"""

from __future__ import annotations

import sys

import click

from partyreg_cli.app import App


@click.command()
@click.option(
    "--no-probe",
    is_flag=True,
    help="不向终端发送字符集探测（终端不回应光标位置查询时使用）。",
)
@click.pass_obj
def tui(app: App, no_probe: bool) -> int:
    """终端界面：总览、党员、导入、批次、审计日志（键盘操作，适合 SSH）。"""
    from partyreg_tui.startup import check_terminal

    # the terminal's type and locale first, then the store and the operator, then whether
    # the keyboard and the screen really are a terminal (and the probe): each a line, exit 2
    problem = check_terminal(probe=False, streams=False)
    if problem is None:
        workspace = app.workspace
        workspace.actor  # noqa: B018 — an unknown operator or a missing store: one line, exit 2
        problem = check_terminal(probe=not no_probe)
    if problem is not None:
        # Chinese where the output can show it, ASCII otherwise
        sys.stderr.write(problem.text(getattr(sys.stderr, "encoding", None)))
        return 2
    from partyreg_tui.app import PartyregApp

    result = PartyregApp(workspace, freeze=True).run()
    return result if isinstance(result, int) else 0
