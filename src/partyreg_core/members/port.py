"""What a store provides for members (the member part of :class:`partyreg_core.ports.Store`).

Every method is one transaction within the actor's scope: a member outside it is "not found"
(nothing about them is revealed); each write leaves one audit entry. The bulk write of 附表1
(``write_registrations``) belongs to the imports and stays on the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol

from partyreg_core.members.model import (
    Member,
    MemberCount,
    MemberPage,
    MemberQuery,
    MemberStatus,
)
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import Registration


class MemberRepository(Protocol):
    """Registered members in a store, within the acting operator's scope."""

    def list_members(self, actor: Actor, query: MemberQuery) -> MemberPage:
        """A page of the members matching ``query`` within the actor's scope."""
        ...

    def iter_members(self, actor: Actor, query: MemberQuery) -> Iterator[Member]:
        """Every member matching ``query`` within the scope, streamed (for complete output)."""
        ...

    def count_members(self, actor: Actor, query: MemberQuery, depth: int) -> list[MemberCount]:
        """How many members matching ``query`` within the scope have each status, by unit
        code cut to ``depth`` segments (2: by aggregator, 3: by the units under them), in
        code order; ``offset``/``limit`` of the query are ignored. One query, not one per
        unit: the dashboard's progress bars over 100,000 members."""
        ...

    def count_members_by_community(
        self, actor: Actor, query: MemberQuery
    ) -> list[tuple[int, MemberStatus, int]]:
        """How many members matching ``query`` within the scope have each status, by the
        community they were routed to (``(community id, status, count)`` in id order; members
        without a community are left out; ``offset``/``limit`` ignored). One grouped query:
        the 报到 screen's counts over 100,000 members."""
        ...

    def count_members_on(
        self, actor: Actor, day: date, depth: int, under: OrgCode | None = None
    ) -> list[MemberCount]:
        """Members as they stood on ``day`` (registered, not yet left), by status that day and
        by the unit code they had that day cut to ``depth`` segments, within the scope."""
        ...

    def get_member(self, actor: Actor, member_id: int) -> Member:
        """One member; :class:`NotFoundError` if there is none within the scope."""
        ...

    def update_member(self, actor: Actor, member_id: int, registration: Registration) -> Member:
        """Change a member's fields of 附表1 (audited with before and after)."""
        ...

    def remove_member(self, actor: Actor, member_id: int, reason: str) -> Member:
        """Remove a member nothing has been built on yet (no route, activity or sheet)."""
        ...

    def transfer_member(
        self, actor: Actor, member_id: int, to: OrgCode, on: date, reason: str, today: date
    ) -> Member:
        """Move a member to unit ``to`` from ``on`` (the old unit's scope decides; audited)."""
        ...

    def retire_member(
        self, actor: Actor, member_id: int, on: date, reason: str, stay: bool, today: date
    ) -> Member:
        """Record a retirement; without ``stay`` the member also leaves that day (audited)."""
        ...

    def leave_member(
        self, actor: Actor, member_id: int, on: date, reason: str, today: date
    ) -> Member:
        """Record that a member left on ``on`` (audited)."""
        ...
