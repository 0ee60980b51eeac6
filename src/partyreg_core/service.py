"""A community's service: its needs list (服务项目清单), the posts assigned to its members per
year, and its groups with leaders — the values that cross the storage port, and the checks a
needs row must pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import attrs

from partyreg_core.assignment import AssignmentResult
from partyreg_core.communities import Community
from partyreg_core.errors import ValidationError
from partyreg_core.grouping import LeaderCriterion, PlannedGroup, SizeBounds
from partyreg_core.text import clean, nfkc

#: The most people one needs row may ask for.
MAX_PEOPLE = 999
#: The longest 用途 text.
MAX_PURPOSE = 200


@attrs.frozen
class Need:
    """One row of a community's needs list: a post, how many people, what for, when.

    ``published_on`` is the date the list was last published with this row in it (``None``:
    added or changed since)."""

    community_id: int
    year: int
    post_code: str
    people: int
    purpose: str = ""
    start_on: date | None = None
    end_on: date | None = None
    published_on: date | None = None
    id: int | None = None
    created_by: str = ""


def check_need(need: Need) -> Need:
    """``need`` with its text cleaned, or :class:`ValidationError` naming the field and the fix."""
    if not 1 <= need.people <= MAX_PEOPLE:
        raise ValidationError(
            "needs.people", f"人数 {need.people} 不可用：应为 1–{MAX_PEOPLE} 之间的整数。"
        )
    if not 2000 <= need.year <= 2100:
        raise ValidationError("needs.year", f"年度 {need.year} 不可用：请写四位年份，如 2014。")
    # control characters go before NFKC and trimming, so the result is stable
    printable = "".join(
        ch if ch.isprintable() else (" " if ch.isspace() else "") for ch in nfkc(need.purpose)
    )
    purpose = clean(printable)
    if len(purpose) > MAX_PURPOSE:
        raise ValidationError(
            "needs.purpose", f"用途说明有 {len(purpose)} 个字，最多 {MAX_PURPOSE} 个：请精简。"
        )
    if need.start_on and need.end_on and need.end_on < need.start_on:
        raise ValidationError(
            "needs.dates",
            f"结束日期 {need.end_on} 早于开始日期 {need.start_on}：请检查 --start 和 --end。",
        )
    return attrs.evolve(need, purpose=purpose)


@attrs.frozen
class RosterEntry:
    """A member routed or reported in at a community, with what assignment and grouping read:
    the claimed posts in order, 特长 and 职级."""

    member_id: int
    name: str
    claims: tuple[str, ...]
    specialty: str = ""
    rank: str = ""


@attrs.frozen
class Assignment:
    """A member's post for a year in a community, and why (Chinese)."""

    member_id: int
    community_id: int
    year: int
    post_code: str
    reason: str = ""
    assigned_on: date | None = None
    assigned_by: str = ""


@attrs.frozen
class Group:
    """A service group of a post in a community for a year: name, leader, members (leader
    first)."""

    community_id: int
    year: int
    post_code: str
    name: str
    leader_id: int | None
    member_ids: tuple[int, ...]
    id: int | None = None


@attrs.frozen
class AssignmentRun:
    """What ``partyreg assign`` did: the community, the year, the result and how many
    assignments were stored (0 in a dry run)."""

    community: Community
    year: int
    result: AssignmentResult
    dry_run: bool
    written: int
    candidates: int
    #: the batch that ``partyreg undo`` takes back (``None``: nothing written)
    batch_id: str | None = None


@attrs.frozen
class GroupingRun:
    """What ``partyreg group`` did: the groups planned (with why each leader leads), the groups
    as stored (empty in a dry run), the size bounds and the leader rule."""

    community: Community
    year: int
    planned: tuple[PlannedGroup, ...]
    stored: tuple[Group, ...]
    bounds: SizeBounds
    rule: tuple[LeaderCriterion, ...]
    dry_run: bool
    names: Mapping[int, str] = attrs.field(factory=dict)
    #: the batch that ``partyreg undo`` takes back (``None``: nothing written)
    batch_id: str | None = None
