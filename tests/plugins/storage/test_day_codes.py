"""Summaries of a year an org change reached into: the code histories joined once (decision
0162) give the totals worked out from the raw rows and the history — on every backend.

Each example works on districts of its own (fresh codes under 008), so the PostgreSQL store
shared by the session is not disturbed by the others' rows: only keys under the example's own
districts are compared.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from partyreg_core.feedback.model import SummaryBy
from partyreg_core.hours import RollupKey
from partyreg_core.members.model import MemberQuery
from partyreg_core.orgchanges import ChangeKind, OrgChange
from partyreg_core.orgcodes import OrgKind
from partyreg_plugins.sqlstore.history import DayCodes
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district, registration

TODAY = date(2024, 12, 31)
REG_DAY = date(2024, 9, 1)
FIRST = date(2024, 9, 6)  # after the members are routed
DAYS = (TODAY - FIRST).days

# few days, so that changes fall on activities' days (the edge of each period) often
_day = st.sampled_from([FIRST + timedelta(days=n) for n in (0, 1, 20, 21, 50, 90, DAYS)])
_plan = st.fixed_dictionaries(
    {
        # (member index, day, hours): the activities written before the changes
        "before": st.lists(
            st.tuples(st.integers(0, 3), _day, st.sampled_from([0.5, 1.0, 2.5, 4.0])),
            max_size=14,
        ),
        # (member index, day, hours): written after them (today's codes on the rows)
        "after": st.lists(
            st.tuples(st.integers(0, 3), _day, st.sampled_from([1.0, 3.0])), max_size=6
        ),
        "merge_on": st.none() | _day.filter(lambda d: d > FIRST),
        # (member index, day): transfers to the district's other unit, in day order
        "transfers": st.lists(
            st.tuples(st.integers(0, 3), _day.filter(lambda d: d > FIRST)), max_size=2
        ),
    }
)


def _text(day: Any) -> str:
    return day if isinstance(day, str) else day.isoformat()


def _from_raw_rows(store: SqlStore, ids: list[int]) -> dict[str, tuple[float, int]]:
    """Hours and count of 2024's confirmed activities of ``ids`` per unit code of each
    activity's day: the earliest-ending period of ``member_units`` that holds the day, else
    the code on the row — worked out here from the raw rows."""
    marks = ", ".join(str(int(i)) for i in ids)
    with support.raw_sql(store) as conn:
        periods: dict[int, list[tuple[str | None, str, str]]] = {}
        for member, code, start, end in conn.execute(
            "SELECT member_id, unit_code, valid_from, valid_to FROM member_units"
            f" WHERE member_id IN ({marks}) ORDER BY valid_to, id"
        ).fetchall():
            periods.setdefault(member, []).append(
                (None if start is None else _text(start), _text(end), code)
            )
        rows = conn.execute(
            "SELECT member_id, unit_code, day, hours FROM activities"
            f" WHERE confirmed AND year = 2024 AND member_id IN ({marks})"
        ).fetchall()
    totals: dict[str, list[float]] = {}
    for member, code, day, hours in rows:
        day = _text(day)
        for start, end, earlier in periods.get(member, ()):
            if (start is None or start <= day) and end > day:
                code = earlier
                break
        total = totals.setdefault(code, [0.0, 0])
        total[0] += hours
        total[1] += 1
    return {k: (round(h, 2), int(n)) for k, (h, n) in totals.items()}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=_plan)
# a transfer alone (no org change): the activity of the day before counts under the old unit
@example(
    plan={
        "before": [],
        "after": [(0, FIRST, 1.0)],
        "merge_on": None,
        "transfers": [(0, FIRST + timedelta(days=1))],
    }
)
def test_the_joined_history_gives_the_raw_rows_totals(
    store: SqlStore, plan: dict[str, Any]
) -> None:
    city = support.city(store)
    d = make_district(store, units=2, communities=1)
    people = [support.person() for _ in range(4)]
    regs = [registration(d.units[i % 2], d.communities[0], who=p) for i, p in enumerate(people)]
    result = store.write_registrations(city, support.batch(rows=len(regs), on=REG_DAY), regs)
    assert not result.rejected and result.new == len(regs)
    ids = [
        store.members.list_members(city, MemberQuery(name=p[0], phone=p[1])).members[0].id
        for p in people
    ]
    support.route(store, ids, d, 0)

    def write(rows: list[tuple[int, date, float]]) -> None:
        if rows:
            acts = [support.activity(people[i], day, hours=h) for i, day, h in rows]
            store.write_activities(city, support.batch(on=TODAY), acts)

    write(plan["before"])
    for i, on in sorted(plan["transfers"], key=lambda t: t[1]):
        member = store.members.get_member(city, ids[i])
        other = d.units[1] if member.unit_code == d.units[0] else d.units[0]
        if str(member.unit_code).startswith(str(d.code)):
            store.members.transfer_member(city, ids[i], other, on, "调动", TODAY)
    target = store.load_org_tree().next_child(support.CITY)
    if plan["merge_on"] is not None:
        on = plan["merge_on"]
        store.apply_org_changes(
            city,
            [
                OrgChange(ChangeKind.ADD, on, "设立", to="008", name=f"新区{target}委",
                          org_kind=OrgKind.DISTRICT),
                OrgChange(ChangeKind.MERGE, on, "并入", unit=str(d.code), to=str(target)),
            ],
            today=TODAY,
        )  # fmt: skip
    write(plan["after"])
    expected = _from_raw_rows(store, ids)

    def ours(key: str) -> bool:
        return any(key == str(c) or key.startswith(f"{c}.") for c in (d.code, target))

    def summary() -> dict[str, tuple[float, int]]:
        rows = store.feedback.feedback_summary(city, SummaryBy.UNIT, year=2024)
        return {
            r.key: (round(r.hours, 2), r.activities) for r in rows if ours(r.key) and r.activities
        }

    def rollup() -> dict[str, tuple[float, int]]:
        rows = store.activity_totals(city, RollupKey.UNIT, year=2024)
        return {
            r.key: (round(r.hours, 2), r.activities) for r in rows if ours(r.key) and r.activities
        }

    with store.engine.connect() as conn:
        assert DayCodes.exact(conn)  # periods written back to back: the joined path is taken
    assert summary() == expected
    assert rollup() == expected
    # and the per-activity lookup it replaced says the same
    with mock.patch.object(DayCodes, "exact", staticmethod(lambda conn: False)):
        assert summary() == expected
        assert rollup() == expected
