"""What the events feature needs from a store: one small repository (decision 0125)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from partyreg_core.events.model import Absentee, Attendance, Event, EventStatus
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.operators.model import Actor


class EventRepository(Protocol):
    """Events, their attendance, and closing them into activities.

    Operators' writes are scoped like a community's needs list (the community's own operators,
    its instructors, its district and the city); check-ins are the members' own, audited as
    ``member:ID`` (the site's actor).
    """

    def add_event(self, actor: Actor, event: Event) -> Event:
        """Record a new event (``event.id`` is ``None``); raise ``ConflictError`` with code
        ``event.code_taken`` when an open event of the community has the same code."""
        ...

    def get_event(self, event_id: int) -> Event:
        """One event (``NotFoundError`` with code ``event.not_found`` otherwise)."""
        ...

    def list_events(
        self, actor: Actor, *, community_id: int | None = None, status: EventStatus | None = None
    ) -> list[Event]:
        """Events (of one community), newest day first; events hold no personal data."""
        ...

    def open_events(self, actor: Actor, community_id: int) -> list[Event]:
        """The open events of a community (for a member's check-in)."""
        ...

    def attendance(self, actor: Actor, event_id: int) -> list[Attendance]:
        """Who checked in at an event, in the order they came (members in ``actor``'s scope)."""
        ...

    def record_check(
        self, actor: Actor, member_id: int, event: Event, at: datetime, *, out: bool
    ) -> Attendance:
        """Record a check-in (or, with ``out``, a check-out) of ``member_id`` at ``at``,
        audited as ``actor`` (on the members' site: ``member:ID``)."""
        ...

    def roster(self, actor: Actor, community_id: int) -> list[Absentee]:
        """The members of a community in current work (who would be expected), by id."""
        ...

    def close_event(
        self, actor: Actor, event: Event, entries: Sequence[ServiceEntry], on: date
    ) -> list[int]:
        """Record ``entries`` as activities and mark the event closed, in one transaction
        (the store's activity rules and the year lock apply); returns the activities' ids."""
        ...
