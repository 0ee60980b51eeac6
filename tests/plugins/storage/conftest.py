"""The storage contract suite runs every test against SQLite and against PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One fresh, initialised PostgreSQL store per session (and xdist worker)."""
    reason = support.pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    name = support.create_pg_database()
    store = SqlStore(support.pg_url(name))
    try:
        support.init_store(store)
        store.close()
        yield name
    finally:
        store.close()
        support.drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test."""
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of an initialised store of ``backend`` (SQLite: fresh per test)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        store = SqlStore(url)
        support.init_store(store)
        store.close()
        return url
    name = request.getfixturevalue("pg_database")
    return support.pg_url(name)


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """An initialised store of the backend under test."""
    opened = SqlStore(store_url)
    yield opened
    opened.close()
