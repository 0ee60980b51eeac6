"""The routing rules of the core (partyreg_core.routing), one by one, on the 2014 code table."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.communities import Community
from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.members.model import MemberStatus
from partyreg_core.operators.model import Role, Scope
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_core.plugins import make_plugin_manager
from partyreg_core.records import CommunityRef, ReportType
from partyreg_core.routing.model import (
    PlannedRoute,
    QueuedMember,
    ReportInFacts,
    RoutedMember,
    RouteOutcome,
    RoutingCase,
    RoutingDecision,
    RoutingRun,
)
from partyreg_core.routing.rules import (
    Router,
    check_report_in,
    group_queue,
    may_report_at,
    spelling_key,
)

HUAIAN = parse_code("008.003")
HUAIYIN = parse_code("008.004")
CITY_ORGANS = parse_code("008.010")

COMMUNITIES = [
    Community(1, HUAIAN, "淮安区", "淮城街道", "文渠社区"),
    Community(2, HUAIAN, "淮安区", "淮城街道", "河下社区"),
    Community(3, HUAIYIN, "淮阴区", "王营街道", "文渠社区"),
    Community(4, HUAIYIN, "淮阴区", "王营街道", "人民社区"),
]


def router(**kwargs: object) -> Router:
    return Router(
        builtin.code_table(),
        COMMUNITIES,
        instructors={1: [7, 5], 3: [9]},
        **kwargs,  # type: ignore[arg-type]
    )


def case(unit: str, district: str, street: str, community: str) -> RoutingCase:
    return RoutingCase(parse_code(unit), CommunityRef(district, street, community))


def test_a_district_units_member_goes_up_to_its_district_then_to_the_community() -> None:
    planned = router().plan(case("008.003.002", "淮安区", "淮城街道", "河下社区"))
    assert planned == PlannedRoute(HUAIAN, HUAIAN, 2, (), "directory")
    assert planned.outcome is RouteOutcome.ROUTED


def test_the_community_brings_its_instructors_in_id_order() -> None:
    planned = router().plan(case("008.003.002", "淮安区", "淮城街道", "文渠社区"))
    assert planned.community_id == 1
    assert planned.instructor_ids == (5, 7)


def test_a_city_level_units_member_goes_through_the_district_they_live_in() -> None:
    planned = router().plan(case("008.010.004", "淮阴区", "王营街道", "人民社区"))
    assert planned.aggregator == CITY_ORGANS
    assert planned.district_code == HUAIYIN
    assert planned.community_id == 4


def test_a_district_units_member_living_in_another_district_crosses_over() -> None:
    planned = router().plan(case("008.003.001", "淮阴区", "王营街道", "文渠社区"))
    assert (planned.aggregator, planned.district_code, planned.community_id) == (
        HUAIAN,
        HUAIYIN,
        3,
    )
    assert planned.instructor_ids == (9,)


def test_names_repeat_across_districts_so_all_three_identify_a_community() -> None:
    r = router()
    assert r.plan(case("008.010.001", "淮安区", "淮城街道", "文渠社区")).community_id == 1
    assert r.plan(case("008.010.001", "淮阴区", "王营街道", "文渠社区")).community_id == 3
    # the right name under the wrong street is not a match: it waits for the district
    wrong_street = r.plan(case("008.010.001", "淮阴区", "淮城街道", "文渠社区"))
    assert wrong_street.outcome is RouteOutcome.QUEUED


def test_spaces_and_full_width_letters_do_not_hide_a_community() -> None:
    planned = router().plan(case("008.010.001", "淮安区", " 淮城 街道", "河下社区 "))
    assert planned.community_id == 2


def test_a_community_not_in_the_directory_waits_in_its_districts_queue() -> None:
    planned = router().plan(case("008.010.002", "淮安区", "淮城街道", "文渠居委会"))
    assert planned.outcome is RouteOutcome.QUEUED
    assert planned.district_code == HUAIAN
    assert planned.community_id is None
    assert planned.rule == "district"


def test_an_unknown_district_waits_at_the_members_aggregator() -> None:
    planned = router().plan(case("008.010.002", "清江浦区", "长东街道", "文渠社区"))
    assert planned.outcome is RouteOutcome.WAITING
    assert planned.district_code is None
    assert planned.aggregator == CITY_ORGANS
    assert planned.rule == "unknown_district"


def test_a_resolution_for_a_spelling_routes_it_and_only_it() -> None:
    r = router(resolutions={spelling_key(CommunityRef("淮安区", "淮城街道", "文渠居委会")): 1})
    assert r.plan(case("008.010.002", "淮安区", "淮城街道", "文渠居委会")).community_id == 1
    assert r.plan(case("008.010.002", "淮安区", "淮城街道", "文渠 居委会")).community_id == 1
    assert r.plan(case("008.010.002", "淮安区", "淮城街道", "文渠村")).community_id is None


def test_a_rule_answers_before_the_directory_and_can_pass() -> None:
    def rule(c: RoutingCase, r: Router) -> RoutingDecision | None:
        if c.unit_code.is_within(parse_code("008.003.001")):
            return RoutingDecision(None, 4, "hospital-rule")
        return None

    r = router(rule=rule)
    overridden = r.plan(case("008.003.001", "淮安区", "淮城街道", "河下社区"))
    assert (overridden.district_code, overridden.community_id, overridden.rule) == (
        HUAIYIN,
        4,
        "hospital-rule",
    )
    left = r.plan(case("008.003.002", "淮安区", "淮城街道", "河下社区"))
    assert (left.community_id, left.rule) == (2, "directory")


def test_a_rule_may_queue_a_member_in_a_district() -> None:
    r = router(rule=lambda c, _r: RoutingDecision(HUAIYIN, None, "queue-all"))
    planned = r.plan(case("008.003.001", "淮安区", "淮城街道", "河下社区"))
    assert planned.outcome is RouteOutcome.QUEUED
    assert planned.district_code == HUAIYIN


@pytest.mark.parametrize(
    "decision",
    [
        RoutingDecision(None, 99, "bad"),
        RoutingDecision(HUAIAN, 3, "bad"),  # community 3 lies in 淮阴区
        RoutingDecision(CITY_ORGANS, None, "bad"),  # a work committee holds no communities
    ],
)
def test_a_rule_giving_an_impossible_answer_stops_naming_the_rule(
    decision: RoutingDecision,
) -> None:
    r = router(rule=lambda c, _r: decision)
    with pytest.raises(ValidationError) as raised:
        r.plan(case("008.003.001", "淮安区", "淮城街道", "河下社区"))
    assert "bad" in raised.value.message


def test_the_plugin_hook_is_a_routing_rule() -> None:
    class Plugin:
        @hookimpl
        def partyreg_route_member(self, case: RoutingCase, router: Router) -> object:
            if case.community.community == "文渠居委会":
                found = router.find(CommunityRef("淮安区", "淮城街道", "文渠社区"))
                assert found is not None
                return RoutingDecision(found.district_code, found.id, "alias-plugin")
            return None

    pm = make_plugin_manager([Plugin()], only=[])
    hook = pm.hook.partyreg_route_member
    r = router(rule=lambda c, rr: hook(case=c, router=rr))
    planned = r.plan(case("008.010.002", "淮安区", "淮城街道", "文渠居委会"))
    assert (planned.community_id, planned.rule) == (1, "alias-plugin")
    assert r.plan(case("008.010.002", "淮安区", "淮城街道", "河下社区")).rule == "directory"


def test_suggestions_prefer_the_same_district_and_street() -> None:
    found = router().suggestions(CommunityRef("淮安区", "淮城街道", "文渠居委会"))
    assert [c.id for c in found][:2] == [1, 3]


def _member(i: int, route: PlannedRoute, changed: bool = True) -> RoutedMember:
    return RoutedMember(i, f"党员{i}", parse_code("008.010.001"), route, changed)


def test_a_runs_counts_add_up_by_aggregator_district_and_community() -> None:
    routes = [
        PlannedRoute(CITY_ORGANS, HUAIAN, 1),
        PlannedRoute(CITY_ORGANS, HUAIAN, 1),
        PlannedRoute(HUAIAN, HUAIYIN, 3),
        PlannedRoute(HUAIAN, HUAIAN, None),
        PlannedRoute(CITY_ORGANS, None, None),
    ]
    run = RoutingRun(date(2014, 9, 5), False, tuple(_member(i, r) for i, r in enumerate(routes)))
    assert run.count(RouteOutcome.ROUTED) == 3
    assert run.by_aggregator()[CITY_ORGANS] == {RouteOutcome.ROUTED: 2, RouteOutcome.WAITING: 1}
    assert run.by_district() == {
        HUAIAN: {RouteOutcome.ROUTED: 2, RouteOutcome.QUEUED: 1},
        HUAIYIN: {RouteOutcome.ROUTED: 1},
    }
    assert {k: len(v) for k, v in run.by_community().items()} == {1: 2, 3: 1}
    assert run.queued_by_district() == {HUAIAN: 1}
    assert run.waiting_by_aggregator() == {CITY_ORGANS: 1}


def test_the_queue_groups_spellings_that_differ_only_in_width_or_spaces() -> None:
    written = [
        ("淮安区", "淮城街道", "文渠居委会"),
        ("淮安区", "淮城 街道", "文渠居委会"),
        ("淮安区", "淮城街道", "文渠居委会 "),
        ("淮安区", "淮城街道", "新河社区"),
    ]
    waiting = [
        QueuedMember(i, f"党员{i}", parse_code("008.010.001"), CommunityRef(*w), HUAIAN)
        for i, w in enumerate(written)
    ]
    waiting.append(
        QueuedMember(
            9, "党员9", parse_code("008.010.001"), CommunityRef("清江浦区", "长东街道", "X"), None
        )
    )
    groups = group_queue(waiting, router())
    assert [(g.count, g.reason) for g in groups] == [
        (3, RouteOutcome.QUEUED),
        (1, RouteOutcome.QUEUED),
        (1, RouteOutcome.WAITING),
    ]
    assert groups[0].community == CommunityRef("淮安区", "淮城街道", "文渠居委会")
    assert groups[0].suggestions[0].id == 1
    assert groups[2].aggregator == CITY_ORGANS


@pytest.mark.parametrize(
    ("report_type", "rank", "allowed"),
    [
        (ReportType.RESIDENCE, "", True),
        (ReportType.WORKPLACE, "", True),
        (ReportType.CONTACT_POINT, "正处", True),
        (ReportType.CONTACT_POINT, "副县级", True),
        (ReportType.CONTACT_POINT, "科级", False),
        (ReportType.CONTACT_POINT, "", False),
        (ReportType.CONTACT_POINT, "不知道", False),
    ],
)
def test_only_county_level_leaders_may_report_at_a_contact_point(
    report_type: ReportType, rank: str, allowed: bool
) -> None:
    assert may_report_at(report_type, rank) is allowed


_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
place = st.text(alphabet=st.sampled_from("淮安区城街道文渠社河下ABCab12"), min_size=1, max_size=8)


@given(place, place, place, st.lists(st.integers(0, 8), max_size=3))
def test_the_spelling_key_ignores_width_spaces_and_case(
    district: str, street: str, name: str, cuts: list[int]
) -> None:
    spaced = name
    for cut in cuts:
        spaced = spaced[:cut] + " " + spaced[cut:]
    variant = CommunityRef(district.translate(_FULL_WIDTH), f" {street.upper()} ", spaced)
    assert spelling_key(variant) == spelling_key(CommunityRef(district, street, name))


@given(place, place)
def test_different_names_keep_different_keys(first: str, second: str) -> None:
    if first.casefold() != second.casefold():
        a = CommunityRef("淮安区", "淮城街道", first)
        b = CommunityRef("淮安区", "淮城街道", second)
        assert spelling_key(a) != spelling_key(b)


def test_a_planned_routes_aggregator_is_the_top_org_of_the_unit() -> None:
    deep = case("008.010.003.002", "淮阴区", "王营街道", "人民社区")
    assert router().plan(deep).aggregator == OrgCode(("008", "010"))


def _facts(**changes: object) -> ReportInFacts:
    base = ReportInFacts(
        member_id=7,
        name="张三",
        status=MemberStatus.ROUTED,
        community_id=12,
        community=CommunityRef("清河区", "清河街道", "A社区"),
        district_code=parse_code("008.001"),
        report_type=ReportType.RESIDENCE,
        rank="",
        routed_on=date(2024, 9, 5),
    )
    return attrs.evolve(base, **changes)  # type: ignore[arg-type]


def test_report_in_rules_name_the_member_and_the_fix() -> None:
    city, on = Scope.city(), date(2024, 9, 10)
    assert check_report_in(_facts(), city, on) is None
    # reported in already: not refused, whatever the date
    assert check_report_in(_facts(status=MemberStatus.REPORTED_IN), city, date(2024, 9, 1)) is None
    cases = {
        "report_in.not_routed": _facts(status=MemberStatus.REGISTERED),
        "report_in.queued": _facts(community_id=None),
        "report_in.contact_point": _facts(report_type=ReportType.CONTACT_POINT, rank="科员"),
    }
    for code, facts in cases.items():
        refusal = check_report_in(facts, city, on)
        assert refusal is not None and refusal.code == code and "张三" in refusal.message
    early = check_report_in(_facts(), city, date(2024, 9, 4))
    assert early is not None and early.code == "report_in.before_routed"
    assert "2024-09-05" in early.message and "--on" in early.message
    other = Scope(Role.COMMUNITY, communities=frozenset({13}))
    denied = check_report_in(_facts(), other, on)
    assert denied is not None and denied.code == "scope.denied"
    assert check_report_in(_facts(), Scope(Role.COMMUNITY, communities=frozenset({12})), on) is None
