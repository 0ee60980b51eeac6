"""Groups and leaders (编组、明确小组组长): the members on each post split into balanced groups
within size bounds, each with a leader chosen by a stated, configurable rule.

Sizes (decision 0041): a post's ``n`` members make ``g = ceil(n / maximum)`` groups — the fewest
that keep every group within the maximum — of sizes ``n // g`` or ``n // g + 1`` (the larger
ones first), so sizes differ by at most one. When ``n // g`` is below the minimum no split can
meet both bounds (fewer groups break the maximum, more make them smaller still); the groups are
kept and marked ``below_minimum``.

Leaders (decision 0041): members are ranked by the rule's criteria in order, then by member id
(the stable tie-break). The ``g`` best become the leaders of groups 1..g; the others are dealt
to the groups in that same order, each to the next group with room. So each leader ranks first
in their own group, and experience is spread across the groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

import attrs

from partyreg_core.errors import ValidationError

#: 职级 values at leader level: 县处级 and above (the normalised values of registrations).
LEADER_RANKS = frozenset({"县处级副职", "县处级正职", "厅局级副职", "厅局级正职", "省部级及以上"})


class LeaderCriterion(StrEnum):
    """One criterion of the leader rule."""

    RANK = "rank"  # 职级 县处级 and above first
    HOURS = "hours"  # most service hours in the year before
    WISH = "wish"  # the post was an earlier wish

    @property
    def label(self) -> str:
        """The criterion in Chinese."""
        return {
            "rank": "县处级及以上职级优先",
            "hours": "上一年度服务时长多者优先",
            "wish": "岗位志愿靠前者优先",
        }[self.value]


DEFAULT_LEADER_RULE: tuple[LeaderCriterion, ...] = (LeaderCriterion.RANK, LeaderCriterion.HOURS)


def parse_leader_rule(text: str | Sequence[str]) -> tuple[LeaderCriterion, ...]:
    """A rule as typed (``rank,hours``) or stored (``["rank", "hours"]``)."""
    parts = text.replace("，", ",").split(",") if isinstance(text, str) else list(text)
    rule: list[LeaderCriterion] = []
    for part in parts:
        word = str(part).strip().lower()
        if not word:
            continue
        try:
            criterion = LeaderCriterion(word)
        except ValueError:
            raise ValidationError(
                "group.rule",
                f"组长规则中的“{part}”无法识别：可用 rank（职级）、hours（上年服务时长）、"
                "wish（志愿顺序），用逗号分隔，如 rank,hours。",
            ) from None
        if criterion not in rule:
            rule.append(criterion)
    return tuple(rule)


def describe_rule(rule: Sequence[LeaderCriterion]) -> str:
    """The rule in Chinese, tie-break included."""
    return "，".join([*(c.label for c in rule), "再按党员编号"])


@attrs.frozen
class SizeBounds:
    """How many members a group may have."""

    minimum: int = 3
    maximum: int = 10

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.minimum <= self.maximum <= 500:
            raise ValidationError(
                "group.size",
                f"小组人数范围 {self.minimum}–{self.maximum} 不可用：应满足 1 ≤ 最少 ≤ 最多 ≤ 500。",
            )


def group_sizes(n: int, bounds: SizeBounds) -> list[int]:
    """The sizes of the groups ``n`` members make (see the module's doc)."""
    if n <= 0:
        return []
    g = -(-n // bounds.maximum)
    small, extra = divmod(n, g)
    return [small + 1] * extra + [small] * (g - extra)


@attrs.frozen
class GroupMember:
    """A member to group: on ``post_code`` (their assignment), with what the rule looks at."""

    member_id: int
    name: str
    post_code: str
    rank: str = ""
    hours: float = 0.0
    wish_rank: int | None = None

    @property
    def leader_level(self) -> bool:
        """职级 县处级 or above."""
        return self.rank in LEADER_RANKS


def leader_key(member: GroupMember, rule: Sequence[LeaderCriterion]) -> tuple[float, ...]:
    """Sort key: smaller is a better leader."""
    key: list[float] = []
    for criterion in rule:
        if criterion is LeaderCriterion.RANK:
            key.append(0 if member.leader_level else 1)
        elif criterion is LeaderCriterion.HOURS:
            key.append(-member.hours)
        else:
            key.append(member.wish_rank if member.wish_rank is not None else 1_000)
    key.append(member.member_id)
    return tuple(key)


@attrs.frozen
class PlannedGroup:
    """A group of one post: its number within the post, name, members (leader first) and why the
    leader leads."""

    post_code: str
    number: int
    name: str
    leader_id: int
    member_ids: tuple[int, ...]
    leader_reason: str
    below_minimum: bool = False


def _reason(member: GroupMember, rule: Sequence[LeaderCriterion]) -> str:
    parts = []
    for criterion in rule:
        if criterion is LeaderCriterion.RANK:
            parts.append(f"职级{member.rank}" if member.leader_level else "职级未达县处级")
        elif criterion is LeaderCriterion.HOURS:
            parts.append(f"上年服务{member.hours:g}小时")
        elif member.wish_rank is not None:
            parts.append(f"第{member.wish_rank}志愿")
        else:
            parts.append("按特长安排")
    parts.append(f"编号{member.member_id}")
    return "，".join(parts) + f"（规则：{describe_rule(rule)}）"


def plan_groups(
    members: Iterable[GroupMember],
    bounds: SizeBounds,
    rule: Sequence[LeaderCriterion] = DEFAULT_LEADER_RULE,
    post_names: Mapping[str, str] | None = None,
) -> list[PlannedGroup]:
    """Groups for every post the members are on, posts in code order."""
    by_post: dict[str, list[GroupMember]] = {}
    for member in {m.member_id: m for m in members}.values():
        by_post.setdefault(member.post_code, []).append(member)
    names = post_names or {}
    planned: list[PlannedGroup] = []
    for post in sorted(by_post, key=_post_order):
        ranked = sorted(by_post[post], key=lambda m: leader_key(m, rule))
        sizes = group_sizes(len(ranked), bounds)
        g = len(sizes)
        slots: list[list[GroupMember]] = [[m] for m in ranked[:g]]
        k = 0
        for member in ranked[g:]:
            while len(slots[k % g]) >= sizes[k % g]:
                k += 1
            slots[k % g].append(member)
            k += 1
        label = names.get(post, f"{post}号岗")
        for number, group in enumerate(slots, start=1):
            leader = group[0]
            planned.append(
                PlannedGroup(
                    post_code=post,
                    number=number,
                    name=f"{label}第{number}组",
                    leader_id=leader.member_id,
                    member_ids=tuple(m.member_id for m in group),
                    leader_reason=_reason(leader, rule),
                    below_minimum=len(group) < bounds.minimum,
                )
            )
    return planned


def _post_order(code: str) -> tuple[int, int, str]:
    return (0, int(code), "") if code.isdigit() else (1, 0, code)
