"""``partyreg operator``: operator accounts, their roles and scopes (city operators only)."""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from partyreg_cli.app import App
from partyreg_cli.output import emit_json, emit_table
from partyreg_core.operators.model import Operator, Role

ROLE_HELP = "角色：city（市级）、district（县区/市直党工委）、unit（单位）、community（社区）、instructor（社区工作指导员）。"
SCOPE_HELP = (
    "范围：district/unit 为单位代码（如 008.001）；community/instructor 为社区编号或 "
    "县区/街道/社区，可重复或用逗号分隔；city 不需要。"
)


def operator_json(operator: Operator) -> dict[str, object]:
    """An operator as ``operator list --json`` writes it."""
    return {
        "name": operator.name,
        "role": operator.role.value,
        "scope_code": str(operator.scope.code) if operator.scope.code else None,
        "communities": sorted(operator.scope.communities),
        "disabled": operator.disabled,
        "db_role": operator.db_role,
        "created_by": operator.created_by,
    }


def _describe(operator: Operator) -> str:
    state = "（已停用）" if operator.disabled else ""
    return f"{operator.name}：{operator.scope.label}{state}"


@click.group()
def operator() -> None:
    """操作员账号：角色和管理范围（仅市级操作员）。"""


@operator.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help=ROLE_HELP)
@click.option("--scope", "scope", multiple=True, metavar="CODE|社区", help=SCOPE_HELP)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def add(app: App, name: str, role: str, scope: tuple[str, ...], as_json: bool) -> None:
    """添加操作员 NAME（NAME 是其登录系统的用户名）。

    PostgreSQL 存储须用管理员用户（CREATEROLE）登录运行；会为该操作员建一个登录角色，并给出
    数据库管理员要加到 pg_hba.conf 和 pg_ident.conf 的行。
    """
    app.administration = True
    saved = app.workspace.operators.add(name, role, scope)
    if as_json:
        emit_json(operator_json(saved))
        return
    click.echo(f"已添加操作员 {_describe(saved)}。")
    if saved.db_role:
        for line in login_setup(app.db_url, saved.name, saved.db_role):
            click.echo(line)


def login_setup(db_url: str, os_user: str, db_role: str) -> list[str]:
    """The lines the database administrator adds so that ``os_user`` logs in as ``db_role``
    (peer over the Unix socket, mapped; SCRAM from elsewhere)."""
    database = urlsplit(db_url).path.lstrip("/") or "partyreg"
    app_role = db_role.rsplit("_op", 1)[0] + "_app"
    return [
        f"该操作员的数据库登录角色是 {db_role}。请数据库管理员：",
        "  1. 在 pg_ident.conf 中加入（系统用户 → 数据库角色）：",
        f"       partyreg  {os_user}  {db_role}",
        "  2. 在 pg_hba.conf 中加入（每个存储一次即可；本机 SSH 用户走 Unix 套接字 peer 认证）：",
        f"       local    {database}  +{app_role}  peer map=partyreg",
        f"       hostssl  {database}  +{app_role}  0.0.0.0/0  scram-sha-256",
        "     然后 SELECT pg_reload_conf();",
        f"  3. 该操作员使用：PARTYREG_DB=postgresql://{db_role}@/{database}?host=/var/run/postgresql",
        f"     （远程用密码：ALTER ROLE {db_role} PASSWORD '…'，"
        f"postgresql://{db_role}@服务器/{database}?sslmode=require）",
    ]


@operator.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def list_operators(app: App, as_json: bool) -> None:
    """列出全部操作员。"""
    found = app.workspace.operators.list()
    if as_json:
        emit_json([operator_json(o) for o in found])
        return
    emit_table(
        ["操作员", "角色", "范围", "状态"],
        [
            (
                o.name,
                o.role.label,
                str(o.scope.code)
                if o.scope.code
                else ",".join(str(c) for c in sorted(o.scope.communities)) or "全市",
                "已停用" if o.disabled else "启用",
            )
            for o in found
        ],
    )


def _switch(app: App, name: str, as_json: bool, *, enable: bool) -> None:
    app.administration = True
    saved = app.workspace.operators.disable(name, enable=enable)
    if as_json:
        emit_json(operator_json(saved))
        return
    click.echo(f"已{'恢复' if enable else '停用'}操作员 {saved.name}。")


@operator.command("disable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def disable(app: App, name: str, as_json: bool) -> None:
    """停用操作员 NAME（记录保留，可用 enable 恢复）。"""
    _switch(app, name, as_json, enable=False)


@operator.command("enable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def enable(app: App, name: str, as_json: bool) -> None:
    """恢复已停用的操作员 NAME。"""
    _switch(app, name, as_json, enable=True)


@operator.command("scope")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help=ROLE_HELP)
@click.option("--scope", "scope", multiple=True, metavar="CODE|社区", help=SCOPE_HELP)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def set_scope(app: App, name: str, role: str, scope: tuple[str, ...], as_json: bool) -> None:
    """修改操作员 NAME 的角色和范围。"""
    app.administration = True
    saved = app.workspace.operators.set_scope(name, role, scope)
    if as_json:
        emit_json(operator_json(saved))
        return
    click.echo(f"已修改操作员 {_describe(saved)}。")
