"""The facts nudges are made of, in the SQL store (``SqlStore.nudges``, the
:class:`~partyreg_core.nudges.port.NudgeRepository`): assigned needs starting on a day, members
without confirmed service, wishes waiting unclaimed, what each community has waiting, the
nudges already queued today, and members' opt-outs. Every query is within the actor's scope
and grouped in SQL (one statement per fact), so a city-wide plan stays a handful of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.errors import NotFoundError
from partyreg_core.nudges.model import (
    CommunityFacts,
    EventTomorrow,
    IdleMember,
    NeedTomorrow,
    UnclaimedWish,
)
from partyreg_core.operators.model import Actor, Role
from partyreg_plugins.sqlstore.notify import _outbox_condition
from partyreg_plugins.sqlstore.rows import code as _code
from partyreg_plugins.sqlstore.rows import opt_code
from partyreg_plugins.sqlstore.schema import (
    activities,
    assignments,
    communities,
    events,
    feedback_sheets,
    instructor_communities,
    members,
    needs,
    nudge_optouts,
    outbox,
    wishes,
)
from partyreg_plugins.sqlstore.scoping import (
    activity_condition,
    member_condition,
    serving,
    where,
    wish_condition,
)

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _label(district: str, street: str, name: str) -> str:
    return f"{district}/{street}/{name}"


class SqlNudges:
    """Nudge facts of one :class:`~partyreg_plugins.sqlstore.store.SqlStore`."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def needs_starting(self, actor: Actor, day: date) -> list[NeedTomorrow]:
        """Members assigned (that year) to a post whose need in their community starts on
        ``day``."""
        m, n, c = members.c, needs.c, communities.c
        statement = (
            sa.select(
                m.id,
                m.name,
                m.unit_code,
                m.community_id,
                m.district_code,
                c.district,
                c.street,
                c.name.label("cname"),
                n.id.label("need_id"),
                n.post_code,
                n.purpose,
                n.start_on,
            )
            .select_from(
                needs.join(
                    assignments,
                    sa.and_(
                        assignments.c.community_id == n.community_id,
                        assignments.c.post_code == n.post_code,
                        assignments.c.year == n.year,
                    ),
                )
                .join(members, m.id == assignments.c.member_id)
                .join(communities, c.id == n.community_id)
            )
            .where(n.start_on == day, m.community_id == n.community_id, serving())
            .order_by(m.id, n.id)
        )
        with self._store._tx(actor) as conn:
            rows = conn.execute(where(statement, member_condition(actor.scope))).all()
        return [
            NeedTomorrow(
                r.id,
                r.name,
                _code(r.unit_code),
                r.community_id,
                opt_code(r.district_code),
                _label(r.district, r.street, r.cname),
                r.need_id,
                r.post_code,
                r.purpose or "",
                _day(r.start_on),
            )
            for r in rows
        ]

    def events_starting(self, actor: Actor, day: date) -> list[EventTomorrow]:
        """Members serving in a community whose open event is on ``day``."""
        m, e, c = members.c, events.c, communities.c
        statement = (
            sa.select(
                m.id,
                m.name,
                m.unit_code,
                m.community_id,
                m.district_code,
                c.district,
                c.street,
                c.name.label("cname"),
                e.id.label("event_id"),
                e.content,
                e.place,
                e.day,
                e.start_at,
                e.end_at,
            )
            .select_from(
                events.join(members, m.community_id == e.community_id).join(
                    communities, c.id == e.community_id
                )
            )
            .where(e.day == day, e.status == "open", m.status != "registered", serving())
            .order_by(e.id, m.id)
        )
        with self._store._tx(actor) as conn:
            rows = conn.execute(where(statement, member_condition(actor.scope))).all()
        return [
            EventTomorrow(
                r.id,
                r.name,
                _code(r.unit_code),
                r.community_id,
                opt_code(r.district_code),
                _label(r.district, r.street, r.cname),
                r.event_id,
                r.content,
                r.place or "",
                _day(r.day),
                r.start_at,
                r.end_at,
            )
            for r in rows
        ]

    def _idle(self, on: date, days: int) -> sa.Select[Any]:
        last = (
            sa.select(activities.c.member_id, sa.func.max(activities.c.day).label("last_day"))
            .where(activities.c.confirmed.is_(True), activities.c.day <= on)
            .group_by(activities.c.member_id)
            .subquery()
        )
        m, c = members.c, communities.c
        cutoff = on - timedelta(days=days)
        return (
            sa.select(
                m.id,
                m.name,
                m.unit_code,
                m.community_id,
                m.district_code,
                m.routed_on,
                c.district,
                c.street,
                c.name.label("cname"),
                last.c.last_day,
            )
            .select_from(
                members.join(communities, c.id == m.community_id).outerjoin(
                    last, last.c.member_id == m.id
                )
            )
            .where(
                m.status != "registered",
                serving(),
                m.routed_on.is_not(None),
                m.routed_on <= cutoff,
                sa.or_(last.c.last_day.is_(None), last.c.last_day <= cutoff),
            )
        )

    def idle_members(self, actor: Actor, on: date, days: int) -> list[IdleMember]:
        """Members serving in a community with no confirmed service in the ``days`` before
        ``on`` (routed at least that long ago)."""
        statement = where(self._idle(on, days), member_condition(actor.scope))
        with self._store._tx(actor) as conn:
            rows = conn.execute(statement.order_by(members.c.id)).all()
        out = []
        for r in rows:
            served = r.last_day is not None
            since = _day(r.last_day) if served else _day(r.routed_on)
            out.append(
                IdleMember(
                    r.id,
                    r.name,
                    _code(r.unit_code),
                    r.community_id,
                    opt_code(r.district_code),
                    _label(r.district, r.street, r.cname),
                    since,
                    served,
                )
            )
        return out

    def unclaimed_wishes(self, actor: Actor, on: date, days: int) -> list[UnclaimedWish]:
        """Open wishes received ``days`` or more days before ``on``."""
        w, c = wishes.c, communities.c
        statement = where(
            sa.select(
                w.id,
                w.community_id,
                w.district_code,
                w.title,
                w.received_on,
                c.district,
                c.street,
                c.name.label("cname"),
            )
            .select_from(wishes.join(communities, c.id == w.community_id))
            .where(w.status == "open", w.received_on <= on - timedelta(days=days))
            .order_by(w.received_on, w.id),
            wish_condition(actor.scope, write=True),
        )
        with self._store._tx(actor) as conn:
            rows = conn.execute(statement).all()
            guides: dict[int, list[int]] = defaultdict(list)
            wanted = sorted({r.community_id for r in rows})
            if wanted:
                for community_id, instructor_id in conn.execute(
                    sa.select(
                        instructor_communities.c.community_id,
                        instructor_communities.c.instructor_id,
                    )
                    .where(instructor_communities.c.community_id.in_(wanted))
                    .order_by(instructor_communities.c.instructor_id)
                ):
                    guides[community_id].append(int(instructor_id))
        return [
            UnclaimedWish(
                r.id,
                r.community_id,
                opt_code(r.district_code),
                _label(r.district, r.street, r.cname),
                r.title,
                _day(r.received_on),
                tuple(guides.get(r.community_id, ())),
            )
            for r in rows
        ]

    def community_facts(
        self, actor: Actor, on: date, *, idle_days: int, year: int
    ) -> list[CommunityFacts]:
        """What each community within scope has waiting (only those with something)."""
        scope = actor.scope
        a, w = activities.c, wishes.c
        counts: dict[int, dict[str, Any]] = defaultdict(dict)
        activity_scope = activity_condition(scope)
        with self._store._tx(actor) as conn:
            waiting = where(
                sa.select(a.community_id, sa.func.count(), sa.func.min(a.day))
                .where(
                    a.self_reported.is_(True), a.confirmed.is_(False), a.community_id.is_not(None)
                )
                .group_by(a.community_id),
                activity_scope,
            )
            for community_id, n, oldest in conn.execute(waiting):
                counts[community_id]["waiting_self_reports"] = int(n)
                counts[community_id]["oldest_self_report"] = _day(oldest)
            confirmed = (
                sa.select(feedback_sheets.c.member_id)
                .where(
                    feedback_sheets.c.member_id == a.member_id,
                    feedback_sheets.c.year == year,
                    feedback_sheets.c.status == "confirmed",
                )
                .exists()
            )
            sheets = where(
                sa.select(a.community_id, sa.func.count(sa.distinct(a.member_id)))
                .where(
                    a.year == year,
                    a.confirmed.is_(True),
                    a.community_id.is_not(None),
                    ~confirmed,
                )
                .group_by(a.community_id),
                activity_scope,
            )
            for community_id, n in conn.execute(sheets):
                counts[community_id]["unconfirmed_sheets"] = int(n)
            week = on - timedelta(days=6)
            wish_counts = where(
                sa.select(
                    w.community_id,
                    sa.func.sum(sa.case((w.status == "open", 1), else_=0)),
                    sa.func.sum(sa.case((w.received_on.between(week, on), 1), else_=0)),
                ).group_by(w.community_id),
                wish_condition(scope, write=True),
            )
            for community_id, open_n, new_n in conn.execute(wish_counts):
                counts[community_id]["open_wishes"] = int(open_n or 0)
                counts[community_id]["new_wishes"] = int(new_n or 0)
            idle = self._idle(on, idle_days).subquery()
            idle_counts = where(
                sa.select(idle.c.community_id, sa.func.count())
                .select_from(idle.join(members, members.c.id == idle.c.id))
                .group_by(idle.c.community_id),
                member_condition(scope),
            )
            for community_id, n in conn.execute(idle_counts):
                counts[community_id]["idle_members"] = int(n)
            ids = sorted(k for k, v in counts.items() if any(v.values()))
            places = {
                r.id: r
                for r in conn.execute(sa.select(communities).where(communities.c.id.in_(ids)))
            }
        out = []
        for community_id in ids:
            place = places.get(community_id)
            if place is None:
                continue
            if scope.role is not Role.CITY and not scope.covers_community(
                community_id, opt_code(place.district_code)
            ):
                continue  # a unit sees its members' activities, not their communities' work
            out.append(
                CommunityFacts(
                    community_id,
                    opt_code(place.district_code),
                    _label(place.district, place.street, place.name),
                    secretary=place.secretary or "",
                    **counts[community_id],
                )
            )
        return out

    def queued_nudges(
        self, actor: Actor, start: datetime, end: datetime
    ) -> dict[str, list[tuple[str, str]]]:
        """Per target, the (event, subject) of the nudges queued in ``[start, end)``."""
        statement = where(
            sa.select(outbox.c.target, outbox.c.event, outbox.c.subject).where(
                outbox.c.event.like("nudge.%"),
                outbox.c.created_at >= start,
                outbox.c.created_at < end,
            ),
            _outbox_condition(actor),
        )
        found: dict[str, set[tuple[str, str]]] = defaultdict(set)
        with self._store._tx(actor) as conn:
            for target, event, subject in conn.execute(statement):
                found[target].add((event, subject))
        return {k: sorted(v) for k, v in found.items()}

    def optouts(self, actor: Actor, member_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        """The kinds each member opted out of."""
        with self._store._tx(actor) as conn:
            rows = conn.execute(
                sa.select(nudge_optouts.c.member_id, nudge_optouts.c.kinds).where(
                    nudge_optouts.c.member_id.in_(list(member_ids))
                )
            ).all()
        return {int(m): frozenset(k.split(",")) for m, k in rows}

    def set_optout(
        self, actor: Actor, member_id: int, kinds: frozenset[str] | None, on: date
    ) -> None:
        """Record (or, ``None``, clear) a member's opt-out; audited."""
        with self._store._tx(actor, write=True) as conn:
            row = conn.execute(
                where(
                    sa.select(
                        members.c.id,
                        members.c.unit_code,
                        members.c.district_code,
                        members.c.community_id,
                    ).where(members.c.id == member_id),
                    member_condition(actor.scope),
                )
            ).first()
            if row is None:
                raise NotFoundError(
                    "member.not_found", f"没有编号为 {member_id} 的党员（或不在你的范围内）。"
                )
            conn.execute(sa.delete(nudge_optouts).where(nudge_optouts.c.member_id == member_id))
            if kinds is not None:
                conn.execute(
                    sa.insert(nudge_optouts).values(
                        member_id=member_id,
                        kinds=",".join(sorted(kinds)),
                        since=on,
                        set_by=actor.name,
                    )
                )
            self._store._audit(
                conn,
                actor,
                "notify.optout" if kinds is not None else "notify.optin",
                f"member:{member_id}",
                after={"kinds": sorted(kinds) if kinds is not None else None},
                unit_code=_code(row.unit_code),
                district_code=opt_code(row.district_code),
                community_id=row.community_id,
            )
