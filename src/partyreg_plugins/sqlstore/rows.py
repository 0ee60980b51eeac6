"""Small converters from stored values to core values, shared by :class:`SqlStore` and its
mixins (routing, progress, notifications, org changes …): codes, UTC timestamps, communities."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from partyreg_core.communities import Community
from partyreg_core.orgcodes import OrgCode


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
