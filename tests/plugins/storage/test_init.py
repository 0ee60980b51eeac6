"""Creating and upgrading a store."""

from __future__ import annotations

import pytest

from partyreg_core import builtin
from partyreg_core.errors import NotFoundError, NotPermittedError
from partyreg_core.posts import Post
from partyreg_plugins.sqlstore import migrate
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support


def test_init_twice_changes_nothing(store: SqlStore) -> None:
    before = {
        t: support.count_rows(store, t) for t in ("org_units", "posts", "operators", "audit_log")
    }
    report = store.initialise(
        os_user=support.OS_USER, org_tree=builtin.code_table(), posts=builtin.city_posts()
    )
    assert not report.changed
    assert report.schema_before == report.schema_after == migrate.head()
    after = {t: support.count_rows(store, t) for t in before}
    assert after == before


def test_init_loads_the_code_table_and_posts_and_makes_a_city_operator(store: SqlStore) -> None:
    tree = store.load_org_tree()
    for unit in builtin.code_table():
        assert tree.get(unit.code).name == unit.name
    assert support.count_rows(store, "posts") >= 15
    city = store.operators.find_operator(support.OS_USER)
    assert city is not None and city.role.value == "city" and not city.disabled


def test_init_by_someone_else_changes_nothing_and_may_not_change_anything(store: SqlStore) -> None:
    report = store.initialise(
        os_user="stranger", org_tree=builtin.code_table(), posts=builtin.city_posts()
    )
    assert not report.changed  # the store is current: nothing to do, nothing refused
    assert store.operators.find_operator("stranger") is None
    with pytest.raises(NotPermittedError, match="市级操作员"):
        store.initialise(
            os_user="stranger",
            org_tree=builtin.code_table(),
            posts=(*builtin.city_posts(), Post("99", "测试岗位")),
        )


def test_a_store_that_was_never_initialised_says_how_to_fix_it(
    backend: str, tmp_path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        missing = SqlStore(f"sqlite:///{tmp_path / 'none.db'}")
    else:
        request.getfixturevalue("pg_database")
        name = support.create_pg_database()
        request.addfinalizer(lambda: support.drop_pg_database(name))
        missing = SqlStore(support.pg_url(name))
    assert not missing.is_ready()
    with pytest.raises(NotFoundError, match="partyreg init"):
        missing.operators.find_operator("x")
    if backend == "sqlite":
        assert not (tmp_path / "none.db").exists()  # looking did not create it


def test_the_migrations_create_exactly_the_schema_of_the_metadata(store: SqlStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from partyreg_plugins.sqlstore.schema import metadata

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
