"""What the SQL store's feature repositories share: the one store core that owns the engine,
the transactions (scoped to the acting operator, as their database role on PostgreSQL), the
audit log and the batches.

A repository (``store.notify``, ``store.routing``, …) is composed into
:class:`~partyreg_plugins.sqlstore.store.SqlStore`, not mixed in: it subclasses
:class:`Repository` and reaches the core only through the thin delegations below, so a method
moved out of the store keeps its body (``self._tx(actor)``, ``self._audit(conn, …)``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.audit import AuditEntry
from partyreg_core.batches import Batch
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgTree

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore


class Repository:
    """A feature repository over one store core (see the module docstring)."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._store.dialect

    @property
    def _sqlite(self) -> bool:
        return self._store._sqlite

    def _date(self, value: date | None) -> Any:
        """A date as the dialect stores it (SQLite: ISO text)."""
        return self._store._date(value)

    def _datetime(self, value: datetime | None) -> Any:
        """A time as the dialect stores it (SQLite: ISO text)."""
        return self._store._datetime(value)

    def _tx(
        self, actor: Actor | None, *, write: bool = False
    ) -> AbstractContextManager[sa.Connection]:
        """One transaction as ``actor`` (``None``: unscoped reads of shared tables)."""
        return self._store._tx(actor, write=write)

    def _audit(
        self, conn: sa.Connection, actor: Actor | None, action: str, subject: str, **kw: Any
    ) -> AuditEntry:
        """One audit entry, in the transaction ``conn``."""
        return self._store._audit(conn, actor, action, subject, **kw)

    def _insert_batch(self, conn: sa.Connection, actor: Actor, batch: Batch, written: int) -> None:
        """Record ``batch`` (with ``written`` rows) in the transaction ``conn``."""
        self._store._insert_batch(conn, actor, batch, written)

    def _batch_written(self, conn: sa.Connection, batch_id: str, written: int) -> None:
        """Set how many rows the batch ``batch_id`` wrote, in the transaction ``conn``."""
        self._store._batch_written(conn, batch_id, written)

    def _tree(self, conn: sa.Connection) -> OrgTree:
        """The org tree as stored, read in the transaction ``conn``."""
        return self._store._tree(conn)

    def _community_index(self, conn: sa.Connection) -> dict[tuple[str, str], int]:
        """The directory's ids by district code and match key."""
        return self._store._community_index(conn)

    def _visible_member(self, conn: sa.Connection, actor: Actor, member_id: int) -> sa.Row[Any]:
        """A member's row within the actor's scope (``member.not_found`` otherwise)."""
        return self._store._visible_member(conn, actor, member_id)
