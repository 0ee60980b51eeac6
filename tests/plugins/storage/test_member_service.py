"""``member_service`` (revision 0011), on SQLite and PostgreSQL: after any sequence of writes —
recording, group records, self-reports confirmed or rejected, imports and their undo,
transfers, org-change merges — it equals the ``GROUP BY`` over the confirmed activities computed
here from the raw rows; the migration fills it from the activities already stored; on
PostgreSQL a scoped operator's writes keep it right and the operator may only read it.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partyreg_core.batches import BatchKind
from partyreg_core.errors import PartyregError
from partyreg_core.feedback.model import ServiceEntry, SummaryBy
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgchanges import ChangeKind, OrgChange
from partyreg_core.orgcodes import OrgKind
from partyreg_core.records import Activity, Rating
from partyreg_plugins.sqlstore import migrate
from partyreg_plugins.sqlstore.bulk import fetch_rows
from partyreg_plugins.sqlstore.schema import group_members, groups
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district, registration

YEAR = 2041
TODAY = date(YEAR + 1, 12, 31)
RATINGS = (Rating.EXCELLENT, Rating.GOOD, Rating.FAIR)
Key = tuple[int, int, int, str, str]
Sums = tuple[float, int, int, int, int]
_contents = itertools.count(1)


def _in(ids: Sequence[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def expected(store: SqlStore, ids: Sequence[int]) -> dict[Key, Sums]:
    """The confirmed activities of ``ids`` grouped here, from the raw rows."""
    sums: dict[Key, list[Any]] = defaultdict(lambda: [0.0, 0, 0, 0, 0])
    with support.raw_sql(store) as conn:
        rows = conn.execute(
            "SELECT year, member_id, community_id, unit_code, district_code, hours, rating,"
            f" confirmed FROM activities WHERE member_id IN ({_in(ids)})"
        ).fetchall()
    for year, member, community, unit, district, hours, rating, confirmed in rows:
        if not confirmed:
            continue
        s = sums[(int(year), int(member), int(community or 0), str(unit), str(district or ""))]
        s[0] += float(hours)
        s[1] += 1
        s[2 + ("优", "良", "一般").index(rating)] += 1
    return {k: (v[0], v[1], v[2], v[3], v[4]) for k, v in sums.items()}


def stored(store: SqlStore, ids: Sequence[int]) -> dict[Key, Sums]:
    """``member_service`` of ``ids``, read as the administrator."""
    with support.raw_sql(store) as conn:
        rows = conn.execute(
            "SELECT year, member_id, community_id, unit_code, district_code, hours, activities,"
            f" excellent, good, fair FROM member_service WHERE member_id IN ({_in(ids)})"
        ).fetchall()
    return {
        (int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4])): (
            float(r[5]),
            int(r[6]),
            int(r[7]),
            int(r[8]),
            int(r[9]),
        )
        for r in rows
    }


def assert_consistent(store: SqlStore, ids: Sequence[int]) -> None:
    want, got = expected(store, ids), stored(store, ids)
    assert set(got) == set(want), (sorted(set(got) ^ set(want)), got, want)
    for key, (hours, *counts) in want.items():
        assert got[key][1:] == tuple(counts), (key, got[key], want[key])
        assert got[key][0] == pytest.approx(hours, abs=1e-9), (key, got[key], want[key])
        assert got[key][1] > 0


def assert_summaries_agree(store: SqlStore, actor: Actor, year: int | None) -> None:
    """The summary's statement over ``member_service`` gives what the same ``GROUP BY`` over
    the activities gives, for every grouping it serves."""
    for by in (SummaryBy.MEMBER, SummaryBy.COMMUNITY, SummaryBy.UNIT, SummaryBy.DISTRICT):
        with store.engine.connect() as conn:
            service = fetch_rows(
                conn, store.feedback._grouped_service(actor, by, year=year, unit=None)
            )
            direct = fetch_rows(
                conn, store.feedback._grouped_activities(actor, by, year=year, unit=None)
            )

        def shaped(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
            return sorted(
                (str(r[0]), round(float(r[1]), 6), *(int(x) for x in r[2:])) for r in rows
            )

        assert shaped(service) == shaped(direct), by


@attrs.define
class World:
    """One example's district, members, operators and what it has written."""

    store: SqlStore
    city: Actor
    district: Actor
    d: support.District
    people: list[tuple[str, str]]
    ids: list[int]
    group: int
    batches: list[str] = attrs.Factory(list)


def _world(store: SqlStore) -> World:
    d = make_district(store, units=2, communities=2)
    people = [support.person() for _ in range(4)]
    regs = [registration(d.units[i % 2], d.communities[0], who=p) for i, p in enumerate(people)]
    city = support.city(store)
    result = store.write_registrations(
        city, support.batch(rows=len(regs), on=date(YEAR - 1, 9, 1)), regs
    )
    assert result.new == len(regs)
    from partyreg_core.members.model import MemberQuery

    ids = [
        store.members.list_members(city, MemberQuery(name=n, phone=p)).members[0].id
        for n, p in people
    ]
    support.route(store, ids[:3], d, 0)
    support.route(store, ids[3:], d, 1)
    with store.engine.begin() as conn:
        group = conn.execute(
            sa.insert(groups)
            .values(community_id=d.communities[0].id, year=YEAR, post_code="3", name="g")
            .returning(groups.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(group_members), [{"group_id": group, "member_id": m} for m in ids[:3]]
        )
    district = support.add_operator(store, Role.DISTRICT, d.code)
    return World(store, city, district, d, people, ids, int(group))


def _day(month: int, day: int, year_offset: int) -> date:
    return date(YEAR + year_offset, month, day)


days = st.tuples(st.integers(1, 12), st.integers(1, 28), st.integers(0, 1))
hours = st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.25, 3.0, 0.1, 0.2, 0.7])
ratings = st.sampled_from(RATINGS)
member = st.integers(0, 3)
operations = st.one_of(
    st.tuples(st.just("record"), member, days, hours, ratings),
    st.tuples(st.just("group"), days, hours, ratings),
    st.tuples(st.just("self_report"), member, days, hours, st.booleans()),
    st.tuples(
        st.just("import"), st.lists(st.tuples(member, days, hours, ratings), min_size=1, max_size=6)
    ),
    st.tuples(st.just("undo")),
    st.tuples(st.just("transfer"), member, days),
    st.tuples(st.just("merge_unit"), days),
    st.tuples(st.just("merge_district"), days),
)


def _apply(w: World, op: tuple[Any, ...]) -> None:
    store, kind = w.store, op[0]
    content = f"服务{next(_contents)}"
    if kind == "record":
        _, m, day, h, rating = op
        entry = ServiceEntry(w.ids[m], _day(*day), content, h, rating)
        store.activities.record_activities(w.district, [entry], subject="t")
    elif kind == "group":
        _, day, h, rating = op
        entries = [
            ServiceEntry(m, _day(*day), content, h, rating, group_id=w.group) for m in w.ids[:3]
        ]
        store.activities.record_activities(w.city, entries, subject="t")
    elif kind == "self_report":
        _, m, day, h, confirm = op
        entry = ServiceEntry(w.ids[m], _day(*day), content, h, Rating.GOOD, self_reported=True)
        [new] = store.activities.record_activities(w.city, [entry], subject="t")
        store.activities.decide_self_reports(w.district, [new], confirm=confirm, reason="核对")
    elif kind == "import":
        rows = [
            Activity(
                name=w.people[m][0],
                phone=w.people[m][1],
                day=_day(*day),
                content=f"{content}-{i}",
                hours=h,
                rating=rating,
            )
            for i, (m, day, h, rating) in enumerate(op[1])
        ]
        b = support.batch(BatchKind.ACTIVITIES, len(rows), on=TODAY)
        store.write_activities(w.city, b, rows, skip_rejected=True)
        w.batches.append(b.id)
    elif kind == "undo":
        if w.batches:
            store.undo_batch(w.city, w.batches.pop())
    elif kind == "transfer":
        _, m, day = op
        now = store.members.get_member(w.city, w.ids[m]).unit_code
        to = next(u for u in w.d.units if u != now) if now in w.d.units else w.d.units[0]
        store.members.transfer_member(w.city, w.ids[m], to, _day(*day), "工作调动", TODAY)
    elif kind == "merge_unit":
        change = OrgChange(
            ChangeKind.MERGE, _day(*op[1]), "合并", unit=str(w.d.units[1]), to=str(w.d.units[0])
        )
        store.apply_org_changes(w.city, [change], today=TODAY)
    elif kind == "merge_district":
        target = store.load_org_tree().next_child(support.CITY)
        on = _day(*op[1])
        store.apply_org_changes(
            w.city,
            [
                OrgChange(
                    ChangeKind.ADD, on, "设立", to="008", name=f"新{target}区委",
                    org_kind=OrgKind.DISTRICT,
                ),
                OrgChange(ChangeKind.MERGE, on, "并入", unit=str(w.d.code), to=str(target)),
            ],
            today=TODAY,
        )  # fmt: skip


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=10))
def test_member_service_follows_every_write_path(
    store: SqlStore, steps: list[tuple[Any, ...]]
) -> None:
    w = _world(store)
    for step in steps:
        # a refusal (a duplicate, a full day, a retired code…) writes nothing at all
        with contextlib.suppress(PartyregError):
            _apply(w, step)
        assert_consistent(store, w.ids)
    assert_summaries_agree(store, w.city, YEAR)


def test_the_summaries_read_the_service_table_with_the_same_results(store: SqlStore) -> None:
    w = _world(store)
    for op in (
        ("import", [(0, (3, 1, 0), 2.0, Rating.GOOD), (1, (3, 1, 0), 1.5, Rating.EXCELLENT),
                    (3, (4, 2, 1), 0.5, Rating.FAIR)]),
        ("group", (5, 5, 0), 1.0, Rating.GOOD),
        ("transfer", 0, (6, 1, 0)),
        ("record", 0, (7, 1, 0), 3.0, Rating.EXCELLENT),
    ):  # fmt: skip
        _apply(w, op)
    assert_consistent(store, w.ids)
    for year in (YEAR, YEAR + 1, None):
        assert_summaries_agree(store, w.city, year)
        assert_summaries_agree(store, w.district, year)
    rows = {
        r.key: r for r in store.feedback.feedback_summary(w.district, SummaryBy.MEMBER, year=YEAR)
    }
    assert (rows[str(w.ids[0])].hours, rows[str(w.ids[0])].activities) == (6.0, 3)
    assert rows[str(w.ids[3])].idle == 1  # served only the next year
    both = {r.key: r for r in store.feedback.feedback_summary(w.district, SummaryBy.MEMBER)}
    assert (both[str(w.ids[3])].activities, both[str(w.ids[3])].idle) == (1, 0)
    units = {
        r.key: r for r in store.feedback.feedback_summary(w.district, SummaryBy.UNIT, year=YEAR)
    }
    # ids[0] served under units[0] before the transfer and units[1] after it
    assert units[str(w.d.units[1])].activities == 2 + 1  # ids[1] twice, ids[0] once after


def test_repeated_adds_and_removals_leave_no_empty_rows(store: SqlStore) -> None:
    w = _world(store)
    for _ in range(3):
        _apply(w, ("import", [(0, (1, 1, 0), 0.1, Rating.GOOD), (0, (1, 2, 0), 0.2, Rating.FAIR)]))
        _apply(w, ("undo",))
        assert stored(store, w.ids) == {}
    _apply(w, ("import", [(0, (1, 1, 0), 0.1, Rating.GOOD), (0, (1, 2, 0), 0.2, Rating.GOOD)]))
    _apply(w, ("import", [(0, (1, 3, 0), 0.7, Rating.GOOD)]))
    _apply(w, ("undo",))
    assert_consistent(store, w.ids)


def test_an_import_adds_exactly_its_new_confirmed_rows(store: SqlStore) -> None:
    """An import (on SQLite: the batch added at once, the row trigger lifted) counts its new
    rows only: not a row it skips as already stored, nor a self-report awaiting confirmation;
    a refused import changes nothing; the triggers are in place afterwards."""
    w = _world(store)
    (name, phone), other = w.people[0], w.people[1]
    first = Activity(name, phone, date(YEAR, 3, 1), "巡逻", 2.0, Rating.GOOD)
    store.write_activities(w.city, support.batch(BatchKind.ACTIVITIES, 1, on=TODAY), [first])
    rows = [
        first,  # stored already: skipped
        Activity(name, phone, date(YEAR, 3, 2), "宣传", 1.5, Rating.EXCELLENT),
        Activity(*other, date(YEAR, 3, 2), "宣传", 3.0, Rating.FAIR),
        Activity(*other, date(YEAR, 3, 3), "自报", 1.0, Rating.GOOD, self_reported=True),
    ]
    result = store.write_activities(w.city, support.batch(BatchKind.ACTIVITIES, 4, on=TODAY), rows)
    assert (result.written, result.duplicates) == (3, 1)
    assert_consistent(store, w.ids)
    assert sum(v[1] for v in stored(store, w.ids).values()) == 3  # the self-report waits
    before = stored(store, w.ids)
    too_long = [Activity(name, phone, date(YEAR, 3, 4), "值守", 25.0, Rating.GOOD)]
    refused = store.write_activities(
        w.city, support.batch(BatchKind.ACTIVITIES, 1, on=TODAY), too_long
    )
    assert refused.batch_id is None and stored(store, w.ids) == before
    # the row triggers are back: an instructor's record is counted at once
    _apply(w, ("record", 2, (3, 5, 0), 1.0, Rating.GOOD))
    assert_consistent(store, w.ids)
    assert_summaries_agree(store, w.city, YEAR)


def test_the_migration_fills_the_table_from_the_activities(
    backend: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        request.getfixturevalue("pg_database")  # skips without a server
        name = support.create_pg_database()
        request.addfinalizer(lambda: support.drop_pg_database(name))
        url = support.pg_url(name)
    store = SqlStore(url)
    request.addfinalizer(store.close)
    support.init_store(store)
    w = _world(store)
    _apply(w, ("import", [(0, (2, 1, 0), 2.0, Rating.GOOD), (1, (2, 1, 0), 1.0, Rating.FAIR)]))
    _apply(w, ("self_report", 2, (2, 2, 0), 4.0, False))
    # back to 0010: the table and its triggers go
    with store.engine.connect() as conn, conn.begin():
        if store._roles is not None:
            from partyreg_plugins.sqlstore import pg

            pg.set_role(conn, store._roles, store._roles.owner)
        from alembic import command

        command.downgrade(migrate._config(conn), "0010")
    with support.raw_sql(store) as raw:
        tables = (
            "SELECT name FROM sqlite_master WHERE name = 'member_service'"
            if backend == "sqlite"
            else "SELECT to_regclass('partyreg.member_service')::text"
        )
        assert raw.execute(tables).fetchone() in (None, (None,))
        # activities written at 0010, behind partyreg's back: confirmed, unconfirmed, a NULL
        # district and community
        raw.execute(
            "INSERT INTO activities (member_id, community_id, unit_code, district_code, day, year,"
            " content, place, participants, hours, rating, kind, self_reported, confirmed)"
            " SELECT member_id, NULL, unit_code, NULL, day, year + 1, content || '旧', place,"
            f" participants, hours + 1, '优', kind, self_reported, confirmed FROM activities"
            f" WHERE member_id IN ({_in(w.ids)})"
        )
        assert (
            raw.execute("SELECT count(*) FROM activities").fetchone()[0] == 4
        )  # the rejected one is gone
    store.close()
    store = SqlStore(url)
    request.addfinalizer(store.close)
    support.init_store(store)
    with store.engine.connect() as conn:
        assert migrate.current(conn) == migrate.head()
    assert_consistent(store, w.ids)
    assert any(k[2] == 0 and k[4] == "" for k in stored(store, w.ids))  # the NULL sentinels
    # and the triggers are back
    _apply(w, ("record", 3, (9, 9, 0), 1.0, Rating.GOOD))
    assert_consistent(store, w.ids)
    assert_summaries_agree(store, w.city, None)


@pytest.mark.postgres
def test_scoped_operators_keep_it_right_and_may_only_read_it(pg_database: str) -> None:
    store = SqlStore(support.pg_url(pg_database))
    try:
        w = _world(store)
        c0 = w.d.communities[0].id
        own = support.add_operator(store, Role.COMMUNITY, communities=[c0])
        entries = [ServiceEntry(m, date(YEAR, 5, 1), "巡逻", 2.0, Rating.GOOD) for m in w.ids[:3]]
        store.activities.record_activities(own, entries, subject="t")
        [self_report] = store.activities.record_activities(
            w.city,
            [
                ServiceEntry(
                    w.ids[0], date(YEAR, 5, 2), "宣传", 1.0, Rating.GOOD, self_reported=True
                )
            ],
            subject="t",
        )
        store.activities.decide_self_reports(own, [self_report], confirm=True)
        assert_consistent(store, w.ids)
        rows = {r.key: r for r in store.feedback.feedback_summary(own, SummaryBy.MEMBER, year=YEAR)}
        assert (rows[str(w.ids[0])].hours, rows[str(w.ids[0])].activities) == (3.0, 2)
        assert str(w.ids[3]) not in rows  # in the other community
        unit = support.add_operator(store, Role.UNIT, w.d.units[1])
        mine = store.feedback.feedback_summary(unit, SummaryBy.MEMBER, year=YEAR)
        assert {r.key for r in mine if r.activities} == {str(w.ids[1])}
        # the database itself: the operator reads only its scope and cannot write the table
        role = own.operator.db_role
        with store.engine.connect() as conn:
            conn.exec_driver_sql(f'SET ROLE "{role}"')
            seen = conn.exec_driver_sql(
                "SELECT DISTINCT community_id FROM partyreg.member_service"
            ).scalars()
            assert set(seen) <= {c0}
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.exec_driver_sql(
                    "UPDATE partyreg.member_service SET hours = 0"
                    f" WHERE member_id = {int(w.ids[0])}"
                )
            conn.rollback()
        assert_consistent(store, w.ids)
    finally:
        store.close()
