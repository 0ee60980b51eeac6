"""Members as the store keeps them: a registration (附表1) plus where it stands.

A person is name + phone (DESIGN.md §6): one :class:`Member` per person, registered by one unit.
The values here cross the storage port; they are built by stores and by the facade, never from
dicts or rows outside a store.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, Gender, Registration, ReportType


class MemberStatus(StrEnum):
    """Where a member's registration stands: registered by the unit, routed by the aggregator to
    a district and community, reported in at the community."""

    REGISTERED = "registered"
    ROUTED = "routed"
    REPORTED_IN = "reported_in"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return _STATUS_LABELS[self.value]


_STATUS_LABELS = {"registered": "已登记", "routed": "已分流", "reported_in": "已报到"}


@attrs.frozen
class Member:
    """One registered member: every field of 附表1 (normalised), the community as registered
    (``community``: 县区/街道/社区 as written, kept while it is unresolved), the directory
    community and district it resolved or was routed to, the status and its dates."""

    id: int
    unit_code: OrgCode
    name: str
    gender: Gender
    unit_and_title: str
    posts: tuple[str, ...]
    phone: str
    community: CommunityRef
    specialty: str = ""
    address: str = ""
    report_type: ReportType = ReportType.RESIDENCE
    rank: str = ""
    status: MemberStatus = MemberStatus.REGISTERED
    community_id: int | None = None
    district_code: OrgCode | None = None
    registered_on: date | None = None
    routed_on: date | None = None
    reported_on: date | None = None
    batch_id: str | None = None
    #: the day the member left the campaign (a leaving, or a retirement without staying on)
    left_on: date | None = None
    left_reason: str = ""
    #: the day the member retired; without ``left_on`` they stay on as a voluntary retired member
    retired_on: date | None = None

    @property
    def person_key(self) -> tuple[str, str]:
        """A person is name + phone."""
        return (self.name, self.phone)

    @property
    def registration(self) -> Registration:
        """The member's row of 附表1."""
        return Registration(
            unit_code=self.unit_code,
            name=self.name,
            gender=self.gender,
            unit_and_title=self.unit_and_title,
            posts=self.posts,
            phone=self.phone,
            community=self.community,
            specialty=self.specialty,
            address=self.address,
            report_type=self.report_type,
            rank=self.rank,
        )


@attrs.frozen
class MemberQuery:
    """Which members to list (within the operator's scope, always).

    ``unit`` matches the unit and every unit below it; ``community`` matches the community as
    registered or resolved; ``community_resolved`` keeps only members whose report-in community
    was (``True``) or was not yet (``False``) found in the directory; ``post`` keeps members who
    claimed that post code (认领岗位); members who left are left out unless ``include_left``;
    ``text`` is what an
    operator types to find someone — name, pinyin initials, phone or unit code, read by
    :func:`partyreg_core.search.parse_search` (phones are matched only as far as the scope sees
    them: the last four digits, for the roles that see phones masked); ``offset``/``limit`` page
    the result, ordered by unit code then id.
    """

    unit: OrgCode | None = None
    district: OrgCode | None = None
    community_id: int | None = None
    community: CommunityRef | None = None
    status: MemberStatus | None = None
    name: str | None = None
    phone: str | None = None
    text: str | None = None
    community_resolved: bool | None = None
    post: str | None = None
    offset: int = 0
    limit: int | None = None
    #: also members who left (current lists leave them out; they stay in past statistics)
    include_left: bool = False


@attrs.frozen
class MemberPage:
    """A page of members and how many match in all."""

    members: tuple[Member, ...]
    total: int
    offset: int = 0


@attrs.frozen
class MemberCount:
    """How many members have ``status`` in the units under ``unit`` — a code cut to the depth
    counted by (``Store.count_members``; a unit above that depth is counted as itself)."""

    unit: OrgCode
    status: MemberStatus
    count: int


@attrs.frozen
class Route:
    """A member routed by an aggregator to a district and (once resolved) a community and its
    instructor (DESIGN.md §3 step 3)."""

    member_id: int
    district_code: OrgCode
    community_id: int | None = None
    instructor_id: int | None = None
