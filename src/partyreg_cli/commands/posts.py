"""``partyreg posts``: the service post catalog."""

from __future__ import annotations

import click

from partyreg_cli.app import App
from partyreg_cli.output import emit_json, emit_table


@click.group()
def posts() -> None:
    """服务岗位目录。"""


@posts.command("list")
@click.option("--district", metavar="CODE", help="县区代码：列出该县区可认领的岗位（含地方岗位）。")
@click.option("--all", "all_districts", is_flag=True, help="列出所有县区的地方岗位。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def list_posts(app: App, district: str | None, all_districts: bool, as_json: bool) -> None:
    """列出岗位：默认全市通用的 15 个岗位。"""
    found = app.workspace.posts(district, all_districts=all_districts)
    if as_json:
        emit_json(
            [
                {
                    "code": p.code,
                    "name": p.name,
                    "district": str(p.district) if p.district else None,
                    "plugin": p.plugin,
                }
                for p in found
            ]
        )
        return
    emit_table(
        ["代码", "岗位", "适用县区", "来源插件"],
        [(p.code, p.name, str(p.district) if p.district else "全市", p.plugin) for p in found],
    )
