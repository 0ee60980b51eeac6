"""Campaign years, the year lock, Table 1's service totals and retention, on both backends.

Opening a year closes every earlier one and retention anonymises every due member of the
store, so these tests each get a store of their own (a fresh PostgreSQL database too), never
the session's shared one.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from partyreg_core.audit import AuditQuery
from partyreg_core.batches import BatchKind
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, PartyregError
from partyreg_core.hours import RollupKey
from partyreg_core.members.model import MemberQuery
from partyreg_core.operators.model import Role
from partyreg_core.records import Rating
from partyreg_core.retention import ANONYMOUS, ANONYMOUS_NAME
from partyreg_core.years import YearStatus, calendar_for
from partyreg_plugins.sqlstore.schema import members
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import activity, batch, make_district, registration


@pytest.fixture
def own(backend: str, tmp_path: Path) -> Iterator[SqlStore]:
    """A store of ``backend`` for this test alone."""
    if backend == "sqlite":
        store = SqlStore(f"sqlite:///{tmp_path / 'own.db'}")
        support.init_store(store)
        yield store
        store.close()
        return
    reason = support.pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    name = support.create_pg_database()
    store = SqlStore(support.pg_url(name))
    try:
        support.init_store(store)
        yield store
    finally:
        store.close()
        support.drop_pg_database(name)


def _set_left(store: SqlStore, member_ids: list[int], left_on: date) -> None:
    """Mark members as having left (the member lifecycle writes ``left_on``; here plain SQL)."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("SET search_path = partyreg")
        conn.execute(
            sa.update(members)
            .where(members.c.id.in_(member_ids))
            .values(left_on=left_on, left_reason="调离本市")
        )


def _routed(store: SqlStore, n: int, *, units: int = 2):  # type: ignore[no-untyped-def]
    d = make_district(store, units=units)
    regs = [registration(d.units[i % units], d.communities[0]) for i in range(n)]
    ids = support.register(store, support.city(store), regs)
    support.route(store, ids, d, 0)
    return d, regs, ids


# -- years ------------------------------------------------------------------------------------


def test_opening_a_year_carries_standing_registrations_and_closes_earlier_years(
    own: SqlStore,
) -> None:
    city = support.city(own)
    _d, regs, ids = _routed(own, 5)
    _set_left(own, ids[:1], date(2026, 6, 1))  # left before the opening: not carried
    first = own.open_year(city, 2026, calendar_for(2026), date(2026, 1, 2))
    assert first.closed_years == ()
    opening = own.open_year(
        city, 2027, calendar_for(2027, {"registration": "08-25"}), date(2026, 12, 28)
    )
    assert opening.closed_years == (2026,)
    expected = Counter(str(r.unit_code) for r in regs[1:])
    assert opening.units == len(expected)
    assert opening.members == 4
    rows = own.year_confirmations(city, 2027)
    assert {str(c.unit_code): c.members for c in rows} == dict(expected)
    assert all(not c.confirmed for c in rows)
    years = own.campaign_years()
    assert [(y.year, y.status) for y in years] == [
        (2027, YearStatus.OPEN),
        (2026, YearStatus.CLOSED),
    ]
    assert years[0].calendar.registration_due == date(2027, 8, 25)
    assert years[0].calendar.confirmation_due == date(2027, 12, 20)
    assert years[1].closed_on == date(2026, 12, 28)
    assert own.locked_before() == 2027
    [entry] = [
        e for e in own.audit(city, AuditQuery(action="year.open")) if e.subject == "year:2027"
    ]
    assert entry.after is not None and entry.after["closed_years"] == [2026]
    assert entry.after["members"] == 4


def test_a_year_opens_once_and_only_forwards_by_the_city(own: SqlStore) -> None:
    city = support.city(own)
    d = make_district(own)
    own.open_year(city, 2030, calendar_for(2030), date(2030, 1, 1))
    with pytest.raises(ConflictError) as again:
        own.open_year(city, 2030, calendar_for(2030), date(2030, 1, 2))
    assert again.value.code == "year.exists"
    with pytest.raises(ConflictError) as back:
        own.open_year(city, 2029, calendar_for(2029), date(2030, 1, 2))
    assert back.value.code == "year.order"
    unit_op = support.add_operator(own, Role.UNIT, d.units[0])
    with pytest.raises(NotPermittedError):
        own.open_year(unit_op, 2031, calendar_for(2031), date(2030, 12, 30))
    # only 2030 is open; the years before it that hold data (this store's batches were
    # written today) are recorded as closed by the opening
    years = own.campaign_years()
    assert [y.year for y in years if y.status is YearStatus.OPEN] == [2030]
    assert [y.year for y in years[1:]] == list(range(2029, date.today().year - 1, -1))
    assert all(y.closed_on == date(2030, 1, 1) for y in years[1:])


def test_units_confirm_within_their_scope(own: SqlStore) -> None:
    city = support.city(own)
    d, regs, _ids = _routed(own, 4)
    own.open_year(city, 2027, calendar_for(2027), date(2027, 1, 1))
    unit_op = support.add_operator(own, Role.UNIT, d.units[0])
    other = d.units[1]
    with pytest.raises(NotPermittedError):
        own.confirm_year(unit_op, 2027, other, date(2027, 1, 5))
    done = own.confirm_year(unit_op, 2027, d.units[0], date(2027, 1, 5))
    assert done.confirmed and done.confirmed_by == unit_op.real_name
    assert done.confirmed_members == sum(1 for r in regs if r.unit_code == d.units[0])
    mine = own.year_confirmations(unit_op, 2027)
    assert [str(c.unit_code) for c in mine] == [str(d.units[0])]  # the unit sees only its own
    pending = own.year_confirmations(city, 2027, pending_only=True)
    assert [str(c.unit_code) for c in pending] == [str(other)]
    with pytest.raises(NotFoundError):
        own.year_confirmations(city, 2031)
    assert any(e.action == "year.confirm" for e in own.audit(city, AuditQuery()))


def test_a_closed_year_takes_no_activities_and_stays_readable(own: SqlStore) -> None:
    city = support.city(own)
    _d, regs, ids = _routed(own, 2)
    rows = [activity(regs[0].person_key, date(2026, 3, 1), hours=2)]
    assert own.write_activities(city, batch(BatchKind.ACTIVITIES, 1), rows).written == 1
    own.open_year(city, 2026, calendar_for(2026), date(2026, 1, 1))
    own.open_year(city, 2027, calendar_for(2027), date(2026, 12, 30))
    late = [
        activity(regs[1].person_key, date(2026, 11, 2), hours=3),  # closed year
        activity(regs[1].person_key, date(2027, 1, 3), hours=1),  # the open year
        activity(regs[1].person_key, date(2025, 5, 3), hours=1),  # never opened, but earlier
    ]
    refused = own.write_activities(city, batch(BatchKind.ACTIVITIES, 3), late)
    assert refused.written == 0 and refused.batch_id is None and not refused.dry_run
    assert [(r.index, r.code, r.column) for r in refused.rejected] == [
        (0, "activity.year_closed", "年月日"),
        (2, "activity.year_closed", "年月日"),
    ]
    skipped = own.write_activities(city, batch(BatchKind.ACTIVITIES, 3), late, skip_rejected=True)
    assert skipped.written == 1 and [r.index for r in skipped.rejected] == [0, 2]
    # the closed year's figures are still there
    [total] = own.activity_totals(city, RollupKey.MEMBER, year=2026)
    assert (total.key, total.hours) == (str(ids[0]), 2.0)


# -- Table 1's service columns ------------------------------------------------------------------


def test_member_service_matches_the_rows(own: SqlStore) -> None:
    city = support.city(own)
    _d, regs, ids = _routed(own, 3)
    ratings = [Rating.EXCELLENT, Rating.GOOD, Rating.FAIR, Rating.GOOD]
    rows = []
    for i, reg in enumerate(regs[:2]):
        for day in range(1, 5):
            a = activity(
                reg.person_key, date(2101, 2, day), hours=0.5 * day + i, content=f"服务{day}"
            )
            rows.append(attrs_evolve(a, rating=ratings[(day + i) % 4]))
    rows.append(activity(regs[0].person_key, date(2102, 1, 1), hours=5))  # another year
    assert own.write_activities(city, batch(BatchKind.ACTIVITIES, len(rows)), rows).written == len(
        rows
    )
    expected: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for a in rows:
        if a.day.year == 2101:
            e = expected[(a.name, a.phone)]
            e["hours"] += a.hours
            e["count"] += 1
            e[a.rating.value] += 1
    service = own.member_service(city, 2101)
    assert {s.member_id for s in service} == set(ids[:2])  # the one without activities is absent
    for s in service:
        e = expected[(s.name, s.phone)]
        assert (s.hours, s.activities) == (e["hours"], e["count"])
        assert (s.excellent, s.good, s.fair) == (e["优"], e["良"], e["一般"])
    unit_op = support.add_operator(own, Role.UNIT, regs[2].unit_code)
    assert {s.member_id for s in own.member_service(unit_op, 2101)} == {
        i
        for i, r in zip(ids, regs, strict=True)
        if r.unit_code == regs[2].unit_code and i in ids[:2]
    }


def attrs_evolve(value, **changes):  # type: ignore[no-untyped-def]
    import attrs

    return attrs.evolve(value, **changes)


# -- retention --------------------------------------------------------------------------------


def _statistics(store: SqlStore) -> dict[str, object]:
    city = support.city(store)
    out: dict[str, object] = {}
    for by in (RollupKey.UNIT, RollupKey.COMMUNITY, RollupKey.DISTRICT):
        out[by.value] = sorted(
            (t.key, t.hours, t.activities) for t in store.activity_totals(city, by, year=2101)
        )
    people = list(store.members.iter_members(city, MemberQuery()))
    out["per_unit"] = sorted(Counter(str(m.unit_code) for m in people).items())
    out["per_community"] = sorted(Counter(m.community_id for m in people).items())
    return out


def test_retention_anonymises_members_who_left_long_enough_ago(own: SqlStore) -> None:
    city = support.city(own)
    d, regs, ids = _routed(own, 5)
    rows = [activity(r.person_key, date(2101, 3, 1), hours=1 + i) for i, r in enumerate(regs)]
    own.write_activities(city, batch(BatchKind.ACTIVITIES, len(rows)), rows)
    member = own.members.get_member(city, ids[0])
    own.members.update_member(city, ids[0], attrs_evolve(member.registration, specialty="书法"))
    other = own.members.get_member(city, ids[3])
    own.members.update_member(city, ids[3], attrs_evolve(other.registration, specialty="篆刻"))
    _set_left(own, ids[:2], date(2101, 6, 30))
    _set_left(own, ids[2:3], date(2101, 7, 1))
    before = _statistics(own)
    audit_before = len(list(own.audit(city, AuditQuery())))

    # the day before the period ends for the first two: nobody is due
    early = own.run_retention(city, date(2104, 6, 29), 3, dry_run=True)
    assert early.member_ids == () and early.cutoff == date(2101, 6, 29)
    dry = own.run_retention(city, date(2104, 6, 30), 3, dry_run=True)
    assert dry.member_ids == tuple(ids[:2])
    assert dry.by_unit == dict(Counter(str(r.unit_code) for r in regs[:2]))
    # the edit of the first (the import lists new members by id only: nothing personal)
    edits = [e.id for e in own.audit(city, AuditQuery(subject=f"member:{ids[0]}"))]
    assert dry.audit_entry_ids == tuple(edits) and len(edits) == 1
    # the dry run wrote nothing: not the members, not the log
    assert own.members.get_member(city, ids[0]).name == regs[0].name
    assert len(list(own.audit(city, AuditQuery()))) == audit_before

    done = own.run_retention(city, date(2104, 6, 30), 3, dry_run=False)
    assert done.member_ids == tuple(ids[:2])
    assert done.audit_entry_ids == dry.audit_entry_ids
    for i in ids[:2]:
        m = own.members.get_member(city, i)
        assert m.name == ANONYMOUS_NAME and m.phone == f"anon-{i}"
        assert (m.address, m.specialty, m.unit_and_title) == ("", "", ANONYMOUS)
        assert m.community_id == d.communities[0].id  # statistics keep the community
    kept = own.members.get_member(city, ids[2])
    assert kept.name == regs[2].name  # left a day later: not yet due
    assert _statistics(own) == before
    # no personal value of theirs is left in the audit log
    text = json.dumps(
        [[e.before, e.after] for e in own.audit(city, AuditQuery())], ensure_ascii=False
    )
    for reg in regs[:2]:
        for value in (reg.name, reg.phone, reg.address):
            assert value not in text
    assert "书法" not in text
    assert "篆刻" in text  # another member's edit is untouched
    [entry] = list(own.audit(city, AuditQuery(action="retention.run")))
    assert entry.after is not None
    assert entry.after["member_ids"] == ids[:2] and entry.after["members"] == 2
    assert regs[0].name not in json.dumps(entry.after, ensure_ascii=False)
    # a second run finds nobody new; the log is still append-only afterwards
    assert own.run_retention(city, date(2104, 6, 30), 3, dry_run=False).member_ids == ()
    with support.raw_sql(own) as conn, pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'x'")


def test_retention_is_for_the_city_only(own: SqlStore) -> None:
    d = make_district(own)
    district_op = support.add_operator(own, Role.DISTRICT, d.code)
    with pytest.raises(PartyregError) as refused:
        own.run_retention(district_op, date(2030, 1, 1), 3, dry_run=True)
    assert refused.value.code == "scope.denied"
