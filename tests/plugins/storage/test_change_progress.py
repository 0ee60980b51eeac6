"""Change of community, expected counts and progress counts — on every backend.

Progress numbers are checked against counts computed here, independently, from the raw member,
route and change-request rows read with plain SQL.
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import psycopg
import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.calendar import CampaignCalendar
from partyreg_core.changes import ChangeStatus
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.members.model import MemberQuery, MemberStatus, Route
from partyreg_core.operators.model import Role
from partyreg_core.progress import ProgressBy
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.progress_support import report_in
from tests.plugins.storage.support import (
    activity,
    batch,
    make_district,
    register,
    registration,
)

DAY = date(2024, 10, 8)


def _routes(store: SqlStore, member_id: int) -> list[tuple[int | None, str, str | None]]:
    with support.raw_sql(store) as conn:
        rows = conn.execute(
            "SELECT community_id, routed_on, ended_on FROM routes WHERE member_id = "
            f"{int(member_id)} ORDER BY id"
        ).fetchall()
    return [(r[0], str(r[1]), None if r[2] is None else str(r[2])) for r in rows]


def _routed_member(store: SqlStore):  # type: ignore[no-untyped-def]
    d = make_district(store, units=2, communities=3)
    city = support.city(store)
    who = support.person()
    [member_id] = register(store, city, [registration(d.units[0], d.communities[0], who)])
    support.route(store, [member_id], d, 0)
    return d, city, who, member_id


def test_a_change_is_requested_approved_and_the_history_stays(store: SqlStore) -> None:
    d, city, who, member_id = _routed_member(store)
    report_in(store, [member_id], date(2024, 9, 15))
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    old, new = d.communities[0], d.communities[2]
    store.write_activities(
        city, batch(support.BatchKind.ACTIVITIES, 1), [activity(who, date(2024, 9, 20))]
    )

    request = store.routing.request_change(unit, member_id, new.ref, "搬家到新小区", DAY)
    assert request.status is ChangeStatus.PENDING
    assert (request.from_community_id, request.to_community_id) == (old.id, new.id)
    assert request.requested_by == unit.name and request.name == who[0]
    assert [r.id for r in store.routing.change_requests(unit, ChangeStatus.PENDING)] == [request.id]

    decided = store.routing.decide_change(unit, request.id, True, None, DAY + timedelta(days=2))
    assert decided.status is ChangeStatus.APPROVED and decided.decided_by == unit.name
    member = store.members.get_member(city, member_id)
    assert member.community_id == new.id and member.district_code == d.code
    assert member.community == new.ref  # 附表1's 报到社区 follows the move
    assert member.status is MemberStatus.ROUTED and member.reported_on is None
    assert member.routed_on == DAY + timedelta(days=2)
    # the old route ends on the day, the new one is open; both rows stay
    assert _routes(store, member_id) == [
        (old.id, "2024-09-05", "2024-10-10"),
        (new.id, "2024-10-10", None),
    ]
    # past activities stay with the member and the old community
    [kept] = store.member_activities(city, member_id)
    assert kept.day == date(2024, 9, 20)
    with support.raw_sql(store) as conn:
        [(community_id,)] = conn.execute(
            f"SELECT community_id FROM activities WHERE member_id = {member_id}"
        ).fetchall()
        [(released,)] = conn.execute(
            f"SELECT released_reported_on FROM change_requests WHERE id = {request.id}"
        ).fetchall()
    assert community_id == old.id and str(released) == "2024-09-15"
    # the new community sees the member now, the old one no longer
    new_op = support.add_operator(store, Role.COMMUNITY, communities=[new.id])
    old_op = support.add_operator(store, Role.COMMUNITY, communities=[old.id])
    assert store.members.get_member(new_op, member_id).id == member_id
    with pytest.raises(NotFoundError):
        store.members.get_member(old_op, member_id)
    actions = [e.action for e in store.audit(city, AuditQuery(subject=f"member:{member_id}"))]
    assert actions == ["change.request", "change.approve"]


def test_a_rejected_change_leaves_the_member_where_they_are(store: SqlStore) -> None:
    d, city, _who, member_id = _routed_member(store)
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    before = store.members.get_member(city, member_id)
    request = store.routing.request_change(unit, member_id, d.communities[1].id, "临时借住", DAY)
    rejected = store.routing.decide_change(unit, request.id, False, "未实际搬迁", DAY)
    assert rejected.status is ChangeStatus.REJECTED
    assert rejected.decision_reason == "未实际搬迁"
    assert rejected.event()["reason"] == "未实际搬迁"
    assert store.members.get_member(city, member_id) == before
    assert _routes(store, member_id) == [(d.communities[0].id, "2024-09-05", None)]
    with pytest.raises(ConflictError) as decided:
        store.routing.decide_change(unit, request.id, True, None, DAY)
    assert decided.value.code == "change.decided"
    assert store.routing.change_requests(unit, ChangeStatus.PENDING) == []
    assert [r.id for r in store.routing.change_requests(unit, ChangeStatus.REJECTED)] == [
        request.id
    ]


def test_only_one_pending_request_per_member(store: SqlStore) -> None:
    d, city, _who, member_id = _routed_member(store)
    first = store.routing.request_change(city, member_id, d.communities[1].id, "搬家", DAY)
    with pytest.raises(ConflictError) as again:
        store.routing.request_change(city, member_id, d.communities[2].id, "又搬家", DAY)
    assert again.value.code == "change.pending" and str(first.id) in again.value.message
    store.routing.decide_change(city, first.id, False, "材料不全", DAY)
    second = store.routing.request_change(city, member_id, d.communities[2].id, "又搬家", DAY)
    assert second.status is ChangeStatus.PENDING


def test_a_reimport_does_not_file_a_second_pending_request(store: SqlStore) -> None:
    d, city, who, member_id = _routed_member(store)
    store.routing.request_change(city, member_id, d.communities[1].id, "搬家", DAY)
    moved = registration(d.units[0], d.communities[2], who)
    result = store.write_registrations(city, batch(rows=1), [moved])
    assert not result.rejected and result.change_requests == 0
    pending = store.routing.change_requests(city, ChangeStatus.PENDING)
    assert [r.member_id for r in pending].count(member_id) == 1
    assert next(r for r in pending if r.member_id == member_id).to == d.communities[1].ref


def test_who_may_file_and_who_decides(store: SqlStore) -> None:
    d, _city, _who, member_id = _routed_member(store)
    own_unit = support.add_operator(store, Role.UNIT, d.units[0])
    other_unit = support.add_operator(store, Role.UNIT, d.units[1])
    community = support.add_operator(store, Role.COMMUNITY, communities=[d.communities[0].id])
    district = support.add_operator(store, Role.DISTRICT, d.code)
    with pytest.raises(NotFoundError):  # another unit does not even see the member
        store.routing.request_change(other_unit, member_id, d.communities[1].id, "搬家", DAY)
    # the community the member reports to may file on the member's behalf …
    request = store.routing.request_change(community, member_id, d.communities[1].id, "搬家", DAY)
    assert request.requested_by == community.name
    # … but only the unit side decides
    with pytest.raises(NotPermittedError) as denied:
        store.routing.decide_change(community, request.id, True, None, DAY)
    assert denied.value.code == "change.denied"
    with pytest.raises(NotFoundError):
        store.routing.decide_change(other_unit, request.id, True, None, DAY)
    assert store.routing.change_requests(other_unit) == []
    assert (
        store.routing.decide_change(district, request.id, True, None, DAY).decided_by
        == district.name
    )
    assert store.members.get_member(own_unit, member_id).community_id == d.communities[1].id


def test_a_change_needs_a_routed_member_and_a_different_known_community(store: SqlStore) -> None:
    d = make_district(store, communities=2)
    city = support.city(store)
    [registered] = register(store, city, [registration(d.units[0], d.communities[0])])
    with pytest.raises(ConflictError) as not_routed:
        store.routing.request_change(city, registered, d.communities[1].id, "搬家", DAY)
    assert not_routed.value.code == "change.not_routed"
    support.route(store, [registered], d, 0)
    with pytest.raises(ValidationError) as same:
        store.routing.request_change(city, registered, d.communities[0].ref, "搬家", DAY)
    assert same.value.code == "change.same"
    nowhere = attrs.evolve(d.communities[1].ref, community="不存在社区")
    with pytest.raises(NotFoundError) as unknown:
        store.routing.request_change(city, registered, nowhere, "搬家", DAY)
    assert unknown.value.code == "community.unknown"
    assert store.routing.change_requests(city, ChangeStatus.PENDING) == [] or all(
        r.member_id != registered for r in store.routing.change_requests(city, ChangeStatus.PENDING)
    )


# -- expected counts -----------------------------------------------------------------------------


def test_expected_counts_are_declared_by_the_unit_or_set_from_above(store: SqlStore) -> None:
    d = make_district(store, units=2)
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    district = support.add_operator(store, Role.DISTRICT, d.code)
    assert store.set_expected(unit, d.units[0], 2024, 30) is None
    assert store.set_expected(unit, d.units[0], 2024, 32) == 30
    with pytest.raises(NotPermittedError):
        store.set_expected(unit, d.units[1], 2024, 5)
    assert store.set_expected(district, d.units[1], 2024, 12) is None
    store.set_expected(district, d.units[1], 2025, 14)
    with pytest.raises(ValidationError):
        store.set_expected(district, d.units[1], 2024, -1)
    declared = store.expectations(unit, 2024)
    assert declared[d.units[0]] == 32 and declared[d.units[1]] == 12
    assert store.expectations(unit, 2025)[d.units[1]] == 14


# -- progress counts ---------------------------------------------------------------------------


def _independent(
    store: SqlStore, unit_prefix: str, calendar: CampaignCalendar, on: date, depth: int
) -> dict[str, tuple[int, ...]]:
    """The counts computed from the raw rows, without the store's query."""
    with support.raw_sql(store) as conn:
        people = conn.execute(
            "SELECT id, unit_code, registered_on, reported_on, routed_on FROM members "
            f"WHERE unit_code LIKE '{unit_prefix}.%'"
        ).fetchall()
        route_rows = conn.execute("SELECT member_id, routed_on FROM routes").fetchall()
        released_rows = conn.execute(
            "SELECT member_id, released_reported_on FROM change_requests "
            "WHERE status = 'approved' AND released_reported_on IS NOT NULL"
        ).fetchall()

    def day(value: object) -> date | None:
        return None if value is None else date.fromisoformat(str(value)[:10])

    first_route: dict[int, date] = {}
    for member_id, routed_on in route_rows:
        d = day(routed_on)
        assert d is not None
        first_route[member_id] = min(first_route.get(member_id, d), d)
    released: dict[int, date] = {}
    for member_id, value in released_rows:
        d = day(value)
        assert d is not None
        released[member_id] = min(released.get(member_id, d), d)
    counts: dict[str, list[int]] = {}
    for member_id, unit_code, registered_on, reported_on, routed_on in people:
        if day(registered_on) is None or day(registered_on) > on:  # type: ignore[operator]
            continue
        key = ".".join(unit_code.split(".")[:depth])
        row = counts.setdefault(key, [0] * 7)
        routed = first_route.get(member_id, day(routed_on))
        reported = released.get(member_id, day(reported_on))
        row[0] += 1
        row[1] += day(registered_on) <= calendar.registration_due  # type: ignore[operator]
        row[2] += routed is not None and routed <= on
        row[3] += routed is not None and routed <= on and routed <= calendar.routing_due
        row[4] += reported is not None and reported <= on
        row[5] += reported is not None and reported <= on and reported <= calendar.report_in_due
    return {k: tuple(v[:6]) for k, v in counts.items()}


def test_progress_counts_match_the_raw_rows_before_and_after_each_deadline(
    store: SqlStore,
) -> None:
    d = make_district(store, units=3, communities=3)
    city = support.city(store)
    calendar = CampaignCalendar.default(2024)
    ids: list[int] = []
    # registrations on time and late, in three units
    for i, on in enumerate([date(2024, 8, 20), date(2024, 8, 30), date(2024, 9, 2)]):
        regs = [registration(d.units[i % 3], d.communities[k % 3]) for k in range(4 + i)]
        result = store.write_registrations(city, batch(rows=len(regs), on=on), regs)
        assert result.new == len(regs)
        ids += [
            store.members.list_members(city, MemberQuery(name=r.name, phone=r.phone)).members[0].id
            for r in regs
        ]
    # routing on time and late; report-in on time and late; one moves after reporting in
    on_time, late_route, never = ids[:8], ids[8:12], ids[12:]
    store.route_members(
        city, [Route(m, d.code, d.communities[0].id) for m in on_time], date(2024, 9, 8)
    )
    store.route_members(
        city, [Route(m, d.code, d.communities[1].id) for m in late_route], date(2024, 9, 14)
    )
    report_in(store, on_time[:5], date(2024, 9, 18))
    report_in(store, on_time[5:7], date(2024, 9, 25))
    request = store.routing.request_change(
        city, on_time[0], d.communities[2].id, "搬家", date(2024, 10, 1)
    )
    store.routing.decide_change(city, request.id, True, None, date(2024, 10, 2))
    assert never  # some are never routed
    district = support.add_operator(store, Role.DISTRICT, d.code)

    for on in (
        date(2024, 8, 25), date(2024, 8, 31), date(2024, 9, 9), date(2024, 9, 11),
        date(2024, 9, 20), date(2024, 9, 21), date(2024, 10, 3), date(2024, 12, 1),
    ):  # fmt: skip
        for by, depth in ((ProgressBy.UNIT, 3), (ProgressBy.DISTRICT, 2)):
            got = {
                c.key: (
                    c.registered, c.registered_on_time, c.routed, c.routed_on_time,
                    c.reported_in, c.reported_on_time,
                )
                for c in store.progress_counts(district, by, calendar, on)
            }  # fmt: skip
            assert got == _independent(store, str(d.code), calendar, on, depth), (on, by)
    # the member who moved still counts as reported in (on time), though routed again
    moved = store.members.get_member(city, on_time[0])
    assert moved.status is MemberStatus.ROUTED
    [whole] = store.progress_counts(district, ProgressBy.DISTRICT, calendar, date(2024, 10, 3))
    assert whole.reported_in == 7 and whole.reported_on_time == 5


def test_progress_by_community_and_the_overdue_members(store: SqlStore) -> None:
    d = make_district(store, units=1, communities=2)
    city = support.city(store)
    calendar = CampaignCalendar.default(2024)
    regs = [registration(d.units[0], d.communities[k % 2]) for k in range(5)]
    store.write_registrations(city, batch(rows=5, on=date(2024, 8, 1)), regs)
    ids = [
        store.members.list_members(city, MemberQuery(name=r.name, phone=r.phone)).members[0].id
        for r in regs
    ]
    store.route_members(city, [Route(ids[0], d.code, d.communities[0].id)], date(2024, 9, 1))
    report_in(store, ids[:1], date(2024, 9, 2))
    district = support.add_operator(store, Role.DISTRICT, d.code)
    counts = {
        c.key: (c.registered, c.routed, c.reported_in)
        for c in store.progress_counts(district, ProgressBy.COMMUNITY, calendar, date(2024, 9, 30))
    }
    assert counts == {str(d.communities[0].id): (3, 1, 1), str(d.communities[1].id): (2, 0, 0)}
    assert list(store.overdue_members(district, calendar, date(2024, 9, 10))) == []
    overdue = list(store.overdue_members(district, calendar, date(2024, 9, 11)))
    assert sorted(m.id for m in overdue) == sorted(ids[1:])
    assert all(m.dates.routed_on is None for m in overdue)
    late = {m.id for m in store.overdue_members(district, calendar, date(2024, 9, 21))}
    assert late == set(ids[1:])
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    assert {m.id for m in store.overdue_members(unit, calendar, date(2024, 9, 21))} == late
    other = make_district(store, units=1)
    stranger = support.add_operator(store, Role.UNIT, other.units[0])
    assert list(store.overdue_members(stranger, calendar, date(2024, 9, 21))) == []
    assert store.progress_counts(stranger, ProgressBy.UNIT, calendar, date(2024, 9, 21)) == []


@pytest.mark.postgres
def test_postgres_policies_hold_for_expected_counts_and_change_requests(
    pg_database: str,
) -> None:
    store = SqlStore(support.pg_url(pg_database))
    a, b = make_district(store), make_district(store)
    city = support.city(store)
    [member_b] = register(store, city, [registration(b.units[0], b.communities[0])])
    support.route(store, [member_b], b, 0)
    store.routing.request_change(city, member_b, b.communities[1].id, "搬家", DAY)
    unit_a = support.add_operator(store, Role.UNIT, a.units[0])
    role = unit_a.operator.db_role
    assert role is not None
    with support.raw_sql(store) as conn:
        conn.execute(f'SET ROLE "{role}"')
        conn.execute(
            "INSERT INTO partyreg.unit_expectations (code, year, expected, set_by, set_at)"
            " VALUES (%s, 2024, 10, 'x', now())",
            (str(a.units[0]),),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO partyreg.unit_expectations (code, year, expected, set_by, set_at)"
                " VALUES (%s, 2024, 10, 'x', now())",
                (str(b.units[0]),),
            )
        seen = conn.execute(
            "SELECT count(*) FROM partyreg.change_requests WHERE member_id = %s", (member_b,)
        ).fetchone()[0]
        assert seen == 0
        conn.execute("RESET ROLE")
    store.close()
