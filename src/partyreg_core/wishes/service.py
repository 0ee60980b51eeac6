"""What the facade offers for residents' wishes (``ws.wishes``): add, import, list, claim,
done, rate, cancel, record as an activity, and the counts.

The service masks the resident's name and phone for every scope but the community itself
(decision 0130) and emits each step as an event (``wish.*``) for the audit-side listeners and
the notifications.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from partyreg_core.communities import Community
from partyreg_core.errors import ValidationError
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.masking import mask_phone
from partyreg_core.operators.model import Actor, Role
from partyreg_core.records import Rating
from partyreg_core.wishes.model import NewWish, Wish, WishQuery, WishStatus, WishTally
from partyreg_core.wishes.port import WishRepository
from partyreg_core.wishes.rules import (
    check_new_wish,
    check_note,
    check_step,
    check_step_day,
    parse_verdict,
)

#: What the service reports to the facade: event, subject, before, after.
Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


def mask_resident_name(name: str) -> str:
    """A resident's name as a supervisor sees it: the first character and ``*`` for the rest
    (``王大妈`` → ``王**``)."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def sees_residents(actor: Actor, community_id: int) -> bool:
    """Whether the actor sees a resident's name and phone in full: only the community's own
    operators (decision 0130)."""
    scope = actor.scope
    return scope.role is Role.COMMUNITY and community_id in scope.communities


def masked_for(actor: Actor, wish: Wish) -> Wish:
    """``wish`` as ``actor`` may see it."""
    if wish.erased or sees_residents(actor, wish.community_id):
        return wish
    return attrs.evolve(
        wish,
        resident_name=mask_resident_name(wish.resident_name),
        resident_phone=mask_phone(wish.resident_phone) if wish.resident_phone else "",
        masked=bool(wish.resident_name or wish.resident_phone),
    )


@attrs.define
class WishService:
    """Residents' wishes for one acting operator.

    :param repository: the store's wishes (:class:`~partyreg_core.wishes.port.WishRepository`).
    :param actor: who is acting (asked when needed: the facade resolves it lazily).
    :param today: today's date in Asia/Shanghai.
    :param community: a community by ``县区/街道/社区`` or id, within scope.
    :param post: the post code a text names for a community's district.
    :param check_entries: the facade's checks of an activity (closed years, kinds, dates).
    :param changed: reports each step (audit-side events, notifications).
    """

    repository: WishRepository
    actor: Callable[[], Actor]
    today: Callable[[], date]
    community: Callable[[str], Community]
    post: Callable[[Community, str], str]
    check_entries: Callable[[Sequence[ServiceEntry], int | None], None]
    changed: Changed

    def add(
        self,
        community: str,
        title: str,
        *,
        resident: str = "",
        phone: str = "",
        post: str = "",
        due: date | None = None,
        received_on: date | None = None,
        source: str = "",
    ) -> Wish:
        """Record a resident's wish for a community (its own operators, its instructors, its
        district or the city)."""
        place = self.community(community)
        wish = check_new_wish(
            NewWish(
                community_id=place.id,
                title=title,
                received_on=received_on or self.today(),
                resident_name=resident,
                resident_phone=phone,
                post_code=self.post(place, post) if post.strip() else "",
                due=due,
                source=source,
            ),
            today=self.today(),
        )
        (wish_id,) = self.repository.add(self.actor(), [wish])
        self.changed("wish.add", f"wish:{wish_id}", None, _event(wish, place))
        return self.get(wish_id)

    def get(self, wish_id: int) -> Wish:
        """One wish within scope, masked as the role requires."""
        actor = self.actor()
        return masked_for(actor, self.repository.get(actor, wish_id))

    def find(
        self,
        *,
        community: str | None = None,
        statuses: Sequence[WishStatus | str] = (),
        year: int | None = None,
        member_id: int | None = None,
    ) -> list[Wish]:
        """Wishes within scope, newest first, masked as the role requires."""
        actor = self.actor()
        query = WishQuery(
            community_id=self.community(community).id if community else None,
            statuses=tuple(_status(s) for s in statuses),
            year=year,
            member_id=member_id,
        )
        return [masked_for(actor, w) for w in self.repository.find(actor, query)]

    def claim(self, wish_id: int, member_id: int, *, on: date | None = None) -> Wish:
        """A member claims the wish (recorded by the community for the member)."""
        actor = self.actor()
        day = on or self.today()
        current = self.repository.get(actor, wish_id)
        check_step(current, "claim")
        check_step_day(current, day, "claim")
        wish = self.repository.claim(actor, wish_id, member_id, day)
        self.changed(
            "wish.claim",
            f"wish:{wish_id}",
            None,
            {"member_id": member_id, "community_id": wish.community_id, "on": day.isoformat()},
        )
        return masked_for(actor, wish)

    def done(self, wish_id: int, note: str, *, on: date | None = None) -> Wish:
        """The member did it: the note says what was done."""
        actor = self.actor()
        day = on or self.today()
        text = check_note(note, field="完成情况", code="wish.note", required=True)
        current = self.repository.get(actor, wish_id)
        check_step(current, "done")
        check_step_day(current, day, "done")
        wish = self.repository.done(actor, wish_id, text, day)
        self.changed(
            "wish.done",
            f"wish:{wish_id}",
            None,
            {"member_id": wish.member_id, "note": text, "on": day.isoformat()},
        )
        return masked_for(actor, wish)

    def rate(self, wish_id: int, rating: str, *, comment: str = "", on: date | None = None) -> Wish:
        """The resident's verdict (满意, 基本满意, 不满意), recorded by the community."""
        actor = self.actor()
        day = on or self.today()
        verdict = parse_verdict(rating)
        text = check_note(comment, field="评价意见", code="wish.comment", required=False)
        current = self.repository.get(actor, wish_id)
        check_step(current, "rate")
        check_step_day(current, day, "rate")
        wish = self.repository.rate(actor, wish_id, verdict, text, day)
        self.changed(
            "wish.rate",
            f"wish:{wish_id}",
            None,
            {"rating": verdict.value, "comment": text, "on": day.isoformat()},
        )
        return masked_for(actor, wish)

    def cancel(self, wish_id: int, reason: str, *, on: date | None = None) -> Wish:
        """Cancel an open or claimed wish (the reason is required)."""
        actor = self.actor()
        day = on or self.today()
        text = check_note(reason, field="取消原因", code="wish.reason", required=True)
        current = self.repository.get(actor, wish_id)
        check_step(current, "cancel")
        check_step_day(current, day, "cancel")
        wish = self.repository.cancel(actor, wish_id, text, day)
        self.changed(
            "wish.cancel",
            f"wish:{wish_id}",
            {"status": current.status.value},
            {"reason": text, "on": day.isoformat()},
        )
        return masked_for(actor, wish)

    def record_activity(
        self,
        wish_id: int,
        hours: float,
        *,
        content: str = "",
        day: date | None = None,
        rating: Rating | str = Rating.EXCELLENT,
        kind: str = "",
        year: int | None = None,
    ) -> int:
        """Record a done wish as an activity of the member who did it (one command): the
        activity goes through the same checks and the same store path as ``activity add``
        (closed years, the confirmed sheet, 24 hours a day, members who left). The content
        defaults to the wish; the date to the day it was done. Returns the activity's id."""
        actor = self.actor()
        current = self.repository.get(actor, wish_id)
        check_step(current, "record")
        assert current.member_id is not None and current.done_on is not None
        text = content.strip() or f"微心愿：{current.title}"
        entry = ServiceEntry(
            member_id=current.member_id,
            day=day or current.done_on,
            content=text[:200],
            hours=hours,
            rating=Rating(rating),
            kind=kind.strip(),
            place=current.community.rsplit("/", 1)[-1],
        )
        self.check_entries([entry], year or entry.day.year)
        activity_id = self.repository.record_activity(actor, wish_id, entry)
        self.changed(
            "activity.record",
            f"member:{current.member_id}",
            None,
            {
                "ids": [activity_id],
                "day": entry.day.isoformat(),
                "hours": hours,
                "wish_id": wish_id,
                "self_reported": False,
            },
        )
        return activity_id

    def tally(self, by: str = "community", *, year: int | None = None) -> list[WishTally]:
        """Received, claimed, done, rated and the satisfaction rate per community or
        district within scope (``feedback summary``, the circular, the TUI)."""
        if by not in ("community", "district"):
            raise ValidationError(
                "wish.tally_by",
                f"统计方式“{by}”无效：只能按 community（社区）或 district（县区）。",
            )
        return self.repository.tally(self.actor(), by, year=year)

    def total(self, *, year: int | None = None) -> WishTally:
        """All of the scope's wishes of ``year`` in one line."""
        rows = self.tally("district", year=year)
        total = WishTally("", "合计")
        for row in rows:
            total = total + row
        return total


def _status(value: WishStatus | str) -> WishStatus:
    if isinstance(value, WishStatus):
        return value
    text = value.strip()
    for status in WishStatus:
        if text in (status.value, status.label):
            return status
    known = "、".join(f"{s.value}（{s.label}）" for s in WishStatus)
    raise ValidationError("wish.status", f"状态“{text}”无效：可用的有 {known}。")


def _event(wish: NewWish, place: Community) -> dict[str, Any]:
    # no resident's data in events or the audit log: retention would have to find them there
    return {
        "community_id": place.id,
        "community": place.label,
        "title": wish.title,
        "post_code": wish.post_code or None,
        "due": wish.due.isoformat() if wish.due else None,
        "received_on": wish.received_on.isoformat(),
        "has_resident": bool(wish.resident_name or wish.resident_phone),
    }
