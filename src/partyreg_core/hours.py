"""Service hours rolled up for ledgers, summaries and rankings."""

from __future__ import annotations

from enum import StrEnum

import attrs


class RollupKey(StrEnum):
    """What activities are grouped by: the member, the community where they took place, the
    member's unit, or the district (the community's aggregator)."""

    MEMBER = "member"
    COMMUNITY = "community"
    UNIT = "unit"
    DISTRICT = "district"


@attrs.frozen
class ActivityTotal:
    """Hours and number of activities for one key (a member id, community id, unit code or
    district code, as text; ``""`` for activities with no district or community yet)."""

    key: str
    hours: float
    activities: int
