"""Community service in the store, on SQLite and PostgreSQL: recording (all or none), self-reports,
feedback sheets (numbering, confirm, lock, reopen, deliver) and summaries checked against totals
computed here from the raw rows."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partyreg_core.batches import BatchKind
from partyreg_core.errors import ConflictError, NotPermittedError, ValidationError
from partyreg_core.feedback.model import ServiceEntry, SheetState, SummaryBy
from partyreg_core.operators.model import Role
from partyreg_core.records import Rating
from partyreg_plugins.sqlstore.schema import group_members, groups
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import activity, batch, make_district, registration

_years = itertools.count(2300)


def _setup(store: SqlStore, n: int = 4):  # type: ignore[no-untyped-def]
    d = make_district(store, units=2, communities=2)
    regs = [registration(d.units[i % 2], d.communities[0]) for i in range(n)]
    ids = support.register(store, support.city(store), regs)
    support.route(store, ids[: n - 1], d, 0)
    support.route(store, ids[n - 1 :], d, 1)
    return d, regs, ids


def entry(member_id: int, day: date, hours: float = 2.0, **kw: object) -> ServiceEntry:
    return ServiceEntry(member_id, day, kw.pop("content", "环境清扫"), hours,  # type: ignore[arg-type]
                        kw.pop("rating", Rating.GOOD), **kw)  # type: ignore[arg-type]  # fmt: skip


def test_recording_is_all_or_none_and_counts_stored_hours(store: SqlStore) -> None:
    _d, _regs, ids = _setup(store)
    city = support.city(store)
    year = next(_years)
    day = date(year, 5, 1)
    store.activities.record_activities(city, [entry(ids[0], day, 20)], subject="t")
    before = support.count_rows(store, "activities")
    with pytest.raises(ValidationError) as caught:
        store.activities.record_activities(
            city, [entry(ids[1], day, 3), entry(ids[0], day, 5)], subject="t"
        )  # the second would pass 24 h with the stored 20
    assert caught.value.code == "activity.hours_day"
    assert support.count_rows(store, "activities") == before  # ids[1]'s row rolled back too
    with pytest.raises(ConflictError):
        store.activities.record_activities(city, [entry(ids[0], day, 20)], subject="t")
    new = store.activities.record_activities(
        city, [entry(ids[1], day, 3), entry(ids[0], day, 4)], subject="t"
    )
    assert len(new) == 2


def test_instructors_record_only_for_their_communities(store: SqlStore) -> None:
    d, _regs, ids = _setup(store)
    own = support.add_operator(store, Role.COMMUNITY, communities=[d.communities[0].id])
    day = date(next(_years), 3, 3)
    assert store.activities.record_activities(own, [entry(ids[0], day)], subject="t")
    with pytest.raises((NotPermittedError, Exception)) as caught:
        store.activities.record_activities(
            own, [entry(ids[-1], day)], subject="t"
        )  # the other community
    assert getattr(caught.value, "code", "") in ("member.not_found", "scope.denied")
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    with pytest.raises(NotPermittedError):
        store.activities.record_activities(unit, [entry(ids[0], day)], subject="t")


def test_group_rows_must_belong_to_the_members_community(store: SqlStore) -> None:
    d, _regs, ids = _setup(store)
    city = support.city(store)
    with store.engine.begin() as conn:
        gid = conn.execute(
            sa.insert(groups)
            .values(community_id=d.communities[0].id, year=2300, post_code="3", name="g")
            .returning(groups.c.id)
        ).scalar_one()
        conn.execute(sa.insert(group_members), [{"group_id": gid, "member_id": m} for m in ids[:2]])
    community_id, roster = store.activities.group_roster(city, gid)
    assert (community_id, roster) == (d.communities[0].id, sorted(ids[:2]))
    day = date(next(_years), 3, 3)
    with pytest.raises(Exception) as caught:
        store.activities.record_activities(city, [entry(ids[-1], day, group_id=gid)], subject="t")
    assert getattr(caught.value, "code", "") == "group.not_found"


def test_self_reports_wait_for_confirmation(store: SqlStore) -> None:
    d, _regs, ids = _setup(store)
    city = support.city(store)
    district = support.add_operator(store, Role.DISTRICT, d.code)
    year = next(_years)
    [a, b] = store.activities.record_activities(
        city,
        [entry(ids[0], date(year, 4, 1), 3, self_reported=True),
         entry(ids[0], date(year, 4, 2), 1, self_reported=True)],
        subject="t",
    )  # fmt: skip
    assert [p.id for p in store.activities.pending_activities(district)] == [a, b]
    [row] = [r for r in store.feedback.feedback_summary(district, SummaryBy.MEMBER, year=year)
             if r.key == str(ids[0])]  # fmt: skip
    assert (row.hours, row.idle) == (0.0, 1)
    store.activities.decide_self_reports(district, [a], confirm=True)
    store.activities.decide_self_reports(district, [b], confirm=False, reason="不实")
    assert store.activities.pending_activities(district) == []
    [row] = [r for r in store.feedback.feedback_summary(district, SummaryBy.MEMBER, year=year)
             if r.key == str(ids[0])]  # fmt: skip
    assert (row.hours, row.activities, row.idle) == (3.0, 1, 0)


def test_sheet_numbers_lifecycle_and_lock(store: SqlStore) -> None:
    d, regs, ids = _setup(store)
    city = support.city(store)
    district = support.add_operator(store, Role.DISTRICT, d.code)
    year = next(_years)
    store.activities.record_activities(city, [entry(ids[1], date(year, 6, 1), 2.5)], subject="t")
    c0, c1 = d.communities[0].id, d.communities[1].id
    sheets = store.feedback.feedback_sheet_list(district, year)
    assert [s.number for s in sheets] == [
        f"{year}-{c0:04d}-0001", f"{year}-{c0:04d}-0002", f"{year}-{c0:04d}-0003",
        f"{year}-{c1:04d}-0001",
    ]  # fmt: skip
    assert [s.member_id for s in sheets] == ids
    assert (
        store.feedback.feedback_sheet_list(district, year) == sheets
    )  # stable, nothing renumbered
    number = sheets[1].number
    [done] = store.feedback.confirm_sheets(district, [number], date(year, 12, 18))
    assert (done.state, done.hours, done.confirmed_on) == (
        SheetState.CONFIRMED,
        2.5,
        date(year, 12, 18),
    )
    # locked: the instructor's recording and the import both refuse the year
    with pytest.raises(ConflictError):
        store.activities.record_activities(city, [entry(ids[1], date(year, 6, 2))], subject="t")
    result = store.write_activities(
        city, batch(BatchKind.ACTIVITIES, 1), [activity(regs[1].person_key, date(year, 6, 3))]
    )
    assert [r.code for r in result.rejected] == ["activity.locked"]
    unit = support.add_operator(store, Role.UNIT, d.units[1])
    with pytest.raises(NotPermittedError):
        store.feedback.reopen_sheet(unit, number, "x", date(year, 12, 19))
    reopened = store.feedback.reopen_sheet(district, number, "补录", date(year, 12, 19))
    assert (reopened.state, reopened.reopened_reason) == (SheetState.DRAFT, "补录")
    store.activities.record_activities(city, [entry(ids[1], date(year, 6, 2))], subject="t")
    store.feedback.confirm_sheets(district, [number], date(year, 12, 20))
    delivered = store.feedback.deliver_sheets(unit, d.units[1], year, date(year, 12, 21))
    assert [(s.number, s.state, s.hours) for s in delivered] == [
        (number, SheetState.DELIVERED, 4.5)
    ]
    assert store.feedback.deliver_sheets(unit, d.units[1], year, date(year, 12, 22)) == []
    assert [s.number for s in store.feedback.feedback_sheet_list(district, year)] == [
        s.number for s in sheets
    ]


def test_pairing_counts_routed_members_by_unit_and_community(store: SqlStore) -> None:
    d, regs, _ids = _setup(store)
    district = support.add_operator(store, Role.DISTRICT, d.code)
    expected: dict[tuple[str, int], int] = defaultdict(int)
    for i, reg in enumerate(regs):
        expected[(str(reg.unit_code), d.communities[0 if i < len(regs) - 1 else 1].id)] += 1
    got = {(u, c): n for u, c, n in store.feedback.pairing_counts(district)}
    assert got == dict(expected)


# -- summaries against the raw rows ------------------------------------------------------------

_plan = st.dictionaries(
    keys=st.tuples(st.integers(0, 4), st.integers(0, 80)),  # member index, day of the year
    values=st.tuples(
        st.sampled_from([0.5, 1.0, 2.0, 3.5, 8.0, 24.0]),
        st.sampled_from(list(Rating)),
        st.sampled_from(["confirmed", "self_confirmed", "self_pending"]),
    ),
    max_size=25,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=_plan)
def test_summaries_equal_totals_computed_from_the_raw_rows(
    store: SqlStore, plan: dict[tuple[int, int], tuple[float, Rating, str]]
) -> None:
    d = make_district(store, units=2, communities=2)
    city = support.city(store)
    regs = [registration(d.units[i % 2], d.communities[0]) for i in range(5)]
    ids = support.register(store, city, regs)
    support.route(store, ids[:3], d, 0)
    support.route(store, ids[3:], d, 1)
    community_of = {m: d.communities[0 if i < 3 else 1].id for i, m in enumerate(ids)}
    unit_of = {m: str(regs[i].unit_code) for i, m in enumerate(ids)}
    year = next(_years)
    entries = [
        entry(ids[i], date(year, 1, 1) + timedelta(days=day), hours, rating=rating,
              self_reported=state != "confirmed")
        for (i, day), (hours, rating, state) in sorted(plan.items())
    ]  # fmt: skip
    new = store.activities.record_activities(city, entries, subject="t") if entries else []
    to_confirm = [
        a for a, ((_k, (_h, _r, state))) in zip(new, sorted(plan.items()), strict=True)
        if state == "self_confirmed"
    ]  # fmt: skip
    if to_confirm:
        store.activities.decide_self_reports(city, to_confirm, confirm=True)
    counted = [
        (ids[i], date(year, 1, 1) + timedelta(days=day), hours, rating)
        for (i, day), (hours, rating, state) in sorted(plan.items())
        if state != "self_pending"
    ]
    district = support.add_operator(store, Role.DISTRICT, d.code)

    def expect(key_of):  # type: ignore[no-untyped-def]
        out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0, 0, 0])
        for member, day, hours, rating in counted:
            row = out[key_of(member, day)]
            row[0] += hours
            row[1] += 1
            row[2 + list(Rating).index(rating)] += 1
        return {k: (round(v[0], 2), *map(int, v[1:])) for k, v in out.items()}

    def got(by: SummaryBy):  # type: ignore[no-untyped-def]
        rows = store.feedback.feedback_summary(district, by, year=year)
        return {
            r.key: (r.hours, r.activities, r.excellent, r.good, r.fair)
            for r in rows
            if r.activities
        }, rows

    by_member, rows = got(SummaryBy.MEMBER)
    assert by_member == expect(lambda m, _d: str(m))
    active = {m for m, *_ in counted}
    assert {r.key for r in rows if r.idle} == {str(m) for m in ids if m not in active}
    by_community, rows = got(SummaryBy.COMMUNITY)
    assert by_community == expect(lambda m, _d: str(community_of[m]))
    for r in rows:
        members = [m for m in ids if str(community_of[m]) == r.key]
        assert (r.members, r.idle) == (len(members), len([m for m in members if m not in active]))
    assert got(SummaryBy.UNIT)[0] == expect(lambda m, _d: unit_of[m])
    assert got(SummaryBy.DISTRICT)[0] == expect(lambda _m, _d: str(d.code))
    assert got(SummaryBy.MONTH)[0] == expect(lambda _m, day: f"{day.year:04d}-{day.month:02d}")
    # by post: no groups or assignments here, so each member's first claimed post ("3")
    assert got(SummaryBy.POST)[0] == expect(lambda _m, _d: "3")
