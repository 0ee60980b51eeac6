"""The rules about operator accounts, with their Chinese messages."""

from __future__ import annotations

from partyreg_core.errors import ConflictError, NotPermittedError, ValidationError
from partyreg_core.operators.model import Actor, Operator, Role


def check_enabled(operator: Operator) -> None:
    """A disabled account acts no more (``operator.disabled``)."""
    if operator.disabled:
        raise NotPermittedError(
            "operator.disabled", f"操作员 {operator.name} 已停用：请联系市级操作员。"
        )


def check_operator_name(name: str) -> str:
    """An operator's name is the OS user name of the person it belongs to: no spaces, at most
    64 printable characters (``operator.name``)."""
    value = name.strip()
    if not value or len(value) > 64 or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValidationError(
            "operator.name",
            f"操作员名“{name}”不可用：应是该操作员登录系统的用户名（不含空格，最多 64 个字符）。",
        )
    return value


def require_role(actor: Actor, role: Role, what: str) -> None:
    """Only operators of ``role`` may do ``what`` (in Chinese; ``operator.denied``)."""
    if actor.scope.role is not role:
        raise NotPermittedError(
            "operator.denied",
            f"只有{role.label}操作员可以{what}：{actor.name} 是{actor.scope.role.label}操作员。",
        )


def last_city_operator(name: str) -> ConflictError:
    """The last enabled city operator ``name`` is not disabled or given another role (the
    store would have no one left to manage it)."""
    return ConflictError(
        "operator.last_city",
        f"{name} 是最后一个市级操作员，不能停用或改为其他角色：请先添加另一个市级操作员。",
    )
