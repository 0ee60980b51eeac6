"""What the facade offers for operators (``ws.operators``): who is acting — the store's login
checked against the work, the account of the person at the keyboard or the one ``--as`` names,
refusals recorded in the audit log — and the accounts a city operator manages.

The facade keeps the resolved actor for the session (``ws.actor``); everything else is here.
"""

from __future__ import annotations

import builtins
import logging
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from partyreg_core.communities import Community
from partyreg_core.errors import (
    ConflictError,
    NotFoundError,
    NotPermittedError,
    PartyregError,
    ValidationError,
)
from partyreg_core.operators.identity import Identity
from partyreg_core.operators.model import Actor, Login, LoginKind, Operator, Role, Scope, parse_role
from partyreg_core.operators.port import OperatorRepository
from partyreg_core.operators.rules import check_enabled, check_operator_name
from partyreg_core.orgcodes import OrgUnit

log = logging.getLogger(__name__)

#: What the service reports to the facade: event, subject, before, after.
Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


@attrs.define
class OperatorService:
    """Operators for one session.

    :param repository: the store's operators (:class:`~partyreg_core.operators.port.OperatorRepository`).
    :param identity: who is at the keyboard (asked of the identity provider once).
    :param as_name: the account ``--as`` names, if any.
    :param administration: set-up work on PostgreSQL (see :meth:`check_login`).
    :param admin_login_ok: an admin login may do daily work too (re-codes across scopes).
    :param actor: the acting operator as the facade keeps it (for the account commands).
    :param unit: an org unit by its code as typed.
    :param community: a community by id or ``县区/街道/社区``.
    :param changed: reports each change (audit-side events, notifications).
    """

    repository: OperatorRepository
    identity: Callable[[], Identity]
    as_name: Callable[[], str | None]
    administration: Callable[[], bool]
    admin_login_ok: Callable[[], bool]
    actor: Callable[[], Actor]
    unit: Callable[[str], OrgUnit]
    community: Callable[[str], Community]
    changed: Changed

    @property
    def os_user(self) -> str:
        """The name of the person at the keyboard (the account they are tied to)."""
        return self.identity().name

    # -- who is acting ----------------------------------------------------------------------

    def resolve(self) -> Actor:
        """The acting operator (what the facade keeps as ``ws.actor``): the account of the
        person at the keyboard (:attr:`identity`), or with ``--as`` (city operators only) the
        account named. A refusal is recorded in the audit log where the store can take it."""
        store = self.repository
        me = self.os_user
        as_name = self.as_name()
        login = self.check_login()
        if login.kind is LoginKind.OPERATOR and not self.administration():
            return self._logged_in_actor(login)
        own = store.find_operator(me)
        if as_name is None or as_name == me:
            if own is None:
                raise self._refused(
                    NotPermittedError(
                        "operator.unknown",
                        f"系统用户 {me} 不是 partyreg 操作员：请市级操作员运行 "
                        f"partyreg operator add {shlex.quote(me)} --role … --scope … 添加。",
                    )
                )
            self._check_enabled(own)
            return Actor(own, me)
        if own is None or own.disabled or own.role is not Role.CITY:
            raise self._refused(
                NotPermittedError(
                    "operator.as_denied",
                    f"只有市级操作员可以用 --as 以其他操作员身份操作：系统用户 {me} 不是市级操作员。",
                ),
                as_name=as_name,
            )
        other = store.find_operator(as_name)
        if other is None:
            raise NotFoundError(
                "operator.unknown",
                f"没有操作员 {as_name}：用 partyreg operator list 查看已有的操作员。",
            )
        self._check_enabled(other)
        return Actor(other, me, real=own)

    def check_login(self) -> Login:
        """The store's login, refused where it does not fit the work (PostgreSQL).

        Daily work needs an operator's own role (whose policies then apply in the database,
        whatever the client); a superuser or BYPASSRLS login would see past every policy and
        an admin login could act as anyone, so both are refused. Set-up work
        (:attr:`administration`) needs the admin login, since it creates and alters roles."""
        login = self.repository.login()
        if login.kind is LoginKind.FILE:
            return login
        name = login.name
        if self.administration():
            if login.kind in (LoginKind.ADMIN, LoginKind.SUPERUSER):
                return login
            raise NotPermittedError(
                "store.login_not_admin",
                f"PostgreSQL 登录用户 {name} 不能创建或修改数据库角色：partyreg init 和 operator "
                "add|disable|enable|scope 须用有 CREATEROLE 权限的管理员用户登录"
                "（--db postgresql://管理员@…，见 docs/storage.md）。",
            )
        if login.kind is LoginKind.OPERATOR:
            return login
        if login.kind is LoginKind.ADMIN and self.admin_login_ok():
            return login
        if login.kind is LoginKind.SUPERUSER:
            message = (
                f"PostgreSQL 登录用户 {name} 是超级用户或可绕过行级安全（BYPASSRLS），"
                "不能用于日常操作：请以操作员自己的数据库用户登录（见 docs/storage.md）。"
            )
        elif login.kind is LoginKind.ADMIN:
            message = (
                f"PostgreSQL 登录用户 {name} 是管理员用户，只能用于 partyreg init 和 operator "
                "add|disable|enable|scope：日常操作请以操作员自己的数据库用户登录。"
            )
        else:
            message = (
                f"PostgreSQL 登录用户 {name} 不是这个存储的操作员：请市级操作员运行 partyreg "
                "operator add，再以它给出的数据库用户登录。"
            )
        raise NotPermittedError(f"store.login_{login.kind.value}", message)

    def _logged_in_actor(self, login: Login) -> Actor:
        """The actor of an operator's own PostgreSQL login: that account, whoever the OS user
        (the database authenticated the login; the OS user is recorded beside it)."""
        assert login.operator is not None
        own = self.repository.find_operator(login.operator)
        if own is None:
            raise NotPermittedError(
                "operator.unknown", f"登录用户 {login.name} 对应的操作员已不存在。"
            )
        self._check_enabled(own)
        if self.as_name() is not None and self.as_name() != own.name:
            if own.role is not Role.CITY:
                raise self._refused(
                    NotPermittedError(
                        "operator.as_denied",
                        f"只有市级操作员可以用 --as 以其他操作员身份操作：{own.name} 不是市级操作员。",
                    ),
                    as_name=self.as_name(),
                )
            raise self._refused(
                NotPermittedError(
                    "operator.as_postgresql",
                    "PostgreSQL 存储上每位操作员以自己的数据库用户登录，--as 不可用："
                    f"请以 {self.as_name()} 的数据库用户登录。",
                ),
                as_name=self.as_name(),
            )
        return Actor(own, self.os_user)

    def _check_enabled(self, operator: Operator) -> None:
        try:
            check_enabled(operator)
        except NotPermittedError as exc:
            raise self._refused(exc, account=operator.name) from None

    def _refused(
        self,
        error: NotPermittedError,
        *,
        as_name: str | None = None,
        account: str | None = None,
        command: str | None = None,
    ) -> NotPermittedError:
        """Record a refused attempt (who tried, as whom, what, why) and return ``error``."""
        if error.recorded:
            return error
        error.recorded = True
        try:
            self.repository.record_refusal(
                os_user=self.os_user,
                action=f"denied.{error.code}",
                subject=f"operator:{account or as_name or self.os_user}",
                details={
                    "as": as_name if as_name is not None else self.as_name(),
                    "source": self.identity().source,
                    "command": command,
                    "message": error.message,
                },
            )
        except PartyregError as exc:  # the refusal stands even where it cannot be recorded
            log.info("refusal not recorded: %s", exc.message)
        return error

    def record_refusal(self, error: NotPermittedError, command: str) -> None:
        """Record in the audit log that ``command`` was refused with ``error`` (the CLI's
        boundary calls this for every refusal not recorded yet)."""
        self._refused(error, command=command)

    def check_still_enabled(self, actor: Actor) -> None:
        """Refuse when an account ``actor`` acts by was disabled since it was looked up: a
        long-running TUI asks before every action (the facade then forgets its actor)."""
        for account in (actor.operator, actor.real):
            if account is None:
                continue
            now = self.repository.find_operator(account.name)
            if now is None or now.disabled:
                raise self._refused(
                    NotPermittedError(
                        "operator.disabled",
                        f"操作员 {account.name} 已被停用：本次操作未执行。请联系市级操作员。",
                    ),
                    account=account.name,
                )

    # -- accounts (city operators only) ----------------------------------------------------

    def parse_scope(self, role: Role | str, scope: Sequence[str] = ()) -> Scope:
        """A scope as typed on the command line: ``--scope CODE`` for district and unit
        operators, one or more communities (id or ``县区/街道/社区``) for community and
        instructor operators, nothing for the city."""
        role = role if isinstance(role, Role) else parse_role(role)
        texts = [t for part in scope for t in part.split(",") if t.strip()]
        if role.needs_code:
            if len(texts) != 1:
                raise ValidationError(
                    "scope.code_missing",
                    f"{role.label}操作员需要且只需要一个单位代码作为范围：--scope 008.001。",
                )
            code = self.unit(texts[0]).code
            return Scope(role, code)
        if role.needs_communities:
            if not texts:
                raise ValidationError(
                    "scope.communities_missing",
                    f"{role.label}操作员需要至少一个社区：--scope 县区/街道/社区 或社区编号。",
                )
            return Scope(role, communities=frozenset(self.community(t).id for t in texts))
        if texts:
            raise ValidationError("scope.code_unexpected", "市级操作员不需要 --scope：请去掉它。")
        return Scope(role)

    def list(self) -> builtins.list[Operator]:
        """Every operator account (city operators only)."""
        return self.repository.operators(self.actor())

    def get(self, name: str) -> Operator:
        """One operator account (city operators only)."""
        for operator in self.list():
            if operator.name == name:
                return operator
        raise NotFoundError(
            "operator.unknown", f"没有操作员 {name}：用 partyreg operator list 查看。"
        )

    def add(self, name: str, role: Role | str, scope: Sequence[str] = ()) -> Operator:
        """Add an operator account tied to the OS user ``name`` (city operators only)."""
        name = check_operator_name(name)
        if self.repository.find_operator(name) is not None:
            raise ConflictError(
                "operator.exists",
                f"操作员 {name} 已存在：要改范围请用 partyreg operator scope {shlex.quote(name)} …。",
            )
        saved = self.repository.save_operator(
            self.actor(), Operator(name, self.parse_scope(role, scope))
        )
        self.changed("operator.add", f"operator:{name}", None, {"role": saved.role.value})
        return saved

    def set_scope(self, name: str, role: Role | str, scope: Sequence[str] = ()) -> Operator:
        """Change an operator's role and scope (city operators only)."""
        current = self.get(name)
        saved = self.repository.save_operator(
            self.actor(), attrs.evolve(current, scope=self.parse_scope(role, scope))
        )
        self.changed("operator.change", f"operator:{name}", None, {"role": saved.role.value})
        return saved

    def disable(self, name: str, *, enable: bool = False) -> Operator:
        """Disable (or enable again) an operator account (city operators only)."""
        current = self.get(name)
        saved = self.repository.save_operator(
            self.actor(), attrs.evolve(current, disabled=not enable)
        )
        self.changed("operator.change", f"operator:{name}", None, {"disabled": saved.disabled})
        return saved
