"""The store's activities (``store.activities``, :class:`~partyreg_core.feedback.port.ActivityRepository`):
what an instructor records (one member or a whole group, one transaction), corrections and
removals, and self-reports waiting for confirmation. A repository composed into
:class:`partyreg_plugins.sqlstore.store.SqlStore` (:class:`~.db.Repository`). Scope: reads
follow ``activity_condition``; writes follow ``activity_write_condition`` (an instructor or
community records for the members routed into its communities only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.feedback.model import (
    PendingActivity,
    ServiceEntry,
    StoredActivity,
)
from partyreg_core.feedback.rules import (
    day_total_exceeded,
    edit_day_total_exceeded,
    over_day_limit,
    refuse_closed_year,
    sheet_locked,
)
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import parse_code
from partyreg_core.points.model import Earning, PointsSource
from partyreg_plugins.sqlstore.db import Repository
from partyreg_plugins.sqlstore.points import earn, reverse
from partyreg_plugins.sqlstore.schema import (
    activities,
    campaign_years,
    communities,
    feedback_sheets,
    group_members,
    groups,
    members,
    wishes,
)
from partyreg_plugins.sqlstore.scoping import (
    activity_condition,
    activity_write_condition,
    member_condition,
    where,
)

if TYPE_CHECKING:
    pass

_CONFIRM_ROLES = (Role.COMMUNITY, Role.DISTRICT, Role.CITY)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _opt_day(value: Any) -> date | None:
    return None if value is None else _day(value)


def _label(row: Any) -> str:
    return f"{row.district}/{row.street}/{row.name}"


class SqlActivities(Repository):
    """Activities in the SQL store (see the module docstring)."""

    # -- recording activities -----------------------------------------------------------------

    def record_activities(
        self, actor: Actor, entries: Sequence[ServiceEntry], *, subject: str
    ) -> list[int]:
        """Write activities an instructor records, all or none (one transaction): every member
        must be routed into the actor's communities, their sheet for the year not confirmed,
        their day at most 24 hours with what is stored, and no entry may repeat a stored one."""
        scope = actor.scope
        if not scope.may_record_activities():
            raise NotPermittedError(
                "activity.denied",
                "单位党组织不能录入活动：活动由社区、社区工作指导员或其县区录入。",
            )
        if not entries:
            return []
        with self._tx(actor, write=True) as conn:
            return self.record_activities_in(conn, actor, entries, subject=subject)

    def record_activities_in(
        self,
        conn: sa.Connection,
        actor: Actor,
        entries: Sequence[ServiceEntry],
        *,
        subject: str,
    ) -> list[int]:
        """:meth:`record_activities` inside the caller's transaction (closing an event records
        its activities and marks it closed in one; a wish recorded as an activity links it in
        the same one); the confirmed activities earn their points here."""
        scope = actor.scope
        if not scope.may_record_activities():
            raise NotPermittedError(
                "activity.denied",
                "单位党组织不能录入活动：活动由社区、社区工作指导员或其县区录入。",
            )
        ids = sorted({e.member_id for e in entries})
        condition = activity_write_condition(scope)
        found = {
            r.id: r
            for r in conn.execute(
                where(
                    sa.select(
                        members.c.id,
                        members.c.name,
                        members.c.status,
                        members.c.community_id,
                        members.c.unit_code,
                        members.c.district_code,
                    ).where(members.c.id.in_(ids)),
                    member_condition(scope),
                )
            )
        }
        for member_id in ids:
            row = found.get(member_id)
            if row is None:
                raise NotFoundError(
                    "member.not_found", f"没有编号为 {member_id} 的党员（或不在你的范围内）。"
                )
            if row.community_id is None or row.status == "registered":
                raise ValidationError(
                    "activity.no_community",
                    f"党员 {row.name}（编号 {member_id}）还没有分流到社区：分流后才能记录活动。",
                )
        if condition is not None:
            allowed = set(
                conn.execute(
                    sa.select(members.c.id).where(members.c.id.in_(ids), condition)
                ).scalars()
            )
            for member_id in ids:
                if member_id not in allowed:
                    raise NotPermittedError(
                        "scope.denied",
                        f"党员 {found[member_id].name}（编号 {member_id}）不在你负责的社区："
                        "只能为本社区的党员记录活动。",
                    )
        newest = conn.execute(sa.select(sa.func.max(campaign_years.c.year))).scalar()
        for entry in entries:  # the year lock, as the import applies it (decision 0073)
            refuse_closed_year(entry.day.year, newest, name=found[entry.member_id].name)
        years = sorted({e.day.year for e in entries})
        locked = set(
            (int(m), int(y))
            for m, y in conn.execute(
                sa.select(feedback_sheets.c.member_id, feedback_sheets.c.year).where(
                    feedback_sheets.c.member_id.in_(ids),
                    feedback_sheets.c.year.in_(years),
                    feedback_sheets.c.status == "confirmed",
                )
            ).all()
        )
        days = sorted({e.day for e in entries})
        stored = conn.execute(
            sa.select(
                activities.c.member_id,
                activities.c.day,
                activities.c.hours,
                activities.c.content,
                activities.c.place,
                activities.c.participants,
                activities.c.rating,
                activities.c.kind,
                activities.c.self_reported,
            ).where(activities.c.member_id.in_(ids), activities.c.day.in_(days))
        ).all()
        totals: dict[tuple[int, date], float] = defaultdict(float)
        keys = set()
        for r in stored:
            totals[(r.member_id, _day(r.day))] += r.hours
            keys.add(
                (
                    r.member_id,
                    _day(r.day),
                    r.content,
                    r.place,
                    r.participants,
                    r.hours,
                    r.rating,
                    r.kind,
                    bool(r.self_reported),
                )
            )
        if any(e.group_id is not None for e in entries):
            self._check_groups(conn, actor, entries, found)
        values = []
        for e in entries:
            member = found[e.member_id]
            if (e.member_id, e.day.year) in locked:
                raise sheet_locked(member.name, e.day.year, to="add")
            full = (e.member_id, e.day, e.content, e.place, e.participants, e.hours)
            full += (e.rating.value, e.kind, e.self_reported)
            if full in keys:
                raise ConflictError(
                    "activity.duplicate",
                    f"{member.name} 在 {e.day.isoformat()} 已有一条完全相同的活动：不用重复记录。",
                )
            key = (e.member_id, e.day)
            if over_day_limit(totals[key] + e.hours):
                raise day_total_exceeded(member.name, e.day, totals[key], e.hours)
            totals[key] += e.hours
            keys.add(full)
            values.append(
                {
                    "member_id": e.member_id,
                    "community_id": member.community_id,
                    "unit_code": member.unit_code,
                    "district_code": member.district_code,
                    "day": e.day,
                    "year": e.day.year,
                    "content": e.content,
                    "place": e.place,
                    "participants": e.participants,
                    "hours": e.hours,
                    "rating": e.rating.value,
                    "kind": e.kind,
                    "self_reported": e.self_reported,
                    "confirmed": not e.self_reported,
                    "group_id": e.group_id,
                }
            )
        new_ids = [
            int(
                conn.execute(
                    sa.insert(activities).values(**v).returning(activities.c.id)
                ).scalar_one()
            )
            for v in values
        ]
        first = found[entries[0].member_id]
        self._audit(
            conn,
            actor,
            "activity.record",
            subject,
            after={
                "activities": [
                    {
                        "id": i,
                        "member_id": v["member_id"],
                        "name": found[v["member_id"]].name,
                        "day": v["day"].isoformat(),
                        "hours": v["hours"],
                        "content": v["content"],
                        "rating": v["rating"],
                        "kind": v["kind"],
                        "self_reported": v["self_reported"],
                    }
                    for i, v in zip(new_ids, values, strict=True)
                ]
            },
            community_id=first.community_id,
        )
        earn(
            conn,
            [
                Earning(
                    member_id=v["member_id"],
                    day=v["day"],
                    source=PointsSource.ACTIVITY,
                    source_id=i,
                    hours=v["hours"],
                    kind=v["kind"],
                    what=v["content"][:40],
                )
                for i, v in zip(new_ids, values, strict=True)
                if v["confirmed"]
            ],
            recorded_by=actor.name,
        )
        return new_ids

    def _check_groups(
        self, conn: sa.Connection, actor: Actor, entries: Sequence[ServiceEntry], found: Any
    ) -> None:
        wanted = sorted({e.group_id for e in entries if e.group_id is not None})
        rows = {r.id: r for r in conn.execute(sa.select(groups).where(groups.c.id.in_(wanted)))}
        for e in entries:
            if e.group_id is None:
                continue
            group = rows.get(e.group_id)
            if group is None or group.community_id != found[e.member_id].community_id:
                raise NotFoundError("group.not_found", f"没有编号为 {e.group_id} 的服务小组。")

    def group_roster(self, actor: Actor, group_id: int) -> tuple[int, list[int]]:
        """A group's community and its members' ids (the group must be in the actor's
        communities)."""
        with self._tx(actor) as conn:
            group = conn.execute(sa.select(groups).where(groups.c.id == group_id)).first()
            scope = actor.scope
            district = (
                conn.execute(
                    sa.select(communities.c.district_code).where(
                        communities.c.id == group.community_id
                    )
                ).scalar()
                if group is not None
                else None
            )
            if group is None or not scope.covers_community(
                group.community_id, parse_code(district) if district else None
            ):
                raise NotFoundError(
                    "group.not_found", f"没有编号为 {group_id} 的服务小组（或不在你的范围内）。"
                )
            ids = list(
                conn.execute(
                    sa.select(group_members.c.member_id)
                    .where(group_members.c.group_id == group_id)
                    .order_by(group_members.c.member_id)
                ).scalars()
            )
            return int(group.community_id), ids

    # -- self-reports ---------------------------------------------------------------------------

    def pending_activities(
        self, actor: Actor, *, community_id: int | None = None
    ) -> list[PendingActivity]:
        """Self-reported activities waiting for the instructor, within the scope."""
        statement = (
            sa.select(activities, members.c.name)
            .join(members, members.c.id == activities.c.member_id)
            .where(activities.c.self_reported == sa.true(), activities.c.confirmed == sa.false())
            .order_by(activities.c.day, activities.c.id)
        )
        statement = where(statement, activity_condition(actor.scope))
        if community_id is not None:
            statement = statement.where(activities.c.community_id == community_id)
        with self._tx(actor) as conn:
            return [_pending(r) for r in conn.execute(statement)]

    def list_activities(
        self,
        actor: Actor,
        *,
        member_id: int | None = None,
        community_id: int | None = None,
        year: int | None = None,
        activity_id: int | None = None,
    ) -> list[StoredActivity]:
        """Activities visible in the scope (of a member, a community, a year; one by id), by
        day and id."""
        statement = where(
            sa.select(activities, members.c.name)
            .join(members, members.c.id == activities.c.member_id)
            .order_by(activities.c.day, activities.c.id),
            activity_condition(actor.scope),
        )
        if member_id is not None:
            statement = statement.where(activities.c.member_id == member_id)
        if community_id is not None:
            statement = statement.where(activities.c.community_id == community_id)
        if year is not None:
            statement = statement.where(activities.c.year == year)
        if activity_id is not None:
            statement = statement.where(activities.c.id == activity_id)
        with self._tx(actor) as conn:
            return [_stored(r) for r in conn.execute(statement)]

    def change_activity(
        self, actor: Actor, activity_id: int, entry: ServiceEntry | None, reason: str
    ) -> StoredActivity:
        """Correct (``entry``) or remove (``None``) one activity, audited with ``reason``
        (decision 0078): only where the actor may record activities, never on a confirmed
        sheet nor in a closed year (old date and new), at most 24 hours that day."""
        scope = actor.scope
        if not scope.may_record_activities():
            raise NotPermittedError(
                "activity.denied",
                "单位党组织不能修改活动：由社区、社区工作指导员或其县区修改。",
            )
        with self._tx(actor, write=True) as conn:
            statement = where(
                sa.select(activities, members.c.name)
                .join(members, members.c.id == activities.c.member_id)
                .where(activities.c.id == activity_id),
                activity_condition(scope),
            )
            write = activity_write_condition(scope)
            if write is not None:
                statement = statement.where(write)
            row = conn.execute(statement).first()
            if row is None:
                raise NotFoundError(
                    "activity.not_found",
                    f"没有编号为 {activity_id} 的活动（或不在你负责的社区）：用 partyreg activity list 查看。",
                )
            current = _stored(row)
            newest = conn.execute(sa.select(sa.func.max(campaign_years.c.year))).scalar()
            days = [current.day] if entry is None else [current.day, entry.day]
            for day in days:
                refuse_closed_year(day.year, newest, name=current.name)
            for year in sorted({d.year for d in days}):
                locked = conn.execute(
                    sa.select(feedback_sheets.c.number).where(
                        feedback_sheets.c.member_id == current.member_id,
                        feedback_sheets.c.year == year,
                        feedback_sheets.c.status == "confirmed",
                    )
                ).scalar()
                if locked is not None:
                    raise sheet_locked(current.name, year, locked, to="edit")
            if entry is None:
                conn.execute(
                    sa.update(wishes)
                    .where(wishes.c.activity_id == activity_id)
                    .values(activity_id=None)
                )
                conn.execute(sa.delete(activities).where(activities.c.id == activity_id))
                reverse(
                    conn,
                    PointsSource.ACTIVITY,
                    [activity_id],
                    reason=f"活动 {activity_id} 已删除",
                    recorded_by=actor.name,
                )
                after: dict[str, Any] = {"removed": True, "reason": reason}
            else:
                others = conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(activities.c.hours), 0)).where(
                        activities.c.member_id == current.member_id,
                        activities.c.day == entry.day,
                        activities.c.id != activity_id,
                    )
                ).scalar_one()
                if over_day_limit(float(others) + entry.hours):
                    raise edit_day_total_exceeded(current.name, entry.day)
                values = {
                    "day": entry.day,
                    "year": entry.day.year,
                    "content": entry.content,
                    "hours": entry.hours,
                    "rating": entry.rating.value,
                    "kind": entry.kind,
                    "place": entry.place,
                    "participants": entry.participants,
                }
                same = conn.execute(
                    sa.select(activities.c.id).where(
                        activities.c.member_id == current.member_id,
                        activities.c.id != activity_id,
                        activities.c.self_reported == current.self_reported,
                        *(activities.c[k] == v for k, v in values.items() if k != "year"),
                    )
                ).first()
                if same is not None:  # the table's key: two identical rows are one activity
                    raise ConflictError(
                        "activity.duplicate",
                        f"{current.name} 在 {entry.day} 已有一条完全相同的活动（编号 {same[0]}）："
                        "不需要再改成这样，可删除本条。",
                    )
                conn.execute(
                    sa.update(activities).where(activities.c.id == activity_id).values(**values)
                )
                if row.confirmed:  # priced again as corrected (on the rules of its new day)
                    reverse(
                        conn,
                        PointsSource.ACTIVITY,
                        [activity_id],
                        reason=f"活动 {activity_id} 已修改",
                        recorded_by=actor.name,
                    )
                    earn(
                        conn,
                        [
                            Earning(
                                member_id=current.member_id,
                                day=entry.day,
                                source=PointsSource.ACTIVITY,
                                source_id=activity_id,
                                hours=entry.hours,
                                kind=entry.kind,
                                what=entry.content[:40],
                            )
                        ],
                        recorded_by=actor.name,
                    )
                after = {**_stored_json(entry), "reason": reason}
            self._audit(
                conn,
                actor,
                "activity.remove" if entry is None else "activity.edit",
                f"activity:{activity_id}",
                before=_stored_json(current.entry),
                after=after,
                community_id=current.community_id,
            )
            return current

    def decide_self_reports(
        self, actor: Actor, activity_ids: Sequence[int], *, confirm: bool, reason: str = ""
    ) -> list[PendingActivity]:
        """Confirm (they count from now on) or reject (removed) self-reported activities, all
        or none; each decision is an audit entry."""
        scope = actor.scope
        if not scope.may_record_activities():
            raise NotPermittedError(
                "activity.denied", "单位党组织不能确认自报活动：由社区或社区工作指导员确认。"
            )
        with self._tx(actor, write=True) as conn:
            statement = where(
                sa.select(activities, members.c.name)
                .join(members, members.c.id == activities.c.member_id)
                .where(activities.c.id.in_(sorted(set(activity_ids)))),
                activity_condition(scope),
            )
            if scope.role is not Role.CITY:
                write = activity_write_condition(scope)
                if write is not None:
                    statement = statement.where(write)
            rows = {r.id: r for r in conn.execute(statement)}
            decided = []
            for activity_id in activity_ids:
                row = rows.get(activity_id)
                if row is None:
                    raise NotFoundError(
                        "activity.not_found",
                        f"没有编号为 {activity_id} 的活动（或不在你负责的社区）。",
                    )
                if not row.self_reported or row.confirmed:
                    raise ConflictError(
                        "activity.not_pending", f"活动 {activity_id} 不是待确认的自报活动。"
                    )
                locked = conn.execute(
                    sa.select(feedback_sheets.c.number).where(
                        feedback_sheets.c.member_id == row.member_id,
                        feedback_sheets.c.year == row.year,
                        feedback_sheets.c.status == "confirmed",
                    )
                ).scalar()
                if locked is not None:
                    raise sheet_locked(row.name, row.year, locked, to="decide")
                pending = _pending(row)
                if confirm:
                    conn.execute(
                        sa.update(activities)
                        .where(activities.c.id == activity_id)
                        .values(confirmed=True)
                    )
                    earn(
                        conn,
                        [
                            Earning(
                                member_id=row.member_id,
                                day=_day(row.day),
                                source=PointsSource.ACTIVITY,
                                source_id=activity_id,
                                hours=row.hours,
                                kind=row.kind,
                                what=row.content[:40],
                            )
                        ],
                        recorded_by=actor.name,
                    )
                else:
                    conn.execute(sa.delete(activities).where(activities.c.id == activity_id))
                self._audit(
                    conn,
                    actor,
                    "activity.confirm" if confirm else "activity.reject",
                    f"activity:{activity_id}",
                    before=_pending_json(pending),
                    after={"confirmed": True} if confirm else {"rejected": True, "reason": reason},
                    community_id=row.community_id,
                )
                decided.append(pending)
            return decided


def _pending(row: Any) -> PendingActivity:
    from partyreg_core.records import Rating

    return PendingActivity(
        id=row.id,
        member_id=row.member_id,
        name=row.name,
        community_id=row.community_id,
        day=_day(row.day),
        content=row.content,
        hours=row.hours,
        rating=Rating(row.rating),
        kind=row.kind,
        place=row.place,
        participants=row.participants,
    )


def _stored(row: Any) -> StoredActivity:
    # the fields a pending activity has, read once (_pending), plus what only a stored one says
    return StoredActivity(
        **attrs.asdict(_pending(row), recurse=False),
        self_reported=bool(row.self_reported),
        confirmed=bool(row.confirmed),
        group_id=row.group_id,
        batch_id=row.batch_id,
    )


def _stored_json(e: ServiceEntry) -> dict[str, Any]:
    return {
        "member_id": e.member_id,
        "day": e.day.isoformat(),
        "content": e.content,
        "hours": e.hours,
        "rating": e.rating.value,
        "kind": e.kind,
        "place": e.place,
        "participants": e.participants,
    }


def _pending_json(p: PendingActivity) -> dict[str, Any]:
    return {
        "member_id": p.member_id,
        "name": p.name,
        "day": p.day.isoformat(),
        "content": p.content,
        "hours": p.hours,
        "rating": p.rating.value,
        "kind": p.kind,
    }
