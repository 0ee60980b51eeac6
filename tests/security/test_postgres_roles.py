"""On PostgreSQL each operator logs in as its own role and the database itself keeps it in its
scope, whatever the client: plain SQL as a district's, a unit's or a community's login, trying
every table of the schema, ``SET ROLE`` to someone else, and partyreg's own options."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from partyreg_cli.main import run
from partyreg_core.audit import AuditQuery
from partyreg_core.operators.model import Actor, Role
from partyreg_plugins.sqlstore.pg import Roles
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support

pytestmark = pytest.mark.postgres

CODE_COLUMNS = ("unit_code", "district_code", "parent_code", "scope_code", "code", "org_code",
                "from_code", "to_code")  # fmt: skip


class City:
    """Two districts, A and B, each with members routed to its communities, an import batch,
    and operators of every kind in A (and a district operator in B)."""

    def __init__(self, store: SqlStore, database: str, admin: str) -> None:
        self.store, self.database, self.admin = store, database, admin
        self.roles = Roles(database)
        self.a, self.b = support.make_district(store), support.make_district(store)
        city = support.city(store)
        self.members: dict[str, list[int]] = {}
        for name, d in (("a", self.a), ("b", self.b)):
            ids = support.register(
                store, city, [support.registration(d.units[0], d.communities[0]) for _ in range(3)]
            )
            support.route(store, ids, d)
            self.members[name] = ids
        self.ops: dict[str, Actor] = {
            "district": support.add_operator(store, Role.DISTRICT, self.a.code),
            "unit": support.add_operator(store, Role.UNIT, self.a.units[0]),
            "community": support.add_operator(
                store, Role.COMMUNITY, communities=[self.a.communities[0].id]
            ),
            "district_b": support.add_operator(store, Role.DISTRICT, self.b.code),
        }
        mine = [support.registration(self.a.units[1], self.a.communities[1])]
        self.members["a"] += support.register(store, self.ops["district"], mine)
        b_op = self.ops["district_b"]
        support.register(
            store, b_op, [support.registration(self.b.units[1], self.b.communities[1])]
        )

    def url(self, key: str) -> str:
        role = self.role(key)
        return make_url(self.admin).set(username=role).render_as_string(hide_password=False)

    def role(self, key: str) -> str:
        op_id = self.ops[key].operator.id
        assert op_id is not None
        return self.roles.operator(op_id)

    def connect(self, key: str) -> psycopg.Connection[Any]:
        dsn = self.url(key)
        return psycopg.connect(dsn, options="-c search_path=partyreg")

    def of_b(self, table: str, row: dict[str, Any]) -> bool:
        """Whether ``row`` of ``table`` belongs to district B (by any code, community or
        member it names)."""
        b_code = str(self.b.code)
        b_communities = {c.id for c in self.b.communities}
        for column in CODE_COLUMNS:
            value = row.get(column)
            if isinstance(value, str) and (value == b_code or value.startswith(b_code + ".")):
                return True
        if row.get("community_id") in b_communities:
            return True
        if table == "communities" and row.get("id") in b_communities:
            return True
        b_members = set(self.members["b"])
        return row.get("member_id") in b_members or (
            table == "members" and row.get("id") in b_members
        )


@pytest.fixture(scope="module")
def city() -> Iterator[City]:
    reason = support.pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    with support.pg_database_with_admin() as (database, admin):
        store = SqlStore(admin)
        support.init_store(store)
        yield City(store, database, admin)
        store.close()


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'partyreg' AND c.relkind IN ('r', 'p') ORDER BY 1"
        )
    ]


def _columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'partyreg'"
            " AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
    ]


def _try(conn: psycopg.Connection[Any], sql: str) -> list[dict[str, Any]] | None:
    """The rows ``sql`` (with RETURNING) would change, rolled back; ``None`` if refused."""
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            cur.execute(sql)
            names = [d.name for d in cur.description or ()]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException):
        return None  # refused by a grant, or by the audit log's append-only trigger


def _deletable(conn: psycopg.Connection[Any], table: str) -> list[dict[str, Any]] | None:
    """The rows of ``table`` the login may delete: all at once, or — where a foreign key
    stops the statement — row by row, a row counting when the policy let the DELETE reach it
    (a foreign key, not the policy, stopped it)."""
    try:
        return _try(conn, f"DELETE FROM {table} RETURNING *")
    except psycopg.errors.IntegrityError:
        pass
    with conn.cursor() as cur:
        cur.execute(f"SELECT ctid, * FROM {table}")
        names = [d.name for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    reached = []
    for row in rows:
        try:
            done = _try(conn, f"DELETE FROM {table} WHERE ctid = '{row['ctid']}' RETURNING *")
        except psycopg.errors.IntegrityError:
            done = [row]
        if done:
            reached.extend(done)
    return reached


# tables without a column naming whose row it is: only the city (or set-up) writes them
UNSCOPED_WRITERS_NONE = {"posts", "settings", "operators", "operator_communities",
                         "alembic_version", "campaign_years", "member_service"}  # fmt: skip


@pytest.mark.parametrize("who", ["district", "unit", "community"])
def test_no_operator_login_can_change_anything_of_another_district_in_any_table(
    city: City, who: str
) -> None:
    with city.connect(who) as conn:
        tables = _tables(conn)
        assert {"posts", "import_batches", "instructors", "community_districts"} <= set(tables)
        problems = []
        for table in tables:
            first = _columns(conn, table)[0]
            for sql, changed in (
                (f"DELETE FROM {table}", _deletable(conn, table)),
                (
                    f"UPDATE {table}",
                    _try(conn, f"UPDATE {table} SET {first} = {first} RETURNING *"),
                ),
            ):
                if changed is None:
                    continue
                if table in UNSCOPED_WRITERS_NONE and changed:
                    problems.append(f"{who}: {sql} changed {len(changed)} rows")
                others = [r for r in changed if city.of_b(table, r)]
                if others:
                    problems.append(f"{who}: {sql} reached {len(others)} rows of district B")
        assert problems == []


def test_the_four_tables_that_had_no_policy_are_closed(city: City) -> None:
    with city.connect("unit") as conn:
        assert _try(conn, "UPDATE posts SET name = 'x' RETURNING *") is None
        assert _try(conn, "INSERT INTO posts (code, name, district_code, plugin, description)"
                          " VALUES ('99', 'x', '', 'x', '') RETURNING *") is None  # fmt: skip
        assert _try(conn, "DELETE FROM import_batches RETURNING *") is None
        assert _try(conn, "DELETE FROM instructors RETURNING *") is None
    with city.connect("district") as conn:
        undone = _try(conn, "UPDATE import_batches SET undone_at = now() RETURNING *")
        assert undone is not None and undone and not any(city.of_b("x", r) for r in undone)
        forged = _try(
            conn,
            "INSERT INTO import_batches (id, kind, file, operator, at, scope_code)"
            f" VALUES ('forged', 'registrations', 'x', 'someone', now(), '{city.b.code}')"
            " RETURNING *",
        )
        assert forged is None or forged == []
        assert _try(conn, "INSERT INTO community_districts (community_id, district_code,"
                          f" valid_to, reason) VALUES ({city.b.communities[0].id}, '{city.b.code}',"
                          " '2020-01-01', 'x') RETURNING *") in (None, [])  # fmt: skip


def test_reading_other_districts_gives_nothing(city: City) -> None:
    with city.connect("district") as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM members")}
        assert set(city.members["a"]) <= ids and not ids & set(city.members["b"])
        assert conn.execute("SELECT count(*) FROM members WHERE district_code = %s",
                            (str(city.b.code),)).fetchone() == (0,)  # fmt: skip


def test_set_role_to_anyone_else_is_refused_and_the_app_role_sees_nothing(city: City) -> None:
    with city.connect("district") as conn:
        for other in (city.role("district_b"), city.role("unit"), city.roles.owner, "postgres"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(f'SET ROLE "{other}"')
        with conn.transaction(force_rollback=True):
            conn.execute(f'SET ROLE "{city.roles.app}"')  # a member: allowed, and useless
            assert conn.execute("SELECT count(*) FROM members").fetchone() == (0,)
            assert _try(conn, "DELETE FROM communities RETURNING *") == []


def test_the_login_itself_is_the_operator_whatever_partyreg_is_told(
    city: City, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    b_name = city.ops["district_b"].name
    monkeypatch.setenv("USER", b_name)
    monkeypatch.setenv("LOGNAME", b_name)
    code = run(["--db", city.url("district"), "members", "list", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    import json

    seen = {m["id"] for m in json.loads(out)}
    assert seen and not seen & set(city.members["b"])
    for attempt in (["--as", b_name], []):
        if not attempt:
            monkeypatch.setenv("PARTYREG_OPERATOR", b_name)
        code = run(["--db", city.url("district"), *attempt, "members", "list"])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and "--as" in err
    entries = city.store.audit(support.city(city.store), AuditQuery(action="denied"))
    tried = [e for e in entries if e.actor == city.ops["district"].name]
    assert len(tried) == 2 and all(e.after and e.after["as"] == b_name for e in tried)  # type: ignore[index]


def test_a_superuser_login_is_refused_for_daily_work(
    city: City, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["--db", support.pg_url(city.database), "members", "list"])
    err = capsys.readouterr().err
    assert code == 2 and "超级用户" in err and len(err.strip().splitlines()) == 1


def test_a_disabled_operator_cannot_log_in_at_all(city: City) -> None:
    victim = support.add_operator(city.store, Role.UNIT, city.a.units[1])
    city.ops["victim"] = victim
    with city.connect("victim") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    city.store.operators.save_operator(
        support.city(city.store),
        type(victim.operator)(victim.name, victim.operator.scope, disabled=True),
    )
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        city.connect("victim").close()
