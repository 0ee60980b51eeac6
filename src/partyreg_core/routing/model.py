"""Routing as values: a member's case and the decision of a rule, where a member goes
(:class:`PlannedRoute`), what a routing run did (:class:`RoutingRun`), the queue of communities
not yet in the directory, and the result of report-in (DESIGN.md §3 steps 3–4).

Pure: the rules are in :mod:`partyreg_core.routing.rules`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from enum import StrEnum
from typing import NamedTuple

import attrs

from partyreg_core.communities import Community
from partyreg_core.members.model import MemberStatus
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, ReportType


class RouteOutcome(StrEnum):
    """What routing did with a member."""

    ROUTED = "routed"  #: to a community (and its instructors)
    QUEUED = "queued"  #: to a district, waiting for its community to be resolved
    WAITING = "waiting"  #: 县区 unknown: waiting at the member's own aggregator

    @property
    def label(self) -> str:
        """The outcome in Chinese."""
        return {"routed": "已分流", "queued": "待认定社区", "waiting": "待认定县区"}[self.value]


@attrs.frozen
class RoutingCase:
    """What routing looks at for one member: the unit, the report-in community as written, the
    report type and rank (联系点 is for 县处级 and above) and the address."""

    unit_code: OrgCode
    community: CommunityRef
    report_type: ReportType = ReportType.RESIDENCE
    rank: str = ""
    address: str = ""
    member_id: int | None = None

    @property
    def aggregator(self) -> OrgCode:
        """The top-level org the registration goes up to first."""
        return self.unit_code.aggregator or self.unit_code


@attrs.frozen
class RoutingDecision:
    """What a rule decides: the district (``None``: unknown) and the community (``None``: not
    yet known — the member waits in the district's queue); ``rule`` names who decided."""

    district_code: OrgCode | None
    community_id: int | None = None
    rule: str = ""


def _outcome(route: PlannedRoute) -> RouteOutcome:
    if route.community_id is not None:
        return RouteOutcome.ROUTED
    if route.district_code is not None:
        return RouteOutcome.QUEUED
    return RouteOutcome.WAITING


@attrs.frozen
class PlannedRoute:
    """Where one member goes: aggregator → district → community and its instructors;
    ``outcome`` (derived) says whether that is routed, queued at the district, or waiting at
    the aggregator."""

    aggregator: OrgCode
    district_code: OrgCode | None
    community_id: int | None
    instructor_ids: tuple[int, ...] = ()
    rule: str = ""
    outcome: RouteOutcome = attrs.field(
        init=False, eq=False, default=attrs.Factory(_outcome, takes_self=True)
    )


# ---------------------------------------------------------------------------------------------
# A routing run and its counts
# ---------------------------------------------------------------------------------------------


class RoutedMember(NamedTuple):
    """One member of a routing run and what happened to them (``changed``: whether the run
    wrote anything for them — a member already waiting in the same queue is not changed).

    A named tuple, not an attrs class: a run holds one per pending member (100,000 of them),
    and a tuple is made several times faster."""

    id: int
    name: str
    unit_code: OrgCode
    route: PlannedRoute
    changed: bool = True

    @property
    def outcome(self) -> RouteOutcome:
        """Routed, queued or waiting."""
        return self.route.outcome


@attrs.frozen
class RoutingRun:
    """The result of ``partyreg route`` (or ``route resolve``): every pending member it looked
    at and where each went; ``skipped`` members were left where they were because the plan
    would take them out of the operator's scope."""

    on: date
    dry_run: bool
    members: tuple[RoutedMember, ...] = ()
    skipped: int = 0
    #: the batch that ``partyreg undo`` takes back (``None``: nothing written)
    batch_id: str | None = None

    def count(self, outcome: RouteOutcome) -> int:
        """How many members ended with ``outcome``."""
        return sum(1 for m in self.members if m.outcome is outcome)

    def by_aggregator(self) -> dict[OrgCode, Counter[RouteOutcome]]:
        """Outcome counts per aggregator, in code order."""
        out: dict[OrgCode, Counter[RouteOutcome]] = defaultdict(Counter)
        for m in self.members:
            out[m.route.aggregator][m.outcome] += 1
        return dict(sorted(out.items()))

    def by_district(self) -> dict[OrgCode, Counter[RouteOutcome]]:
        """Routed and queued counts per district, in code order (waiting members have none)."""
        out: dict[OrgCode, Counter[RouteOutcome]] = defaultdict(Counter)
        for m in self.members:
            if m.route.district_code is not None:
                out[m.route.district_code][m.outcome] += 1
        return dict(sorted(out.items()))

    def by_community(self) -> dict[int, tuple[RoutedMember, ...]]:
        """Members routed to each community, by community id."""
        out: dict[int, list[RoutedMember]] = defaultdict(list)
        for m in self.members:
            if m.route.community_id is not None:
                out[m.route.community_id].append(m)
        return {k: tuple(v) for k, v in sorted(out.items())}

    def queued_by_district(self) -> dict[OrgCode, int]:
        """Members waiting in each district's queue after the run."""
        out: Counter[OrgCode] = Counter()
        for m in self.members:
            if m.outcome is RouteOutcome.QUEUED and m.route.district_code is not None:
                out[m.route.district_code] += 1
        return dict(sorted(out.items()))

    def waiting_by_aggregator(self) -> dict[OrgCode, int]:
        """Members whose 县区 is unknown, waiting at each aggregator."""
        out: Counter[OrgCode] = Counter()
        for m in self.members:
            if m.outcome is RouteOutcome.WAITING:
                out[m.route.aggregator] += 1
        return dict(sorted(out.items()))


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class QueuedMember:
    """A member waiting in a queue, as the store finds them: in a district's queue
    (``district_code`` set) or, with the 县区 unknown, at their aggregator."""

    id: int
    name: str
    unit_code: OrgCode
    community: CommunityRef
    district_code: OrgCode | None


@attrs.frozen
class QueueGroup:
    """Members who wrote the same community the same way, waiting in one queue: the district's
    (``district_code``) or, with the 县区 unknown, their aggregator's (``aggregator``)."""

    community: CommunityRef
    district_code: OrgCode | None
    aggregator: OrgCode | None
    member_ids: tuple[int, ...]
    suggestions: tuple[Community, ...] = ()

    @property
    def count(self) -> int:
        """How many members wait with this spelling."""
        return len(self.member_ids)

    @property
    def reason(self) -> RouteOutcome:
        """Queued at a district (community unknown) or waiting at the aggregator (县区 unknown)."""
        return RouteOutcome.QUEUED if self.district_code is not None else RouteOutcome.WAITING


@attrs.frozen
class ReportInFacts:
    """What report-in looks at for one member, as the store finds them."""

    member_id: int
    name: str
    status: MemberStatus
    community_id: int | None
    community: CommunityRef
    district_code: OrgCode | None
    report_type: ReportType
    rank: str
    routed_on: date | None


@attrs.frozen
class ReportInRefusal:
    """A member whose report-in could not be confirmed, and why (a stable code and a Chinese
    message saying what to do)."""

    member_id: int
    code: str
    message: str


@attrs.frozen
class ReportInResult:
    """What ``report-in confirm`` did: members confirmed now, members already reported in
    (unchanged), and refusals; with any refusal nothing is written (all or nothing)."""

    on: date
    confirmed: tuple[int, ...] = ()
    already: tuple[int, ...] = ()
    refused: tuple[ReportInRefusal, ...] = ()
    #: the batch the confirmations were written as (``report-in confirm --all``), for undo
    batch_id: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every member could be confirmed (or was already)."""
        return not self.refused
