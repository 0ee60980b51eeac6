"""What a backend gives the contract suite: its ports, and the set-up the tests arrange with.

The contract tests call a port only through :class:`Harness`, so one test runs on every
backend; the set-up steps (districts, registrations, routes, operators) go through the
backend's own write paths, which belong to other ports (imports, org, routing).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, Protocol

import attrs

from partyreg_core.audit import AuditEntry, AuditQuery
from partyreg_core.communities import Community
from partyreg_core.members.port import MemberRepository
from partyreg_core.operators.model import Actor, Role
from partyreg_core.operators.port import OperatorRepository
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, Gender, Registration

#: The city's code (the root of the built-in code table).
CITY = OrgCode(("008",))
#: The OS user the harness's city operator belongs to.
OS_USER = "tester"
#: The day the suite routes members on (before any test's "today").
ROUTED_ON = date(2024, 9, 5)


@attrs.frozen
class District:
    """A district made for one test: its code and name, its units, its communities."""

    code: OrgCode
    name: str
    units: tuple[OrgCode, ...]
    communities: tuple[Community, ...]

    @property
    def short_name(self) -> str:
        """The 县区 name registrations and 附表4 use (``测5区``)."""
        return self.name.removesuffix("委")


class Harness(Protocol):
    """A store under test, as the contract suite sees it.

    Tests share a store (on PostgreSQL, one database per session), so each works in a
    namespace of its own: a fresh district (:meth:`make_district`) and fresh people
    (:func:`person`).
    """

    @property
    def members(self) -> MemberRepository:
        """The member port (``Store`` itself today, ``store.members`` once composed)."""
        ...

    @property
    def operators(self) -> OperatorRepository:
        """The operator port."""
        ...

    def city(self) -> Actor:
        """The city operator the store was initialised with (OS user :data:`OS_USER`)."""
        ...

    def make_district(self, units: int = 2, communities: int = 2) -> District:
        """A new district under the city with ``units`` units and ``communities``
        communities in the directory."""
        ...

    def register(
        self, by: Actor, regs: Sequence[Registration], on: date | None = None
    ) -> list[int]:
        """Write new registrations (registered on ``on``) and return the members' ids."""
        ...

    def route(self, member_ids: Sequence[int], district: District, k: int = 0) -> None:
        """Route members to ``district``'s ``k``-th community on :data:`ROUTED_ON`."""
        ...

    def add_operator(
        self, role: Role, code: OrgCode | None = None, communities: Sequence[int] = ()
    ) -> Actor:
        """A new operator with that scope, acting for itself."""
        ...

    def audit(self, actor: Actor, query: AuditQuery) -> Iterator[AuditEntry]:
        """Audit entries within the actor's scope (how the suite checks what a write left)."""
        ...


_numbers = itertools.count(random.randrange(10_000_000))
_names = itertools.count(1)


def person() -> tuple[str, str]:
    """A fresh (name, mobile)."""
    n = next(_numbers)
    return f"测试{n}", f"139{n % 100_000_000:08d}"


def operator_name() -> str:
    """A fresh operator account name."""
    return f"op{next(_names)}"


def district_name(code: OrgCode) -> str:
    """A fresh district name for ``code`` (``测0121区委``)."""
    return f"测{code.segments[-1]}{next(_names)}区委"


def registration(
    unit: OrgCode,
    community: Community | CommunityRef,
    who: tuple[str, str] | None = None,
    **changes: Any,
) -> Registration:
    """A registration of ``who`` (default a fresh person) by ``unit``, reporting in at
    ``community``."""
    name, phone = who or person()
    ref = community.ref if isinstance(community, Community) else community
    reg = Registration(
        unit_code=unit,
        name=name,
        gender=Gender.FEMALE,
        unit_and_title="市民政局 科员",
        posts=("3", "8"),
        phone=phone,
        community=ref,
        specialty="医生",
        address="北京路12号3栋201室",
    )
    return attrs.evolve(reg, **changes)
