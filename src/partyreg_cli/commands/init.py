"""``partyreg init``: create or upgrade the store."""

from __future__ import annotations

import click

from partyreg_cli.app import App
from partyreg_cli.output import emit_json


@click.command()
@click.option(
    "--group", metavar="GROUP",
    help="SQLite：把存储交给该系统用户组共享（组内可读写，其他人不可读；文件夹设 setgid）。",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def init(app: App, group: str | None, as_json: bool) -> None:
    """创建或升级存储，载入单位党组织代码表和服务岗位（重复运行不会改动任何内容）。

    新建存储时，当前系统用户成为市级操作员。PostgreSQL 存储须用管理员用户（CREATEROLE）登录运行。
    """
    app.administration = True
    report = app.workspace.init(group=group)
    if as_json:
        emit_json(
            {
                "url": report.url,
                "created": report.created,
                "changed": report.changed,
                "schema_before": report.schema_before,
                "schema_after": report.schema_after,
                "codes_added": report.codes_added,
                "posts_added": report.posts_added,
                "operator_created": report.operator_created,
            }
        )
        return
    if report.created:
        click.echo(f"已创建存储 {report.url}（结构版本 {report.schema_after}）。")
    elif report.schema_before != report.schema_after:
        click.echo(
            f"已把存储 {report.url} 从结构版本 {report.schema_before} 升级到 {report.schema_after}。"
        )
    else:
        click.echo(f"存储 {report.url} 已是最新（结构版本 {report.schema_after}）。")
    if report.codes_added:
        click.echo(f"载入单位党组织代码 {report.codes_added} 个。")
    if report.posts_added:
        click.echo(f"载入服务岗位 {report.posts_added} 个。")
    if report.operator_created:
        click.echo(f"系统用户 {report.operator_created} 已成为市级操作员。")
    if not report.changed:
        click.echo("没有需要改动的内容。")
