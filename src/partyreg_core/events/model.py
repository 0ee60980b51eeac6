"""The values of community events: the event, one member's attendance, and what closing did."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import attrs


class EventStatus(StrEnum):
    """An event takes check-ins while open; closing it records the activities."""

    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The status as an operator reads it."""
        return {"open": "进行中", "closed": "已结束"}[self.value]


@attrs.frozen
class Event:
    """A community event on one day from ``start`` to ``end`` (local time, Asia/Shanghai);
    ``code`` is the six-digit check-in code shown to the members present."""

    community_id: int
    day: date
    start: time
    end: time
    content: str
    code: str
    place: str = ""
    status: EventStatus = EventStatus.OPEN
    id: int | None = None
    created_by: str = ""
    closed_on: date | None = None
    community_name: str = ""

    @property
    def year(self) -> int:
        """The campaign year the event's activities count for."""
        return self.day.year

    @property
    def window(self) -> str:
        """The day and time as printed: ``2014-10-12 09:00–11:30``."""
        return f"{self.day.isoformat()} {self.start:%H:%M}–{self.end:%H:%M}"


@attrs.frozen
class Attendance:
    """One member at an event: when they checked in, and out (when they did)."""

    event_id: int
    member_id: int
    checked_in_at: datetime
    checked_out_at: datetime | None = None
    name: str = ""


class CheckKind(StrEnum):
    """What entering the code did."""

    IN = "in"
    OUT = "out"


@attrs.frozen
class CheckIn:
    """The outcome of a member entering a code: the event, in or out, and their attendance."""

    event: Event
    kind: CheckKind
    attendance: Attendance


@attrs.frozen
class Absentee:
    """A member of the community, in current work, who did not check in."""

    member_id: int
    name: str


@attrs.frozen
class Attended:
    """A member who checked in, with the hours credited and the activity recorded."""

    member_id: int
    name: str
    hours: float
    activity_id: int | None = None


@attrs.frozen
class EventClosing:
    """What closing an event did: the activities recorded, and who did not come."""

    event: Event
    attended: tuple[Attended, ...]
    no_shows: tuple[Absentee, ...]
