"""``partyreg doctor``: who may open the store — its files' mode, owner and group (SQLite) or
the login it is reached with (PostgreSQL) — and what to fix."""

from __future__ import annotations

import stat

import click

from partyreg_cli.app import App
from partyreg_cli.output import emit_json


@click.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def doctor(app: App, as_json: bool) -> int:
    """检查存储的访问权限：文件的权限、所有者和用户组（SQLite），或登录用户（PostgreSQL）。

    只报告，不改动任何内容（有警告时退出码仍为 0）。
    """
    check = app.workspace.check_store()
    if as_json:
        emit_json(
            {
                "url": check.url,
                "files": [
                    {
                        "path": str(f.path),
                        "mode": f"{f.mode:04o}",
                        "owner": f.owner,
                        "group": f.group,
                        "is_dir": f.is_dir,
                    }
                    for f in check.files
                ],
                "login": check.login,
                "login_kind": check.login_kind,
                "warnings": [{"code": w.code, "message": w.message} for w in check.warnings],
            }
        )
        return 0
    click.echo(f"存储：{check.url}")
    for f in check.files:
        kind = stat.S_IFDIR if f.is_dir else stat.S_IFREG
        click.echo(f"  {stat.filemode(f.mode | kind)}  {f.owner}:{f.group}  {f.path}")
    if check.login is not None:
        click.echo(f"  登录用户：{check.login}（{_KINDS.get(check.login_kind or '', '')}）")
    for warning in check.warnings:
        click.echo(f"警告：{warning.message}")
    if not check.warnings:
        click.echo("没有发现问题。")
    return 0


_KINDS = {
    "operator": "操作员自己的登录角色",
    "admin": "管理员用户，只用于 init 和 operator add|disable",
    "superuser": "超级用户或可绕过行级安全",
    "other": "不是本存储的操作员",
}
