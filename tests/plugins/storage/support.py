"""Helpers for the storage contract suite (and the CLI tests): backends, namespaces, data.

Each backend runs the same tests. SQLite gets a fresh store file per test; PostgreSQL one fresh
database per test session (and per xdist worker), dropped afterwards with its roles. Tests keep
out of each other's way by working in a namespace of their own: fresh districts (new codes
under 008), units, communities and people.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from partyreg_core import builtin
from partyreg_core.batches import Batch, BatchKind, new_batch_id
from partyreg_core.members.model import Route
from partyreg_core.operators.model import Actor, Operator, Role, Scope
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgUnit
from partyreg_core.records import (
    Activity,
    DirectoryEntry,
    Rating,
    Registration,
)
from partyreg_core.testing import harness

# the shipped contract suite's data helpers, used here by name (support.person(), …)
from partyreg_core.testing.harness import District, person, registration  # noqa: F401
from partyreg_plugins.sqlstore.pg import Roles, drop_store_roles
from partyreg_plugins.sqlstore.store import SqlStore

#: The PostgreSQL server the suite uses (trust auth, a superuser); override with this variable.
PG_URL = os.environ.get("PARTYREG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CITY = harness.CITY
OS_USER = harness.OS_USER


@cache
def pg_unreachable() -> str | None:
    """Why the PostgreSQL tests cannot run, or ``None`` when the server answers."""
    import psycopg

    try:
        with psycopg.connect(_admin_dsn(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL server reachable at {PG_URL} ({first}); start it (.ci/run does)"
    return None


def _admin_dsn(database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    if database is not None:
        url = url.set(database=database)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_url(database: str) -> str:
    """The store URL of ``database`` on the test server."""
    return _admin_dsn(database)


def login_url(store_url: str, store: SqlStore, name: str) -> str:
    """The URL operator ``name`` works with: on PostgreSQL its own login role (the test server
    trusts 127.0.0.1, so no password), on SQLite the store's own."""
    if store.dialect == "sqlite":
        return store_url
    from sqlalchemy.engine import make_url

    operator = store.operators.find_operator(name)
    assert operator is not None and operator.id is not None
    url = make_url(store_url)
    role = Roles(url.database or "").operator(operator.id)
    return url.set(username=role).render_as_string(hide_password=False)


def operator_workspace(store_url: str, store: SqlStore, name: str, **options: Any) -> Any:
    """A facade acting as operator ``name``: on SQLite the city's OS user with ``--as``; on
    PostgreSQL logged in as the operator's own role (``--as`` is for SQLite only there)."""
    from partyreg_core.workspace import Workspace

    if store.dialect == "sqlite":
        return Workspace(store_url, operator=name, os_user=OS_USER, **options)
    return Workspace(login_url(store_url, store, name), os_user=name, **options)


def create_pg_database() -> str:
    """A fresh database on the test server; returns its name."""
    import psycopg

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"partyreg_test_{worker}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    """Drop a test database and every role of its store."""
    import psycopg
    import sqlalchemy as sa

    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine = sa.create_engine(_admin_dsn().replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        drop_store_roles(conn, name)
    engine.dispose()


@contextmanager
def pg_database_with_admin() -> Iterator[tuple[str, str]]:
    """A fresh database and an admin login for it as docs/storage.md makes one (LOGIN
    CREATEROLE, no superuser, CREATE on the database); yields ``(database, admin URL)`` and
    drops the database, the store's roles and the admin afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = create_pg_database()
    admin = f"pr_admin_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{admin}" LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS')
        conn.execute(f'GRANT CONNECT, CREATE ON DATABASE "{name}" TO "{admin}"')
    url = make_url(_admin_dsn(name)).set(username=admin).render_as_string(hide_password=False)
    try:
        yield name, url
    finally:
        drop_pg_database(name)
        with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{admin}"')


@contextmanager
def raw_sql(store: SqlStore) -> Iterator[Any]:
    """A plain DB-API connection to the store as its administrator (SQLite: the file's owner;
    PostgreSQL: the superuser), in autocommit mode, for checks behind partyreg's back."""
    if store.dialect == "sqlite":
        conn = sqlite3.connect(str(store.engine.url.database), isolation_level=None, timeout=30)
        try:
            yield conn
        finally:
            conn.close()
        return
    import psycopg

    database = store.engine.url.database
    with psycopg.connect(
        _admin_dsn(database), autocommit=True, options="-c search_path=partyreg"
    ) as conn:
        yield conn


def count_rows(store: SqlStore, table: str) -> int:
    """How many rows ``table`` holds, counted with plain SQL (no scope, no partyreg)."""
    with raw_sql(store) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def init_store(store: SqlStore) -> None:
    """Initialise ``store`` with the built-in table, the OS user ``tester`` its city operator."""
    store.initialise(os_user=OS_USER, org_tree=builtin.code_table(), posts=builtin.city_posts())


def actor(store: SqlStore, name: str) -> Actor:
    """The operator ``name`` acting for itself."""
    found = store.operators.find_operator(name)
    assert found is not None, name
    return Actor(found, name)


def city(store: SqlStore) -> Actor:
    """The city operator made by ``init``."""
    return actor(store, OS_USER)


def batch(
    kind: BatchKind = BatchKind.REGISTRATIONS, rows: int = 0, on: date | None = None
) -> Batch:
    """A new batch by ``tester``."""
    at = datetime.now(UTC)
    return Batch(new_batch_id(at, uuid.uuid4().hex[:6]), kind, "test.xlsx", OS_USER, at, on, rows)


def make_district(store: SqlStore, units: int = 2, communities: int = 2) -> District:
    """A new district under the city with ``units`` units and ``communities`` communities."""
    city_actor = city(store)
    tree = store.load_org_tree()
    code = tree.next_child(CITY)
    name = harness.district_name(code)
    new_units = [OrgUnit(code, name, OrgKind.DISTRICT)] + [
        OrgUnit(code.child(i), f"{name}第{i}单位", OrgKind.UNIT) for i in range(1, units + 1)
    ]
    store.add_org_units(city_actor, batch(BatchKind.CODES, len(new_units)), new_units)
    entries = [
        DirectoryEntry(
            district=name.removesuffix("委"),
            street=f"第{k}街道",
            community=f"第{k}社区",
            phone="0517-83601234",
            district_code=code,
        )
        for k in range(1, communities + 1)
    ]
    saved = store.save_communities(city_actor, batch(BatchKind.DIRECTORY, len(entries)), entries)
    return District(code, name, tuple(u.code for u in new_units[1:]), tuple(saved))


def register(store: SqlStore, by: Actor, regs: Sequence[Registration]) -> list[int]:
    """Write ``regs`` (which must all be new) and return the new members' ids, in order."""
    result = store.write_registrations(by, batch(rows=len(regs)), regs)
    assert not result.rejected, result.rejected
    assert result.new == len(regs), result
    from partyreg_core.members.model import MemberQuery

    ids = []
    for reg in regs:
        page = store.members.list_members(city(store), MemberQuery(name=reg.name, phone=reg.phone))
        ids.append(page.members[0].id)
    return ids


def route(store: SqlStore, member_ids: Sequence[int], district: District, k: int = 0) -> None:
    """Route members to ``district``'s ``k``-th community (as the city)."""
    routes = [Route(m, district.code, district.communities[k].id) for m in member_ids]
    store.route_members(city(store), routes, date(2024, 9, 5))


def add_operator(
    store: SqlStore, role: Role, code: OrgCode | None = None, communities: Sequence[int] = ()
) -> Actor:
    """A new operator with the given scope, acting for itself."""
    name = harness.operator_name()
    store.operators.save_operator(
        city(store), Operator(name, Scope(role, code, frozenset(communities)))
    )
    return actor(store, name)


def activity(
    who: tuple[str, str], day: date, hours: float = 2.0, content: str = "环境清扫"
) -> Activity:
    """An activity of ``who`` on ``day``."""
    return Activity(
        name=who[0], phone=who[1], day=day, content=content, hours=hours, rating=Rating.GOOD
    )


def dump_store(store: SqlStore, *, leave_out: Sequence[str] = ()) -> dict[str, list[str]]:
    """Every row of every table of the store (but ``leave_out``), read with plain SQL and
    sorted: the same before and after a dry run, or before a bulk action and after its undo."""
    from partyreg_plugins.sqlstore.schema import metadata

    out: dict[str, list[str]] = {}
    with raw_sql(store) as conn:
        for name in sorted(metadata.tables):
            if name in leave_out:
                continue
            rows = conn.execute(f'SELECT * FROM "{name}"').fetchall()
            out[name] = sorted(repr(tuple(row)) for row in rows)
    return out
