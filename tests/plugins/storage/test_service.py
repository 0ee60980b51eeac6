"""The community's service in the store: needs rows (history in the audit log), publication,
the year's assignment and groups replaced as a whole, hours per member, and who may write."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.batches import BatchKind
from partyreg_core.errors import (
    ConflictError,
    NotFoundError,
    NotPermittedError,
    ValidationError,
)
from partyreg_core.operators.model import Role
from partyreg_core.service.model import Assignment, Group, Need
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import activity, batch, make_district, registration

_years = itertools.count(2030)


def _community(store: SqlStore, n: int = 4):  # type: ignore[no-untyped-def]
    d = make_district(store)
    regs = [registration(d.units[i % 2], d.communities[0]) for i in range(n)]
    ids = support.register(store, support.city(store), regs)
    support.route(store, ids, d, 0)
    return d, regs, ids


def test_needs_are_added_changed_removed_and_published_with_their_history(
    store: SqlStore,
) -> None:
    d, _regs, _ids = _community(store, 0)
    city = support.city(store)
    cid = d.communities[0].id
    year = next(_years)
    first = store.service.save_need(
        city, Need(cid, year, "8", 3, "义诊", date(year, 3, 1), date(year, 6, 1))
    )
    second = store.service.save_need(city, Need(cid, year, "3", 2))
    other_year = store.service.save_need(city, Need(cid, year + 1, "7", 1))
    assert first.id is not None and first.created_by == support.OS_USER
    assert [n.id for n in store.service.needs(city, cid, year)] == [
        second.id,
        first.id,
    ]  # by post code
    assert len(store.service.needs(city, cid)) == 3
    published = store.service.publish_needs(city, cid, year, date(year, 3, 2))
    assert {n.published_on for n in published} == {date(year, 3, 2)}
    assert (
        store.service.needs(city, cid, year + 1)[0].published_on is None
    )  # another year untouched
    changed = store.service.save_need(city, Need(cid, year, "8", 5, "义诊和讲座", id=first.id))
    assert (changed.people, changed.purpose, changed.published_on) == (5, "义诊和讲座", None)
    store.service.remove_need(city, cid, second.id)  # type: ignore[arg-type]
    assert [n.id for n in store.service.needs(city, cid, year)] == [first.id]
    entries = [
        e
        for e in store.audit(city, AuditQuery())
        if e.subject in (f"need:{first.id}", f"need:{second.id}", f"community:{cid}")
    ]
    assert [e.action for e in entries] == [
        "needs.add", "needs.add", "needs.publish", "needs.edit", "needs.remove",
    ]  # fmt: skip
    edit = entries[3]
    assert edit.before is not None and edit.after is not None
    assert (edit.before["people"], edit.after["people"]) == (3, 5)
    assert edit.before["published_on"] == date(year, 3, 2).isoformat()
    assert [n["post_code"] for n in entries[2].after["needs"]] == ["3", "8"]  # type: ignore[index]
    assert other_year.year == year + 1


def test_an_empty_list_is_not_published_and_unknown_rows_are_not_found(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    cid = d.communities[0].id
    with pytest.raises(ValidationError) as err:
        store.service.publish_needs(city, cid, next(_years), date(2030, 1, 1))
    assert err.value.code == "needs.empty"
    with pytest.raises(NotFoundError):
        store.service.remove_need(city, cid, 999_999)
    with pytest.raises(NotFoundError):
        store.service.save_need(city, Need(cid, 2030, "8", 1, id=999_999))
    with pytest.raises(NotFoundError):
        store.service.needs(city, 999_999)


def test_only_the_community_its_district_and_the_city_write_its_service(store: SqlStore) -> None:
    d, _regs, ids = _community(store, 2)
    other = make_district(store)
    cid = d.communities[0].id
    year = next(_years)
    allowed = [
        support.add_operator(store, Role.COMMUNITY, communities=[cid]),
        support.add_operator(store, Role.INSTRUCTOR, communities=[cid]),
        support.add_operator(store, Role.DISTRICT, d.code),
    ]
    for who in allowed:
        saved = store.service.save_need(who, Need(cid, year, "8", 1))
        assert saved.id is not None
    refused = [
        support.add_operator(store, Role.COMMUNITY, communities=[d.communities[1].id]),
        support.add_operator(store, Role.DISTRICT, other.code),
        support.add_operator(store, Role.UNIT, d.units[0]),
    ]
    for who in refused:
        with pytest.raises(NotPermittedError):
            store.service.save_need(who, Need(cid, year, "8", 1))
        with pytest.raises(NotPermittedError):
            store.service.replace_assignments(who, cid, year, [], date(year, 9, 1))
    community_op = allowed[0]
    n = store.service.replace_assignments(
        community_op, cid, year, [Assignment(ids[0], cid, year, "8", "第1志愿")], date(year, 9, 1)
    )
    assert n == 1
    assert [a.member_id for a in store.service.assignments(community_op, cid, year)] == [ids[0]]
    assert len(store.service.needs(refused[0], cid, year)) == 3  # everyone reads the needs list
    for who in allowed:  # on PostgreSQL through the row-level security of revision 0007
        saved = store.service.replace_groups(
            who, cid, year, [Group(cid, year, "8", "组", ids[1], (ids[1],))]
        )
        assert (
            [g.leader_id for g in store.service.groups(who, cid, year)]
            == [ids[1]]
            == [saved[0].leader_id]
        )
    with pytest.raises(NotPermittedError):
        store.service.replace_groups(refused[0], cid, year, [])


def test_the_years_assignment_is_replaced_whole_and_audited(store: SqlStore) -> None:
    d, _regs, ids = _community(store, 3)
    city = support.city(store)
    cid = d.communities[0].id
    year = next(_years)
    on = date(year, 9, 15)
    rows = [
        Assignment(ids[0], cid, year, "8", "第1志愿"),
        Assignment(ids[1], cid, year, "3", "特长"),
    ]
    assert store.service.replace_assignments(city, cid, year, rows, on) == 2
    got = store.service.assignments(city, cid, year)
    assert [(a.member_id, a.post_code, a.reason, a.assigned_on) for a in got] == [
        (ids[0], "8", "第1志愿", on),
        (ids[1], "3", "特长", on),
    ]
    store.service.replace_assignments(city, cid, year, [Assignment(ids[2], cid, year, "7")], on)
    assert [a.member_id for a in store.service.assignments(city, cid, year)] == [ids[2]]
    assert store.service.assignments(city, cid, year - 1) == []
    [entry, *_] = [
        e
        for e in store.audit(city, AuditQuery(action="assign", newest_first=True))
        if e.subject == f"community:{cid}"
    ]
    assert entry.before == {"year": year, "posts": {str(ids[0]): "8", str(ids[1]): "3"}}
    assert entry.after is not None and entry.after["posts"] == {str(ids[2]): "7"}


def test_only_members_routed_to_the_community_are_assigned(store: SqlStore) -> None:
    d, regs, ids = _community(store, 1)
    city = support.city(store)
    unrouted = support.register(store, city, [registration(d.units[0], d.communities[0])])
    cid = d.communities[0].id
    year = next(_years)
    for member in (unrouted[0], 999_999):
        with pytest.raises(ValidationError) as err:
            store.service.replace_assignments(
                city, cid, year, [Assignment(member, cid, year, "8")], date(year, 9, 1)
            )
        assert err.value.code == "assign.member"
    with pytest.raises(ValidationError):
        store.service.replace_assignments(
            city, d.communities[1].id, year, [Assignment(ids[0], cid, year, "8")], date(year, 9, 1)
        )
    assert regs


def test_groups_are_replaced_whole_leader_first_and_refused_once_activities_use_them(
    store: SqlStore,
) -> None:
    d, regs, ids = _community(store, 4)
    city = support.city(store)
    cid = d.communities[0].id
    year = next(_years)
    planned = [
        Group(cid, year, "8", "医疗卫生保健岗第1组", ids[2], (ids[0], ids[2])),
        Group(cid, year, "8", "医疗卫生保健岗第2组", ids[1], (ids[1], ids[3])),
    ]
    saved = store.service.replace_groups(city, cid, year, planned)
    assert [(g.name, g.leader_id, g.member_ids) for g in saved] == [
        ("医疗卫生保健岗第1组", ids[2], (ids[2], ids[0])),
        ("医疗卫生保健岗第2组", ids[1], (ids[1], ids[3])),
    ]
    assert store.service.groups(city, cid, year) == saved
    again = store.service.replace_groups(
        city, cid, year, [Group(cid, year, "3", "社情组", ids[0], (ids[0],))]
    )
    assert [g.member_ids for g in store.service.groups(city, cid, year)] == [(ids[0],)]
    assert support.count_rows(store, "group_members") >= 1
    with pytest.raises(ValidationError):
        store.service.replace_groups(
            city, cid, year, [Group(cid, year, "3", "x", ids[1], (ids[0],))]
        )
    with support.raw_sql(store) as conn:
        conn.execute(
            "INSERT INTO activities (member_id, community_id, unit_code, district_code, day, year,"
            " content, hours, rating, group_id) VALUES"
            f" ({ids[0]}, {cid}, '{regs[0].unit_code}', '{d.code}', '{year}-10-01', {year},"
            f" '小组活动', 2, '优', {again[0].id})"
        )
    with pytest.raises(ConflictError) as err:
        store.service.replace_groups(city, cid, year, [])
    assert err.value.code == "group.in_use"
    assert store.service.groups(city, cid, year) == again


def test_service_hours_add_up_a_years_confirmed_activities(store: SqlStore) -> None:
    d, regs, ids = _community(store, 3)
    city = support.city(store)
    year = 2000 + next(_years) % 20  # activities may not be in the future
    rows = [
        activity(regs[0].person_key, date(year, 3, 1), hours=2.5),
        activity(regs[0].person_key, date(year, 4, 1), hours=1.5),
        activity(regs[1].person_key, date(year, 4, 1), hours=3),
        activity(regs[1].person_key, date(year + 1, 4, 1), hours=9),
    ]
    written = store.write_activities(city, batch(BatchKind.ACTIVITIES, len(rows)), rows)
    assert written.written == 4
    expected: dict[int, float] = {}
    for r, i in zip(regs, ids, strict=True):
        total = sum(a.hours for a in rows if a.name == r.name and a.day.year == year)
        if total:
            expected[i] = total
    assert store.service.hours(city, ids, year) == expected
    other = support.add_operator(store, Role.COMMUNITY, communities=[d.communities[1].id])
    assert store.service.hours(other, ids, year) == {}


def test_many_communities_are_read_and_replaced_in_one_go(store: SqlStore) -> None:
    d = make_district(store, communities=3)
    city = support.city(store)
    regs = [registration(d.units[0], d.communities[k % 2]) for k in range(4)]
    ids = support.register(store, city, regs)
    support.route(store, ids[0::2], d, 0)
    support.route(store, ids[1::2], d, 1)
    a, b, empty = (c.id for c in d.communities)
    year = next(_years)
    rosters = store.service.rosters(city, [a, b, empty])
    assert {k: [r.member_id for r in v] for k, v in rosters.items()} == {
        a: [ids[0], ids[2]],
        b: [ids[1], ids[3]],
        empty: [],
    }
    assert rosters[a][0].claims == ("3", "8") and rosters[a][0].specialty == "医生"
    assert rosters[a] == store.service.roster(city, a)
    store.service.save_need(city, Need(a, year, "8", 2))
    store.service.save_need(city, Need(b, year, "3", 1))
    got = store.service.needs_of(city, [a, b, empty], year)
    assert {k: [n.post_code for n in v] for k, v in got.items()} == {a: ["8"], b: ["3"], empty: []}
    written = store.service.replace_assignments_many(
        city,
        year,
        {a: [Assignment(ids[0], a, year, "8")], b: [Assignment(ids[1], b, year, "3")], empty: []},
        date(year, 9, 20),
    )
    assert written == {a: 1, b: 1, empty: 0}
    by = store.service.assignments_of(city, [a, b, empty], year)
    assert {k: [(x.member_id, x.post_code) for x in v] for k, v in by.items()} == {
        a: [(ids[0], "8")],
        b: [(ids[1], "3")],
        empty: [],
    }
    saved = store.service.replace_groups_many(
        city,
        year,
        {a: [Group(a, year, "8", "甲组", ids[2], (ids[0], ids[2]))], b: [], empty: []},
    )
    assert [(g.name, g.member_ids) for g in saved[a]] == [("甲组", (ids[2], ids[0]))]
    assert saved[b] == [] and store.service.groups(city, a, year) == saved[a]
    other = support.add_operator(store, Role.COMMUNITY, communities=[b])
    with pytest.raises(NotPermittedError):  # one community out of scope: nothing is written
        store.service.replace_assignments_many(other, year, {b: [], a: []}, date(year, 9, 21))
    assert [x.member_id for x in store.service.assignments(city, b, year)] == [ids[1]]
    assert store.service.rosters(other, [a, b])[a] == []
