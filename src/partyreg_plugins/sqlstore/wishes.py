"""Residents' wishes in the SQL store (``SqlStore.wishes``, the
:class:`~partyreg_core.wishes.port.WishRepository`).

Scope (:func:`~partyreg_plugins.sqlstore.scoping.wish_condition`): the community's own
operators and instructors, its district and the city work on a wish; a unit reads the wishes
its members claimed. The steps that earn points (done, rated) write the ledger entries in the
same transaction; recording a wish as an activity goes through the store's one activity path.
No resident's name or phone goes into the audit log (decision 0130): retention blanks them in
one table only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.batches import Batch
from partyreg_core.errors import NotFoundError, NotPermittedError, ValidationError
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.operators.model import Actor, Role
from partyreg_core.points.model import Earning, PointsSource
from partyreg_core.wishes.model import Verdict, Wish, WishQuery, WishStatus, WishTally
from partyreg_plugins.sqlstore.journal import _encode as journal_encode
from partyreg_plugins.sqlstore.points import earn
from partyreg_plugins.sqlstore.rows import opt_code
from partyreg_plugins.sqlstore.schema import (
    batch_rows,
    communities,
    members,
    org_units,
    wishes,
)
from partyreg_plugins.sqlstore.scoping import (
    activity_write_condition,
    member_condition,
    serving,
    where,
    wish_condition,
)

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _statement() -> sa.Select[Any]:
    return sa.select(
        wishes,
        communities.c.district.label("c_district"),
        communities.c.street.label("c_street"),
        communities.c.name.label("c_name"),
        members.c.name.label("member_name"),
    ).select_from(
        wishes.join(communities, communities.c.id == wishes.c.community_id).outerjoin(
            members, members.c.id == wishes.c.member_id
        )
    )


def _wish(row: Any) -> Wish:
    m = row._mapping
    received = _day(m["received_on"])
    assert received is not None
    return Wish(
        id=m["id"],
        community_id=m["community_id"],
        district_code=opt_code(m["district_code"]),
        community=f"{m['c_district']}/{m['c_street']}/{m['c_name']}",
        title=m["title"],
        received_on=received,
        status=WishStatus(m["status"]),
        resident_name=m["resident_name"],
        resident_phone=m["resident_phone"],
        post_code=m["post_code"],
        due=_day(m["due"]),
        source=m["source"],
        member_id=m["member_id"],
        member_name=m["member_name"] or "",
        claimed_on=_day(m["claimed_on"]),
        done_on=_day(m["done_on"]),
        done_note=m["done_note"],
        rating=Verdict(m["rating"]) if m["rating"] else None,
        rating_comment=m["rating_comment"],
        rated_on=_day(m["rated_on"]),
        cancelled_on=_day(m["cancelled_on"]),
        cancel_reason=m["cancel_reason"],
        activity_id=m["activity_id"],
        created_by=m["created_by"],
        erased=m["erased_on"] is not None,
    )


def _refuse_units(actor: Actor, what: str) -> None:
    if actor.scope.role is Role.UNIT:
        raise NotPermittedError(
            "wish.denied", f"单位党组织不能{what}：微心愿由社区（或其县区）登记和处理。"
        )


class SqlWishes:
    """The residents' wishes of one :class:`~partyreg_plugins.sqlstore.store.SqlStore`."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    # -- reading ------------------------------------------------------------------------------

    def _get(self, conn: sa.Connection, actor: Actor, wish_id: int, *, write: bool) -> Wish:
        row = conn.execute(
            where(
                _statement().where(wishes.c.id == wish_id),
                wish_condition(actor.scope, write=write),
            )
        ).first()
        if row is None:
            raise NotFoundError(
                "wish.not_found",
                f"没有编号为 {wish_id} 的微心愿（或不在你的范围内）：用 partyreg wishes list 查看。",
            )
        return _wish(row)

    def get(self, actor: Actor, wish_id: int) -> Wish:
        """One wish within scope."""
        with self._store._tx(actor) as conn:
            return self._get(conn, actor, wish_id, write=False)

    def find(self, actor: Actor, query: WishQuery) -> list[Wish]:
        """Wishes within scope, newest first."""
        statement = _statement()
        if query.community_id is not None:
            statement = statement.where(wishes.c.community_id == query.community_id)
        if query.statuses:
            statement = statement.where(wishes.c.status.in_([s.value for s in query.statuses]))
        if query.year is not None:
            statement = statement.where(wishes.c.year == query.year)
        if query.member_id is not None:
            statement = statement.where(wishes.c.member_id == query.member_id)
        statement = where(statement, wish_condition(actor.scope)).order_by(
            wishes.c.received_on.desc(), wishes.c.id.desc()
        )
        with self._store._tx(actor) as conn:
            return [_wish(r) for r in conn.execute(statement)]

    # -- writing ------------------------------------------------------------------------------

    def add(self, actor: Actor, new: Sequence[Any], *, batch: Batch | None = None) -> list[int]:
        """Store new wishes, all or none (their communities within the actor's scope); an
        import's ``batch`` is recorded with a journal of its rows (``partyreg undo``)."""
        _refuse_units(actor, "登记微心愿")
        if not new:
            return []
        scope = actor.scope
        with self._store._tx(actor, write=True) as conn:
            wanted = sorted({w.community_id for w in new})
            places = {
                r.id: r
                for r in conn.execute(
                    sa.select(communities.c.id, communities.c.district_code).where(
                        communities.c.id.in_(wanted)
                    )
                )
            }
            for community_id in wanted:
                place = places.get(community_id)
                if place is None or not scope.covers_community(
                    community_id, opt_code(place.district_code)
                ):
                    raise NotPermittedError(
                        "scope.denied",
                        f"社区 {community_id} 不在你的范围内：只能登记本社区（本县区）的微心愿。",
                    )
            ids = []
            for w in new:
                ids.append(
                    int(
                        conn.execute(
                            sa.insert(wishes)
                            .values(
                                community_id=w.community_id,
                                district_code=places[w.community_id].district_code,
                                year=w.received_on.year,
                                title=w.title,
                                resident_name=w.resident_name,
                                resident_phone=w.resident_phone,
                                post_code=w.post_code,
                                due=w.due,
                                source=w.source,
                                received_on=w.received_on,
                                status=WishStatus.OPEN.value,
                                created_by=actor.name,
                                batch_id=batch.id if batch is not None else None,
                            )
                            .returning(wishes.c.id)
                        ).scalar_one()
                    )
                )
            if batch is not None:
                self._store._insert_batch(conn, actor, batch, len(ids))
                stored = conn.execute(sa.select(wishes).where(wishes.c.id.in_(ids))).all()
                columns = [c.name for c in wishes.columns]
                conn.execute(
                    sa.insert(batch_rows),
                    [
                        {
                            "batch_id": batch.id,
                            "table_name": "wishes",
                            "row_key": {"id": r.id},
                            "before": None,
                            "after": journal_encode(wishes, r._mapping, columns),
                        }
                        for r in stored
                    ],
                )
            self._store._audit(
                conn,
                actor,
                "wish.import" if batch is not None else "wish.add",
                f"batch:{batch.id}" if batch is not None else f"wish:{ids[0]}",
                after={
                    "file": batch.file if batch is not None else None,
                    "wishes": [
                        {
                            "id": i,
                            "community_id": w.community_id,
                            "title": w.title,
                            "received_on": w.received_on.isoformat(),
                            "has_resident": bool(w.resident_name or w.resident_phone),
                        }
                        for i, w in zip(ids, new, strict=True)
                    ],
                },
                community_id=new[0].community_id if len(wanted) == 1 else None,
                district_code=opt_code(places[new[0].community_id].district_code),
                batch_id=batch.id if batch is not None else None,
            )
        return ids

    def _step(
        self,
        conn: sa.Connection,
        actor: Actor,
        wish: Wish,
        action: str,
        values: dict[str, Any],
        after: dict[str, Any],
        expected: WishStatus | tuple[WishStatus, ...],
    ) -> None:
        states = expected if isinstance(expected, tuple) else (expected,)
        done = conn.execute(
            sa.update(wishes)
            .where(wishes.c.id == wish.id, wishes.c.status.in_([s.value for s in states]))
            .values(**values)
        ).rowcount
        if done != 1:  # another operator took the step first
            raise ValidationError(
                "wish.changed", f"心愿 {wish.id} 刚被其他操作员处理过：请重新查看后再操作。"
            )
        self._store._audit(
            conn,
            actor,
            action,
            f"wish:{wish.id}",
            before={"status": wish.status.value},
            after=after,
            community_id=wish.community_id,
            district_code=wish.district_code,
        )

    def claim(self, actor: Actor, wish_id: int, member_id: int, on: date) -> Wish:
        """A member serving in the wish's community claims it."""
        _refuse_units(actor, "代党员认领微心愿")
        with self._store._tx(actor, write=True) as conn:
            wish = self._get(conn, actor, wish_id, write=True)
            member = conn.execute(
                where(
                    sa.select(
                        members.c.id,
                        members.c.name,
                        members.c.unit_code,
                        members.c.community_id,
                        members.c.status,
                    ).where(members.c.id == member_id, serving()),
                    member_condition(actor.scope),
                )
            ).first()
            if member is None:
                raise NotFoundError(
                    "member.not_found",
                    f"没有编号为 {member_id} 的在册党员（或不在你的范围内；已退出的党员不能认领）。",
                )
            if member.community_id != wish.community_id or member.status == "registered":
                raise ValidationError(
                    "wish.member_community",
                    f"党员 {member.name} 没有在心愿所在社区（{wish.community}）报到服务："
                    "只能由本社区的党员认领。",
                )
            self._step(
                conn,
                actor,
                wish,
                "wish.claim",
                {
                    "status": WishStatus.CLAIMED.value,
                    "member_id": member_id,
                    "member_unit_code": member.unit_code,
                    "claimed_on": on,
                },
                {"status": "claimed", "member_id": member_id, "on": on.isoformat()},
                WishStatus.OPEN,
            )
            return self._get(conn, actor, wish_id, write=True)

    def done(self, actor: Actor, wish_id: int, note: str, on: date) -> Wish:
        """The claimed wish is done; the member earns the wish's points."""
        _refuse_units(actor, "处理微心愿")
        with self._store._tx(actor, write=True) as conn:
            wish = self._get(conn, actor, wish_id, write=True)
            self._step(
                conn,
                actor,
                wish,
                "wish.done",
                {"status": WishStatus.DONE.value, "done_on": on, "done_note": note},
                {"status": "done", "note": note, "on": on.isoformat()},
                WishStatus.CLAIMED,
            )
            _earn(conn, actor, wish, on, PointsSource.WISH, post_code=wish.post_code)
            return self._get(conn, actor, wish_id, write=True)

    def rate(self, actor: Actor, wish_id: int, verdict: Verdict, comment: str, on: date) -> Wish:
        """The resident's verdict; the member earns the rating's points."""
        _refuse_units(actor, "评价微心愿")
        with self._store._tx(actor, write=True) as conn:
            wish = self._get(conn, actor, wish_id, write=True)
            self._step(
                conn,
                actor,
                wish,
                "wish.rate",
                {
                    "status": WishStatus.RATED.value,
                    "rating": verdict.value,
                    "rating_comment": comment,
                    "rated_on": on,
                },
                {"status": "rated", "rating": verdict.value, "on": on.isoformat()},
                WishStatus.DONE,
            )
            _earn(conn, actor, wish, on, PointsSource.RATING, verdict=verdict.value)
            return self._get(conn, actor, wish_id, write=True)

    def cancel(self, actor: Actor, wish_id: int, reason: str, on: date) -> Wish:
        """Cancel an open or claimed wish."""
        _refuse_units(actor, "取消微心愿")
        with self._store._tx(actor, write=True) as conn:
            wish = self._get(conn, actor, wish_id, write=True)
            self._step(
                conn,
                actor,
                wish,
                "wish.cancel",
                {
                    "status": WishStatus.CANCELLED.value,
                    "cancelled_on": on,
                    "cancel_reason": reason,
                },
                {"status": "cancelled", "reason": reason, "on": on.isoformat()},
                (WishStatus.OPEN, WishStatus.CLAIMED),
            )
            return self._get(conn, actor, wish_id, write=True)

    def record_activity(self, actor: Actor, wish_id: int, entry: ServiceEntry) -> int:
        """The done wish as an activity of its member, through the one activity path, linked
        to the wish in the same transaction."""
        with self._store._tx(actor, write=True) as conn:
            wish = self._get(conn, actor, wish_id, write=True)
            if wish.activity_id is not None:
                raise ValidationError(
                    "wish.recorded",
                    f"心愿 {wish.id} 已记为服务活动（活动编号 {wish.activity_id}）：不用重复记录。",
                )
            write = activity_write_condition(actor.scope)
            if (
                write is not None
                and not conn.execute(
                    sa.select(members.c.id).where(members.c.id == entry.member_id, write)
                ).first()
            ):
                raise NotPermittedError(
                    "scope.denied", "这名党员不在你负责的社区：只能为本社区的党员记录活动。"
                )
            (activity_id,) = self._store.activities.record_activities_in(
                conn, actor, [entry], subject=f"wish:{wish_id}"
            )
            conn.execute(
                sa.update(wishes).where(wishes.c.id == wish_id).values(activity_id=activity_id)
            )
            return activity_id

    # -- counting -----------------------------------------------------------------------------

    def tally(self, actor: Actor, by: str, *, year: int | None = None) -> list[WishTally]:
        """Counts per community or district of the wishes received in ``year`` (all years:
        ``None``) within scope, in one grouped query."""
        status, rating = wishes.c.status, wishes.c.rating

        def count(condition: Any) -> Any:
            return sa.func.sum(sa.case((condition, 1), else_=0))

        key = wishes.c.community_id if by == "community" else wishes.c.district_code
        statement = sa.select(
            key.label("key"),
            sa.func.count().label("received"),
            count(status.in_(["claimed", "done", "rated"])).label("claimed"),
            count(status.in_(["done", "rated"])).label("done"),
            count(status == "rated").label("rated"),
            count(rating == "满意").label("satisfied"),
            count(rating == "基本满意").label("basic"),
            count(rating == "不满意").label("unsatisfied"),
            count(status == "cancelled").label("cancelled"),
        ).group_by(key)
        if year is not None:
            statement = statement.where(wishes.c.year == year)
        statement = where(statement, wish_condition(actor.scope))
        with self._store._tx(actor) as conn:
            rows = conn.execute(statement).all()
            if by == "community":
                labels = {
                    r.id: f"{r.district}/{r.street}/{r.name}"
                    for r in conn.execute(
                        sa.select(
                            communities.c.id,
                            communities.c.district,
                            communities.c.street,
                            communities.c.name,
                        ).where(communities.c.id.in_([r.key for r in rows]))
                    )
                }
            else:
                labels = {
                    r.code: r.name
                    for r in conn.execute(
                        sa.select(org_units.c.code, org_units.c.name).where(
                            org_units.c.code.in_([r.key for r in rows if r.key])
                        )
                    )
                }
        out = []
        for r in rows:
            m = r._mapping
            out.append(
                WishTally(
                    str(r.key or ""),
                    labels.get(r.key, str(r.key or "")),
                    **{k: int(m[k] or 0) for k in _COUNTS},
                )
            )
        return sorted(out, key=lambda t: t.key)


_COUNTS = ("received", "claimed", "done", "rated", "satisfied", "basic", "unsatisfied", "cancelled")


def erase_residents(
    conn: sa.Connection, closed_by: date, on: date, *, dry_run: bool = False
) -> list[int]:
    """Blank the resident's name and phone of every wish closed (done, rated or cancelled)
    on or before ``closed_by`` (retention, in the caller's transaction; a dry run only finds
    them). Returns their ids."""
    closed = sa.func.coalesce(wishes.c.rated_on, wishes.c.done_on, wishes.c.cancelled_on)
    due = [
        int(i)
        for i in conn.execute(
            sa.select(wishes.c.id).where(
                wishes.c.status.in_(["done", "rated", "cancelled"]),
                closed <= closed_by,
                wishes.c.erased_on.is_(None),
                (wishes.c.resident_name != "") | (wishes.c.resident_phone != ""),
            )
        ).scalars()
    ]
    if due and not dry_run:
        conn.execute(
            sa.update(wishes)
            .where(wishes.c.id.in_(due))
            .values(resident_name="", resident_phone="", erased_on=on)
        )
    return due


def _earn(
    conn: sa.Connection,
    actor: Actor,
    wish: Wish,
    on: date,
    source: PointsSource,
    **detail: Any,
) -> None:
    """The claiming member's points for a step of ``wish`` (done, rated), in its transaction."""
    assert wish.member_id is not None
    earning = Earning(
        member_id=wish.member_id,
        day=on,
        source=source,
        source_id=wish.id,
        what=wish.title[:40],
        **detail,
    )
    earn(conn, [earning], recorded_by=actor.name)
