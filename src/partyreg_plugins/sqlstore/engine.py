"""Engines for the two dialects, and the translation of driver errors into partyreg's errors.

SQLite: WAL, a busy timeout, foreign keys on, ``synchronous=FULL`` (a committed import survives
a power cut), and partyreg — not the sqlite3 module — emits ``BEGIN``: ``BEGIN IMMEDIATE`` for
writes, so two writers queue on the busy timeout instead of failing on a lock upgrade, and
SELECTs inside a transaction see one snapshot.

PostgreSQL: psycopg 3, tables in the ``partyreg`` schema (``search_path``), a short connect
timeout so that an unreachable server is reported promptly.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url

from partyreg_core.errors import (
    NotPermittedError,
    PartyregError,
    TemporaryError,
    ValidationError,
)

PG_SCHEMA = "partyreg"
#: Milliseconds a SQLite writer waits for another one before giving up with "try again".
DEFAULT_BUSY_MS = int(os.environ.get("PARTYREG_BUSY_TIMEOUT_MS", "10000"))
#: Connection option marking a transaction that will write (SQLite: ``BEGIN IMMEDIATE``).
WRITE_OPTION = "partyreg_write"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for a partyreg store URL; refuse a malformed one naming the fix."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ValidationError(
            "store.url",
            f"存储地址“{url}”格式不对：应为 sqlite:///文件路径 或 postgresql://用户@主机:端口/数据库。",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValidationError(
                "store.url", f"存储地址“{url}”没有文件名：请写成 sqlite:///partyreg.db。"
            )
        return parsed
    if backend in ("postgresql", "postgres"):
        if not parsed.database:
            raise ValidationError(
                "store.url", f"存储地址“{url}”没有数据库名：请写成 postgresql://用户@主机/数据库。"
            )
        return parsed.set(drivername="postgresql+psycopg")
    raise ValidationError(
        "store.url", f"不支持的存储地址“{url}”：请使用 sqlite:///… 或 postgresql://…。"
    )


def sqlite_path(url: URL) -> Path:
    """The file of a SQLite store URL."""
    return Path(url.database or "")


def make_engine(url: URL, *, busy_ms: int = DEFAULT_BUSY_MS) -> Engine:
    """An engine for ``url`` (see :func:`parse_url`) with partyreg's connection settings."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_ms)
    return _postgres_engine(url)


SQLITE_CACHE_KIB = 32 * 1024
"""SQLite's page cache per connection, in KiB (an upper bound: pages are taken as used)."""


def _sqlite_engine(url: URL, busy_ms: int) -> Engine:
    timeout = float(url.query.get("timeout", busy_ms / 1000))  # type: ignore[arg-type]
    engine = sa.create_engine(
        url.set(query={}), connect_args={"timeout": timeout, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # partyreg emits BEGIN itself (see _on_begin); sqlite3's own would come too late
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        # A bulk load's inserts touch index pages all over the members' and activities'
        # B-trees; the default 2 MB cache evicts (and spills dirty pages of) the open
        # transaction. Measured before changing it: decision 0155.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    return sa.create_engine(
        url,
        connect_args={
            "options": f"-c search_path={PG_SCHEMA}",
            "connect_timeout": 5,
            "application_name": "partyreg",
        },
        pool_pre_ping=True,
    )


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True).replace("+psycopg", "")


@contextmanager
def translated_errors(url: URL) -> Iterator[None]:
    """Turn driver errors into partyreg errors naming the fix: busy or unreachable stores into
    :class:`TemporaryError` (exit 3, "try again"), refused privileges into
    :class:`NotPermittedError`, unusable files or addresses into :class:`ValidationError`."""
    try:
        yield
    except PartyregError:
        raise
    except sa.exc.DBAPIError as exc:
        raise _translate(url, exc) from exc
    except sqlite3.Error as exc:  # raised by raw driver calls outside SQLAlchemy
        raise _translate(url, sa.exc.DBAPIError(None, None, exc)) from exc


def _translate(url: URL, exc: sa.exc.DBAPIError) -> PartyregError:
    orig = exc.orig
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    where = _describe(url)
    if isinstance(orig, sqlite3.Error):
        lowered = text.lower()
        if "locked" in lowered or "busy" in lowered:
            return TemporaryError(
                "store.busy", f"存储 {where} 正忙（另一位操作员正在写入）：请稍后重试。"
            )
        if "readonly" in lowered or "read-only" in lowered:
            return NotPermittedError(
                "store.readonly",
                f"没有写入存储 {where} 的权限：请让管理员把你加入存储文件所属的用户组。",
            )
        if "unable to open" in lowered:
            return ValidationError(
                "store.open", f"无法打开存储 {where}：请检查路径是否存在、是否有读写权限。"
            )
        if "not a database" in lowered or "malformed" in lowered:
            return ValidationError(
                "store.corrupt", f"{where} 不是可用的 partyreg 存储：请检查 --db 指向的文件。"
            )
        if "append-only" in lowered:
            return NotPermittedError("audit.append_only", "审计日志只能追加，不能修改或删除。")
        return ValidationError("store.error", f"存储 {where} 出错：{text}。")
    import psycopg  # only needed once a PostgreSQL error is in hand
    from psycopg import errors as pg

    if isinstance(orig, pg.InvalidCatalogName) or (
        isinstance(orig, psycopg.OperationalError)
        and "database" in text
        and "does not exist" in text
    ):
        return ValidationError(
            "store.no_database",
            f"PostgreSQL 数据库不存在（{where}）：请先创建数据库（createdb），再运行 partyreg init。",
        )
    if isinstance(orig, pg.InvalidAuthorizationSpecification | pg.InvalidPassword) or (
        _login_refused(orig, text)
    ):
        said = text.split("FATAL:", 1)[-1].strip()[:200]
        return NotPermittedError(
            "store.login",
            f"PostgreSQL 服务器拒绝了登录（{where}；服务器说：{said}）：请检查 --db 中的用户名"
            "（须是 partyreg 操作员的数据库角色）和密码，或请管理员检查 pg_hba.conf。",
        )
    if isinstance(
        orig,
        pg.SerializationFailure
        | pg.DeadlockDetected
        | pg.LockNotAvailable
        | pg.QueryCanceled
        | pg.AdminShutdown
        | pg.CannotConnectNow
        | pg.TooManyConnections,
    ):
        return TemporaryError("store.busy", f"PostgreSQL 存储正忙（{where}）：请稍后重试。")
    if isinstance(orig, pg.InsufficientPrivilege):
        return NotPermittedError(
            "store.denied",
            f"数据库拒绝了该操作（权限不足）：{text}。请联系市级操作员或数据库管理员。",
        )
    if isinstance(orig, pg.RaiseException) and "append-only" in text:
        return NotPermittedError("audit.append_only", "审计日志只能追加，不能修改或删除。")
    if isinstance(orig, psycopg.OperationalError):
        return TemporaryError(
            "store.unreachable",
            f"无法连接 PostgreSQL 服务器（{where}）：请确认服务器已启动、地址和端口正确后重试。",
        )
    return ValidationError("store.error", f"PostgreSQL 存储出错：{text}。")


# what a server that is up says at connect time when it is only busy: try again (exit 3)
_SERVER_BUSY = ("starting up", "shutting down", "in recovery", "too many", "connection slots")


def _login_refused(orig: BaseException, text: str) -> bool:
    """A connection the server answered and refused (an unknown role, a failed password, peer
    or certificate check, no pg_hba.conf line): the login is wrong, retrying will not help."""
    import psycopg

    if not isinstance(orig, psycopg.OperationalError) or "FATAL:" not in text:
        return False
    return not any(word in text for word in _SERVER_BUSY)
