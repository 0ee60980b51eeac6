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
    """Whether an org change took effect after ``day`` (so rows coded today may carry a code
    that did not exist then)."""
    found = conn.execute(
        sa.select(org_changes.c.id).where(org_changes.c.on_date > day).limit(1)
    ).first()
    return found is not None
