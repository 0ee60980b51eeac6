"""The server store: ``postgresql://user@host:port/database`` (psycopg 3, row-level security)."""

from __future__ import annotations

from collections.abc import Callable

from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import Store, StoreOpener


def open_store(url: str) -> Store:
    """Open (without connecting) the PostgreSQL store at ``url``."""
    from partyreg_plugins.sqlstore.store import SqlStore  # sqlalchemy: on first open (0161)

    return SqlStore(url)


@hookimpl
def partyreg_register_storage(register: Callable[[str, StoreOpener], None]) -> None:
    """Serve ``postgresql:`` (and ``postgres:``) URLs."""
    register("postgresql", open_store)
    register("postgres", open_store)
