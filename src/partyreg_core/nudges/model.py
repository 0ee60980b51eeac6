"""The values of nudges: their kinds, the facts a store finds for a day, a planned message."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import attrs

from partyreg_core.notify.model import Target
from partyreg_core.orgcodes import OrgCode


class NudgeKind(StrEnum):
    """What a nudge is about (also the word a member opts out of)."""

    NEED_TOMORROW = "need_tomorrow"
    EVENT_TOMORROW = "event_tomorrow"
    WISH_UNCLAIMED = "wish_unclaimed"
    SELF_REPORT = "self_report"
    SHEET_DEADLINE = "sheet_deadline"
    NO_SERVICE = "no_service"
    DIGEST = "digest"

    @property
    def label(self) -> str:
        """The kind in Chinese."""
        return {
            "need_tomorrow": "明日服务提醒",
            "event_tomorrow": "明日活动提醒",
            "wish_unclaimed": "微心愿待认领",
            "self_report": "自报活动待确认",
            "sheet_deadline": "反馈单待确认",
            "no_service": "久未服务提醒",
            "digest": "社区周报",
        }[self.value]

    @property
    def priority(self) -> int:
        """Under the daily cap, the more urgent kinds go first (lower first)."""
        return list(NudgeKind).index(self)


class NudgeStatus(StrEnum):
    """What the plan does with a message."""

    SEND = "send"
    DEFERRED = "deferred"
    QUEUED = "queued"
    CAPPED = "capped"
    OPTED_OUT = "opted_out"

    @property
    def label(self) -> str:
        """The decision in Chinese."""
        return {
            "send": "发送",
            "deferred": "静默时段后发送",
            "queued": "今天已排队",
            "capped": "超出每日上限，不发",
            "opted_out": "本人已退订，不发",
        }[self.value]

    @property
    def queues(self) -> bool:
        """Whether the message goes into the outbox."""
        return self in (NudgeStatus.SEND, NudgeStatus.DEFERRED)


@attrs.frozen
class Candidate:
    """A message the facts of a day call for, before quiet hours, caps and opt-outs.

    ``identity`` names it for the outbox (the same nudge planned twice is queued once);
    ``member_id`` is set for a message to a member (opt-outs apply)."""

    kind: NudgeKind
    target: Target
    recipient: str
    subject: str
    body: str
    identity: str
    member_id: int | None = None
    community_id: int | None = None
    district_code: OrgCode | None = None
    org_code: OrgCode | None = None


@attrs.frozen
class PlannedNudge:
    """A candidate with the plan's decision: send at ``send_at`` (after quiet hours when
    deferred), already queued today, capped, or opted out."""

    candidate: Candidate
    status: NudgeStatus
    send_at: datetime


@attrs.frozen
class NudgePlan:
    """What would be sent on ``on`` (planned at ``at``) and to whom."""

    on: date
    at: datetime
    nudges: tuple[PlannedNudge, ...]

    def count(self, status: NudgeStatus) -> int:
        """How many planned messages have ``status``."""
        return sum(1 for n in self.nudges if n.status is status)


# -- the facts a store finds ------------------------------------------------------------------


@attrs.frozen
class NeedTomorrow:
    """A member assigned to a post whose need in the member's community starts on the day."""

    member_id: int
    name: str
    unit_code: OrgCode
    community_id: int
    district_code: OrgCode | None
    community: str
    need_id: int
    post_code: str
    purpose: str
    start_on: date


@attrs.frozen
class EventTomorrow:
    """A member serving in a community whose event (still open) is on the day."""

    member_id: int
    name: str
    unit_code: OrgCode
    community_id: int
    district_code: OrgCode | None
    community: str
    event_id: int
    content: str
    place: str
    day: date
    start: str
    end: str


@attrs.frozen
class IdleMember:
    """A member serving in a community whose last confirmed service (or, with none, their
    routing) was ``since``."""

    member_id: int
    name: str
    unit_code: OrgCode
    community_id: int
    district_code: OrgCode | None
    community: str
    since: date
    served: bool


@attrs.frozen
class UnclaimedWish:
    """An open wish received on ``received_on``, and the community's instructors."""

    wish_id: int
    community_id: int
    district_code: OrgCode | None
    community: str
    title: str
    received_on: date
    instructor_ids: tuple[int, ...] = ()


@attrs.frozen
class CommunityFacts:
    """What a community has waiting: self-reports (and the oldest one's date), members with
    service but no confirmed sheet, open wishes, new wishes of the past week, members idle
    past the setting; for the digest and the community-wide nudges."""

    community_id: int
    district_code: OrgCode | None
    community: str
    secretary: str = ""
    waiting_self_reports: int = 0
    oldest_self_report: date | None = None
    unconfirmed_sheets: int = 0
    open_wishes: int = 0
    new_wishes: int = 0
    idle_members: int = 0
