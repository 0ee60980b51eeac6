"""The values of the points ledger."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import attrs

from partyreg_core.orgcodes import OrgCode


class PointsSource(StrEnum):
    """What earned (or took away) an entry's points."""

    ACTIVITY = "activity"
    WISH = "wish"
    RATING = "rating"
    EVENT = "event"
    ADJUSTMENT = "adjustment"

    @property
    def label(self) -> str:
        """The source in Chinese."""
        return {
            "activity": "服务时长",
            "wish": "完成微心愿",
            "rating": "居民评价",
            "event": "参加活动",
            "adjustment": "人工调整",
        }[self.value]

    @property
    def capped(self) -> bool:
        """Whether the daily and yearly caps apply (earned points, and the entries taking
        them back; not a hand adjustment)."""
        return self is not PointsSource.ADJUSTMENT


@attrs.frozen
class Earning:
    """Something that earns a member points, before the rules price it.

    ``hours`` and ``kind`` for an activity, ``post_code`` for a wish, ``verdict`` for a
    rating; ``what`` names it in the entry's reason (a wish's title, an event's name)."""

    member_id: int
    day: date
    source: PointsSource
    source_id: int
    hours: float = 0.0
    kind: str = ""
    post_code: str = ""
    verdict: str = ""
    what: str = ""


@attrs.frozen
class Award:
    """An earning priced: the points granted (after caps), the reason in Chinese, and the
    rule version that priced it."""

    earning: Earning
    points: float
    reason: str
    rule_id: int | None = None


@attrs.frozen
class PointsEntry:
    """One line of a member's ledger (never changed once written)."""

    id: int
    member_id: int
    year: int
    day: date
    points: float
    reason: str
    source: PointsSource
    source_id: int | None = None
    rule_id: int | None = None
    recorded_at: datetime | None = None
    recorded_by: str = ""
    unit_code: OrgCode | None = None
    community_id: int | None = None


@attrs.frozen
class PointsBalance:
    """A member's balance in a year as it stood on ``on`` (every entry dated up to it)."""

    member_id: int
    name: str
    year: int
    on: date
    balance: float
    entries: tuple[PointsEntry, ...] = ()
