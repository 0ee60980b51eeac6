"""The values of community service (:mod:`partyreg_core.feedback`): an activity as recorded
and as stored, 附表3 feedback sheets and their state, and what is rolled up from them
(summary rows, rankings, pairings, ledger lines, service tiers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.records import Rating


@attrs.frozen
class ServiceEntry:
    """One activity an instructor records for one member (``partyreg activity add``), or for
    each member of a group (``group_id`` set)."""

    member_id: int
    day: date
    content: str
    hours: float
    rating: Rating
    kind: str = ""
    place: str = ""
    participants: str = ""
    self_reported: bool = False
    group_id: int | None = None


@attrs.frozen
class ActivityRecord:
    """What every stored activity shows: its id, the member, the day, what was done and how."""

    id: int
    member_id: int
    name: str
    community_id: int | None
    day: date
    content: str
    hours: float
    rating: Rating
    kind: str = ""
    place: str = ""
    participants: str = ""


@attrs.frozen
class PendingActivity(ActivityRecord):
    """A self-reported activity (stored, waiting for the instructor's confirmation)."""


@attrs.frozen
class StoredActivity(ActivityRecord):
    """An activity as stored (``activity list``): besides what every activity shows, whether
    it was self-reported and whether it counts yet (confirmed)."""

    self_reported: bool = False
    confirmed: bool = True
    group_id: int | None = None
    batch_id: str | None = None

    @property
    def entry(self) -> ServiceEntry:
        """The activity as an entry (what ``activity edit`` changes and checks again)."""
        return ServiceEntry(
            member_id=self.member_id,
            day=self.day,
            content=self.content,
            hours=self.hours,
            rating=self.rating,
            kind=self.kind,
            place=self.place,
            participants=self.participants,
            self_reported=self.self_reported,
            group_id=self.group_id,
        )


class SheetState(StrEnum):
    """Where a sheet stands: filled (draft), confirmed and locked, delivered to the ledger."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"

    @property
    def label(self) -> str:
        """The Chinese word operators see."""
        return {"draft": "待确认", "confirmed": "已盖章确认", "delivered": "已交单位台帐"}[
            self.value
        ]


@attrs.frozen
class SheetInfo:
    """A stored feedback sheet with its member, community and totals (the activities come
    separately when printed)."""

    number: str
    member_id: int
    name: str
    unit_code: str
    year: int
    community_id: int | None
    community: str
    state: SheetState
    hours: float = 0.0
    activities: int = 0
    confirmed_by: str = ""
    confirmed_on: date | None = None
    stamp: str = ""
    delivered_on: date | None = None
    reopened_reason: str = ""


class SummaryBy(StrEnum):
    """What ``feedback summary`` groups by."""

    MEMBER = "member"
    COMMUNITY = "community"
    UNIT = "unit"
    DISTRICT = "district"
    POST = "post"
    MONTH = "month"


class SummaryRow(NamedTuple):
    """Confirmed service of one group: hours, activities, ratings; ``members`` counts the
    members of the group (in scope), ``idle`` those with no activity in the year yet
    (``None`` where the grouping has no members of its own: by post and by month).

    A named tuple, not an attrs class: a city's summary by member is 100,000 of them, and
    building them must cost next to nothing beside the ``GROUP BY`` (decision 0048)."""

    key: str
    label: str
    hours: float
    activities: int
    excellent: int
    good: int
    fair: int
    members: int | None = None
    idle: int | None = None


@attrs.frozen
class RankingWeights:
    """How a member's and a community's year is scored (configurable: settings key
    ``ranking_weights``; the defaults favour hours, then well-rated activities).

    member score = hours × ``hours`` + activities × ``activity``
                   + 优 × ``excellent`` + 良 × ``good`` + 一般 × ``fair``
    community score = hours per member × ``hours``
                      + share of its members with any activity (0–100) × ``participation``
                      + share of 优 among its activities (0–100) × ``excellence``
    """

    hours: float = 1.0
    activity: float = 0.5
    excellent: float = 2.0
    good: float = 1.0
    fair: float = 0.0
    participation: float = 0.5
    excellence: float = 0.2

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | None) -> RankingWeights:
        """Weights from the settings value (missing keys keep their defaults)."""
        if not value:
            return cls()
        fields = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(value) - fields)
        if unknown:
            raise ValidationError(
                "ranking.weights",
                f"排名权重中有未知的项 {'、'.join(unknown)}：可用的有 {'、'.join(sorted(fields))}。",
            )
        try:
            return cls(**{k: float(v) for k, v in value.items()})
        except (TypeError, ValueError):
            raise ValidationError("ranking.weights", "排名权重须为数字。") from None

    def member_score(self, row: SummaryRow) -> float:
        """A member's score for the year."""
        return round(
            row.hours * self.hours
            + row.activities * self.activity
            + row.excellent * self.excellent
            + row.good * self.good
            + row.fair * self.fair,
            4,
        )

    def community_score(self, row: SummaryRow) -> float:
        """A community's score for the year (see the class docstring)."""
        members = row.members or 0
        per_member = row.hours / members if members else 0.0
        participation = 100.0 * (members - (row.idle or 0)) / members if members else 0.0
        excellence = 100.0 * row.excellent / row.activities if row.activities else 0.0
        return round(
            per_member * self.hours
            + participation * self.participation
            + excellence * self.excellence,
            4,
        )


@attrs.frozen
class Ranked:
    """One place in a ranking."""

    rank: int
    row: SummaryRow
    score: float


@attrs.frozen
class Pairing:
    """A pairing suggestion (结对共建): a unit and a community where many of its members
    report in, with how many and what share of the unit's routed members."""

    unit_code: str
    community_id: int
    community: str
    members: int
    share: float


@attrs.frozen
class LedgerLine:
    """One member's line of a unit's ledger (台帐) for a year: the service and the sheet."""

    member_id: int
    name: str
    unit_code: str
    community: str
    hours: float
    activities: int
    excellent: int
    good: int
    fair: int
    number: str = ""
    state: str = ""
    confirmed_by: str = ""
    confirmed_on: date | None = None
    delivered_on: date | None = None
    #: the member's points balance of the year (:mod:`partyreg_core.points`)
    points: float = 0.0


@attrs.frozen
class TierLine:
    """A member's cumulative service across the years and the star level it reaches."""

    member_id: int
    name: str
    hours: float
    tier: int
    label: str
    to_next: float | None
