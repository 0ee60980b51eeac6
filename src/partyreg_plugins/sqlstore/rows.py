"""Small converters from stored values to core values, shared by :class:`SqlStore` and its
repositories (routing, progress, notifications, org changes …): codes, UTC timestamps,
communities, members."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from partyreg_core.communities import Community
from partyreg_core.members.model import Member, MemberStatus
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, Gender, ReportType


@lru_cache(maxsize=65536)
def code(text: str) -> OrgCode:
    """A stored org code (already normalised: no parsing needed)."""
    return OrgCode(tuple(text.split(".")))


def opt_code(text: str | None) -> OrgCode | None:
    """A stored org code that may be NULL."""
    return None if text is None else code(text)


def utc(value: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite gives naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def community(row: sa.Row[Any]) -> Community:
    """A ``communities`` row as a :class:`Community`."""
    m = row._mapping
    return Community(
        id=m["id"],
        district_code=code(m["district_code"]),
        district=m["district"],
        street=m["street"],
        name=m["name"],
        phone=m["phone"],
        qq_group=m["qq_group"],
        secretary=m["secretary"],
        mobile=m["mobile"],
        address=m["address"],
    )


def member(row: sa.Row[Any]) -> Member:
    """A member as stored."""
    m = row._mapping
    return Member(
        id=m["id"],
        unit_code=code(m["unit_code"]),
        name=m["name"],
        gender=Gender(m["gender"]),
        unit_and_title=m["unit_and_title"],
        posts=tuple(m["posts"].split(",")) if m["posts"] else (),
        phone=m["phone"],
        community=CommunityRef(m["community_district"], m["community_street"], m["community_name"]),
        specialty=m["specialty"],
        address=m["address"],
        report_type=ReportType(m["report_type"]),
        rank=m["rank"],
        status=MemberStatus(m["status"]),
        community_id=m["community_id"],
        district_code=opt_code(m["district_code"]),
        registered_on=m["registered_on"],
        routed_on=m["routed_on"],
        reported_on=m["reported_on"],
        batch_id=m["batch_id"],
        left_on=m["left_on"],
        left_reason=m["left_reason"] or "",
        retired_on=m["retired_on"],
    )


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """``items`` in slices of ``size`` (an ``IN`` list a database takes at once)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
