"""PostgreSQL roles and row-level security checks.

A store in database ``D`` has three kinds of roles (PostgreSQL roles are cluster-wide, so their
names carry a prefix derived from ``D``: ``pr_<md5(D)[:10]>``):

- ``<prefix>_owner`` (NOLOGIN) owns the ``partyreg`` schema and its tables; only migrations run
  as it;
- ``<prefix>_app`` (NOLOGIN) holds the table privileges; it owns nothing and does not bypass
  row-level security;
- ``<prefix>_op<id>`` per operator: a LOGIN role (NOLOGIN while the operator is disabled), a
  member of ``app``. The policies find the operator, and so the scope, from the role name.

Operators log in as their own role (peer over the Unix socket, mapped from the OS user in
``pg_ident.conf``, or SCRAM): the facade takes the acting operator from ``session_user`` and
refuses a superuser, BYPASSRLS, admin or foreign login for daily work (decision 0081). Set-up
— ``init``, ``operator add|disable|enable|scope``, migrations — runs with an admin login
(CREATEROLE, not a superuser), which ``init`` and ``operator add`` make a member of the
store's roles. Every transaction ``SET LOCAL ROLE``\\s to the acting operator's role (its own
login's, in daily work), so the database applies that operator's policies whatever the client.
Before the first scoped statement the store checks that row-level security is really on.
"""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from partyreg_core.errors import NotPermittedError, ValidationError
from partyreg_core.ports import LoginKind, StoreFinding

SCHEMA = "partyreg"


def role_prefix(database: str) -> str:
    """The prefix of a store's role names (same formula as migration 0002)."""
    return "pr_" + hashlib.md5(database.encode("utf-8")).hexdigest()[:10]


class Roles:
    """The role names of one store."""

    def __init__(self, database: str) -> None:
        self.prefix = role_prefix(database)
        self.owner = f"{self.prefix}_owner"
        self.app = f"{self.prefix}_app"
        self._operator = re.compile(rf"^{re.escape(self.prefix)}_op\d+$")

    def operator(self, operator_id: int) -> str:
        """The role an operator acts through."""
        return f"{self.prefix}_op{operator_id}"

    def is_operator_role(self, name: str) -> bool:
        """Whether ``name`` is one of this store's operator roles (nothing else is SET)."""
        return bool(self._operator.match(name))


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _exists(conn: sa.Connection, role: str) -> bool:
    found = conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    return found.first() is not None


def _connector_is_superuser(conn: sa.Connection) -> bool:
    row = conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").one()
    return bool(row[0])


def _create_role(conn: sa.Connection, role: str, *, login: bool = False) -> None:
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(
                f"CREATE ROLE {_quote(conn, role)} {'LOGIN' if login else 'NOLOGIN'}"
                " NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB"
            )
    except sa.exc.ProgrammingError as exc:
        if "permission denied" in str(exc.orig):
            raise NotPermittedError(
                "store.createrole",
                "连接 PostgreSQL 的用户不能创建角色：请用有 CREATEROLE 权限的用户运行"
                "（或请数据库管理员执行 ALTER ROLE … CREATEROLE）。",
            ) from None
        raise


def _grant_to_connector(conn: sa.Connection, role: str) -> None:
    if not _connector_is_superuser(conn):
        conn.exec_driver_sql(f"GRANT {_quote(conn, role)} TO SESSION_USER")


def store_exists(conn: sa.Connection, roles: Roles) -> bool:
    """Whether this database holds a partyreg store (its schema and app role exist)."""
    row = conn.exec_driver_sql(
        "SELECT to_regclass('partyreg.alembic_version') IS NOT NULL,"
        " EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)",
        (roles.app,),
    ).one()
    return bool(row[0] and row[1])


def ensure_store_roles(conn: sa.Connection, roles: Roles) -> None:
    """Create the owner and app roles and the schema if missing; let the connector use them.

    Runs as the connector (which needs CREATEROLE, or is a superuser)."""
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('partyreg.init'))")
    for role in (roles.owner, roles.app):
        if not _exists(conn, role):
            _create_role(conn, role)
        _grant_to_connector(conn, role)
    conn.exec_driver_sql(
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA} AUTHORIZATION {_quote(conn, roles.owner)}"
    )


def ensure_operator_role(
    conn: sa.Connection, roles: Roles, operator_id: int, *, login: bool = True
) -> str:
    """Create the role of operator ``operator_id`` if missing — a LOGIN role (the operator
    logs in as it; ``login=False`` for a disabled one), a member of the app role, usable by
    the admin login that runs set-up. Runs as that login (CREATEROLE)."""
    role = roles.operator(operator_id)
    if not _exists(conn, role):
        _create_role(conn, role, login=login)
    set_login(conn, role, login)
    conn.exec_driver_sql(f"GRANT {_quote(conn, roles.app)} TO {_quote(conn, role)}")
    _grant_to_connector(conn, role)
    return role


def set_login(conn: sa.Connection, role: str, login: bool) -> None:
    """Let the operator's role log in, or not (a disabled operator); INHERIT, so that it has
    the app role's table privileges without ``SET ROLE``."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(
                f"ALTER ROLE {_quote(conn, role)} {'LOGIN' if login else 'NOLOGIN'} INHERIT"
            )
    except sa.exc.ProgrammingError as exc:
        if "permission denied" in str(exc.orig) or "must have" in str(exc.orig):
            raise NotPermittedError(
                "store.createrole",
                "连接 PostgreSQL 的用户不能修改操作员的登录角色：请用有 CREATEROLE 权限的管理员"
                "用户运行（见 docs/storage.md）。",
            ) from None
        raise


def set_role(conn: sa.Connection, roles: Roles, role: str) -> None:
    """``SET LOCAL ROLE`` to one of the store's own roles (nothing else is ever set)."""
    if role != roles.app and role != roles.owner and not roles.is_operator_role(role):
        raise ValidationError("store.role", f"不是本存储的数据库角色：{role}")
    conn.exec_driver_sql(f"SET LOCAL ROLE {_quote(conn, role)}")


def require_owner_membership(conn: sa.Connection, roles: Roles) -> None:
    """Refuse, naming the fix, when this login cannot become the store's owner: the writes
    that carry rows across scopes (transfers, org changes, retention) run as the owner after
    the store has checked them, so on PostgreSQL they need the admin login."""
    row = conn.exec_driver_sql(
        "SELECT pg_has_role(session_user, %s, 'MEMBER')", (roles.owner,)
    ).one()
    if not row[0]:
        raise NotPermittedError(
            "store.needs_admin",
            "这项操作会把数据移出你的范围（转出到范围外的单位、调整代码、个人信息到期清除），在 "
            "PostgreSQL 上须用管理员用户登录执行：partyreg --db postgresql://管理员@… --as 你的账号 …"
            "（见 docs/storage.md）。",
        )


def session_login(conn: sa.Connection) -> tuple[str, bool, bool, bool]:
    """The login of this connection: ``(session_user, superuser, bypassrls, createrole)``."""
    row = conn.exec_driver_sql(
        "SELECT rolname, rolsuper, rolbypassrls, rolcreaterole FROM pg_roles"
        " WHERE rolname = session_user"
    ).one()
    return str(row[0]), bool(row[1]), bool(row[2]), bool(row[3])


def classify_login(conn: sa.Connection, roles: Roles) -> tuple[LoginKind, str, int | None]:
    """What the login of this connection is: an operator role of this store (with its
    operator id), an admin (CREATEROLE), a superuser or BYPASSRLS login, or something else."""
    name, superuser, bypassrls, createrole = session_login(conn)
    if superuser or bypassrls:
        return LoginKind.SUPERUSER, name, None
    if roles.is_operator_role(name):
        return LoginKind.OPERATOR, name, int(name.rsplit("_op", 1)[1])
    if createrole:
        return LoginKind.ADMIN, name, None
    return LoginKind.OTHER, name, None


def login_findings(kind: LoginKind, name: str) -> list[StoreFinding]:
    """What ``partyreg doctor`` says of a PostgreSQL login."""
    if kind is LoginKind.SUPERUSER:
        return [
            StoreFinding(
                "store.login_superuser",
                f"登录用户 {name} 是超级用户或可绕过行级安全（BYPASSRLS）：只可用于数据库维护，"
                "partyreg 的日常操作会拒绝它。请为 partyreg 建一个只有 CREATEROLE 的管理员用户"
                "（见 docs/storage.md）。",
            )
        ]
    if kind is LoginKind.ADMIN:
        return [
            StoreFinding(
                "store.login_admin",
                f"登录用户 {name} 是管理员用户：只用于 partyreg init 和 operator add|disable|"
                "enable|scope；日常操作请以操作员自己的数据库用户登录。",
            )
        ]
    if kind is LoginKind.OTHER:
        return [
            StoreFinding(
                "store.login_other",
                f"登录用户 {name} 不是这个存储的操作员：请市级操作员运行 partyreg operator add，"
                "再以它给出的数据库用户登录。",
            )
        ]
    return []


def enter_session_role(conn: sa.Connection, roles: Roles) -> bool:
    """``SET LOCAL ROLE`` back to the login when it is one of the store's operator roles;
    ``False`` (nothing set) otherwise."""
    login = session_login(conn)[0]
    if not roles.is_operator_role(login):
        return False
    set_role(conn, roles, login)
    return True


def check_row_security(conn: sa.Connection, roles: Roles, tables: tuple[str, ...]) -> None:
    """Refuse to go on unless row-level security really applies to the current role: it is on
    for every scoped table, the role is neither a superuser nor BYPASSRLS nor the owner, and
    ``row_security`` is not off."""
    row = conn.exec_driver_sql(
        "SELECT r.rolsuper, r.rolbypassrls, pg_has_role(current_user, %s, 'MEMBER'),"
        " current_setting('row_security') FROM pg_roles r WHERE r.rolname = current_user",
        (roles.owner,),
    ).one()
    problems = []
    if row[0] or row[1]:
        problems.append("当前数据库角色是超级用户或可绕过行级安全（BYPASSRLS）")
    if row[2]:
        problems.append("当前数据库角色拥有数据表")
    if row[3] != "on":
        problems.append("row_security 被关闭")
    off = [
        name
        for name, enabled in conn.exec_driver_sql(
            "SELECT c.relname, c.relrowsecurity FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = ANY(%s)",
            (SCHEMA, list(tables)),
        )
        if not enabled
    ]
    if off:
        problems.append(f"这些表没有开启行级安全：{', '.join(sorted(off))}")
    if problems:
        raise NotPermittedError(
            "store.rls_off",
            "PostgreSQL 存储的行级安全没有生效（"
            + "；".join(problems)
            + "）：为保护个人信息已停止。请数据库管理员运行 partyreg init 修复后重试。",
        )


def drop_store_roles(conn: sa.Connection, database: str) -> None:
    """Drop every role of the store in ``database`` (after the database itself is dropped; for
    tests and for administrators removing a store)."""
    prefix = role_prefix(database)
    names = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s ORDER BY rolname DESC",
            (prefix + "\\_%",),
        )
    ]
    for name in names:
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {_quote(conn, name)}")
