"""The shipped contract suite (``partyreg_core.testing``) on every backend partyreg has: the
in-memory reference store, SQLite (a fresh file per test) and PostgreSQL (one database per
session, each test in its own district)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest

from partyreg_core.audit import AuditEntry, AuditQuery
from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.members.port import MemberRepository
from partyreg_core.operators.model import Actor, Role
from partyreg_core.operators.port import OperatorRepository
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import Registration
from partyreg_core.testing.harness import ROUTED_ON, District, Harness
from partyreg_core.testing.memory import MemoryHarness
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.conftest import pg_database  # noqa: F401  (the session's database)


class SqlHarness:
    """The contract suite's harness over a :class:`SqlStore` (SQLite or PostgreSQL)."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    @property
    def members(self) -> MemberRepository:
        """The member port."""
        return self.store.members

    @property
    def operators(self) -> OperatorRepository:
        """The operator port."""
        return self.store.operators

    def city(self) -> Actor:
        """The city operator ``init`` made."""
        return support.city(self.store)

    def make_district(self, units: int = 2, communities: int = 2) -> District:
        """A new district, through the org and directory imports."""
        return support.make_district(self.store, units, communities)

    def register(
        self, by: Actor, regs: Sequence[Registration], on: date | None = None
    ) -> list[int]:
        """New members, through the registrations import."""
        result = self.store.write_registrations(by, support.batch(rows=len(regs), on=on), regs)
        assert not result.rejected, result.rejected
        ids = []
        for reg in regs:
            found = self.store.members.list_members(
                self.city(), MemberQuery(name=reg.name, phone=reg.phone)
            )
            ids.append(found.members[0].id)
        return ids

    def route(self, member_ids: Sequence[int], district: District, k: int = 0) -> None:
        """Route members (as the city)."""
        community = district.communities[k].id
        routes = [Route(m, district.code, community) for m in member_ids]
        self.store.route_members(self.city(), routes, ROUTED_ON)

    def add_operator(
        self, role: Role, code: OrgCode | None = None, communities: Sequence[int] = ()
    ) -> Actor:
        """A new operator acting for itself."""
        return support.add_operator(self.store, role, code, communities)

    def audit(self, actor: Actor, query: AuditQuery) -> Iterator[AuditEntry]:
        """The store's audit log within the actor's scope."""
        return self.store.audit(actor, query)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """Each contract test runs once per backend."""
    if request.param == "memory":
        yield MemoryHarness()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        store = SqlStore(url)
        support.init_store(store)
    else:
        store = SqlStore(support.pg_url(request.getfixturevalue("pg_database")))
    try:
        yield SqlHarness(store)
    finally:
        store.close()
