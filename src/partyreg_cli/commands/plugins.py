"""``partyreg plugins``: what is loaded."""

from __future__ import annotations

import click

from partyreg_cli.app import App
from partyreg_cli.output import emit_json, emit_table


@click.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def plugins(app: App, as_json: bool) -> None:
    """列出已加载的插件、版本和实现的钩子。"""
    infos = app.workspace.plugins()
    if as_json:
        emit_json(infos)
        return
    emit_table(
        ["插件", "软件包", "版本", "钩子"],
        [(i.name, i.package, i.version, ", ".join(i.hooks)) for i in infos],
    )
