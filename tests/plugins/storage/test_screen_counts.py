"""Counts the TUI's screens ask the store for, on every backend: the 报到 screen's members by
community and status in one grouped query (equal to counting the listed members one by one,
within the operator's scope), and the 进度 screen's drill-down from a unit to the communities
its members report in at."""

from __future__ import annotations

from collections import Counter
from datetime import date

from partyreg_core.calendar import CampaignCalendar
from partyreg_core.members.model import MemberQuery, MemberStatus
from partyreg_core.operators.model import Role
from partyreg_core.progress import ProgressBy
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district, register, registration


def _by_hand(store: SqlStore, actor: object) -> Counter[tuple[int, MemberStatus]]:
    counted: Counter[tuple[int, MemberStatus]] = Counter()
    for member in store.members.iter_members(actor, MemberQuery()):  # type: ignore[arg-type]
        if member.community_id is not None:
            counted[member.community_id, member.status] += 1
    return counted


def test_members_are_counted_by_community_and_status(store: SqlStore) -> None:
    d = make_district(store, units=2, communities=2)
    city = support.city(store)
    first, second = (c.id for c in d.communities)
    ids = register(store, city, [registration(d.units[i % 2], d.communities[0]) for i in range(7)])
    support.route(store, ids[:4], d, 0)
    support.route(store, ids[4:6], d, 1)  # ids[6] stays registered (its community known)
    result = store.routing.confirm_report_in(city, ids[:1], date(2024, 9, 6))
    assert not result.refused
    store.members.leave_member(city, ids[5], date(2024, 9, 7), "调离本市", date(2024, 9, 8))

    counted = store.members.count_members_by_community(city, MemberQuery(unit=d.code))
    assert sorted(counted, key=lambda row: (row[0], row[1].value)) == [
        (first, MemberStatus.REGISTERED, 1),
        (first, MemberStatus.REPORTED_IN, 1),
        (first, MemberStatus.ROUTED, 3),
        (second, MemberStatus.ROUTED, 1),  # the one who left is not counted
    ]
    assert [row[0] for row in counted] == sorted(row[0] for row in counted)  # in id order
    mine = {(cid, status) for cid, status, _n in counted}
    whole = store.members.count_members_by_community(city, MemberQuery())
    assert {(cid, s): n for cid, s, n in whole if (cid, s) in mine} == {
        (cid, s): n for cid, s, n in counted
    }
    assert {(cid, s): n for cid, s, n in whole} == dict(_by_hand(store, city))


def test_counts_stay_within_the_operators_scope(store: SqlStore) -> None:
    d = make_district(store, units=1, communities=2)
    city = support.city(store)
    first, second = (c.id for c in d.communities)
    ids = register(store, city, [registration(d.units[0], d.communities[0]) for _ in range(3)])
    support.route(store, ids[:2], d, 0)
    support.route(store, ids[2:], d, 1)
    community_op = support.add_operator(store, Role.COMMUNITY, communities=[second])
    counted = store.members.count_members_by_community(community_op, MemberQuery())
    assert counted == [(second, MemberStatus.ROUTED, 1)]
    assert dict(_by_hand(store, community_op)) == {(second, MemberStatus.ROUTED): 1}
    district_op = support.add_operator(store, Role.DISTRICT, d.code)
    assert {
        (cid, n)
        for cid, _s, n in store.members.count_members_by_community(district_op, MemberQuery())
    } == {
        (first, 2),
        (second, 1),
    }


def test_a_units_progress_by_community(store: SqlStore) -> None:
    d = make_district(store, units=2, communities=2)
    city = support.city(store)
    first, second = (str(c.id) for c in d.communities)
    places = [(0, 0), (0, 0), (0, 0), (0, 1), (1, 1), (1, 1)]  # (unit, community) per member
    regs = [registration(d.units[u], d.communities[k]) for u, k in places]
    store.write_registrations(city, support.batch(rows=len(regs), on=date(2024, 8, 1)), regs)
    ids = [
        store.members.list_members(city, MemberQuery(name=r.name, phone=r.phone)).members[0].id
        for r in regs
    ]
    support.route(store, ids[:2], d, 0)
    support.route(store, ids[4:5], d, 1)
    calendar = CampaignCalendar.default(2024)
    on = date(2024, 9, 30)

    def counts(within: object = None) -> dict[str, tuple[int, int]]:
        found = store.progress_counts(
            city,
            ProgressBy.COMMUNITY,
            calendar,
            on,
            within=within,  # type: ignore[arg-type]
        )
        return {c.key: (c.registered, c.routed) for c in found}

    assert counts(d.units[0]) == {first: (3, 2), second: (1, 0)}
    assert counts(d.units[1]) == {second: (2, 1)}
    assert counts(d.code) == {first: (3, 2), second: (3, 1)}
    everyone = counts()
    assert {k: everyone[k] for k in (first, second)} == counts(d.code)
    by_unit = store.progress_counts(city, ProgressBy.UNIT, calendar, on, within=d.units[1])
    assert [(c.key, c.registered) for c in by_unit] == [(str(d.units[1]), 2)]
    unit_op = support.add_operator(store, Role.UNIT, d.units[1])
    found = store.progress_counts(unit_op, ProgressBy.COMMUNITY, calendar, on, within=d.units[0])
    assert found == []  # another unit's members stay out of sight
