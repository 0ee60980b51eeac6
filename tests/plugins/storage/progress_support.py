"""Test-only helpers for the change-of-community and progress tests.

Report-in confirmation is a workflow step of its own; these tests only need members that *are*
reported in, so :func:`report_in` sets ``members.status`` and ``reported_on`` with plain SQL on
the store's engine. It is a fixture for tests, never a way partyreg itself writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from partyreg_plugins.sqlstore.schema import members
from partyreg_plugins.sqlstore.store import SqlStore


def report_in(store: SqlStore, member_ids: Sequence[int], on: date) -> None:
    """Mark members reported in on ``on`` (test fixture: plain SQL, no scope, no audit)."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL search_path = partyreg")
        conn.execute(
            sa.update(members)
            .where(members.c.id.in_(list(member_ids)))
            .values(status="reported_in", reported_on=on)
        )
