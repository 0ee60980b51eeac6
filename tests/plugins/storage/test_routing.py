"""Routing, the queue, report-in, directory maintenance and instructors in the store, on SQLite
and PostgreSQL alike. Counts are checked against counts made here from the raw rows."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.batches import BatchKind
from partyreg_core.errors import ConflictError, NotPermittedError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.operators.model import Role
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgUnit
from partyreg_core.plugins import make_plugin_manager
from partyreg_core.ports import Change
from partyreg_core.records import CommunityRef, DirectoryEntry
from partyreg_core.routing.model import RouteOutcome, RoutingCase, RoutingDecision
from partyreg_core.routing.rules import Router, spelling_key
from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import District, batch, make_district, register, registration

ON = date(2014, 9, 5)


def router(store: SqlStore, **kwargs: Any) -> Router:
    guided: dict[int, list[int]] = {}
    for instructor in store.routing.instructors():
        for community_id in instructor.community_ids:
            guided.setdefault(community_id, []).append(instructor.id)
    return Router(store.load_org_tree(), store.communities(), instructors=guided, **kwargs)


def make_committee(store: SqlStore, units: int = 2) -> tuple[OrgCode, tuple[OrgCode, ...]]:
    """A new city work committee (an aggregator holding no communities) with its units."""
    code = store.load_org_tree().next_child(support.CITY)
    new = [OrgUnit(code, f"测{code.segments[-1]}市直工委", OrgKind.COMMITTEE)] + [
        OrgUnit(code.child(i), f"测{code.segments[-1]}市直第{i}单位", OrgKind.UNIT)
        for i in range(1, units + 1)
    ]
    store.add_org_units(support.city(store), batch(BatchKind.CODES, len(new)), new)
    return code, tuple(u.code for u in new[1:])


def raw_members(store: SqlStore, ids: list[int]) -> dict[int, tuple[str, str | None, int | None]]:
    """status, district_code, community_id of ``ids``, read with plain SQL."""
    with support.raw_sql(store) as conn:
        rows = conn.execute(
            "SELECT id, status, district_code, community_id FROM members"
        ).fetchall()
    wanted = set(ids)
    return {r[0]: (r[1], r[2], r[3]) for r in rows if r[0] in wanted}


def open_routes(store: SqlStore, ids: list[int]) -> Counter[int]:
    with support.raw_sql(store) as conn:
        rows = conn.execute("SELECT member_id FROM routes WHERE ended_on IS NULL").fetchall()
    wanted = set(ids)
    return Counter(r[0] for r in rows if r[0] in wanted)


def unknown_place(district: District, name: str) -> CommunityRef:
    return CommunityRef(district.short_name, "第1街道", name)


@pytest.fixture
def city_setup(store: SqlStore) -> dict[str, Any]:
    """Two districts and a city work committee, with members of every kind of route."""
    d1, d2 = make_district(store, units=2, communities=3), make_district(store, units=1)
    committee, c_units = make_committee(store)
    city = support.city(store)
    plan: list[tuple[OrgCode, Any]] = []
    for k in range(3):
        plan += [(d1.units[0], d1.communities[k])] * (k + 1)  # own district
    plan += [(d1.units[1], d2.communities[0])] * 2  # cross-district
    plan += [(c_units[0], d1.communities[1])] * 3  # city-level, living in d1
    plan += [(c_units[1], d2.communities[1])] * 2  # city-level, living in d2
    plan += [(d1.units[0], unknown_place(d1, "第1居委会"))] * 2  # queued in d1
    plan += [(c_units[0], unknown_place(d2, "新建社区"))]  # queued in d2
    plan += [(c_units[1], CommunityRef("不存在县", "某街道", "某社区"))]  # unknown district
    plan += [(d2.units[0], d2.communities[0])] * 2  # d2's own
    regs = [registration(unit, where) for unit, where in plan]
    ids = register(store, city, regs)
    return {
        "d1": d1,
        "d2": d2,
        "committee": committee,
        "ids": ids,
        "plan": plan,
        "d1_op": support.add_operator(store, Role.DISTRICT, d1.code),
        "d2_op": support.add_operator(store, Role.DISTRICT, d2.code),
        "c_op": support.add_operator(store, Role.DISTRICT, committee),
    }


def test_a_committee_routes_its_members_through_the_districts_they_live_in(
    store: SqlStore, city_setup: dict[str, Any]
) -> None:
    s = city_setup
    d1, d2, ids, plan = s["d1"], s["d2"], s["ids"], s["plan"]
    run = store.routing.route_pending(s["c_op"], router(store), ON)
    mine = [i for i, (unit, _w) in zip(ids, plan, strict=True) if unit.is_within(s["committee"])]
    assert sorted(m.id for m in run.members) == sorted(mine)
    rows = raw_members(store, mine)
    # independently: where each member went, from the plan and the raw rows
    expected = {}
    for member_id, (_unit, where) in zip(ids, plan, strict=True):
        if member_id not in rows:
            continue
        if where in d1.communities or where in d2.communities:
            expected[member_id] = ("routed", str(where.district_code), where.id)
        elif where.district == d2.short_name:
            expected[member_id] = ("routed", str(d2.code), None)
        else:
            expected[member_id] = ("registered", None, None)
    assert rows == expected
    assert run.count(RouteOutcome.ROUTED) == sum(1 for v in rows.values() if v[2] is not None)
    assert run.queued_by_district() == {d2.code: 1}
    assert run.waiting_by_aggregator() == {s["committee"]: 1}
    by_district = run.by_district()
    assert by_district[d1.code][RouteOutcome.ROUTED] == 3
    assert by_district[d2.code][RouteOutcome.ROUTED] == 2
    assert by_district[d2.code][RouteOutcome.QUEUED] == 1
    # the district the city-level members live in now sees them
    seen = {m.id for m in store.members.iter_members(s["d1_op"], MemberQuery())}
    assert {m for m, v in rows.items() if v[1] == str(d1.code)} <= seen


def test_bulk_routing_counts_match_counts_made_from_the_rows(
    store: SqlStore, city_setup: dict[str, Any]
) -> None:
    s = city_setup
    ids = s["ids"]
    runs = [
        store.routing.route_pending(s[op], router(store), ON) for op in ("c_op", "d1_op", "d2_op")
    ]
    rows = raw_members(store, ids)
    status = Counter(v[0] for v in rows.values())
    assert status == {"routed": len(ids) - 1, "registered": 1}
    per_community = Counter(v[2] for v in rows.values() if v[2] is not None)
    routed_in_runs: Counter[int] = Counter()
    for run in runs:
        for community_id, members in run.by_community().items():
            routed_in_runs[community_id] += len(members)
    assert routed_in_runs == per_community
    queued = Counter(v[1] for v in rows.values() if v[0] == "routed" and v[2] is None)
    assert queued == {str(s["d1"].code): 2, str(s["d2"].code): 1}
    # every routed member has exactly one open route, and its district and community
    assert open_routes(store, ids) == Counter({i: 1 for i, v in rows.items() if v[0] == "routed"})
    # running again changes nothing: the queued stay queued, the routed are not pending
    again = store.routing.route_pending(s["d1_op"], router(store), ON)
    assert again.count(RouteOutcome.ROUTED) == 0
    assert all(not m.changed for m in again.members)
    assert raw_members(store, ids) == rows


def test_a_dry_run_writes_nothing(store: SqlStore, city_setup: dict[str, Any]) -> None:
    s = city_setup
    before = raw_members(store, s["ids"])
    run = store.routing.route_pending(s["d1_op"], router(store), ON, dry_run=True)
    assert run.dry_run and run.count(RouteOutcome.ROUTED) > 0
    assert raw_members(store, s["ids"]) == before
    assert open_routes(store, s["ids"]) == Counter()


def test_a_district_routes_only_its_own_units_members(
    store: SqlStore, city_setup: dict[str, Any]
) -> None:
    s = city_setup
    run = store.routing.route_pending(s["d1_op"], router(store), ON)
    d1_units = s["d1"].code
    assert all(m.unit_code.is_within(d1_units) for m in run.members)
    rows = raw_members(store, s["ids"])
    for member_id, (unit, _where) in zip(s["ids"], s["plan"], strict=True):
        if not unit.is_within(d1_units):
            assert rows[member_id][0] == "registered"
    for role, code in ((Role.UNIT, s["d1"].units[0]), (Role.COMMUNITY, None)):
        communities = [s["d1"].communities[0].id] if code is None else []
        other = support.add_operator(store, role, code, communities)
        with pytest.raises(NotPermittedError):
            store.routing.route_pending(other, router(store), ON)


def test_a_queued_community_is_resolved_for_everyone_who_wrote_it_so(
    store: SqlStore, city_setup: dict[str, Any]
) -> None:
    s = city_setup
    d1 = s["d1"]
    store.routing.route_pending(s["d1_op"], router(store), ON)
    queued = store.routing.queued_members(s["d1_op"])
    written = unknown_place(d1, "第1居委会")
    assert sorted(m.id for m in queued if m.community == written) == sorted(
        i for i, (_u, w) in zip(s["ids"], s["plan"], strict=True) if w == written
    )
    target = d1.communities[0]
    # a spelling with extra spaces is the same spelling
    spaced = CommunityRef(written.district, written.street, " 第1 居委会")
    resolved = store.routing.route_pending(
        s["d1_op"],
        router(store, resolutions={spelling_key(written): target.id}),
        date(2014, 9, 9),
        only=spaced,
    )
    assert resolved.count(RouteOutcome.ROUTED) == 2
    ids = [m.id for m in resolved.members]
    assert {v for v in raw_members(store, ids).values()} == {("routed", str(d1.code), target.id)}
    assert open_routes(store, ids) == Counter({i: 1 for i in ids})
    with support.raw_sql(store) as conn:
        history = conn.execute(
            f"SELECT count(*) FROM routes WHERE member_id IN ({', '.join(map(str, ids))})"
        ).fetchone()[0]
    assert history == 4  # queued, then resolved: the history stays
    assert not [m for m in store.routing.queued_members(s["d1_op"]) if m.community == written]


def test_a_new_directory_entry_routes_the_queued_on_the_next_run(
    store: SqlStore, city_setup: dict[str, Any]
) -> None:
    s = city_setup
    d2 = s["d2"]
    store.routing.route_pending(s["c_op"], router(store), ON)
    added = store.routing.add_community(
        s["d2_op"],
        DirectoryEntry(d2.short_name, "第1街道", "新建社区", district_code=d2.code),
    )
    run = store.routing.route_pending(s["d2_op"], router(store), date(2014, 9, 12))
    moved = [m for m in run.members if m.route.community_id == added.id]
    assert len(moved) == 1 and moved[0].unit_code.is_within(s["committee"])
    waiting = [m for m in store.routing.queued_members(s["c_op"]) if m.district_code is None]
    assert len(waiting) == 1  # the unknown 县区 still waits at the committee, visibly


def test_a_plugin_rule_overrides_the_directory(store: SqlStore, city_setup: dict[str, Any]) -> None:
    s = city_setup
    target = s["d1"].communities[2]

    def rule(case: RoutingCase, _r: Router) -> RoutingDecision | None:
        return (
            RoutingDecision(None, target.id, "all-to-one")
            if case.unit_code.is_within(s["committee"])
            else None
        )

    run = store.routing.route_pending(s["c_op"], router(store, rule=rule), ON)
    assert {m.route.community_id for m in run.members} == {target.id}
    assert {v[2] for v in raw_members(store, [m.id for m in run.members]).values()} == {target.id}


def test_report_in_is_confirmed_only_by_the_community_routed_to(
    store: SqlStore, city_setup: dict[str, Any]
) -> None:
    s = city_setup
    d1 = s["d1"]
    store.routing.route_pending(s["d1_op"], router(store), ON)
    rows = raw_members(store, s["ids"])
    first = [i for i, v in rows.items() if v[2] == d1.communities[0].id]
    second = [i for i, v in rows.items() if v[2] == d1.communities[1].id]
    queued = [i for i, v in rows.items() if v[0] == "routed" and v[2] is None]
    registered = [i for i, v in rows.items() if v[0] == "registered"]
    here = support.add_operator(store, Role.COMMUNITY, None, [d1.communities[0].id])
    # another community's member: not visible here, so nothing at all is written
    mixed = store.routing.confirm_report_in(here, [*first, second[0]], date(2014, 9, 15))
    assert not mixed.ok and [r.member_id for r in mixed.refused] == [second[0]]
    assert {raw_members(store, first)[i][0] for i in first} == {"routed"}
    # the district of another community cannot confirm either
    assert not store.routing.confirm_report_in(s["d2_op"], first, date(2014, 9, 15)).ok
    # not before the route
    early = store.routing.confirm_report_in(here, first, date(2014, 9, 1))
    assert [r.code for r in early.refused] == ["report_in.before_routed"] * len(first)
    done = store.routing.confirm_report_in(here, first, date(2014, 9, 15))
    assert done.ok and sorted(done.confirmed) == sorted(first)
    assert {raw_members(store, first)[i][0] for i in first} == {"reported_in"}
    again = store.routing.confirm_report_in(here, first, date(2014, 9, 16))
    assert again.confirmed == () and sorted(again.already) == sorted(first)
    # the district confirms for a queued or unrouted member: refused with the reason
    codes = {r.code for r in store.routing.confirm_report_in(s["d1_op"], queued, ON).refused}
    assert codes == {"report_in.queued"}
    codes = {
        r.code for r in store.routing.confirm_report_in(support.city(store), registered, ON).refused
    }
    assert codes == {"report_in.not_routed"}
    entries = list(store.audit(here, AuditQuery(action="report_in.confirm")))
    assert entries[-1].after is not None and sorted(entries[-1].after["members"]) == sorted(first)


def test_a_district_keeps_its_own_directory_audited(store: SqlStore) -> None:
    d1, d2 = make_district(store), make_district(store)
    op = support.add_operator(store, Role.DISTRICT, d1.code)
    added = store.routing.add_community(
        op,
        DirectoryEntry(
            d1.short_name, "第9街道", "第9社区", phone="0517-83601234", district_code=d1.code
        ),
    )
    assert added.district_code == d1.code
    with pytest.raises(NotPermittedError):
        store.routing.add_community(
            op, DirectoryEntry(d2.short_name, "第9街道", "第9社区", district_code=d2.code)
        )
    with pytest.raises(ConflictError):
        store.routing.add_community(
            op, DirectoryEntry(d1.short_name, "第9 街道", "第9社区", district_code=d1.code)
        )
    edited = store.routing.edit_community(
        op,
        added.id,
        DirectoryEntry(
            d1.short_name, "第9街道", "第9社区", phone="13905170000", district_code=d1.code
        ),
    )
    assert edited.phone == "13905170000"
    with pytest.raises(NotPermittedError):
        store.routing.edit_community(op, d2.communities[0].id, d2.communities[0].entry)
    entries = list(store.audit(support.city(store), AuditQuery(subject=f"community:{added.id}")))
    assert [e.action for e in entries] == ["community.add", "community.edit"]
    assert entries[1].before == {"phone": "0517-83601234"}
    assert entries[1].after == {"phone": "13905170000"}


def test_instructors_are_assigned_by_their_district_and_follow_routing(
    store: SqlStore,
) -> None:
    d1, d2 = make_district(store), make_district(store)
    op1 = support.add_operator(store, Role.DISTRICT, d1.code)
    op2 = support.add_operator(store, Role.DISTRICT, d2.code)
    name = f"王{support.person()[0]}"[:10]
    teacher = store.routing.add_instructor(op1, "王芳", support.person()[1], d1.code)
    assert teacher.district_code == d1.code and teacher.community_ids == ()
    with pytest.raises(NotPermittedError):
        store.routing.add_instructor(op1, name, support.person()[1], d2.code)
    with pytest.raises(NotPermittedError):  # another district's community
        store.routing.set_instructor_communities(op1, teacher.id, add=[d2.communities[0].id])
    with pytest.raises(NotPermittedError):  # another district's instructor
        store.routing.set_instructor_communities(op2, teacher.id, add=[d2.communities[0].id])
    both = [c.id for c in d1.communities]
    teacher = store.routing.set_instructor_communities(op1, teacher.id, add=both)
    assert teacher.community_ids == tuple(sorted(both))
    assert teacher in store.routing.instructors(
        d1.code
    ) and teacher not in store.routing.instructors(d2.code)
    ids = register(store, support.city(store), [registration(d1.units[0], d1.communities[0])])
    store.routing.route_pending(op1, router(store), ON)
    with support.raw_sql(store) as conn:
        found = conn.execute(
            f"SELECT instructor_id FROM routes WHERE member_id = {ids[0]}"
        ).fetchone()[0]
    assert found == teacher.id
    teacher = store.routing.set_instructor_communities(op1, teacher.id, remove=[both[0]])
    assert teacher.community_ids == (both[1],)


class _Events:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    @hookimpl
    def partyreg_on_changed(self, workspace: Workspace, change: Change) -> None:
        self.changes.append(change)


def test_routing_emits_the_contracted_events(store_url: str, store: SqlStore) -> None:
    d1 = make_district(store, communities=2)
    committee, units = make_committee(store, units=1)
    city = support.city(store)
    teacher = store.routing.add_instructor(city, "李明", support.person()[1], d1.code)
    store.routing.set_instructor_communities(city, teacher.id, add=[d1.communities[0].id])
    regs = [registration(units[0], d1.communities[0]) for _ in range(2)]
    regs.append(registration(units[0], unknown_place(d1, "第7居委会")))
    ids = register(store, city, regs)
    op = support.add_operator(store, Role.DISTRICT, committee)
    events = _Events()
    ws = support.operator_workspace(
        store_url, store, op.name, plugin_manager=make_plugin_manager([events])
    )
    try:
        ws.routing.route(on=ON)
    finally:
        ws.close()
    routed = [c for c in events.changes if c.action == "route.routed"]
    assert len(routed) == 1
    community = d1.communities[0]
    assert routed[0].subject == f"community:{community.id}"
    assert routed[0].after == {
        "community_id": community.id,
        "community": f"{community.district} {community.street} {community.name}",
        "district_code": str(d1.code),
        "instructor_ids": [teacher.id],
        "count": 2,
        "members": [
            {"id": i, "name": r.name, "unit_code": str(units[0])}
            for i, r in zip(ids[:2], regs[:2], strict=True)
        ],
    }
    queued = [c for c in events.changes if c.action == "route.queued"]
    assert [(c.subject, c.after) for c in queued] == [
        (f"org:{d1.code}", {"district_code": str(d1.code), "count": 1})
    ]


def test_every_routing_step_fires_on_changed(store_url: str, store: SqlStore) -> None:
    """``partyreg_on_changed`` hears routing by hand, a resolved queue and report-in, not only
    a routing run (the hook's documented promise)."""
    d1 = make_district(store, communities=2)
    city = support.city(store)
    first, second = d1.communities[0], d1.communities[1]
    regs = [
        registration(d1.units[0], first),
        registration(d1.units[0], unknown_place(d1, "新居委会")),
    ]
    by_hand, queued = register(store, city, regs)
    op = support.add_operator(store, Role.DISTRICT, d1.code)  # other tests' members stay out
    events = _Events()
    ws = support.operator_workspace(
        store_url, store, op.name, plugin_manager=make_plugin_manager([events])
    )
    try:
        assert ws.routing.assign([Route(by_hand, d1.code, second.id)], on=ON) == 1
        assigned = [c for c in events.changes if c.action == "route.assign"]
        assert [(c.subject, c.after) for c in assigned] == [
            (
                f"member:{by_hand}",
                {
                    "member_id": by_hand,
                    "district_code": str(d1.code),
                    "community_id": second.id,
                    "on": ON.isoformat(),
                },
            )
        ]
        ws.routing.route(on=ON)
        assert [c.subject for c in events.changes if c.action == "route.queued"] == [
            f"org:{d1.code}"
        ]
        ws.routing.resolve(unknown_place(d1, "新居委会"), str(first.id), on=ON)
        resolved = [c for c in events.changes if c.action == "route.routed"]
        assert [c.after["members"][0]["id"] for c in resolved if c.after] == [queued]
        ws.routing.confirm_report_in([by_hand], on=date(2014, 9, 15))
        confirmed = [c for c in events.changes if c.action == "report_in.confirm"]
        assert [c.subject for c in confirmed] == [f"member:{by_hand}"]
        # nothing committed, nothing heard
        before = len(events.changes)
        ws.routing.route(on=ON, dry_run=True)
        assert len(events.changes) == before
    finally:
        ws.close()


def test_two_runs_at_once_route_each_member_once(store_url: str, store: SqlStore) -> None:
    import threading

    d1 = make_district(store, units=1, communities=2)
    ids = register(
        store,
        support.city(store),
        [registration(d1.units[0], d1.communities[k % 2]) for k in range(40)],
    )
    op = support.add_operator(store, Role.DISTRICT, d1.code)
    routed: list[int] = []
    errors: list[BaseException] = []

    def route_once() -> None:
        other = SqlStore(store_url)
        try:
            run = other.routing.route_pending(op, router(other), ON)
            routed.append(run.count(RouteOutcome.ROUTED))
        except BaseException as exc:  # a busy store is a clear retry, also acceptable
            errors.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=route_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(routed) == len(ids), (routed, errors)
    assert open_routes(store, ids) == Counter({i: 1 for i in ids})
