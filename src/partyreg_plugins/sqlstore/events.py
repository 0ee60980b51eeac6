"""The store's part of community events (:mod:`partyreg_core.events`): the tables ``events``
and ``event_attendance`` (revision 0018, decision 0125).

A repository composed with :class:`~partyreg_plugins.sqlstore.store.SqlStore` (``store.events``),
not a mixin: it uses the store's transactions, audit log and activity writer. Every change is
one transaction with one audit entry; a member's check-in is audited as ``member:ID``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.errors import ConflictError, NotFoundError
from partyreg_core.events.model import Absentee, Attendance, Event, EventStatus
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.operators.model import Actor
from partyreg_core.points.model import Earning, PointsSource
from partyreg_plugins.sqlstore.points import earn
from partyreg_plugins.sqlstore.rows import utc
from partyreg_plugins.sqlstore.schema import communities, event_attendance, events, members
from partyreg_plugins.sqlstore.scoping import member_condition, serving, where

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore


def _clock(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _event(row: sa.Row[Any]) -> Event:
    m = row._mapping
    label = "/".join(str(m[k]) for k in ("district", "street", "name") if m.get(k))
    return Event(
        id=m["id"],
        community_id=m["community_id"],
        day=_day(m["day"]),
        start=_clock(m["start_at"]),
        end=_clock(m["end_at"]),
        content=m["content"],
        place=m["place"],
        code=m["code"],
        status=EventStatus(m["status"]),
        created_by=m["created_by"],
        closed_on=_day(m["closed_on"]) if m["closed_on"] is not None else None,
        community_name=label,
    )


def _select() -> sa.Select[Any]:
    return sa.select(events, communities.c.district, communities.c.street, communities.c.name).join(
        communities, communities.c.id == events.c.community_id
    )


def _attendance(row: sa.Row[Any]) -> Attendance:
    m = row._mapping
    checked_in = utc(m["checked_in_at"])
    assert checked_in is not None
    return Attendance(
        event_id=m["event_id"],
        member_id=m["member_id"],
        checked_in_at=checked_in,
        checked_out_at=utc(m["checked_out_at"]),
        name=m.get("name") or "",
    )


class SqlEventRepository:
    """Events and their attendance in a :class:`SqlStore`."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def add_event(self, actor: Actor, event: Event) -> Event:
        """Record a new event (scoped like the needs list); ``event.code_taken`` when an open
        event of the community already has the code."""
        store = self._store
        with store._tx(actor, write=True) as conn:
            district = store.service._service_community(conn, actor, event.community_id, write=True)
            clash = conn.execute(
                sa.select(events.c.id).where(
                    events.c.community_id == event.community_id,
                    events.c.status == EventStatus.OPEN.value,
                    events.c.code == event.code,
                )
            ).first()
            if clash is not None:
                raise ConflictError("event.code_taken", "签到码与本社区进行中的活动重复。")
            new_id = conn.execute(
                sa.insert(events)
                .values(
                    community_id=event.community_id,
                    day=event.day,
                    start_at=f"{event.start:%H:%M}",
                    end_at=f"{event.end:%H:%M}",
                    content=event.content,
                    place=event.place,
                    code=event.code,
                    status=EventStatus.OPEN.value,
                    created_by=actor.real_name,
                )
                .returning(events.c.id)
            ).scalar_one()
            saved = _event(conn.execute(_select().where(events.c.id == new_id)).one())
            store._audit(
                conn, actor, "event.add", f"event:{new_id}",
                after={"community_id": event.community_id, "day": event.day.isoformat(),
                       "window": saved.window, "content": event.content, "place": event.place},
                district_code=district, community_id=event.community_id,
            )  # fmt: skip
        return saved

    def get_event(self, event_id: int) -> Event:
        """One event, or ``event.not_found``."""
        with self._store._tx(None) as conn:
            row = conn.execute(_select().where(events.c.id == event_id)).first()
        if row is None:
            raise NotFoundError(
                "event.not_found", f"没有编号为 {event_id} 的活动：用 partyreg event list 查看。"
            )
        return _event(row)

    def list_events(
        self, actor: Actor, *, community_id: int | None = None, status: EventStatus | None = None
    ) -> list[Event]:
        """Events (of one community, with one status), newest day first."""
        statement = _select()
        if community_id is not None:
            statement = statement.where(events.c.community_id == community_id)
        if status is not None:
            statement = statement.where(events.c.status == status.value)
        statement = statement.order_by(events.c.day.desc(), events.c.start_at.desc(), events.c.id)
        with self._store._tx(actor) as conn:
            return [_event(r) for r in conn.execute(statement)]

    def open_events(self, actor: Actor, community_id: int) -> list[Event]:
        """The open events of a community."""
        with self._store._tx(actor) as conn:
            rows = conn.execute(
                _select()
                .where(
                    events.c.community_id == community_id,
                    events.c.status == EventStatus.OPEN.value,
                )
                .order_by(events.c.day, events.c.start_at)
            )
            return [_event(r) for r in rows]

    def attendance(self, actor: Actor | None, event_id: int) -> list[Attendance]:
        """Who checked in, in the order they came (names only for an operator in scope)."""
        a = event_attendance.c
        with self._store._tx(actor) as conn:
            if actor is None:
                rows = conn.execute(
                    sa.select(event_attendance)
                    .where(a.event_id == event_id)
                    .order_by(a.checked_in_at, a.member_id)
                ).all()
            else:
                rows = conn.execute(
                    where(
                        sa.select(event_attendance, members.c.name)
                        .join(members, members.c.id == a.member_id)
                        .where(a.event_id == event_id),
                        member_condition(actor.scope),
                    ).order_by(a.checked_in_at, a.member_id)
                ).all()
        return [_attendance(r) for r in rows]

    def record_check(
        self, actor: Actor, member_id: int, event: Event, at: datetime, *, out: bool
    ) -> Attendance:
        """Record a check-in, or with ``out`` a check-out (audited as ``actor``: on the
        members' site, ``member:ID``)."""
        a = event_attendance.c
        event_id = event.id
        store = self._store
        at = at.astimezone(UTC)  # SQLite keeps no zone: every timestamp is stored in UTC
        with store._tx(actor, write=True) as conn:
            if out:
                conn.execute(
                    sa.update(event_attendance)
                    .where(a.event_id == event_id, a.member_id == member_id)
                    .values(checked_out_at=at)
                )
            else:
                conn.execute(
                    sa.insert(event_attendance).values(
                        event_id=event_id, member_id=member_id, checked_in_at=at
                    )
                )
            row = conn.execute(
                sa.select(event_attendance).where(a.event_id == event_id, a.member_id == member_id)
            ).one()
            store._audit(
                conn, actor, "event.check_out" if out else "event.check_in", f"event:{event_id}",
                after={"member_id": member_id, "at": at.isoformat()},
                community_id=event.community_id,
            )  # fmt: skip
        return _attendance(row)

    def roster(self, actor: Actor, community_id: int) -> list[Absentee]:
        """The members routed to the community and in current work, by id."""
        statement = where(
            sa.select(members.c.id, members.c.name).where(
                members.c.community_id == community_id,
                members.c.status != "registered",
                serving(),
            ),
            member_condition(actor.scope),
        ).order_by(members.c.id)
        with self._store._tx(actor) as conn:
            return [Absentee(r.id, r.name) for r in conn.execute(statement)]

    def close_event(
        self, actor: Actor, event: Event, entries: Sequence[ServiceEntry], on: date
    ) -> list[int]:
        """Record ``entries`` and mark the event closed, in one transaction."""
        store = self._store
        with store._tx(actor, write=True) as conn:
            district = store.service._service_community(conn, actor, event.community_id, write=True)
            closed = conn.execute(
                sa.update(events)
                .where(events.c.id == event.id, events.c.status == EventStatus.OPEN.value)
                .values(status=EventStatus.CLOSED.value, closed_on=on)
            ).rowcount
            if closed != 1:
                raise ConflictError(
                    "event.closed", f"活动 {event.id} 已经结束并记录，不用重复操作。"
                )
            ids: list[int] = []
            if entries:
                ids = store.activities.record_activities_in(
                    conn, actor, entries, subject=f"event:{event.id}"
                )
                for entry, activity_id in zip(entries, ids, strict=True):
                    conn.execute(
                        sa.update(event_attendance)
                        .where(
                            event_attendance.c.event_id == event.id,
                            event_attendance.c.member_id == entry.member_id,
                        )
                        .values(activity_id=activity_id)
                    )
            attended = sorted(
                {
                    int(m)
                    for m in conn.execute(
                        sa.select(event_attendance.c.member_id).where(
                            event_attendance.c.event_id == event.id
                        )
                    ).scalars()
                }
            )
            assert event.id is not None
            earn(
                conn,
                [
                    Earning(
                        member_id=m,
                        day=event.day,
                        source=PointsSource.EVENT,
                        source_id=event.id,
                        what=event.content[:40],
                    )
                    for m in attended
                ],
                recorded_by=actor.name,
            )
            store._audit(
                conn, actor, "event.close", f"event:{event.id}",
                after={"activities": ids, "on": on.isoformat()},
                district_code=district, community_id=event.community_id,
            )  # fmt: skip
        return ids
