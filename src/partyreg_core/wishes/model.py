"""The values of residents' wishes: a wish and its states, the resident's verdict, the counts
per community or district."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.orgcodes import OrgCode


class WishStatus(StrEnum):
    """Where a wish stands: received, claimed by a member, done, rated by the resident, or
    cancelled (with a reason)."""

    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"
    RATED = "rated"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The state in Chinese, as lists show it."""
        return {
            "open": "待认领",
            "claimed": "已认领",
            "done": "已完成",
            "rated": "已评价",
            "cancelled": "已取消",
        }[self.value]


class Verdict(StrEnum):
    """The resident's verdict on a done wish, as the community records it."""

    SATISFIED = "满意"
    BASIC = "基本满意"
    UNSATISFIED = "不满意"


@attrs.frozen
class NewWish:
    """A wish as the community receives it (from a visit, a call, the QQ/WeChat group, or a
    row of a sheet). The resident's name and phone are optional personal data."""

    community_id: int
    title: str
    received_on: date
    resident_name: str = ""
    resident_phone: str = ""
    post_code: str = ""
    due: date | None = None
    source: str = ""


@attrs.frozen
class Wish:
    """A stored wish, with whoever claimed it and what became of it.

    ``resident_name``/``resident_phone`` come back masked for every scope but the community's
    own (``masked`` says so), and empty once retention erased them."""

    id: int
    community_id: int
    district_code: OrgCode | None
    community: str
    title: str
    received_on: date
    status: WishStatus
    resident_name: str = ""
    resident_phone: str = ""
    post_code: str = ""
    due: date | None = None
    source: str = ""
    member_id: int | None = None
    member_name: str = ""
    claimed_on: date | None = None
    done_on: date | None = None
    done_note: str = ""
    rating: Verdict | None = None
    rating_comment: str = ""
    rated_on: date | None = None
    cancelled_on: date | None = None
    cancel_reason: str = ""
    activity_id: int | None = None
    created_by: str = ""
    masked: bool = False
    erased: bool = False


@attrs.frozen
class WishQuery:
    """Which wishes to list: of a community, in some states, received in a year."""

    community_id: int | None = None
    statuses: tuple[WishStatus, ...] = ()
    year: int | None = None
    member_id: int | None = None


@attrs.frozen
class WishTally:
    """How many wishes a community (or district, or the whole scope) received in a year and
    what became of them. ``claimed`` counts those claimed at any point and not cancelled,
    ``done`` those done (rated or not), ``rated`` those the resident rated."""

    key: str
    label: str
    received: int = 0
    claimed: int = 0
    done: int = 0
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    cancelled: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: (满意 + 基本满意) / rated, or ``None`` when nothing was rated
        (decision 0131)."""
        if not self.rated:
            return None
        return (self.satisfied + self.basic) / self.rated

    def __add__(self, other: WishTally) -> WishTally:
        return attrs.evolve(
            self,
            received=self.received + other.received,
            claimed=self.claimed + other.claimed,
            done=self.done + other.done,
            rated=self.rated + other.rated,
            satisfied=self.satisfied + other.satisfied,
            basic=self.basic + other.basic,
            unsatisfied=self.unsatisfied + other.unsatisfied,
            cancelled=self.cancelled + other.cancelled,
        )


class TallyBy(StrEnum):
    """How ``feedback summary`` and the circular group the wish counts."""

    COMMUNITY = "community"
    DISTRICT = "district"
