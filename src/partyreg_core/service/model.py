"""A community's service as values (DESIGN.md §3 step 4, §5): its needs list (服务项目清单),
the members it may assign (the roster), the posts assigned per year and why, and its groups
with leaders — what crosses the port, what the rules compute and what a run reports.

Pure: the rules (the needs checks, the specialty map's words, post assignment, grouping and
every refusal with its Chinese message) are in :mod:`partyreg_core.service.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.communities import Community
from partyreg_core.errors import ValidationError
from partyreg_core.text import nfkc

# ---------------------------------------------------------------------------------------------
# The needs list and what is stored
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Post assignment: the specialty map, the problem and its answer
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class SpecialtyMap:
    """特长 words and the post codes each fits, in the order they were given."""

    words: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, Iterable[str]]) -> SpecialtyMap:
        """A map from ``{word: [post codes]}`` (words NFKC-normalised, empty ones dropped)."""
        words = []
        for word, codes in mapping.items():
            key = nfkc(str(word)).strip()
            posts = tuple(dict.fromkeys(str(c).strip() for c in codes if str(c).strip()))
            if key:
                words.append((key, posts))
        return cls(tuple(words))

    def merged(self, other: Mapping[str, Iterable[str]]) -> SpecialtyMap:
        """This map with ``other``'s words added, a word already here taking ``other``'s posts
        (an empty list removes the word)."""
        mapping: dict[str, tuple[str, ...]] = dict(self.words)
        for word, codes in SpecialtyMap.of(other).words:
            mapping[word] = codes
        return SpecialtyMap(tuple((w, p) for w, p in mapping.items() if p))

    def as_dict(self) -> dict[str, list[str]]:
        """The map as plain data (for settings and JSON)."""
        return {word: list(posts) for word, posts in self.words}

    def fits(self, specialty: str) -> dict[str, str]:
        """The posts ``specialty`` fits, each with the first word that made it fit."""
        text = nfkc(specialty)
        found: dict[str, str] = {}
        if not text.strip():
            return found
        for word, posts in self.words:
            if word in text:
                for post in posts:
                    found.setdefault(post, word)
        return found


@attrs.frozen
class Candidate:
    """A member who may be assigned: routed or reported in at the community."""

    member_id: int
    name: str
    claims: tuple[str, ...]
    specialty: str = ""


@attrs.frozen
class Opening:
    """A post the needs list asks for and how many people in all."""

    post_code: str
    post_name: str
    people: int


@attrs.frozen
class Placement:
    """A member put on a post, and why (Chinese)."""

    member_id: int
    name: str
    post_code: str
    post_name: str
    wish_rank: int | None
    specialty_word: str | None
    reason: str


@attrs.frozen
class LeftOver:
    """A member who got no post, and why (Chinese; ``code`` is stable)."""

    member_id: int
    name: str
    code: str
    reason: str


@attrs.frozen(order=True)
class Score:
    """The objective's three terms, for the assignment found (compare with :attr:`key`)."""

    wishes_met: int
    wish_rank_total: int
    specialty_fits: int

    @property
    def key(self) -> tuple[int, int, int]:
        """Larger is better, lexicographically."""
        return (self.wishes_met, -self.wish_rank_total, self.specialty_fits)


@attrs.frozen
class AssignmentResult:
    """The assignment: placements by member id, members left over, the objective's value, and
    the places each post had and filled."""

    placements: tuple[Placement, ...]
    left_over: tuple[LeftOver, ...]
    score: Score
    openings: tuple[Opening, ...]

    def filled(self, post_code: str) -> int:
        """How many members were put on ``post_code``."""
        return sum(1 for p in self.placements if p.post_code == post_code)


# ---------------------------------------------------------------------------------------------
# Groups and leaders
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# What a run did
# ---------------------------------------------------------------------------------------------


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
