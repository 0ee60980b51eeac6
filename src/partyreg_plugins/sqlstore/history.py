"""Codes as they were on a day, for counts and summaries of the past (decisions 0051, 0062).

An org change re-codes the rows it touches (members, communities, activities, sheets: one
current code each, which is what scope checks and today's lists use). What was there before
is kept in two histories: ``member_units`` (a member's earlier unit codes, each with the day
it stopped) and ``community_districts`` (a community's earlier district codes). The helpers
here turn a current code back into the code of a given day — a literal date or a column such
as an activity's ``day`` — so a 2014 report asked after the 2016 merge still groups under
清河区 and 清浦区.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from partyreg_plugins.sqlstore.schema import (
    activities,
    community_districts,
    member_units,
    org_changes,
)


def unit_code_on(member_id: Any, current: Any, day: Any) -> Any:
    """The unit code of member ``member_id`` on ``day``: the earlier code ``member_units``
    keeps for that day (a move, merge or transfer re-coded the member later), else
    ``current``."""
    h = member_units.c
    earlier = (
        sa.select(h.unit_code)
        .where(
            h.member_id == member_id,
            sa.or_(h.valid_from.is_(None), h.valid_from <= day),
            h.valid_to > day,
        )
        .order_by(h.valid_to)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(earlier, current)


def district_code_on(community_id: Any, current: Any, day: Any) -> Any:
    """The district code of community ``community_id`` on ``day``: the first code it had that
    stayed valid past that day, else ``current``."""
    h = community_districts.c
    earlier = (
        sa.select(h.district_code)
        .where(h.community_id == community_id, h.valid_to > day)
        .order_by(h.valid_to, h.id)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(earlier, current)


def activity_unit_on_day() -> Any:
    """An activity's unit code as of its own day: its member's unit that day."""
    a = activities.c
    return unit_code_on(a.member_id, a.unit_code, a.day)


def activity_district_on_day() -> Any:
    """An activity's district code as of its own day: its community's district that day."""
    a = activities.c
    return district_code_on(a.community_id, a.district_code, a.day)


def changed_after(conn: sa.Connection, day: date) -> bool:
    """Whether a code changed after ``day``, so rows coded today may carry a code they did
    not have then: an org change took effect after it, or a member's unit period (a
    transfer, which is no org change) ended after it."""
    found = conn.execute(
        sa.select(org_changes.c.id).where(org_changes.c.on_date > day).limit(1)
    ).first()
    if found is not None:
        return True
    moved = conn.execute(
        sa.select(member_units.c.id).where(member_units.c.valid_to > day).limit(1)
    ).first()
    return moved is not None


class DayCodes:
    """The codes of each activity's own day, joined once (decision 0162).

    :func:`activity_unit_on_day` and :func:`activity_district_on_day` look the history up once
    per activity (a correlated subquery: ten times the plain ``GROUP BY`` over a city's year).
    Here the histories are joined to the activities instead, as periods: a member's unit code
    of ``member_units`` over ``[valid_from, valid_to)``, a community's district code of
    ``community_districts`` from the end of the period before it (by ``valid_to``, then ``id``:
    the row the subquery would pick) to its own ``valid_to``. A community's periods cannot
    overlap, so the join meets at most the one row the subquery returns; a member's are written
    back to back (:meth:`OrgChangesMixin._close_unit_interval`), and :meth:`exact` tells whether
    the store holds any that overlap (then the caller keeps the subquery).

    ``select_from`` starts from :data:`activities` and adds each join the first time its key
    is asked for."""

    def __init__(self) -> None:
        self.source: Any = activities
        self._unit: Any = None
        self._district: Any = None

    @staticmethod
    def exact(conn: sa.Connection) -> bool:
        """Whether no member has two unit periods (visible here) that overlap."""
        one, two = member_units.alias("one"), member_units.alias("two")

        def starts_before(start: Any, end: Any) -> Any:
            return sa.or_(start.is_(None), start < end)

        overlap = (
            sa.select(one.c.id)
            .join(two, sa.and_(two.c.member_id == one.c.member_id, two.c.id > one.c.id))
            .where(
                starts_before(one.c.valid_from, one.c.valid_to),
                starts_before(two.c.valid_from, two.c.valid_to),
                starts_before(one.c.valid_from, two.c.valid_to),
                starts_before(two.c.valid_from, one.c.valid_to),
            )
            .limit(1)
        )
        return conn.execute(overlap).first() is None

    def unit(self) -> Any:
        """Each activity's unit code on its day."""
        if self._unit is None:
            a, h = activities.c, member_units.alias("day_unit")
            self.source = self.source.outerjoin(
                h,
                sa.and_(
                    h.c.member_id == a.member_id,
                    sa.or_(h.c.valid_from.is_(None), h.c.valid_from <= a.day),
                    h.c.valid_to > a.day,
                ),
            )
            self._unit = sa.func.coalesce(h.c.unit_code, a.unit_code)
        return self._unit

    def district(self) -> Any:
        """Each activity's district code on its day."""
        if self._district is None:
            a, c = activities.c, community_districts.c
            periods = sa.select(
                c.community_id,
                c.district_code,
                c.valid_to,
                sa.func.lag(c.valid_to)
                .over(partition_by=c.community_id, order_by=(c.valid_to, c.id))
                .label("valid_from"),
            ).subquery("day_district")
            p = periods.c
            self.source = self.source.outerjoin(
                periods,
                sa.and_(
                    p.community_id == a.community_id,
                    sa.or_(p.valid_from.is_(None), p.valid_from <= a.day),
                    p.valid_to > a.day,
                ),
            )
            self._district = sa.func.coalesce(p.district_code, a.district_code)
        return self._district
