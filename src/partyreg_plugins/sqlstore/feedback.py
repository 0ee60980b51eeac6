"""The store's feedback sheets and roll-ups (``store.feedback``): 附表3 feedback sheets
(numbering, confirmation, reopening, delivery) and the SQL aggregation behind
``feedback summary``, rankings, tiers, the ledger and pairing suggestions (the activities
themselves are :mod:`.activities`).

``store.feedback`` (:class:`~partyreg_core.feedback.port.FeedbackRepository`): a repository
composed into :class:`partyreg_plugins.sqlstore.store.SqlStore` (:class:`~.db.Repository`). Scope: reads follow ``activity_condition`` /
``member_condition``; writes of activities follow ``activity_write_condition`` (an instructor
or community records for the members routed into its communities only).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.batches import Batch
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.feedback.model import (
    SheetInfo,
    SheetState,
    SummaryBy,
    SummaryRow,
)
from partyreg_core.feedback.rules import (
    sheet_number,
    stamp_text,
)
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_plugins.sqlstore.activities import _CONFIRM_ROLES, _label, _opt_day
from partyreg_plugins.sqlstore.bulk import fetch_rows
from partyreg_plugins.sqlstore.db import Repository
from partyreg_plugins.sqlstore.history import (
    DayCodes,
    activity_district_on_day,
    activity_unit_on_day,
    changed_after,
    district_code_on,
    unit_code_on,
)
from partyreg_plugins.sqlstore.schema import (
    NO_COMMUNITY,
    NO_DISTRICT,
    activities,
    assignments,
    audit_log,
    claims,
    communities,
    feedback_sheets,
    groups,
    member_service,
    members,
    org_units,
    posts,
)
from partyreg_plugins.sqlstore.scoping import (
    activity_condition,
    member_condition,
    service_condition,
    serving,
    subtree,
    where,
)

if TYPE_CHECKING:
    pass


class SqlFeedback(Repository):
    """Feedback sheets and the roll-ups in the SQL store (see the module docstring)."""

    # -- feedback sheets ------------------------------------------------------------------------

    def feedback_sheet_list(
        self,
        actor: Actor,
        year: int,
        *,
        member_id: int | None = None,
        unit: OrgCode | None = None,
        community_id: int | None = None,
        numbers: Sequence[str] | None = None,
    ) -> list[SheetInfo]:
        """The year's sheets of the members in scope (one member, a unit's subtree, a
        community), numbering those that have none yet (members routed to a community); the
        numbers are stored once and never change (decision 0045)."""
        with self._tx(actor, write=True) as conn:
            self._number_sheets(conn, actor, year, member_id, unit, community_id)
            return self._sheets(
                conn, actor, year, member_id=member_id, unit=unit, community_id=community_id,
                numbers=numbers,
            )  # fmt: skip

    def _number_sheets(
        self,
        conn: sa.Connection,
        actor: Actor,
        year: int,
        member_id: int | None,
        unit: OrgCode | None,
        community_id: int | None,
    ) -> None:
        have = (
            sa.select(feedback_sheets.c.id)
            .where(feedback_sheets.c.member_id == members.c.id, feedback_sheets.c.year == year)
            .exists()
        )
        statement = where(
            sa.select(members.c.id, members.c.community_id, members.c.unit_code).where(
                members.c.community_id.is_not(None),
                members.c.status != "registered",
                serving(year),  # no sheet for a year a member had left before
                ~have,
            ),
            member_condition(actor.scope),
        ).order_by(members.c.community_id, members.c.id)
        if member_id is not None:
            statement = statement.where(members.c.id == member_id)
        if unit is not None:
            statement = statement.where(subtree(members.c.unit_code, unit))
        if community_id is not None:
            statement = statement.where(members.c.community_id == community_id)
        todo = conn.execute(statement).all()
        if not todo:
            return
        next_seq: dict[int, int] = {}
        rows = []
        for r in todo:
            if r.community_id not in next_seq:
                top = conn.execute(
                    sa.select(sa.func.max(feedback_sheets.c.sequence)).where(
                        feedback_sheets.c.year == year,
                        feedback_sheets.c.community_id == r.community_id,
                    )
                ).scalar()
                next_seq[r.community_id] = int(top or 0) + 1
            seq = next_seq[r.community_id]
            next_seq[r.community_id] = seq + 1
            rows.append(
                {
                    "number": sheet_number(year, r.community_id, seq),
                    "member_id": r.id,
                    "year": year,
                    "community_id": r.community_id,
                    "unit_code": r.unit_code,
                    "status": "draft",
                    "sequence": seq,
                }
            )
        conn.execute(sa.insert(feedback_sheets), rows)
        self._audit(
            conn,
            actor,
            "feedback.number",
            f"feedback:{year}",
            after={"year": year, "numbers": [r["number"] for r in rows]},
            community_id=community_id,
        )

    def _sheets(
        self,
        conn: sa.Connection,
        actor: Actor,
        year: int | None,
        *,
        member_id: int | None = None,
        unit: OrgCode | None = None,
        community_id: int | None = None,
        numbers: Sequence[str] | None = None,
    ) -> list[SheetInfo]:
        f = feedback_sheets.c
        totals = (
            sa.select(
                activities.c.member_id.label("member_id"),
                activities.c.year.label("year"),
                sa.func.sum(activities.c.hours).label("hours"),
                sa.func.count().label("n"),
            )
            .where(activities.c.confirmed == sa.true())
            .group_by(activities.c.member_id, activities.c.year)
        )
        if year is not None:
            totals = totals.where(activities.c.year == year)
        if member_id is not None:
            totals = totals.where(activities.c.member_id == member_id)
        sub = totals.subquery()
        statement = (
            sa.select(
                feedback_sheets,
                members.c.name,
                communities.c.district,
                communities.c.street,
                communities.c.name.label("community_name"),
                sub.c.hours,
                sub.c.n,
            )
            .join(members, members.c.id == f.member_id)
            .join(communities, communities.c.id == f.community_id, isouter=True)
            .join(sub, sa.and_(sub.c.member_id == f.member_id, sub.c.year == f.year), isouter=True)
            .order_by(f.number)
        )
        statement = where(statement, member_condition(actor.scope))
        # a draft of a year the member had left before (numbered by a store older than the
        # rule, decision 0110) is out of current work like the member: only confirmed sheets
        # of such years stay, as the record they are
        m = members.c
        statement = statement.where(
            sa.or_(
                f.status != "draft",
                sa.and_(
                    m.anonymised_on.is_(None),
                    sa.or_(m.left_on.is_(None), sa.extract("year", m.left_on) >= f.year),
                ),
            )
        )
        if year is not None:
            statement = statement.where(f.year == year)
        if member_id is not None:
            statement = statement.where(f.member_id == member_id)
        if unit is not None:
            statement = statement.where(subtree(f.unit_code, unit))
        if community_id is not None:
            statement = statement.where(f.community_id == community_id)
        if numbers is not None:
            statement = statement.where(f.number.in_(sorted(set(numbers))))
        return [_sheet(r) for r in conn.execute(statement)]

    def _sheet_rows(
        self, conn: sa.Connection, actor: Actor, numbers: Sequence[str]
    ) -> dict[str, SheetInfo]:
        found = {s.number: s for s in self._sheets(conn, actor, None, numbers=numbers)}
        for number in numbers:
            if number not in found:
                raise NotFoundError(
                    "feedback.not_found",
                    f"没有编号为 {number} 的实绩反馈单（或不在你的范围内）："
                    "feedback sheets 可列出编号。",
                )
        return found

    def _require_confirmer(self, conn: sa.Connection, actor: Actor, sheet: SheetInfo) -> None:
        scope = actor.scope
        if scope.role not in _CONFIRM_ROLES:
            raise NotPermittedError(
                "feedback.denied",
                f"只有社区党组织（或其县区、市级）可以盖章确认或退回反馈单："
                f"{actor.name} 是{scope.role.label}操作员。",
            )
        district = conn.execute(
            sa.select(communities.c.district_code).where(communities.c.id == sheet.community_id)
        ).scalar()
        code = parse_code(district) if district else None
        if not scope.covers_community(sheet.community_id, code):
            raise NotPermittedError(
                "scope.denied", f"反馈单 {sheet.number} 不属于你的社区：只能确认本社区的反馈单。"
            )

    def confirm_sheets(
        self,
        actor: Actor,
        numbers: Sequence[str],
        on: date,
        *,
        skip_confirmed: bool = False,
        batch: Batch | None = None,
    ) -> list[SheetInfo]:
        """Confirm (stamp) sheets, all or none: each is locked from then on. A sheet with
        self-reports still waiting is refused (decide them first)."""
        with self._tx(actor, write=True) as conn:
            found = self._sheet_rows(conn, actor, numbers)
            done = []
            for number in numbers:
                sheet = found[number]
                self._require_confirmer(conn, actor, sheet)
                if sheet.state is not SheetState.DRAFT:
                    if skip_confirmed:
                        continue
                    raise ConflictError(
                        "feedback.confirmed",
                        f"反馈单 {number} 已于 {sheet.confirmed_on} 由 {sheet.confirmed_by} 盖章确认。",
                    )
                waiting = conn.execute(
                    sa.select(sa.func.count()).where(
                        activities.c.member_id == sheet.member_id,
                        activities.c.year == sheet.year,
                        activities.c.confirmed == sa.false(),
                    )
                ).scalar_one()
                if waiting:
                    raise ValidationError(
                        "feedback.pending",
                        f"{sheet.name} 还有 {waiting} 条自报活动待确认：请先用 activity confirm 或 "
                        f"activity reject 处理，再盖章确认反馈单 {number}。",
                    )
                secretary = (
                    conn.execute(
                        sa.select(communities.c.secretary).where(
                            communities.c.id == sheet.community_id
                        )
                    ).scalar()
                    or ""
                )
                stamp = stamp_text(sheet.community, secretary, on)
                conn.execute(
                    sa.update(feedback_sheets)
                    .where(feedback_sheets.c.number == number)
                    .values(
                        status="confirmed",
                        confirmed_by=actor.real_name,
                        confirmed_on=on,
                        stamp=stamp,
                    )
                )
                self._audit(
                    conn,
                    actor,
                    "feedback.confirm",
                    f"feedback:{number}",
                    before={"status": "draft"},
                    after={
                        "status": "confirmed",
                        "member_id": sheet.member_id,
                        "name": sheet.name,
                        "hours": sheet.hours,
                        "activities": sheet.activities,
                        "confirmed_by": actor.real_name,
                        "confirmed_on": on.isoformat(),
                        "stamp": stamp,
                    },
                    community_id=sheet.community_id,
                    batch_id=batch.id if batch is not None else None,
                )
                done.append(number)
            if batch is not None and done:
                self._insert_batch(conn, actor, batch, len(done))  # type: ignore[attr-defined]
            return list(self._sheet_rows(conn, actor, done).values()) if done else []

    def _undo_feedback(
        self, conn: sa.Connection, actor: Actor, batch_id: str, reason: str, on: date
    ) -> int:
        """Take back a batch of confirmations (decision 0077): every sheet it stamped goes back
        to draft, unless one has since been delivered or reopened (then nothing is undone)."""
        subjects = conn.execute(
            sa.select(audit_log.c.subject).where(
                audit_log.c.batch_id == batch_id, audit_log.c.action == "feedback.confirm"
            )
        ).scalars()
        numbers = [s.removeprefix("feedback:") for s in subjects]
        found = self._sheet_rows(conn, actor, numbers)
        moved = [n for n in numbers if found[n].state is not SheetState.CONFIRMED]
        if moved:
            raise ConflictError(
                "batch.in_use",
                f"批次 {batch_id} 不能撤销：反馈单 {'、'.join(moved[:5])} 已交付或已退回。"
                "请逐张用 partyreg feedback reopen 处理。",
            )
        for number in numbers:
            sheet = found[number]
            self._require_confirmer(conn, actor, sheet)
            conn.execute(
                sa.update(feedback_sheets)
                .where(feedback_sheets.c.number == number)
                .values(
                    status="draft", confirmed_by="", confirmed_on=None, stamp="",
                    reopened_reason=reason,
                )
            )  # fmt: skip
            self._audit(
                conn,
                actor,
                "feedback.reopen",
                f"feedback:{number}",
                before={"status": "confirmed", "confirmed_on": str(sheet.confirmed_on)},
                after={"status": "draft", "reason": reason, "on": on.isoformat()},
                community_id=sheet.community_id,
                batch_id=batch_id,
            )
        return len(numbers)

    def reopen_sheet(self, actor: Actor, number: str, reason: str, on: date) -> SheetInfo:
        """Reopen a confirmed sheet for a correction (the reason goes to the audit log)."""
        with self._tx(actor, write=True) as conn:
            sheet = self._sheet_rows(conn, actor, [number])[number]
            self._require_confirmer(conn, actor, sheet)
            if sheet.state is SheetState.DRAFT:
                raise ConflictError(
                    "feedback.draft", f"反馈单 {number} 尚未盖章确认，不需要退回，可直接补录。"
                )
            conn.execute(
                sa.update(feedback_sheets)
                .where(feedback_sheets.c.number == number)
                .values(
                    status="draft",
                    confirmed_by="",
                    confirmed_on=None,
                    stamp="",
                    delivered_on=None,
                    delivered_by="",
                    reopened_reason=reason,
                )
            )
            self._audit(
                conn,
                actor,
                "feedback.reopen",
                f"feedback:{number}",
                before={
                    "status": sheet.state.value,
                    "confirmed_by": sheet.confirmed_by,
                    "confirmed_on": sheet.confirmed_on.isoformat() if sheet.confirmed_on else None,
                    "delivered_on": sheet.delivered_on.isoformat() if sheet.delivered_on else None,
                },
                after={"status": "draft", "reason": reason, "on": on.isoformat()},
                community_id=sheet.community_id,
            )
            return self._sheet_rows(conn, actor, [number])[number]

    def deliver_sheets(self, actor: Actor, unit: OrgCode, year: int, on: date) -> list[SheetInfo]:
        """Mark the unit's confirmed, not yet delivered sheets of ``year`` as delivered to its
        ledger (one audit entry listing them)."""
        scope = actor.scope
        if scope.role is Role.INSTRUCTOR:
            raise NotPermittedError(
                "feedback.denied", "社区工作指导员不能交付反馈单：由社区党组织交单位台帐。"
            )
        with self._tx(actor, write=True) as conn:
            sheets = [
                s
                for s in self._sheets(conn, actor, year, unit=unit)
                if s.state is SheetState.CONFIRMED
            ]
            if scope.role.needs_communities:
                sheets = [s for s in sheets if s.community_id in scope.communities]
            if not sheets:
                return []
            numbers = [s.number for s in sheets]
            conn.execute(
                sa.update(feedback_sheets)
                .where(feedback_sheets.c.number.in_(numbers))
                .values(delivered_on=on, delivered_by=actor.real_name)
            )
            self._audit(
                conn,
                actor,
                "feedback.deliver",
                f"unit:{unit}",
                after={"year": year, "on": on.isoformat(), "numbers": numbers},
                unit_code=unit,
            )
            return list(self._sheet_rows(conn, actor, numbers).values())

    # -- aggregation ----------------------------------------------------------------------------

    def feedback_summary(
        self,
        actor: Actor,
        by: SummaryBy,
        *,
        year: int | None = None,
        unit: OrgCode | None = None,
    ) -> list[SummaryRow]:
        """Confirmed service grouped ``by``, within the scope (and ``unit``'s subtree): one
        ``GROUP BY`` (see :meth:`_grouped`), plus one over the members for who has none yet.

        By unit or district for a ``year`` that an org change reached into (it took effect
        after the year began), each activity counts under the codes of its own day and the
        members under those of the year's last day — a 2014 summary asked after the 2016
        merge groups under 清河区 and 清浦区 (decision 0062). Otherwise under today's codes."""
        with self._tx(actor) as conn:
            as_of: date | None = None
            if (
                year is not None
                and by in (SummaryBy.UNIT, SummaryBy.DISTRICT)
                and changed_after(conn, date(year, 1, 1))
            ):
                as_of = date(year, 12, 31)
            statement = self._grouped(
                actor, by, year=year, unit=unit, as_of=as_of,
                joined=as_of is not None and DayCodes.exact(conn),
            )  # fmt: skip
            if by is SummaryBy.MEMBER:
                return self._by_member(conn, actor, statement, unit)
            rows = fetch_rows(conn, statement)
            found: dict[str, tuple[Any, ...]] = {
                ("" if r[0] is None else str(r[0])): r for r in rows
            }
            if by is SummaryBy.MONTH:
                return [
                    _summary(f"{int(k) // 100:04d}-{int(k) % 100:02d}", "", r, None, None)
                    for k, r in sorted(found.items(), key=lambda p: int(p[0] or 0))
                ]
            if by is SummaryBy.POST:
                names = self._post_names(conn)
                return [
                    _summary(k, names.get(k, k), r, None, None)
                    for k, r in sorted(found.items(), key=lambda p: _code_order(p[0]))
                ]
            counts = self._member_counts(conn, actor, by, unit, as_of)
            labels = self._labels(conn, by, set(found) | set(counts))
            out = []
            for k in sorted(set(found) | set(counts), key=_sort_key(by)):
                r = found.get(k)
                active = int(r[6]) if r is not None else 0
                # who served under a key counts among its members even if they are counted
                # elsewhere now (moved community, or a code the year's end no longer had)
                total = max(counts.get(k, 0), active)
                out.append(_summary(k, labels.get(k, k), r, total, total - active))
            return out

    def _grouped(
        self,
        actor: Actor,
        by: SummaryBy,
        *,
        year: int | None,
        unit: OrgCode | None,
        as_of: date | None = None,
        joined: bool = False,
    ) -> sa.Select[Any]:
        """The one place the summary's grouped statement is built, whatever its source: columns
        ``key, hours, n, excellent, good, fair`` (and, by community, unit and district, the
        members served), within the scope, ``year`` (``None``: all years) and ``unit``'s
        subtree. By member, community, unit and district it reads ``member_service`` (the
        confirmed activities already summed per member, year and scope by the database:
        decision 0061); by month and post, and by the codes as of each activity's day
        (``as_of`` set: decision 0062), the activities."""
        if by in (SummaryBy.MONTH, SummaryBy.POST) or as_of is not None:
            return self._grouped_activities(
                actor, by, year=year, unit=unit, day_codes=as_of, joined=joined
            )
        return self._grouped_service(actor, by, year=year, unit=unit)

    def _grouped_service(
        self, actor: Actor, by: SummaryBy, *, year: int | None, unit: OrgCode | None
    ) -> sa.Select[Any]:
        """:meth:`_grouped` over ``member_service``: the same sums as over the activities (each
        of its rows is the sum of one member's confirmed activities under one key), and the
        members served as ``count(DISTINCT member_id)`` (a row exists only for a member with a
        confirmed activity under the key). The NULL sentinels turn back into NULL."""
        s = member_service.c
        key: Any = {
            SummaryBy.MEMBER: s.member_id,
            SummaryBy.COMMUNITY: sa.func.nullif(s.community_id, NO_COMMUNITY),
            SummaryBy.UNIT: s.unit_code,
            SummaryBy.DISTRICT: sa.func.nullif(s.district_code, NO_DISTRICT),
        }[by]
        columns = [
            key.label("key"),
            sa.func.sum(s.hours).label("hours"),
            sa.func.sum(s.activities).label("n"),
            sa.func.sum(s.excellent).label("excellent"),
            sa.func.sum(s.good).label("good"),
            sa.func.sum(s.fair).label("fair"),
        ]
        if by is not SummaryBy.MEMBER:
            columns.append(sa.func.count(sa.distinct(s.member_id)))
        statement = where(sa.select(*columns).group_by(key), service_condition(actor.scope))
        if year is not None:
            statement = statement.where(s.year == year)
        if unit is not None:
            statement = statement.where(subtree(s.unit_code, unit))
        return statement

    def _grouped_activities(
        self,
        actor: Actor,
        by: SummaryBy,
        *,
        year: int | None,
        unit: OrgCode | None,
        day_codes: date | None = None,
        joined: bool = False,
    ) -> sa.Select[Any]:
        """:meth:`_grouped` over the confirmed activities themselves (any ``by``); with
        ``day_codes``, units and districts as they were on each activity's day: the histories
        joined once (``joined``, :class:`DayCodes`), or looked up per activity."""
        a = activities.c
        rating_sums = [
            sa.func.sum(sa.case((a.rating == value, 1), else_=0)) for value in ("优", "良", "一般")
        ]
        day = DayCodes() if joined else None
        then: Any = None
        key: Any
        if by is SummaryBy.POST:
            key = self._post_key()
        elif by is SummaryBy.MONTH:
            key = a.year * 100 + sa.extract("month", a.day)
        elif day_codes is not None and by is SummaryBy.UNIT:
            key = then = day.unit() if day is not None else activity_unit_on_day()
        elif day_codes is not None and by is SummaryBy.DISTRICT:
            key = day.district() if day is not None else activity_district_on_day()
        else:
            key = {
                SummaryBy.MEMBER: a.member_id,
                SummaryBy.COMMUNITY: a.community_id,
                SummaryBy.UNIT: a.unit_code,
                SummaryBy.DISTRICT: a.district_code,
            }[by]
        columns = [
            key.label("key"),
            sa.func.sum(a.hours).label("hours"),
            sa.func.count().label("n"),
            *(c.label(n) for c, n in zip(rating_sums, ("excellent", "good", "fair"), strict=True)),
        ]
        if by in (SummaryBy.COMMUNITY, SummaryBy.UNIT, SummaryBy.DISTRICT):
            columns.append(sa.func.count(sa.distinct(a.member_id)))
        if unit is not None and day_codes is not None and then is None:
            then = day.unit() if day is not None else activity_unit_on_day()
        statement = sa.select(*columns).where(a.confirmed == sa.true()).group_by(key)
        if day is not None:
            statement = statement.select_from(day.source)
        statement = where(statement, activity_condition(actor.scope))
        if year is not None:
            statement = statement.where(a.year == year)
        if unit is not None:
            inside = subtree(a.unit_code, unit)
            if then is not None:  # under the code it has now or had that day
                inside = sa.or_(inside, subtree(then, unit))
            statement = statement.where(inside)
        return statement

    def _by_member(
        self,
        conn: sa.Connection,
        actor: Actor,
        grouped: sa.Select[Any],
        unit: OrgCode | None,
    ) -> list[SummaryRow]:
        """One row per member: the ``GROUP BY`` joined to the members' names in the database,
        each row already in the shape of a :class:`SummaryRow` (key as text, hours rounded),
        then the routed members in scope with none. A city's 100,000 rows cost Python little
        more than taking the tuples (decision 0048)."""
        agg = grouped.subquery()
        hours = sa.cast(sa.func.round(sa.cast(agg.c.hours, sa.Numeric), 2), sa.Float)
        served = fetch_rows(
            conn,
            sa.select(
                sa.cast(agg.c.key, sa.String),
                sa.func.coalesce(members.c.name, ""),
                hours,
                agg.c.n,
                agg.c.excellent,
                agg.c.good,
                agg.c.fair,
                sa.literal(1),
                sa.literal(0),
            ).join(members, members.c.id == agg.c.key, isouter=True),  # a member who moved
            # away may be hidden from the scope (row-level security): their service still counts
        )
        people = where(
            sa.select(members.c.id).where(
                members.c.status != "registered", members.c.community_id.is_not(None)
            ),
            member_condition(actor.scope),
        )
        if unit is not None:
            people = people.where(subtree(members.c.unit_code, unit))
        idle = {r[0] for r in fetch_rows(conn, people)}
        idle.difference_update(int(r[0]) for r in served)
        make = SummaryRow._make
        out = list(map(make, served))
        if idle:
            out += map(
                make,
                fetch_rows(
                    conn,
                    sa.select(
                        sa.cast(members.c.id, sa.String),
                        members.c.name,
                        sa.literal(0.0),
                        sa.literal(0),
                        sa.literal(0),
                        sa.literal(0),
                        sa.literal(0),
                        sa.literal(1),
                        sa.literal(1),
                    ).where(members.c.id.in_(sorted(idle))),
                ),
            )
        out.sort(key=_numeric_key)
        return out

    def _post_key(self) -> Any:
        a = activities.c
        group_post = (
            sa.select(groups.c.post_code).where(groups.c.id == a.group_id).scalar_subquery()
        )
        assigned = (
            sa.select(assignments.c.post_code)
            .where(assignments.c.member_id == a.member_id, assignments.c.year == a.year)
            .scalar_subquery()
        )
        first_claim = (
            sa.select(claims.c.post_code)
            .where(claims.c.member_id == a.member_id)
            .order_by(claims.c.position)
            .limit(1)
            .scalar_subquery()
        )
        return sa.func.coalesce(group_post, assigned, first_claim, "")

    def _post_names(self, conn: sa.Connection) -> dict[str, str]:
        names: dict[str, str] = {}
        for code, name, _district in conn.execute(
            sa.select(posts.c.code, posts.c.name, posts.c.district_code).order_by(
                posts.c.district_code.is_not(None), posts.c.district_code
            )
        ):
            names.setdefault(str(code), name)
        return names

    def _member_counts(
        self,
        conn: sa.Connection,
        actor: Actor,
        by: SummaryBy,
        unit: OrgCode | None,
        as_of: date | None = None,
    ) -> dict[str, int]:
        """Routed members in scope per key: under today's codes, or under those of ``as_of``."""
        m = members.c
        column: Any = {
            SummaryBy.MEMBER: m.id,
            SummaryBy.COMMUNITY: m.community_id,
            SummaryBy.UNIT: m.unit_code,
            SummaryBy.DISTRICT: m.district_code,
        }[by]
        then = unit_code_on(m.id, m.unit_code, as_of) if as_of is not None else None
        if as_of is not None and by is SummaryBy.UNIT:
            column = then
        elif as_of is not None and by is SummaryBy.DISTRICT:
            column = district_code_on(m.community_id, m.district_code, as_of)
        statement = where(
            sa.select(column, sa.func.count())
            .where(m.status != "registered", m.community_id.is_not(None))
            .group_by(column),
            member_condition(actor.scope),
        )
        if unit is not None:
            inside = subtree(m.unit_code, unit)
            if then is not None:
                inside = sa.or_(inside, subtree(then, unit))
            statement = statement.where(inside)
        return {("" if k is None else str(k)): int(n) for k, n in fetch_rows(conn, statement)}

    def _labels(self, conn: sa.Connection, by: SummaryBy, keys: set[str]) -> dict[str, str]:
        if by is SummaryBy.MEMBER:
            ids = sorted(int(k) for k in keys if k)
            out: dict[str, str] = {}
            for start in range(0, len(ids), 5000):
                chunk = ids[start : start + 5000]
                for i, name in fetch_rows(
                    conn,
                    sa.select(members.c.id, members.c.name).where(
                        members.c.id.between(chunk[0], chunk[-1])
                    ),
                ):
                    out[str(i)] = name
            return out
        if by is SummaryBy.COMMUNITY:
            return {
                str(r.id): _label(r)
                for r in conn.execute(
                    sa.select(
                        communities.c.id,
                        communities.c.district,
                        communities.c.street,
                        communities.c.name,
                    )
                )
            }
        return {
            str(code): name
            for code, name in conn.execute(
                sa.select(org_units.c.code, org_units.c.name).where(
                    org_units.c.code.in_(sorted(k for k in keys if k))
                )
            )
        }

    def pairing_counts(self, actor: Actor) -> list[tuple[str, int, int]]:
        """``(unit_code, community_id, members)`` for members routed to a community, in scope."""
        statement = where(
            sa.select(members.c.unit_code, members.c.community_id, sa.func.count())
            .where(members.c.community_id.is_not(None), members.c.status != "registered")
            .group_by(members.c.unit_code, members.c.community_id)
            .order_by(members.c.unit_code, members.c.community_id),
            member_condition(actor.scope),
        )
        with self._tx(actor) as conn:
            return [(str(u), int(c), int(n)) for u, c, n in conn.execute(statement)]

    def sheets_iter(
        self, actor: Actor, year: int, *, unit: OrgCode | None = None
    ) -> Iterator[SheetInfo]:
        """The stored sheets of ``year`` in scope (no numbering), for ledgers."""
        with self._tx(actor) as conn:
            yield from self._sheets(conn, actor, year, unit=unit)


def _numeric_key(row: SummaryRow) -> tuple[int, str]:
    """Numeric text keys (member ids) in numeric order, without converting each."""
    return (len(row.key), row.key)


def _code_order(code: str) -> tuple[int, int, str]:
    """Post codes in catalog order: numbers by value (2 before 10), others after them."""
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def _sort_key(by: SummaryBy) -> Any:
    if by in (SummaryBy.MEMBER, SummaryBy.COMMUNITY):
        return lambda k: (0, int(k)) if k else (1, 0)
    return lambda k: (k == "", k)


def _summary(
    key: str, label: str, r: tuple[Any, ...] | None, members_n: int | None, idle: int | None
) -> SummaryRow:
    if r is None:
        return SummaryRow(key, label, 0.0, 0, 0, 0, 0, members_n, idle)
    return SummaryRow(
        key,
        label,
        round(float(r[1] or 0), 2),
        int(r[2]),
        int(r[3] or 0),
        int(r[4] or 0),
        int(r[5] or 0),
        members_n,
        idle,
    )


def _sheet(row: Any) -> SheetInfo:
    if row.status == "confirmed":
        state = SheetState.DELIVERED if row.delivered_on is not None else SheetState.CONFIRMED
    else:
        state = SheetState.DRAFT
    community = f"{row.district}/{row.street}/{row.community_name}" if row.community_name else ""
    return SheetInfo(
        number=row.number,
        member_id=row.member_id,
        name=row.name,
        unit_code=row.unit_code,
        year=row.year,
        community_id=row.community_id,
        community=community,
        state=state,
        hours=round(float(row.hours or 0), 2),
        activities=int(row.n or 0),
        confirmed_by=row.confirmed_by or "",
        confirmed_on=_opt_day(row.confirmed_on),
        stamp=row.stamp or "",
        delivered_on=_opt_day(row.delivered_on),
        reopened_reason=row.reopened_reason or "",
    )
