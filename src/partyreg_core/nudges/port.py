"""What a store provides for nudges (``Store.nudges``): the facts of a day, what was already
queued, and members' opt-outs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from partyreg_core.nudges.model import (
    CommunityFacts,
    EventTomorrow,
    IdleMember,
    NeedTomorrow,
    UnclaimedWish,
)
from partyreg_core.operators.model import Actor


class NudgeRepository(Protocol):
    """The facts nudges are made of, within the actor's scope."""

    def needs_starting(self, actor: Actor, day: date) -> list[NeedTomorrow]:
        """Members assigned to a post whose need in their community starts on ``day``."""
        ...

    def events_starting(self, actor: Actor, day: date) -> list[EventTomorrow]:
        """Members serving in a community whose open event is on ``day``."""
        ...

    def idle_members(self, actor: Actor, on: date, days: int) -> list[IdleMember]:
        """Members serving in a community with no confirmed service in the ``days`` before
        ``on`` (and routed at least that long ago)."""
        ...

    def unclaimed_wishes(self, actor: Actor, on: date, days: int) -> list[UnclaimedWish]:
        """Open wishes received ``days`` or more days before ``on``."""
        ...

    def community_facts(
        self, actor: Actor, on: date, *, idle_days: int, year: int
    ) -> list[CommunityFacts]:
        """What each community within scope has waiting on ``on``."""
        ...

    def queued_nudges(
        self, actor: Actor, start: datetime, end: datetime
    ) -> dict[str, list[tuple[str, str]]]:
        """Per target, the (event, subject) of the nudges queued between ``start`` and
        ``end``."""
        ...

    def optouts(self, actor: Actor, member_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        """The kinds each of ``member_ids`` opted out of (``*``: all)."""
        ...

    def set_optout(
        self, actor: Actor, member_id: int, kinds: frozenset[str] | None, on: date
    ) -> None:
        """Record a member's opt-out (``None``: opt back in to everything); audited."""
        ...
