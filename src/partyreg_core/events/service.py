"""The events service: announce, list, check in, close (decision 0125).

It holds no I/O of its own: the repository, the clock, the acting operator and the checks the
facade already has (the year lock, an activity's own rules) are handed in by the workspace.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, tzinfo

import attrs

from partyreg_core.communities import Community
from partyreg_core.errors import ConflictError
from partyreg_core.events import rules
from partyreg_core.events.model import (
    Attended,
    CheckIn,
    CheckKind,
    Event,
    EventClosing,
    EventStatus,
)
from partyreg_core.events.port import EventRepository
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.members.model import Member, MemberStatus
from partyreg_core.members.rules import serves_in
from partyreg_core.operators.model import Actor
from partyreg_core.records import Rating

#: Tries to draw a code no open event of the community has.
_CODE_TRIES = 20


def new_code() -> str:
    """A fresh six-digit check-in code."""
    return f"{secrets.randbelow(10**rules.CODE_DIGITS):0{rules.CODE_DIGITS}d}"


@attrs.define
class EventService:
    """Community events for one workspace (``ws.events``)."""

    repo: EventRepository
    now: Callable[[], datetime]
    zone: tzinfo
    actor: Callable[[], Actor]
    community: Callable[[str], Community]
    refuse_closed_year: Callable[[int], None]
    check_entries: Callable[[Sequence[ServiceEntry], int | None], None]
    member: Callable[[int], Member]
    code: Callable[[], str] = new_code

    def _local_now(self) -> datetime:
        return self.now().astimezone(self.zone)

    def add(
        self,
        community: str,
        day: date,
        start: time,
        end: time,
        content: str,
        *,
        place: str = "",
    ) -> Event:
        """Announce an event of ``community`` with a fresh check-in code (``event add``);
        refused in a closed year, like every activity write."""
        target = self.community(community)
        event = Event(
            community_id=target.id,
            day=day,
            start=start,
            end=end,
            content=content.strip(),
            place=place.strip(),
            code="",
            community_name=target.label,
        )
        rules.check_event(event)
        self.refuse_closed_year(day.year)
        actor = self.actor()
        for _ in range(_CODE_TRIES):
            try:
                return self.repo.add_event(actor, attrs.evolve(event, code=self.code()))
            except ConflictError as error:
                if error.code != "event.code_taken":
                    raise
        raise ConflictError(
            "event.code_taken", "没能生成不重复的签到码：请先结束本社区已过去的活动再试。"
        )

    def list_events(
        self, community: str | None = None, *, status: EventStatus | None = None
    ) -> list[Event]:
        """Events within scope (``event list``), newest first."""
        community_id = self.community(community).id if community else None
        return self.repo.list_events(self.actor(), community_id=community_id, status=status)

    def get(self, event_id: int) -> Event:
        """One event (``event show``): events hold no personal data, every operator reads
        them; who attended is read within the operator's scope."""
        return self.repo.get_event(event_id)

    def attendance(self, event_id: int) -> list[Attended]:
        """Who checked in at an event, with the hours closing it would credit."""
        event = self.get(event_id)
        return [
            Attended(a.member_id, a.name, rules.attended_hours(event, a, self.zone))
            for a in self.repo.attendance(self.actor(), event_id)
        ]

    def check_in(self, member_id: int, code: str) -> CheckIn:
        """A member enters a code on the members' site: the first entry inside the window
        checks in, the next (after the start) checks out. ``member_id`` comes from the
        signed session, never from what the member typed."""
        wanted = rules.normalise_code(code)
        if not wanted:
            rules.refuse_wrong_code(code)
        actor = self.actor()
        member = self.member(member_id)
        in_work = member.status is not MemberStatus.REGISTERED and serves_in(member)
        events = (
            self.repo.open_events(actor, member.community_id)
            if in_work and member.community_id is not None
            else []
        )
        event = next((e for e in events if e.code == wanted), None)
        if event is None:
            if not in_work:
                rules.refuse_not_member(member.name)
            rules.refuse_wrong_code(code)
        assert event is not None
        self.refuse_closed_year(event.year)  # its activities could never be recorded
        now = self._local_now()
        attended = {a.member_id: a for a in self.repo.attendance(actor, event.id or 0)}
        out = rules.check_kind_at(event, attended.get(member_id), now)
        attendance = self.repo.record_check(actor, member_id, event, now, out=out)
        return CheckIn(event, CheckKind.OUT if out else CheckKind.IN, attendance)

    def open_for_member(self, member_id: int) -> list[Event]:
        """The open events of the member's community today (what the check-in page lists;
        the codes are not part of what a member sees)."""
        member = self.member(member_id)
        if member.community_id is None or member.status is MemberStatus.REGISTERED:
            return []
        today = self._local_now().date()
        return [
            attrs.evolve(e, code="")
            for e in self.repo.open_events(self.actor(), member.community_id)
            if e.day == today
        ]

    def close(self, event_id: int, *, rating: Rating | str = Rating.GOOD) -> EventClosing:
        """Close an event that has ended (``event close``): each member who checked in gets an
        activity of the event's day, content and place, with the hours of the event (or of
        their check-in to check-out); members of the community who did not come are listed.
        Refused in a closed year, like every other activity write; all or nothing."""
        event = self.get(event_id)
        self.refuse_closed_year(event.day.year)
        rules.refuse_early_close(event, self._local_now())
        grade = Rating(rating)
        came = self.repo.attendance(self.actor(), event_id)
        attended = [
            Attended(a.member_id, a.name, rules.attended_hours(event, a, self.zone)) for a in came
        ]
        entries = [
            ServiceEntry(
                member_id=a.member_id,
                day=event.day,
                content=event.content,
                hours=a.hours,
                rating=grade,
                kind="",
                place=event.place,
                participants="",
            )
            for a in attended
        ]
        if entries:
            self.check_entries(entries, event.year)
        closed_on = self._local_now().date()
        ids = self.repo.close_event(self.actor(), event, entries, closed_on)
        present = {a.member_id for a in came}
        no_shows = tuple(
            p
            for p in self.repo.roster(self.actor(), event.community_id)
            if p.member_id not in present
        )
        return EventClosing(
            event=attrs.evolve(event, status=EventStatus.CLOSED, closed_on=closed_on),
            attended=tuple(
                attrs.evolve(a, activity_id=i) for a, i in zip(attended, ids, strict=True)
            ),
            no_shows=no_shows,
        )
