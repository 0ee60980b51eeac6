"""The store's part of operators: its login, the accounts, and the record of a refusal (the
:class:`~partyreg_core.operators.port.OperatorRepository` of :class:`SqlStore`, as
``store.operators``).

On PostgreSQL every account is also a database role of its own (:mod:`.pg`): adding one
creates it, disabling one takes its login away; the store keeps only the constraints (one
name per account, at least one enabled city operator), whose refusals are the core's
(:mod:`partyreg_core.operators.rules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from partyreg_core.errors import NotFoundError
from partyreg_core.operators.model import Actor, Operator, Role, Scope
from partyreg_core.operators.rules import last_city_operator, require_role
from partyreg_core.ports import Login, LoginKind
from partyreg_plugins.sqlstore import pg
from partyreg_plugins.sqlstore.db import Repository
from partyreg_plugins.sqlstore.engine import translated_errors
from partyreg_plugins.sqlstore.rows import now as _now
from partyreg_plugins.sqlstore.rows import opt_code as _opt_code
from partyreg_plugins.sqlstore.schema import (
    communities,
    instructor_communities,
    instructors,
    operator_communities,
    operators,
)


class SqlOperators(Repository):
    """``store.operators``: operator accounts (city operators manage them)."""

    def login(self) -> Login:
        """SQLite: no login; PostgreSQL: ``session_user`` and what it is for this store."""
        if self._store._roles is None:
            return Login(LoginKind.FILE)
        self._store._ensure_ready()
        with (
            translated_errors(self._store._url),
            self._store.engine.connect() as conn,
            conn.begin(),
        ):
            kind, name, operator_id = pg.classify_login(conn, self._store._roles)
            account = None
            if operator_id is not None:
                pg.set_role(conn, self._store._roles, self._store._roles.app)
                account = conn.execute(
                    sa.select(operators.c.name).where(operators.c.id == operator_id)
                ).scalar()
                if account is None:
                    kind = LoginKind.OTHER
        return Login(kind, name, account)

    def _load_operator(self, conn: sa.Connection, row: sa.Row[Any]) -> Operator:
        role = Role(row.role)
        communities_found: frozenset[int] = frozenset()
        if role is Role.COMMUNITY:
            communities_found = frozenset(
                conn.execute(
                    sa.select(operator_communities.c.community_id).where(
                        operator_communities.c.operator_id == row.id
                    )
                ).scalars()
            )
        elif role is Role.INSTRUCTOR and row.instructor_id is not None:
            communities_found = frozenset(
                conn.execute(
                    sa.select(instructor_communities.c.community_id).where(
                        instructor_communities.c.instructor_id == row.instructor_id
                    )
                ).scalars()
            )
        scope = Scope(role, _opt_code(row.scope_code), communities_found)
        return Operator(
            name=row.name,
            scope=scope,
            disabled=bool(row.disabled),
            id=row.id,
            db_role=self._store._roles.operator(row.id) if self._store._roles is not None else None,
            created_by=row.created_by,
        )

    def find_operator(self, name: str) -> Operator | None:
        """The operator account ``name`` or ``None`` (not scoped)."""
        with self._tx(None) as conn:
            row = conn.execute(sa.select(operators).where(operators.c.name == name)).first()
            return None if row is None else self._load_operator(conn, row)

    def operators(self, actor: Actor) -> list[Operator]:
        """Every operator account, by name (city operators only)."""
        require_role(actor, Role.CITY, "查看操作员")
        with self._tx(actor) as conn:
            rows = conn.execute(sa.select(operators).order_by(operators.c.name)).all()
            return [self._load_operator(conn, row) for row in rows]

    def save_operator(self, actor: Actor, operator: Operator) -> Operator:
        """Add an operator, or change an existing one's scope or disabled flag."""
        require_role(actor, Role.CITY, "管理操作员")
        scope = operator.scope
        with self._tx(actor, write=True) as conn:
            tree = self._tree(conn)
            if scope.code is not None:
                tree.get(scope.code)  # code.unknown
            if scope.communities:
                found = set(
                    conn.execute(
                        sa.select(communities.c.id).where(
                            communities.c.id.in_(sorted(scope.communities))
                        )
                    ).scalars()
                )
                unknown = sorted(scope.communities - found)
                if unknown:
                    raise NotFoundError(
                        "community.unknown",
                        f"社区编号 {', '.join(map(str, unknown))} 不在社区通讯录中："
                        "请先导入社区通讯录（附表4）。",
                    )
            row = conn.execute(
                sa.select(operators).where(operators.c.name == operator.name)
            ).first()
            before = self._load_operator(conn, row) if row is not None else None
            if before is not None:
                self._guard_last_city(conn, before, operator)
            instructor_id = None
            if scope.role is Role.INSTRUCTOR:
                instructor_id = self._instructor_for(conn, operator.name)
            values = {
                "role": scope.role.value,
                "scope_code": str(scope.code) if scope.code else None,
                "instructor_id": instructor_id,
                "disabled": operator.disabled,
            }
            if row is None:
                operator_id = conn.execute(
                    sa.insert(operators)
                    .values(
                        name=operator.name, created_at=_now(), created_by=actor.real_name, **values
                    )
                    .returning(operators.c.id)
                ).scalar_one()
                if self._store._roles is not None:
                    conn.exec_driver_sql("RESET ROLE")
                    pg.ensure_operator_role(conn, self._store._roles, operator_id)
                    self._store._enter_role(conn, actor)
            else:
                operator_id = row.id
                conn.execute(
                    sa.update(operators).where(operators.c.id == operator_id).values(**values)
                )
                if self._store._roles is not None and bool(row.disabled) != operator.disabled:
                    conn.exec_driver_sql("RESET ROLE")  # ALTER ROLE needs the admin login
                    pg.set_login(
                        conn, self._store._roles.operator(operator_id), not operator.disabled
                    )
                    self._store._enter_role(conn, actor)
            conn.execute(
                sa.delete(operator_communities).where(
                    operator_communities.c.operator_id == operator_id
                )
            )
            if scope.role is Role.COMMUNITY and scope.communities:
                conn.execute(
                    sa.insert(operator_communities),
                    [
                        {"operator_id": operator_id, "community_id": c}
                        for c in sorted(scope.communities)
                    ],
                )
            if scope.role is Role.INSTRUCTOR:
                conn.execute(
                    sa.delete(instructor_communities).where(
                        instructor_communities.c.instructor_id == instructor_id
                    )
                )
                if scope.communities:
                    conn.execute(
                        sa.insert(instructor_communities),
                        [
                            {"instructor_id": instructor_id, "community_id": c}
                            for c in sorted(scope.communities)
                        ],
                    )
            saved_row = conn.execute(
                sa.select(operators).where(operators.c.id == operator_id)
            ).one()
            saved = self._load_operator(conn, saved_row)
            self._audit(
                conn,
                actor,
                "operator.add" if before is None else "operator.change",
                f"operator:{operator.name}",
                before=_operator_json(before) if before is not None else None,
                after=_operator_json(saved),
            )
            return saved

    def _guard_last_city(self, conn: sa.Connection, before: Operator, after: Operator) -> None:
        if before.role is not Role.CITY or before.disabled:
            return
        if after.role is Role.CITY and not after.disabled:
            return
        others = conn.execute(
            sa.select(sa.func.count())
            .select_from(operators)
            .where(
                operators.c.role == Role.CITY.value,
                operators.c.disabled == sa.false(),
                operators.c.name != before.name,
            )
        ).scalar_one()
        if not others:
            raise last_city_operator(before.name)

    def _instructor_for(self, conn: sa.Connection, name: str) -> int:
        found = conn.execute(
            sa.select(instructors.c.id).where(instructors.c.name == name, instructors.c.phone == "")
        ).scalar()
        if found is not None:
            return int(found)
        return int(
            conn.execute(
                sa.insert(instructors).values(name=name, phone="").returning(instructors.c.id)
            ).scalar_one()
        )

    def record_refusal(
        self, *, os_user: str, action: str, subject: str, details: Mapping[str, Any]
    ) -> None:
        """Record a refused attempt by ``os_user`` (actor: that name; no account in effect).

        On PostgreSQL the audit policy lets a login append only under its own operator name, so
        the entry is written as the session's own operator role when it has one."""
        with self._tx(None, write=True) as conn:
            actor_name = os_user
            if self._store._roles is not None:
                if not pg.enter_session_role(conn, self._store._roles):
                    return
                # the policy lets a login append under its own operator's name only
                actor_name = conn.exec_driver_sql("SELECT partyreg.pr_name()").scalar() or ""
            self._audit(
                conn,
                None,
                action,
                subject,
                after=dict(details),
                os_user=os_user,
                actor_name=actor_name,
            )


def _operator_json(operator: Operator) -> dict[str, Any]:
    return {
        "name": operator.name,
        "role": operator.role.value,
        "code": str(operator.scope.code) if operator.scope.code else None,
        "communities": sorted(operator.scope.communities),
        "disabled": operator.disabled,
    }
