"""Post assignment: optimal for the stated objective (checked against brute force and against a
MILP solved tier by tier), deterministic under any row order, explained per member."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from partyreg_core.service.model import Candidate, Opening, SpecialtyMap
from partyreg_core.service.rules import DEFAULT_SPECIALTY_MAP, assign_posts
from partyreg_plugins.solver_scipy import solve

POSTS = ["3", "7", "8", "11", "12"]
NAMES = {"3": "社情民意收集岗", "7": "法制宣传教育岗", "8": "医疗卫生保健岗", "11": "社会治安维护岗",
         "12": "民事纠纷调解岗"}  # fmt: skip
WORDS = ["", "", "医生", "律师", "护士", "书法", "民警"]
SPEC = SpecialtyMap.of({"医生": ["8"], "护士": ["8"], "律师": ["7", "12"], "民警": ["11"]})


@st.composite
def communities(draw: st.DrawFn, max_members: int = 6, max_posts: int = 4):  # type: ignore[no-untyped-def]
    n = draw(st.integers(0, max_members))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    members = []
    for i in ids:
        claims = draw(st.lists(st.sampled_from(POSTS), min_size=1, max_size=3, unique=True))
        members.append(Candidate(i, f"党员{i}", tuple(claims), draw(st.sampled_from(WORDS))))
    posts = draw(st.lists(st.sampled_from(POSTS), min_size=0, max_size=max_posts, unique=True))
    openings = [Opening(p, NAMES[p], draw(st.integers(0, 3))) for p in posts]
    return members, openings


def _fits(specialty: str) -> set[str]:
    # the test's own reading of SPEC: a word fits when it occurs in the text
    table = {"医生": {"8"}, "护士": {"8"}, "律师": {"7", "12"}, "民警": {"11"}}
    return set().union(*(posts for word, posts in table.items() if word in specialty))


def _key(choice: dict[int, str], members: list[Candidate]) -> tuple[int, int, int]:
    met = ranks = fits = 0
    for m in members:
        post = choice.get(m.member_id)
        if post is None:
            continue
        if post in m.claims:
            met += 1
            ranks += m.claims.index(post) + 1
        if post in _fits(m.specialty):
            fits += 1
    return (met, -ranks, fits)


def _brute_force(members: list[Candidate], openings: list[Opening]) -> tuple[int, int, int]:
    capacity = {o.post_code: o.people for o in openings}
    options = [
        [None, *sorted(p for p in capacity if p in m.claims or p in _fits(m.specialty))]
        for m in members
    ]
    best = (0, 0, 0)
    for combo in itertools.product(*options):
        used: dict[str, int] = {}
        for post in combo:
            if post is not None:
                used[post] = used.get(post, 0) + 1
        if any(used[p] > capacity[p] for p in used):
            continue
        choice = {m.member_id: p for m, p in zip(members, combo, strict=True) if p is not None}
        best = max(best, _key(choice, members))
    return best


def _check_valid(result, members: list[Candidate], openings: list[Opening]) -> dict[int, str]:  # type: ignore[no-untyped-def]
    capacity = {o.post_code: o.people for o in openings}
    choice = {p.member_id: p.post_code for p in result.placements}
    assert len(choice) == len(result.placements)
    for p in result.placements:
        member = next(m for m in members if m.member_id == p.member_id)
        assert p.post_code in member.claims or p.post_code in _fits(member.specialty)
    for post in set(choice.values()):
        assert sum(1 for v in choice.values() if v == post) <= capacity[post]
    left = {x.member_id for x in result.left_over}
    assert left.isdisjoint(choice) and left | set(choice) == {m.member_id for m in members}
    return choice


@settings(max_examples=200, deadline=None)
@given(communities())
def test_the_assignment_is_optimal_against_brute_force(community) -> None:  # type: ignore[no-untyped-def]
    members, openings = community
    result = assign_posts(members, openings, SPEC, solve)
    choice = _check_valid(result, members, openings)
    assert _key(choice, members) == _brute_force(members, openings)
    assert result.score.key == _key(choice, members)


def _milp_optimum(members: list[Candidate], openings: list[Opening]) -> tuple[int, int, int]:
    """The lexicographic optimum by three MILPs, each tier's optimum fixed for the next."""
    capacity = {o.post_code: o.people for o in openings}
    pairs = [
        (i, p)
        for i, m in enumerate(members)
        for p in sorted(capacity)
        if p in m.claims or p in _fits(m.specialty)
    ]
    if not pairs:
        return (0, 0, 0)
    wish = np.array([1.0 if p in members[i].claims else 0.0 for i, p in pairs])
    rank = np.array(
        [members[i].claims.index(p) + 1.0 if p in members[i].claims else 0.0 for i, p in pairs]
    )
    fit = np.array([1.0 if p in _fits(members[i].specialty) else 0.0 for i, p in pairs])
    rows = []
    limits = []
    for i in range(len(members)):
        rows.append([1.0 if a == i else 0.0 for a, _ in pairs])
        limits.append(1.0)
    for post, cap in capacity.items():
        rows.append([1.0 if p == post else 0.0 for _, p in pairs])
        limits.append(float(cap))
    constraints = [LinearConstraint(np.array(rows), -np.inf, np.array(limits))]
    opts = {"integrality": np.ones(len(pairs)), "bounds": Bounds(0, 1)}
    first = milp(-wish, constraints=constraints, **opts)
    met = round(-first.fun)
    constraints.append(LinearConstraint(wish, met, np.inf))
    second = milp(rank, constraints=constraints, **opts)
    ranks = round(second.fun)
    constraints.append(LinearConstraint(rank, -np.inf, ranks))
    third = milp(-fit, constraints=constraints, **opts)
    return (met, -ranks, round(-third.fun))


@settings(max_examples=25, deadline=None)
@given(communities(max_members=40, max_posts=5))
def test_the_assignment_is_optimal_against_a_milp_on_larger_communities(community) -> None:  # type: ignore[no-untyped-def]
    members, openings = community
    result = assign_posts(members, openings, SPEC, solve)
    choice = _check_valid(result, members, openings)
    assert _key(choice, members) == _milp_optimum(members, openings)


@settings(max_examples=80, deadline=None)
@given(communities(max_members=12), st.randoms(use_true_random=False))
def test_the_same_input_in_any_row_order_gives_the_same_assignment(community, rnd) -> None:  # type: ignore[no-untyped-def]
    members, openings = community
    first = assign_posts(members, openings, SPEC, solve)
    shuffled = members[:]
    rnd.shuffle(shuffled)
    # the same capacities, one post's places split over two needs rows, rows shuffled
    rows = []
    for o in openings:
        if o.people >= 2:
            rows += [
                Opening(o.post_code, o.post_name, 1),
                Opening(o.post_code, o.post_name, o.people - 1),
            ]
        else:
            rows.append(o)
    rnd.shuffle(rows)
    again = assign_posts(shuffled, rows, SPEC, solve)
    assert again.placements == first.placements
    assert again.left_over == first.left_over


def test_wishes_come_first_then_wish_order_then_specialty() -> None:
    members = [
        Candidate(1, "甲", ("8", "7"), "律师"),
        Candidate(2, "乙", ("8",), "医生"),
        Candidate(3, "丙", ("3",), "律师"),
        Candidate(4, "丁", ("15",), ""),
    ]
    openings = [Opening("8", "医疗卫生保健岗", 1), Opening("7", "法制宣传教育岗", 1),
                Opening("12", "民事纠纷调解岗", 1)]  # fmt: skip
    result = assign_posts(
        members, openings, SPEC, solve, {"3": "社情民意收集岗", "15": "文体娱乐实践岗"}
    )
    got = {p.member_id: p.post_code for p in result.placements}
    # 甲 takes 法制 (2nd wish) so that 乙 gets 医疗 (1st): two wishes beat one first wish
    assert got == {1: "7", 2: "8", 3: "12"}
    why = {p.member_id: p.reason for p in result.placements}
    assert why[1].startswith("第2志愿法制宣传教育岗（更靠前的志愿：医疗卫生保健岗名额已满）")
    assert "特长“律师”也对口" in why[1]
    assert why[2] == "第1志愿医疗卫生保健岗；特长“医生”也对口"
    assert why[3] == "认领的岗位（社情民意收集岗）无空缺，按特长“律师”安排到对口的民事纠纷调解岗"
    [left] = result.left_over
    assert (left.member_id, left.code) == (4, "assign.no_need")
    assert "文体娱乐实践岗" in left.reason
    assert (result.score.wishes_met, result.score.wish_rank_total, result.score.specialty_fits) == (
        2, 3, 3,
    )  # fmt: skip


def test_a_member_whose_posts_are_full_is_left_over_with_that_reason() -> None:
    members = [Candidate(1, "甲", ("8",)), Candidate(2, "乙", ("8",))]
    result = assign_posts(members, [Opening("8", "医疗卫生保健岗", 1)], SPEC, solve)
    assert [p.member_id for p in result.placements] == [1]
    [left] = result.left_over
    assert left.code == "assign.full" and "医疗卫生保健岗" in left.reason


def test_no_needs_or_no_members_assigns_nobody() -> None:
    assert assign_posts([], [Opening("8", "医", 3)], SPEC, solve).placements == ()
    result = assign_posts([Candidate(1, "甲", ("8",))], [], SPEC, solve)
    assert result.placements == () and [x.code for x in result.left_over] == ["assign.no_need"]


def test_a_solver_that_breaks_the_rules_is_caught() -> None:
    members = [Candidate(1, "甲", ("8",)), Candidate(2, "乙", ("8",))]
    with pytest.raises(ValueError, match="capacity"):
        assign_posts(members, [Opening("8", "医", 1)], SPEC, lambda w, c: [0, 0])
    with pytest.raises(ValueError, match="neither"):
        assign_posts(members, [Opening("8", "医", 2), Opening("3", "社", 1)], SPEC,
                     lambda w, c: [1, 0])  # fmt: skip


def test_the_specialty_map_matches_words_in_the_text_and_merges_overrides() -> None:
    assert DEFAULT_SPECIALTY_MAP.fits("主治医生、书法") == {"8": "医生", "15": "书法"}
    assert set(DEFAULT_SPECIALTY_MAP.fits("执业律师")) == {"7", "12"}
    assert DEFAULT_SPECIALTY_MAP.fits("") == {}
    changed = DEFAULT_SPECIALTY_MAP.merged({"律师": ["12"], "导游": ["101"], "书法": []})
    assert changed.fits("律师") == {"12": "律师"}
    assert changed.fits("导游") == {"101": "导游"}
    assert changed.fits("书法") == {}
    assert SpecialtyMap.of(changed.as_dict()) == changed


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_specialty_matching_is_stable_under_full_width_text(text: str) -> None:
    wide = text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert DEFAULT_SPECIALTY_MAP.fits(wide) == DEFAULT_SPECIALTY_MAP.fits(text)


def test_a_thousand_members_are_assigned_by_the_same_rules() -> None:
    rng = random.Random(7)
    members = [
        Candidate(i, f"党员{i}", tuple(rng.sample(POSTS, rng.randint(1, 3))), rng.choice(WORDS))
        for i in range(1, 1001)
    ]
    openings = [Opening(p, NAMES[p], 150) for p in POSTS]
    result = assign_posts(members, openings, SPEC, solve)
    choice = _check_valid(result, members, openings)
    # about 400 members claim each post: all 750 places are filled
    assert len(choice) == min(750, len(choice) + len(result.left_over))
