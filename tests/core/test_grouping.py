"""Groups: within bounds when the bounds allow it, balanced, each led by its best member under
the leader rule; the rule parses and describes itself."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.service.model import GroupMember, LeaderCriterion, SizeBounds
from partyreg_core.service.rules import (
    DEFAULT_LEADER_RULE,
    describe_rule,
    group_sizes,
    leader_key,
    parse_leader_rule,
    plan_groups,
)

RANKS = ["", "", "县处级以下", "县处级副职", "县处级正职", "厅局级正职"]


@st.composite
def bounds(draw: st.DrawFn) -> SizeBounds:
    low = draw(st.integers(1, 8))
    return SizeBounds(low, draw(st.integers(low, 15)))


@st.composite
def people(draw: st.DrawFn) -> list[GroupMember]:
    n = draw(st.integers(0, 60))
    ids = draw(st.lists(st.integers(1, 100_000), min_size=n, max_size=n, unique=True))
    return [
        GroupMember(
            i,
            f"党员{i}",
            draw(st.sampled_from(["3", "8", "11", "101"])),
            rank=draw(st.sampled_from(RANKS)),
            hours=draw(st.sampled_from([0.0, 2.0, 7.5, 30.0])),
            wish_rank=draw(st.sampled_from([None, 1, 2, 3])),
        )
        for i in ids
    ]


RULES = st.lists(st.sampled_from(list(LeaderCriterion)), unique=True, max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 300), bounds())
def test_sizes_are_balanced_within_the_maximum_and_the_fewest_possible(
    n: int, b: SizeBounds
) -> None:
    sizes = group_sizes(n, b)
    assert sum(sizes) == n
    if n == 0:
        assert sizes == []
        return
    assert max(sizes) - min(sizes) <= 1 and max(sizes) <= b.maximum
    assert len(sizes) == -(-n // b.maximum)  # one group fewer would break the maximum
    # the minimum holds whenever any balanced split within the maximum could meet it
    feasible = any(n // g >= b.minimum and -(-n // g) <= b.maximum for g in range(1, n + 1))
    assert (min(sizes) >= b.minimum) == feasible


@settings(max_examples=200, deadline=None)
@given(people(), bounds(), RULES)
def test_every_member_is_in_one_group_led_by_its_best_member(
    members: list[GroupMember], b: SizeBounds, rule: list[LeaderCriterion]
) -> None:
    groups = plan_groups(members, b, rule)
    seen = [m for g in groups for m in g.member_ids]
    assert sorted(seen) == sorted(m.member_id for m in members)
    by_id = {m.member_id: m for m in members}
    for post in {m.post_code for m in members}:
        mine = [g for g in groups if g.post_code == post]
        sizes = [len(g.member_ids) for g in mine]
        assert max(sizes) - min(sizes) <= 1 and max(sizes) <= b.maximum
        assert [g.number for g in mine] == list(range(1, len(mine) + 1))
        for g in mine:
            assert {by_id[m].post_code for m in g.member_ids} == {post}
            assert g.below_minimum == (len(g.member_ids) < b.minimum)
            assert g.member_ids[0] == g.leader_id
            best = min(g.member_ids, key=lambda m: leader_key(by_id[m], rule))
            assert g.leader_id == best
        # the leaders are the post's best members: nobody outside the leaders ranks above one
        leaders = {g.leader_id for g in mine}
        ranked = sorted((m for m in members if m.post_code == post),
                        key=lambda m: leader_key(m, rule))  # fmt: skip
        assert {m.member_id for m in ranked[: len(mine)]} == leaders


@settings(max_examples=100, deadline=None)
@given(people(), bounds(), st.randoms(use_true_random=False))
def test_grouping_does_not_depend_on_the_order_of_the_members(
    members: list[GroupMember], b: SizeBounds, rnd
) -> None:  # type: ignore[no-untyped-def]
    shuffled = members[:]
    rnd.shuffle(shuffled)
    assert plan_groups(shuffled, b) == plan_groups(members, b)


def test_the_default_rule_puts_leader_rank_first_then_hours_then_id() -> None:
    members = [
        GroupMember(5, "甲", "8", hours=40.0),
        GroupMember(9, "乙", "8", rank="县处级副职", hours=1.0),
        GroupMember(2, "丙", "8", hours=40.0),
        GroupMember(7, "丁", "8", rank="县处级以下", hours=3.0),
    ]
    order = sorted(members, key=lambda m: leader_key(m, DEFAULT_LEADER_RULE))
    assert [m.member_id for m in order] == [9, 2, 5, 7]
    [one, two] = plan_groups(members, SizeBounds(2, 2), post_names={"8": "医疗卫生保健岗"})
    assert (one.name, one.leader_id, one.member_ids) == ("医疗卫生保健岗第1组", 9, (9, 5))
    assert (two.leader_id, two.member_ids) == (2, (2, 7))
    assert one.leader_reason.startswith("职级县处级副职，上年服务1小时，编号9")
    hours_first = plan_groups(members, SizeBounds(4, 4), [LeaderCriterion.HOURS])
    assert hours_first[0].leader_id == 2


def test_a_rule_is_parsed_as_typed_and_refused_when_unknown() -> None:
    assert parse_leader_rule("hours， rank,hours") == (LeaderCriterion.HOURS, LeaderCriterion.RANK)
    assert parse_leader_rule(["wish"]) == (LeaderCriterion.WISH,)
    with pytest.raises(ValidationError) as err:
        parse_leader_rule("rank,age")
    assert err.value.code == "group.rule" and "age" in err.value.message
    assert (
        describe_rule(DEFAULT_LEADER_RULE)
        == "县处级及以上职级优先，上一年度服务时长多者优先，再按党员编号"
    )


@pytest.mark.parametrize(("low", "high"), [(0, 5), (6, 5), (1, 501)])
def test_impossible_bounds_are_refused(low: int, high: int) -> None:
    with pytest.raises(ValidationError) as err:
        SizeBounds(low, high)
    assert err.value.code == "group.size"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["rank", "hours", "wish", "RANK", " hours "]), max_size=6),
    st.sampled_from([",", "，", ", "]),
)
def test_a_typed_rule_keeps_the_first_mention_of_each_criterion(words: list[str], sep: str) -> None:
    rule = parse_leader_rule(sep.join(words))
    expected = list(dict.fromkeys(w.strip().lower() for w in words))
    assert [c.value for c in rule] == expected
    assert parse_leader_rule([c.value for c in rule]) == rule
