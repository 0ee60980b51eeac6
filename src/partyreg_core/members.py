"""Members as the store keeps them: a registration (附表1) plus where it stands.

A person is name + phone (DESIGN.md §6): one :class:`Member` per person, registered by one unit.
The values here cross the storage port; they are built by stores and by the facade, never from
dicts or rows outside a store.
"""

from __future__ import annotations

import shlex
from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.errors import ConflictError
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, Gender, Registration, ReportType
from partyreg_core.retention import ANONYMOUS_NAME


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

#: The fields of 附表1 a re-import compares and an edit may change, in the form's order.
REGISTRATION_FIELDS = (
    "unit_code",
    "name",
    "gender",
    "unit_and_title",
    "specialty",
    "posts",
    "phone",
    "address",
    "community",
    "report_type",
    "rank",
)


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


def registration_changes(old: Registration, new: Registration) -> dict[str, tuple[object, object]]:
    """The fields of 附表1 that differ between ``old`` and ``new``: name → (before, after)."""
    changes: dict[str, tuple[object, object]] = {}
    for name in REGISTRATION_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes[name] = (before, after)
    return changes


def serves_in(member: Member, year: int | None = None) -> bool:
    """Whether ``member`` takes part in current work (decision 0075): the rosters that
    assignments and groups are made of, and — for ``year`` — the year's feedback sheets. A
    member who left (or was anonymised) is out of current work; for a year, one who left
    during it still has that year's sheet. Stores apply the same rule in SQL
    (``partyreg_plugins.sqlstore.scoping.serving``)."""
    if member.left_on is None:
        return True
    return year is not None and member.left_on.year >= year


# -- the rules an edit obeys on every path (decision 0074) ------------------------------------


def refuse_unit_edit(member: Member, new_unit: OrgCode) -> None:
    """A member's unit changes only through a transfer (date, reason, history): an edit of
    附表1's 单位代码 — on the command line, in the terminal UI's form, or by an import that
    names another unit — is refused with the command to use (``member.unit_by_transfer``)."""
    if new_unit != member.unit_code:
        command = shlex.join(
            ["partyreg", "members", "transfer", str(member.id), "--to", str(new_unit)]
        )
        raise ConflictError(
            "member.unit_by_transfer",
            f"党员 {member.name}（编号 {member.id}）的单位不能直接修改：调动请用 "
            f"{command} --reason 调动原因（记录调动日期、原因和历史）。",
        )


def refuse_departed_edit(member: Member) -> None:
    """A member who left is out of current work (decision 0075) and their registration is
    history — last year's sheets and ledger were made from it: an edit on any path (the
    command line, the terminal UI's form, an import) is refused (``member.left``), as a
    transfer or a second leaving is; an anonymised member's row can never be filled in again
    (decision 0079)."""
    if member.left_on is None:
        return
    if member.name == ANONYMOUS_NAME:
        raise ConflictError(
            "member.left",
            f"编号 {member.id} 的党员离开后已超过保留期限，个人信息已按规定匿名化：不能再修改或填回。",
        )
    raise ConflictError(
        "member.left",
        f"{member.name}（编号 {member.id}）已于 {member.left_on} 离开（{member.left_reason}）："
        "登记不再修改（往年的反馈单和台账按原样保留）。",
    )


def refuse_routed_community_edit(member: Member, new_community: CommunityRef) -> None:
    """A routed member's community changes only through a change request (the two
    communities and the aggregator see it): an edit of 报到社区 for a member who is routed or
    reported in is refused with the command to use (``member.community_by_change``). Before
    routing the edit is an ordinary correction of the registration."""
    if member.status is MemberStatus.REGISTERED or new_community == member.community:
        return
    command = shlex.join(
        ["partyreg", "change", "request", str(member.id), "--to", new_community.label]
    )
    raise ConflictError(
        "member.community_by_change",
        f"党员 {member.name}（编号 {member.id}）{member.status.label}，报到社区不能直接修改："
        f"请提出变更申请 {command} --reason 变更原因，由县区审批。",
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
