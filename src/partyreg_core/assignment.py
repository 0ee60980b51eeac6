"""Post assignment: members of a community to the posts of its needs list (DESIGN.md §3 step 4,
the seed's “根据党员个人特长和意愿确定认领岗位”).

The core states the problem and judges the answer; a numerical solver behind a port
(:class:`AssignmentSolver`, provided by a plugin through ``partyreg_assignment_solver``) finds it.

The objective (decision 0040), lexicographic, over every assignment that gives each member at
most one post, each post at most its capacity (the people its needs rows ask for), and a member
only a post they claimed (a *wish*) or one their 特长 fits (the specialty map):

1. the most members on one of their wishes;
2. then the smallest sum of the wish ranks of those members (first wish = 1), so first wishes
   win over second ones;
3. then the most members on a post their specialty fits (whether or not it is also a wish).

Ties between equally good assignments are broken by the solver on the canonical order (members
by id, posts by code), so the same members and needs always give the same result, whatever
order they were read in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import attrs

from partyreg_core.text import nfkc

# ---------------------------------------------------------------------------------------------
# The specialty map
# ---------------------------------------------------------------------------------------------

#: The built-in map of 特长 words to the posts they fit (decision 0042). A word fits when it
#: occurs in the member's 特长 text. Settings (``service.specialties``) override a word's posts
#: or add words; county plugins add words through ``partyreg_register_specialties``.
DEFAULT_SPECIALTIES: Mapping[str, tuple[str, ...]] = {
    "医生": ("8",),
    "医师": ("8",),
    "护士": ("8",),
    "护理": ("8",),
    "药师": ("8",),
    "卫生": ("8",),
    "律师": ("7", "12"),
    "法律": ("7", "12"),
    "法官": ("7", "12"),
    "检察": ("7", "13"),
    "公证": ("7",),
    "调解": ("12",),
    "警察": ("11", "13"),
    "民警": ("11", "13"),
    "保安": ("11",),
    "心理": ("5", "13"),
    "社工": ("2", "5"),
    "康复": ("5",),
    "就业": ("6",),
    "人力资源": ("6",),
    "培训": ("6",),
    "党务": ("1",),
    "组织": ("1",),
    "宣传": ("3", "14"),
    "新闻": ("3", "14"),
    "记者": ("3",),
    "教师": ("14",),
    "教育": ("14",),
    "电工": ("10",),
    "维修": ("10",),
    "水电": ("10",),
    "工程": ("10",),
    "环保": ("9",),
    "园林": ("9",),
    "会计": ("4",),
    "理发": ("4",),
    "厨师": ("4",),
    "书法": ("15",),
    "绘画": ("15",),
    "摄影": ("15",),
    "音乐": ("15",),
    "舞蹈": ("15",),
    "文艺": ("15",),
    "体育": ("15",),
}


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


DEFAULT_SPECIALTY_MAP = SpecialtyMap.of(DEFAULT_SPECIALTIES)

# ---------------------------------------------------------------------------------------------
# The problem
# ---------------------------------------------------------------------------------------------


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


class AssignmentSolver(Protocol):
    """Solves the weighted assignment the core states (a plugin provides one)."""

    def __call__(self, weights: Sequence[Sequence[int]], capacities: Sequence[int]) -> list[int]:
        """For each row (member), the column (post) it gets, or -1.

        Maximises the total weight; column ``c`` is used at most ``capacities[c]`` times; a pair
        of weight 0 is never used. Must be deterministic: the same input, the same answer.
        """


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


def post_order(code: str) -> tuple[int, int, str]:
    """Posts in code order: numeric codes by number, then the others by text."""
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def score_of(
    choice: Mapping[int, str], candidates: Iterable[Candidate], specialties: SpecialtyMap
) -> Score:
    """The objective's value of ``choice`` (member id → post code), computed from its definition."""
    met = ranks = fits = 0
    memo: dict[str, dict[str, str]] = {}
    for cand in candidates:
        post = choice.get(cand.member_id)
        if post is None:
            continue
        if post in cand.claims:
            met += 1
            ranks += cand.claims.index(post) + 1
        if cand.specialty not in memo:
            memo[cand.specialty] = specialties.fits(cand.specialty)
        if post in memo[cand.specialty]:
            fits += 1
    return Score(met, ranks, fits)


def assign_posts(
    candidates: Iterable[Candidate],
    openings: Iterable[Opening],
    specialties: SpecialtyMap,
    solver: AssignmentSolver,
    post_names: Mapping[str, str] | None = None,
) -> AssignmentResult:
    """Assign ``candidates`` to ``openings``, optimal for the module's stated objective.

    One weight per (member, post) carries the three terms at scales that keep them
    lexicographic: a specialty fit weighs 1; a wish weighs ``W - rank * R`` with ``R = n + 1``
    (more than all fits together) and ``W = (K * n + 1) * R`` (more than all ranks and fits
    together), ``n`` members, ``K`` the longest claim list. ``post_names`` names the posts
    outside the needs list in the explanations.
    """
    members = sorted({c.member_id: c for c in candidates}.values(), key=lambda c: c.member_id)
    merged: dict[str, Opening] = {}
    for op in openings:
        if op.people <= 0:
            continue
        known = merged.get(op.post_code)
        people = op.people + (known.people if known else 0)
        merged[op.post_code] = Opening(op.post_code, op.post_name, people)
    posts = sorted(merged.values(), key=lambda o: post_order(o.post_code))
    column = {o.post_code: i for i, o in enumerate(posts)}
    n = len(members)
    longest = max((len(c.claims) for c in members), default=0)
    unit_rank = n + 1
    unit_wish = (longest * n + 1) * unit_rank
    memo: dict[str, dict[str, str]] = {}
    for c in members:
        if c.specialty not in memo:
            memo[c.specialty] = specialties.fits(c.specialty)
    fits = [memo[c.specialty] for c in members]
    names = {**(post_names or {}), **{o.post_code: o.post_name for o in posts}}
    weights = [[0] * len(posts) for _ in members]
    for i, cand in enumerate(members):
        for rank, code in enumerate(cand.claims, start=1):
            if code in column:
                weights[i][column[code]] += unit_wish - rank * unit_rank
        for code in fits[i]:
            if code in column:
                weights[i][column[code]] += 1
    chosen = solver(weights, [o.people for o in posts]) if members and posts else [-1] * n
    _check_answer(chosen, weights, [o.people for o in posts])
    placements: list[Placement] = []
    left: list[LeftOver] = []
    for i, cand in enumerate(members):
        if chosen[i] < 0:
            left.append(_left_over(cand, merged, fits[i], names))
            continue
        op = posts[chosen[i]]
        wish = cand.claims.index(op.post_code) + 1 if op.post_code in cand.claims else None
        word = fits[i].get(op.post_code)
        placements.append(
            Placement(
                cand.member_id,
                cand.name,
                op.post_code,
                op.post_name,
                wish,
                word,
                _why(cand, op, wish, word, merged, names),
            )
        )
    choice = {p.member_id: p.post_code for p in placements}
    return AssignmentResult(
        tuple(placements), tuple(left), score_of(choice, members, specialties), tuple(posts)
    )


def _check_answer(
    chosen: Sequence[int], weights: Sequence[Sequence[int]], caps: Sequence[int]
) -> None:
    if len(chosen) != len(weights):
        raise ValueError("solver answered for a different number of members")
    used = [0] * len(caps)
    for i, col in enumerate(chosen):
        if col < 0:
            continue
        if weights[i][col] <= 0:
            raise ValueError("solver gave a member a post they neither claimed nor fit")
        used[col] += 1
    if any(u > c for u, c in zip(used, caps, strict=True)):
        raise ValueError("solver exceeded a post's capacity")


def _names(codes: Iterable[str], names: Mapping[str, str]) -> str:
    return "、".join(names.get(c, f"{c}号岗") for c in codes)


def _why(
    cand: Candidate,
    op: Opening,
    rank: int | None,
    word: str | None,
    openings: Mapping[str, Opening],
    names: Mapping[str, str],
) -> str:
    if rank is not None:
        text = f"第{rank}志愿{op.post_name}"
        if rank > 1:
            earlier = cand.claims[: rank - 1]
            needed = [c for c in earlier if c in openings]
            missing = [c for c in earlier if c not in openings]
            parts = []
            if needed:
                parts.append(f"{_names(needed, names)}名额已满")
            if missing:
                parts.append(f"{_names(missing, names)}本社区暂无需求")
            text += "（更靠前的志愿：" + "，".join(parts) + "）"
        if word is not None:
            text += f"；特长“{word}”也对口"
        return text
    claimed = _names(cand.claims, names) or "无"
    return f"认领的岗位（{claimed}）无空缺，按特长“{word}”安排到对口的{op.post_name}"


def _left_over(
    cand: Candidate,
    openings: Mapping[str, Opening],
    fits: Mapping[str, str],
    names: Mapping[str, str],
) -> LeftOver:
    wanted = [c for c in cand.claims if c in openings] + [
        c for c in fits if c in openings and c not in cand.claims
    ]
    if wanted:
        return LeftOver(
            cand.member_id,
            cand.name,
            "assign.full",
            f"认领或特长对口的岗位（{_names(wanted, names)}）名额已满，已按志愿和特长优先安排他人；"
            "可在需求清单中增加名额后重新分配",
        )
    claimed = _names(cand.claims, names) or "无"
    return LeftOver(
        cand.member_id,
        cand.name,
        "assign.no_need",
        f"认领的岗位（{claimed}）不在本社区需求清单中，特长也没有对口的需求岗位；"
        "可请党员改认领清单中的岗位，或在需求清单中增加该岗位",
    )
