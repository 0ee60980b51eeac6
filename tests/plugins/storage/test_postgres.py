"""What only the PostgreSQL store has: database roles, row-level security, COPY, the server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import psycopg
import pytest

from partyreg_core.batches import BatchKind
from partyreg_core.errors import NotPermittedError, TemporaryError, ValidationError
from partyreg_core.hours import RollupKey
from partyreg_core.members.model import MemberQuery
from partyreg_core.operators.model import Role
from partyreg_plugins.sqlstore import pg
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import activity, batch, make_district, registration

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[SqlStore]:
    """The session's PostgreSQL store."""
    store = SqlStore(support.pg_url(pg_database))
    yield store
    store.close()


@contextmanager
def as_role(store: SqlStore, role: str) -> Iterator[Any]:
    """A plain connection that has become ``role`` (what a psql session of it would do)."""
    with support.raw_sql(store) as conn:
        conn.execute(f'SET ROLE "{role}"')
        yield conn


def _two_districts(store: SqlStore):  # type: ignore[no-untyped-def]
    a, b = make_district(store), make_district(store)
    city = support.city(store)
    ids_a = support.register(
        store, city, [registration(a.units[0], a.communities[0]) for _ in range(3)]
    )
    ids_b = support.register(
        store, city, [registration(b.units[0], b.communities[0]) for _ in range(2)]
    )
    return a, b, ids_a, ids_b


def test_a_districts_database_role_cannot_read_another_districts_members(
    pg_store: SqlStore,
) -> None:
    a, b, ids_a, ids_b = _two_districts(pg_store)
    district_a = support.add_operator(pg_store, Role.DISTRICT, a.code)
    role = district_a.operator.db_role
    assert role is not None
    with as_role(pg_store, role) as conn:
        seen = {r[0] for r in conn.execute("SELECT id FROM partyreg.members")}
        assert set(ids_a) <= seen and not set(ids_b) & seen
        assert (
            conn.execute(
                "SELECT count(*) FROM partyreg.claims WHERE member_id = ANY(%s)", (ids_b,)
            ).fetchone()[0]
            == 0
        )
        updated = conn.execute(
            "UPDATE partyreg.members SET rank = 'x' WHERE id = ANY(%s)", (ids_b,)
        ).rowcount
        assert updated == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # row-level security
            conn.execute(
                "INSERT INTO partyreg.members (unit_code, name, phone, gender, unit_and_title,"
                " community_district, community_street, community_name, report_type)"
                " VALUES (%s, '越界', '13000000000', '男', 'x', 'x', 'x', 'x', '居住地')",
                (str(b.units[0]),),
            )


def test_a_district_role_with_its_own_login_is_held_by_the_same_policies(
    pg_store: SqlStore,
) -> None:
    a, _b, ids_a, ids_b = _two_districts(pg_store)
    district_a = support.add_operator(pg_store, Role.DISTRICT, a.code)
    role = district_a.operator.db_role
    with support.raw_sql(pg_store) as admin:
        admin.execute(f'ALTER ROLE "{role}" LOGIN')
    dsn = support.pg_url(pg_store.engine.url.database).replace("postgres@", f"{role}@", 1)
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # the server's pg_hba refuses: say so, don't pass
        pytest.skip(f"the test server does not let {role} log in: {exc}")
    with conn:
        seen = {r[0] for r in conn.execute("SELECT id FROM partyreg.members")}
        assert set(ids_a) <= seen and not set(ids_b) & seen
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("RESET ROLE; SET ROLE postgres")


def test_an_operator_role_cannot_raise_its_own_scope_or_forge_the_audit_log(
    pg_store: SqlStore,
) -> None:
    a = make_district(pg_store)
    unit = support.add_operator(pg_store, Role.UNIT, a.units[0])
    with as_role(pg_store, unit.operator.db_role or "") as conn:
        raised = conn.execute("UPDATE partyreg.operators SET role = 'city', scope_code = NULL")
        assert raised.rowcount == 0  # the policy lets no row through
    assert support.actor(pg_store, unit.name).scope == unit.scope
    refused = (
        "INSERT INTO partyreg.audit_log (at, actor, action, subject)"
        " VALUES (now(), 'somebody else', 'x', 'x')",
        "DELETE FROM partyreg.audit_log",
        "ALTER TABLE partyreg.members DISABLE ROW LEVEL SECURITY",
    )
    for statement in refused:
        with (
            as_role(pg_store, unit.operator.db_role or "") as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)


def test_partyreg_acts_through_roles_that_neither_own_the_tables_nor_bypass_security(
    pg_store: SqlStore,
) -> None:
    roles = pg.Roles(pg_store.engine.url.database or "")
    with support.raw_sql(pg_store) as conn:
        owners = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'partyreg'"
            )
        }
        assert owners == {roles.owner}
        rows = conn.execute(
            "SELECT rolname, rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname LIKE %s",
            (roles.prefix + "%",),
        ).fetchall()
        assert {r[0] for r in rows} >= {roles.owner, roles.app}
        assert not any(r[1] or r[2] for r in rows)
        unsecured = conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'partyreg' AND relname = ANY(%s) AND NOT relrowsecurity",
            (["members", "activities", "claims", "audit_log", "operators"],),
        ).fetchall()
        assert unsecured == []


def test_the_store_refuses_to_run_with_row_level_security_off(pg_store: SqlStore) -> None:
    d = make_district(pg_store)
    unit = support.add_operator(pg_store, Role.UNIT, d.units[0])
    with support.raw_sql(pg_store) as admin:
        admin.execute("ALTER TABLE partyreg.members DISABLE ROW LEVEL SECURITY")
    try:
        fresh = SqlStore(pg_store.url)
        with pytest.raises(NotPermittedError, match="行级安全") as caught:
            fresh.members.list_members(unit, MemberQuery())
        assert caught.value.code == "store.rls_off"
        fresh.close()
    finally:
        with support.raw_sql(pg_store) as admin:
            admin.execute("ALTER TABLE partyreg.members ENABLE ROW LEVEL SECURITY")


def test_bulk_loads_go_through_copy_and_a_staging_table(
    pg_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    original = psycopg.Cursor.copy

    def spy(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(statement))
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", spy)
    d = make_district(pg_store)
    city = support.city(pg_store)
    regs = [registration(d.units[0], d.communities[0]) for _ in range(50)]
    ids = support.register(pg_store, city, regs)
    support.route(pg_store, ids, d)
    rows = [activity(r.person_key, support.date(2301, 1, 1)) for r in regs]
    assert pg_store.write_activities(city, batch(BatchKind.ACTIVITIES, 50), rows).written == 50
    assert any("COPY stage_members" in s for s in statements)
    assert any("COPY stage_activities" in s for s in statements)


def test_an_unreachable_server_says_try_again() -> None:
    store = SqlStore("postgresql://postgres@127.0.0.1:1/partyreg")
    with pytest.raises(TemporaryError, match="重试") as caught:
        store.operators.find_operator("x")
    assert caught.value.exit_code == 3


def test_a_missing_database_says_how_to_create_it(pg_database: str) -> None:
    store = SqlStore(support.pg_url("partyreg_no_such_database"))
    with pytest.raises(ValidationError, match="createdb"):
        store.operators.find_operator("x")


def test_a_clean_batch_takes_the_direct_path_and_anything_else_the_checked_one(
    pg_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import partyreg_plugins.sqlstore.store as store_module

    store = pg_store

    calls: list[int] = []
    direct = store_module.insert_activities_joined

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(args[1]))
        return direct(*args, **kwargs)

    monkeypatch.setattr(store_module, "insert_activities_joined", counting)
    d = make_district(store)
    regs = [registration(d.units[0], d.communities[0]) for _ in range(3)]
    support.route(store, support.register(store, support.city(store), regs), d)
    city = support.city(store)
    rows = [activity(r.person_key, date(2107, 4, 1)) for r in regs]
    first = store.write_activities(city, batch(BatchKind.ACTIVITIES, 3), rows)
    assert (first.written, first.duplicates, calls) == (3, 0, [3])
    # a re-import: the direct insert is not even tried, the checked path counts duplicates
    again = store.write_activities(city, batch(BatchKind.ACTIVITIES, 3), rows)
    assert (again.written, again.duplicates, calls) == (0, 3, [3])
    # a row the join does not take: tried, rolled back, judged row by row
    stranger = activity(("查无此人", "13900000001"), date(2107, 5, 1))
    mixed = [activity(regs[0].person_key, date(2107, 5, 1)), stranger]
    result = store.write_activities(city, batch(BatchKind.ACTIVITIES, 2), mixed)
    assert calls == [3, 2] and [r.code for r in result.rejected] == ["activity.member_unknown"]
    assert result.written == 0
    assert [t.activities for t in store.activity_totals(city, RollupKey.MEMBER, year=2107)] == [
        1,
        1,
        1,
    ]
