"""Property tests: whatever the data and whoever the operator, no facade query reveals a member
or an activity outside the operator's scope, and none hides one inside it.

The expectation is written here independently of partyreg's own scope code: a district sees
its units' members and, once routed, the members routed to it; a unit its subtree; a community
or an instructor the members routed to its communities; the city everything.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partyreg_core.batches import BatchKind
from partyreg_core.errors import NotFoundError
from partyreg_core.hours import RollupKey
from partyreg_core.members.model import MemberQuery, MemberStatus, Route
from partyreg_core.operators.model import Operator, Role, Scope
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgUnit
from partyreg_core.plugins import make_plugin_manager
from partyreg_core.records import CommunityRef
from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import activity, batch, make_district, registration

_years = itertools.count(2200)


@attrs.frozen
class Planned:
    """A member as the test plans it: where it registers, whether and where it is routed."""

    unit: int  # index into the example's units
    community: int | None  # report-in community (None: unresolved)
    routed_to: int | None  # community it is routed to (None: not routed)
    activities: int


@attrs.frozen
class PlannedOperator:
    role: Role
    pick: int  # which code of the example (district or unit) the scope names
    communities: frozenset[int]  # indexes of the example's communities


members_plan = st.lists(
    st.builds(
        Planned,
        unit=st.integers(0, 4),
        community=st.none() | st.integers(0, 3),
        routed_to=st.none() | st.integers(0, 3),
        activities=st.integers(0, 2),
    ),
    min_size=1,
    max_size=10,
)
operators_plan = st.lists(
    st.builds(
        PlannedOperator,
        role=st.sampled_from(list(Role)),
        pick=st.integers(0, 6),
        communities=st.frozensets(st.integers(0, 3), max_size=3),
    ),
    min_size=1,
    max_size=4,
)


def _within(code: str, scope_code: str) -> bool:
    return code == scope_code or code.startswith(scope_code + ".")


def expected_visible(
    op: Scope, unit: str, routed: bool, district: str | None, community: int | None
) -> bool:
    """The rule of DESIGN.md §7 and issue 3, restated for the test."""
    if op.role is Role.CITY:
        return True
    code = str(op.code) if op.code is not None else None
    if op.role in (Role.DISTRICT, Role.UNIT) and code is not None and _within(unit, code):
        return True
    if not routed:
        return False
    if op.role is Role.DISTRICT:
        return district == code
    if op.role in (Role.COMMUNITY, Role.INSTRUCTOR):
        return community in op.communities
    return False


def expected_activity(op: Scope, unit: str, district: str | None, community: int | None) -> bool:
    return expected_visible(op, unit, True, district, community)


@pytest.fixture
def pm():  # type: ignore[no-untyped-def]
    return make_plugin_manager()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=members_plan, ops=operators_plan)
def test_no_query_leaks_outside_the_scope(store: SqlStore, store_url: str, pm, plan, ops) -> None:  # type: ignore[no-untyped-def]
    city = support.city(store)
    a, b = make_district(store, units=2), make_district(store, units=1)
    nested = OrgUnit(a.units[0].child(1), "下级单位", OrgKind.UNIT)
    store.add_org_units(city, batch(BatchKind.CODES, 1), [nested])
    units = [a.units[0], a.units[1], nested.code, b.units[0], OrgCode(("008", "010"))]
    communities = [*a.communities, *b.communities]
    district_of = {c.id: c.district_code for c in communities}
    codes = [a.code, b.code, *units]
    year = next(_years)

    # data: registrations, routes, activities
    regs = []
    for p in plan:
        ref = (
            communities[p.community].ref
            if p.community is not None
            else CommunityRef(a.short_name, "未知街道", "未知社区")
        )
        regs.append(registration(units[p.unit], ref))
    ids = support.register(store, city, regs)
    model = {}
    for member_id, p, reg in zip(ids, plan, regs, strict=True):
        routed_to = communities[p.routed_to] if p.routed_to is not None else None
        if routed_to is not None:
            store.route_members(
                city, [Route(member_id, routed_to.district_code, routed_to.id)], date(2024, 9, 5)
            )
        member = store.members.get_member(city, member_id)
        model[member_id] = (str(reg.unit_code), member)
    rows = []
    hours = {}
    for member_id, p, reg in zip(ids, plan, regs, strict=True):
        for k in range(p.activities if p.routed_to is not None else 0):
            rows.append(activity(reg.person_key, date(year, 1 + k, 1), hours=1.0 + k))
            hours.setdefault(member_id, []).append(1.0 + k)
    if rows:
        assert store.write_activities(
            city, batch(BatchKind.ACTIVITIES, len(rows)), rows
        ).written == len(rows)

    for planned in ops:
        if planned.role is Role.DISTRICT:
            scope = Scope(Role.DISTRICT, [a.code, b.code][planned.pick % 2])
        elif planned.role is Role.UNIT:
            scope = Scope(Role.UNIT, codes[planned.pick % len(codes)])
        elif planned.role.needs_communities:
            scope = Scope(
                planned.role, communities=frozenset(communities[i].id for i in planned.communities)
            )
        else:
            scope = Scope(Role.CITY)
        name = f"prop{support.person()[1]}"
        store.operators.save_operator(city, Operator(name, scope))
        ws = support.operator_workspace(store_url, store, name, plugin_manager=pm)
        try:
            _check(ws, scope, model, hours, district_of, year)
        finally:
            ws.close()


def _check(ws: Workspace, scope: Scope, model, hours, district_of, year: int) -> None:  # type: ignore[no-untyped-def]
    def visible(member) -> bool:  # type: ignore[no-untyped-def]
        return expected_visible(
            scope,
            str(member.unit_code),
            member.status is not MemberStatus.REGISTERED,
            str(member.district_code) if member.district_code else None,
            member.community_id,
        )

    listed = list(ws.members.iter())
    # nothing returned is outside the scope (rows of other tests included)
    assert all(visible(m) for m in listed), [m for m in listed if not visible(m)]
    listed_ids = {m.id for m in listed}
    for member_id, (_unit, member) in model.items():
        assert (member_id in listed_ids) == visible(member), (scope, member)
        if visible(member):
            assert ws.members.get(member_id).id == member_id
        else:
            with pytest.raises(NotFoundError):
                ws.members.get(member_id)
    assert ws.members.page().total == len(listed)
    for unit in {unit for unit, _member in model.values()}:
        filtered = ws.members.page(MemberQuery(unit=OrgCode(tuple(unit.split(".")))))
        assert all(visible(m) for m in filtered.members)
    # activities: totals include exactly the visible ones of this example's year
    want: dict[str, float] = defaultdict(float)
    for member_id, values in hours.items():
        member = model[member_id][1]
        district = str(member.district_code) if member.district_code else None
        if expected_activity(scope, model[member_id][0], district, member.community_id):
            want[str(member_id)] += sum(values)
    got = {t.key: t.hours for t in ws.activity_totals(RollupKey.MEMBER, year=year)}
    assert got == dict(want)
    by_district = {t.key: t.hours for t in ws.activity_totals(RollupKey.DISTRICT, year=year)}
    assert sum(by_district.values()) == pytest.approx(sum(want.values()))
    assert set(by_district) <= {str(d) for d in district_of.values()}
