"""What only the embedded SQLite store has: its file, WAL, and the busy "try again"."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from partyreg_core.errors import NotFoundError, TemporaryError, ValidationError
from partyreg_core.members.model import MemberQuery
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import batch, make_district, registration


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_store_file_is_for_its_owner_and_group_only(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        store = SqlStore(f"sqlite:///{tmp_path / 'p.db'}")
        support.init_store(store)
    finally:
        os.umask(old)
    assert (tmp_path / "p.db").stat().st_mode & 0o777 == 0o640
    store.close()


def test_the_store_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'w.db'}")
    support.init_store(store)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    store.close()


def test_a_busy_store_says_try_again(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    support.init_store(SqlStore(f"sqlite:///{path}"))
    store = SqlStore(f"sqlite:///{path}?timeout=0.2")
    d = make_district(store)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another operator in the middle of a write
    try:
        with pytest.raises(TemporaryError, match="请稍后重试") as caught:
            store.write_registrations(
                support.city(store), batch(rows=1), [registration(d.units[0], d.communities[0])]
            )
        assert caught.value.exit_code == 3
        # readers are not blocked by a writer (WAL)
        assert store.members.list_members(support.city(store), MemberQuery()).total == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    result = store.write_registrations(
        support.city(store), batch(rows=1), [registration(d.units[0], d.communities[0])]
    )
    assert result.written == 1
    store.close()


def test_unusable_files_and_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="文件夹"):
        support.init_store(SqlStore(f"sqlite:///{tmp_path / 'no' / 'such.db'}"))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all, just text" * 100)
    with pytest.raises(ValidationError, match="不是可用的 partyreg 存储"):
        SqlStore(f"sqlite:///{junk}").operators.find_operator("x")
    with pytest.raises(NotFoundError, match="partyreg init"):
        SqlStore(f"sqlite:///{tmp_path / 'missing.db'}").operators.find_operator("x")
    with pytest.raises(ValidationError, match="sqlite:///"):
        SqlStore("sqlite://")
