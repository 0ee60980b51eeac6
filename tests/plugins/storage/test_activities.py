"""Activities: bulk writes, duplicates, limits, locked sheets, roll-ups, undo."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from partyreg_core.batches import BatchKind
from partyreg_core.errors import ConflictError, NotPermittedError
from partyreg_core.hours import RollupKey
from partyreg_core.operators.model import Role
from partyreg_plugins.sqlstore.schema import feedback_sheets
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import activity, batch, make_district, registration


def _members(store: SqlStore, n: int = 3, k: int = 0):  # type: ignore[no-untyped-def]
    d = make_district(store)
    regs = [registration(d.units[i % 2], d.communities[k]) for i in range(n)]
    ids = support.register(store, support.city(store), regs)
    support.route(store, ids, d, k)
    return d, regs, ids


def test_activities_are_written_once_and_rolled_up(store: SqlStore) -> None:
    d, regs, ids = _members(store)
    city = support.city(store)
    year = 2101
    rows = [
        activity(r.person_key, date(year, 3, day), hours=1.5 + i)
        for i, r in enumerate(regs)
        for day in (1, 2)
    ]
    result = store.write_activities(city, batch(BatchKind.ACTIVITIES, len(rows)), rows)
    assert (result.new, result.duplicates, result.written) == (6, 0, 6)
    again = store.write_activities(city, batch(BatchKind.ACTIVITIES, len(rows)), rows)
    assert (again.new, again.duplicates, again.written) == (0, 6, 0)
    by_member = {t.key: t for t in store.activity_totals(city, RollupKey.MEMBER, year=year)}
    assert {k: (v.hours, v.activities) for k, v in by_member.items()} == {
        str(ids[0]): (3.0, 2),
        str(ids[1]): (5.0, 2),
        str(ids[2]): (7.0, 2),
    }
    [district] = store.activity_totals(city, RollupKey.DISTRICT, year=year)
    assert (district.key, district.hours, district.activities) == (str(d.code), 15.0, 6)
    [community] = store.activity_totals(city, RollupKey.COMMUNITY, year=year)
    assert community.key == str(d.communities[0].id)
    units = defaultdict(float)
    for r, i in zip(regs, range(3), strict=True):
        units[str(r.unit_code)] += 2 * (1.5 + i)
    assert {t.key: t.hours for t in store.activity_totals(city, RollupKey.UNIT, year=year)} == units


def test_an_unknown_member_a_full_day_and_an_unrouted_member_are_refused(store: SqlStore) -> None:
    d, regs, _ids = _members(store, 2)
    city = support.city(store)
    unrouted = registration(d.units[0], d.communities[0])
    support.register(store, city, [unrouted])
    rows = [
        activity(regs[0].person_key, date(2102, 5, 1), hours=20),
        activity(regs[0].person_key, date(2102, 5, 1), hours=5, content="另一项"),
        activity(("查无此人", "13900000000"), date(2102, 5, 1)),
        activity(unrouted.person_key, date(2102, 5, 1)),
        activity(regs[1].person_key, date(2102, 5, 1)),
    ]
    before = support.count_rows(store, "activities")
    result = store.write_activities(city, batch(BatchKind.ACTIVITIES, 5), rows)
    assert [(r.index, r.code) for r in result.rejected] == [
        (1, "activity.hours_day"),
        (2, "activity.member_unknown"),
        (3, "activity.no_community"),
    ]
    assert result.written == 0 and support.count_rows(store, "activities") == before
    kept = store.write_activities(city, batch(BatchKind.ACTIVITIES, 5), rows, skip_rejected=True)
    assert kept.written == 2


def test_a_confirmed_sheet_takes_no_more_activities_for_its_year(store: SqlStore) -> None:
    d, regs, ids = _members(store, 1)
    with support.raw_sql(store) as conn:
        conn.execute(
            "INSERT INTO feedback_sheets (number, member_id, year, community_id, unit_code, status)"
            f" VALUES ('T-{ids[0]}', {ids[0]}, 2103, {d.communities[0].id}, '{regs[0].unit_code}', 'confirmed')"
        )
    assert feedback_sheets.name == "feedback_sheets"
    rows = [
        activity(regs[0].person_key, date(2103, 6, 1)),
        activity(regs[0].person_key, date(2104, 1, 2)),
    ]
    result = store.write_activities(support.city(store), batch(BatchKind.ACTIVITIES, 2), rows)
    assert [(r.index, r.code) for r in result.rejected] == [(0, "activity.locked")]


def test_units_do_not_record_activities_and_communities_only_their_own(store: SqlStore) -> None:
    d, regs, ids = _members(store, 2)
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    with pytest.raises(NotPermittedError):
        store.write_activities(
            unit, batch(BatchKind.ACTIVITIES, 1), [activity(regs[0].person_key, date(2105, 1, 1))]
        )
    other = support.add_operator(store, Role.COMMUNITY, communities=[d.communities[1].id])
    result = store.write_activities(
        other, batch(BatchKind.ACTIVITIES, 1), [activity(regs[0].person_key, date(2105, 1, 1))]
    )
    assert [r.code for r in result.rejected] == ["activity.member_unknown"]  # not revealed
    own = support.add_operator(store, Role.INSTRUCTOR, communities=[d.communities[0].id])
    result = store.write_activities(
        own, batch(BatchKind.ACTIVITIES, 1), [activity(regs[0].person_key, date(2105, 1, 1))]
    )
    assert result.written == 1
    assert [t.key for t in store.activity_totals(own, RollupKey.MEMBER, year=2105)] == [str(ids[0])]
    assert store.activity_totals(other, RollupKey.MEMBER, year=2105) == []
    assert [t.hours for t in store.activity_totals(unit, RollupKey.UNIT, year=2105)] == [2.0]


def test_an_activities_batch_can_be_undone_until_a_sheet_is_confirmed(store: SqlStore) -> None:
    d, regs, ids = _members(store, 2)
    city = support.city(store)
    rows = [activity(r.person_key, date(2106, 2, 2)) for r in regs]
    first = store.write_activities(city, batch(BatchKind.ACTIVITIES, 2), rows)
    assert first.batch_id is not None
    report = store.undo_batch(city, first.batch_id)
    assert report.removed == 2
    assert store.activity_totals(city, RollupKey.MEMBER, year=2106) == []
    with pytest.raises(ConflictError, match="已于"):
        store.undo_batch(city, first.batch_id)
    second = store.write_activities(city, batch(BatchKind.ACTIVITIES, 2), rows)
    with support.raw_sql(store) as conn:
        conn.execute(
            "INSERT INTO feedback_sheets (number, member_id, year, community_id, unit_code, status)"
            f" VALUES ('U-{ids[0]}', {ids[0]}, 2106, {d.communities[0].id}, '{regs[0].unit_code}', 'confirmed')"
        )
    assert second.batch_id is not None
    with pytest.raises(ConflictError, match="盖章确认"):
        store.undo_batch(city, second.batch_id)


def test_a_registrations_batch_can_be_undone_until_something_is_built_on_it(
    store: SqlStore,
) -> None:
    d = make_district(store)
    city = support.city(store)
    kept = registration(d.units[0], d.communities[0])
    support.register(store, city, [kept])
    before = support.count_rows(store, "members")
    import attrs

    changed = attrs.evolve(kept, posts=("9",))
    fresh = [registration(d.units[0], d.communities[0]) for _ in range(3)]
    result = store.write_registrations(city, batch(rows=4), [changed, *fresh])
    assert result.batch_id is not None
    report = store.undo_batch(city, result.batch_id)
    assert (report.removed, report.restored) == (3, 1)
    assert support.count_rows(store, "members") == before
    from partyreg_core.members.model import MemberQuery

    [member] = store.members.list_members(city, MemberQuery(name=kept.name)).members
    assert member.posts == ("3", "8")
    again = store.write_registrations(city, batch(rows=3), fresh)
    assert again.batch_id is not None
    ids = [store.members.list_members(city, MemberQuery(name=r.name)).members[0].id for r in fresh]
    support.route(store, ids[:1], d)
    with pytest.raises(ConflictError, match="分流"):
        store.undo_batch(city, again.batch_id)


def test_the_same_activity_twice_in_one_batch_is_stored_once(store: SqlStore) -> None:
    _d, regs, ids = _members(store, 1)
    city = support.city(store)
    who = regs[0].person_key
    same = activity(who, date(2108, 3, 3), hours=9)
    other = activity(who, date(2108, 3, 3), hours=9, content="另一项")
    third = activity(who, date(2108, 3, 3), hours=7, content="第三项")
    rows = [same, same, other, third]
    result = store.write_activities(city, batch(BatchKind.ACTIVITIES, 4), rows)
    assert [(r.index, r.code) for r in result.rejected] == [(3, "activity.hours_day")]
    assert (result.new, result.duplicates, result.written) == (2, 1, 0)
    kept = store.write_activities(city, batch(BatchKind.ACTIVITIES, 4), rows, skip_rejected=True)
    assert (kept.new, kept.duplicates, kept.written) == (2, 1, 2)
    [total] = store.activity_totals(city, RollupKey.MEMBER, year=2108)
    assert (total.key, total.hours, total.activities) == (str(ids[0]), 18.0, 2)
