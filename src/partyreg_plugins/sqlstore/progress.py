"""The store's part of change of community, the units' expected counts and progress.

A mixin of :class:`partyreg_plugins.sqlstore.store.SqlStore`: it uses the store's transaction,
audit and scope helpers. Decisions 0025 (who files and decides a change, what the member
becomes), 0026 (progress as of a date) and 0027 (expected counts).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.calendar import CampaignCalendar
from partyreg_core.changes import ChangeRequest, ChangeStatus
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.members.model import MemberStatus
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_core.progress import (
    DISTRICT_DEPTH,
    UNIT_DEPTH,
    MemberDates,
    OverdueMember,
    ProgressBy,
    ProgressCount,
    overdue_milestones,
)
from partyreg_core.records import CommunityRef
from partyreg_plugins.sqlstore.history import unit_code_on
from partyreg_plugins.sqlstore.rows import code as _code
from partyreg_plugins.sqlstore.schema import (
    change_requests,
    communities,
    feedback_sheets,
    instructor_communities,
    members,
    routes,
    unit_expectations,
)
from partyreg_plugins.sqlstore.scoping import member_condition, subtree, where
from partyreg_plugins.sqlstore.search import unit_prefix

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore

    _Base = SqlStore
else:
    _Base = object


def _request(row: sa.Row[Any]) -> ChangeRequest:
    m = row._mapping
    return ChangeRequest(
        id=m["id"],
        member_id=m["member_id"],
        name=m["member_name"],
        unit_code=_code(m["unit_code"]),
        from_community_id=m["from_community_id"],
        to_community_id=m["to_community_id"],
        to=CommunityRef(m["to_district"], m["to_street"], m["to_name"]),
        reason=m["reason"],
        status=ChangeStatus(m["status"]),
        requested_on=m["requested_on"],
        requested_by=m["requested_by"],
        decided_on=m["decided_on"],
        decided_by=m["decided_by"],
        decision_reason=m["decision_reason"],
        batch_id=m["batch_id"],
    )


def _requests_statement(actor: Actor) -> sa.Select[Any]:
    """Change requests joined with their member, within the actor's scope (by the member)."""
    statement = sa.select(
        change_requests,
        members.c.name.label("member_name"),
        members.c.unit_code,
    ).join(members, members.c.id == change_requests.c.member_id)
    return where(statement, member_condition(actor.scope))


def _min_date(a: date, b: date) -> date:
    return a if a <= b else b


class ProgressStore(_Base):
    """Change of community, expected counts and progress (mixed into ``SqlStore``)."""

    # -- change of community ------------------------------------------------------------------

    def _target(self, conn: sa.Connection, to: CommunityRef | int) -> sa.Row[Any] | None:
        """The directory community named by id or by its three names (``None``: not found)."""
        if isinstance(to, int):
            return conn.execute(sa.select(communities).where(communities.c.id == to)).first()
        from partyreg_plugins.sqlstore.store import _Resolver

        found = _Resolver(self._tree(conn), self._community_index(conn)).resolve(to)[1]
        if found is None:
            return None
        return conn.execute(sa.select(communities).where(communities.c.id == found)).first()

    def _pending_for(self, conn: sa.Connection, member_id: int) -> int | None:
        return conn.execute(
            sa.select(change_requests.c.id).where(
                change_requests.c.member_id == member_id,
                change_requests.c.status == ChangeStatus.PENDING.value,
            )
        ).scalar()

    def _load_request(self, conn: sa.Connection, actor: Actor, request_id: int) -> ChangeRequest:
        row = conn.execute(
            _requests_statement(actor).where(change_requests.c.id == request_id)
        ).first()
        if row is None:
            raise NotFoundError(
                "change.not_found",
                f"没有编号为 {request_id} 的变更申请（或不在你的范围内）：用 partyreg change list 查看。",
            )
        return _request(row)

    def request_change(
        self, actor: Actor, member_id: int, to: CommunityRef | int, reason: str, on: date
    ) -> ChangeRequest:
        """File a change-of-community request for a routed member (decision 0025)."""
        with self._tx(actor, write=True) as conn:
            row = self._visible_member(conn, actor, member_id)
            if row.status == MemberStatus.REGISTERED.value:
                raise ConflictError(
                    "change.not_routed",
                    f"{row.name} 还没有分流到社区：直接修改登记的报到社区即可"
                    f"（partyreg members edit {member_id} --district … --street … --community …）。",
                )
            pending = self._pending_for(conn, member_id)
            if pending is not None:
                raise ConflictError(
                    "change.pending",
                    f"{row.name} 已有待审批的变更申请（编号 {pending}）：请先审批或驳回它"
                    f"（partyreg change approve|reject {pending}）。",
                )
            target = self._target(conn, to)
            if target is None:
                label = to.label if isinstance(to, CommunityRef) else f"编号 {to}"
                raise NotFoundError(
                    "community.unknown",
                    f"社区通讯录中没有 {label}：请核对县区、街道和社区名称（或社区编号），"
                    "新社区须先列入社区通讯录（附表4）。",
                )
            if target.id == row.community_id:
                raise ValidationError(
                    "change.same",
                    f"{row.name} 已在 {target.district}/{target.street}/{target.name} 报到：新社区不能与原社区相同。",
                )
            request_id = conn.execute(
                sa.insert(change_requests)
                .values(
                    member_id=member_id,
                    from_community_id=row.community_id,
                    to_community_id=target.id,
                    to_district=target.district,
                    to_street=target.street,
                    to_name=target.name,
                    reason=reason,
                    status=ChangeStatus.PENDING.value,
                    requested_on=on,
                    requested_by=actor.real_name,
                )
                .returning(change_requests.c.id)
            ).scalar_one()
            request = self._load_request(conn, actor, request_id)
            self._audit(
                conn,
                actor,
                "change.request",
                f"member:{member_id}",
                after={**request.event(), "requested_on": on.isoformat()},
                unit_code=_code(row.unit_code),
                district_code=_code(row.district_code) if row.district_code else None,
                community_id=row.community_id,
            )
            return request

    def change_requests(
        self, actor: Actor, status: ChangeStatus | None = None
    ) -> list[ChangeRequest]:
        """Change requests of the members within the scope, newest first."""
        statement = _requests_statement(actor)
        if status is not None:
            statement = statement.where(change_requests.c.status == status.value)
        statement = statement.order_by(change_requests.c.id.desc())
        with self._tx(actor) as conn:
            return [_request(r) for r in conn.execute(statement)]

    def decide_change(
        self, actor: Actor, request_id: int, approve: bool, reason: str | None, on: date
    ) -> ChangeRequest:
        """Approve or reject a pending request (the member's unit side only). On approval the
        open route ends on ``on``, a new route goes to the new community (and its district and
        instructor), and the member is ``routed`` there until it confirms the report-in."""
        with self._tx(actor, write=True) as conn:
            request = self._load_request(conn, actor, request_id)
            if not actor.scope.covers_unit(request.unit_code):
                raise NotPermittedError(
                    "change.denied",
                    f"变更申请 {request_id} 由 {request.name} 所在单位（{request.unit_code}）"
                    "或其上级审批：不在你的管理范围内。",
                )
            if request.status is not ChangeStatus.PENDING:
                raise ConflictError(
                    "change.decided",
                    f"变更申请 {request_id} 已于 {request.decided_on} 由 {request.decided_by} "
                    f"{request.status.label}，不能再审批。",
                )
            member = self._visible_member(conn, actor, request.member_id)
            if on < request.requested_on:
                raise ValidationError(
                    "change.date",
                    f"审批日期 {on} 早于申请日期 {request.requested_on}：请核对 --date。",
                )
            values: dict[str, Any] = {"decided_on": on, "decided_by": actor.real_name}
            target = None
            if approve:
                target = self._target(
                    conn, request.to_community_id if request.to_community_id else request.to
                )
                if target is None:
                    raise NotFoundError(
                        "community.unknown",
                        f"变更申请 {request_id} 的新社区 {request.to.label} 不在社区通讯录中："
                        "请该县区先把它列入社区通讯录（附表4），再审批。",
                    )
                self._move(conn, actor, member, target, on)
                values.update(
                    status=ChangeStatus.APPROVED.value,
                    to_community_id=target.id,
                    released_reported_on=member.reported_on,
                    decision_reason=reason,
                )
            else:
                values.update(status=ChangeStatus.REJECTED.value, decision_reason=reason)
            conn.execute(
                sa.update(change_requests)
                .where(change_requests.c.id == request_id)
                .values(**values)
            )
            decided = self._load_request(conn, actor, request_id)
            self._audit(
                conn,
                actor,
                "change.approve" if approve else "change.reject",
                f"member:{request.member_id}",
                before={
                    "community_id": member.community_id,
                    "district_code": member.district_code,
                    "status": member.status,
                }
                if approve
                else None,
                after={**decided.event(), "decided_on": on.isoformat()},
                unit_code=request.unit_code,
                district_code=_code(target.district_code)
                if target is not None
                else (_code(member.district_code) if member.district_code else None),
                community_id=target.id if target is not None else member.community_id,
            )
            return decided

    def _move(
        self, conn: sa.Connection, actor: Actor, member: sa.Row[Any], target: sa.Row[Any], on: date
    ) -> None:
        """The old community releases the member (its route ends on ``on``) and the new one
        takes them in (a new route; the member ``routed`` there, not yet reported in)."""
        conn.execute(
            sa.update(routes)
            .where(routes.c.member_id == member.id, routes.c.ended_on.is_(None))
            .values(ended_on=on)
        )
        instructor = conn.execute(
            sa.select(sa.func.min(instructor_communities.c.instructor_id)).where(
                instructor_communities.c.community_id == target.id
            )
        ).scalar()
        unit = _code(member.unit_code)
        conn.execute(
            sa.insert(routes).values(
                member_id=member.id,
                from_code=str(unit.aggregator or unit),
                district_code=target.district_code,
                community_id=target.id,
                instructor_id=instructor,
                routed_on=on,
                routed_by=actor.real_name,
            )
        )
        conn.execute(
            sa.update(members)
            .where(members.c.id == member.id)
            .values(
                status=MemberStatus.ROUTED.value,
                community_id=target.id,
                district_code=target.district_code,
                community_district=target.district,
                community_street=target.street,
                community_name=target.name,
                routed_on=on,
                reported_on=None,
                updated_at=datetime.now(UTC),
            )
        )

    def _file_import_change(self, conn: sa.Connection, values: Mapping[str, Any]) -> bool:
        """A change request a re-imported 附表1 files (its community changed for a routed
        member); not filed when the member already has a pending one (one at a time)."""
        if self._pending_for(conn, values["member_id"]) is not None:
            return False
        conn.execute(sa.insert(change_requests).values(**values))
        return True

    # -- expected counts ----------------------------------------------------------------------

    def set_expected(self, actor: Actor, code: OrgCode, year: int, expected: int) -> int | None:
        """Declare the expected member count of unit ``code`` for ``year``: a unit its own (and
        its subtree's), a district or the city for units below them. Returns the previous
        count."""
        scope = actor.scope
        if scope.role not in (Role.CITY, Role.DISTRICT, Role.UNIT) or not scope.covers_unit(code):
            raise NotPermittedError(
                "scope.denied",
                f"不能为 {code} 申报预计人数：单位申报本单位的，县区和市级可为下级单位设置。",
            )
        if code.depth < DISTRICT_DEPTH:
            raise ValidationError(
                "progress.expect_code", "预计人数按单位申报：请写县区、市直党工委或单位的代码。"
            )
        if expected < 0:
            raise ValidationError("progress.expect_count", f"预计人数不能是负数：{expected}。")
        with self._tx(actor, write=True) as conn:
            if code not in self._tree(conn):
                raise NotFoundError("code.unknown", f"代码 {code} 不在单位党组织代码表中。")
            key = (unit_expectations.c.code == str(code)) & (unit_expectations.c.year == year)
            before = conn.execute(sa.select(unit_expectations.c.expected).where(key)).scalar()
            values = {"expected": expected, "set_by": actor.real_name, "set_at": datetime.now(UTC)}
            if before is None:
                conn.execute(
                    sa.insert(unit_expectations).values(code=str(code), year=year, **values)
                )
            else:
                conn.execute(sa.update(unit_expectations).where(key).values(**values))
            self._audit(
                conn,
                actor,
                "progress.expect",
                f"org:{code}",
                before={"year": year, "expected": before} if before is not None else None,
                after={"year": year, "expected": expected},
                unit_code=code,
            )
            return int(before) if before is not None else None

    def expectations(self, actor: Actor, year: int) -> dict[OrgCode, int]:
        """Every expected count declared for ``year`` (counts and codes: shared by all)."""
        statement = sa.select(unit_expectations.c.code, unit_expectations.c.expected).where(
            unit_expectations.c.year == year
        )
        with self._tx(actor) as conn:
            return {parse_code(code): int(n) for code, n in conn.execute(statement)}

    # -- progress -----------------------------------------------------------------------------

    def _milestones(self, year: int) -> tuple[Any, Any, Any, Any]:
        """The members joined with each one's first routing, first report-in and sheet
        confirmation: three aggregates by member, each computed once per query and joined by
        member id (not a subquery per member and per use)."""
        m = members.c
        # A member routed once has members.routed_on = that route's date; only members whose
        # route was ended (re-routed, moved) need the earliest of their routes.
        rerouted = sa.select(routes.c.member_id).where(routes.c.ended_on.is_not(None))
        first_route = (
            sa.select(routes.c.member_id, sa.func.min(routes.c.routed_on).label("day"))
            .where(routes.c.member_id.in_(rerouted))
            .group_by(routes.c.member_id)
            .subquery("first_route")
        )
        released = (
            sa.select(
                change_requests.c.member_id,
                sa.func.min(change_requests.c.released_reported_on).label("day"),
            )
            .where(change_requests.c.status == ChangeStatus.APPROVED.value)
            .group_by(change_requests.c.member_id)
            .subquery("released")
        )
        confirmed = (
            sa.select(
                feedback_sheets.c.member_id,
                sa.func.min(feedback_sheets.c.confirmed_on).label("day"),
            )
            .where(feedback_sheets.c.year == year, feedback_sheets.c.status == "confirmed")
            .group_by(feedback_sheets.c.member_id)
            .subquery("confirmed")
        )
        joined = (
            members.outerjoin(first_route, first_route.c.member_id == m.id)
            .outerjoin(released, released.c.member_id == m.id)
            .outerjoin(confirmed, confirmed.c.member_id == m.id)
        )
        routed = sa.func.coalesce(first_route.c.day, m.routed_on)
        reported = sa.func.coalesce(released.c.day, m.reported_on)
        return joined, routed, reported, confirmed.c.day

    def _registered_by(self, on: date) -> Any:
        m = members.c
        return sa.and_(m.registered_on <= on, sa.or_(m.left_on.is_(None), m.left_on > on))

    def progress_counts(
        self,
        actor: Actor,
        by: ProgressBy,
        calendar: CampaignCalendar,
        on: date,
        *,
        within: OrgCode | None = None,
    ) -> list[ProgressCount]:
        """Members within the scope counted as of ``on`` per group (one grouped query): see
        :class:`partyreg_core.progress.ProgressCount`."""
        m = members.c
        joined, routed, reported, confirmed = self._milestones(calendar.year)
        if by is ProgressBy.COMMUNITY:
            key: Any = m.community_id
        else:
            depth = UNIT_DEPTH if by is ProgressBy.UNIT else DISTRICT_DEPTH
            # the unit codes of the day (decision 0051): as of a day before the 2016 merge,
            # 清河区 and 清浦区; after it, 清江浦区
            key = unit_prefix(depth, unit_code_on(m.id, m.unit_code, on))

        def upto(column: Any, day: date) -> Any:
            return sa.func.sum(sa.case((column <= day, 1), else_=0))

        inner = where(
            sa.select(
                key.label("k"),
                m.registered_on.label("registered"),
                routed.label("routed"),
                reported.label("reported"),
                confirmed.label("confirmed"),
            )
            .select_from(joined)
            .where(self._registered_by(on)),
            member_condition(actor.scope),
        )
        if within is not None:
            inner = inner.where(subtree(unit_code_on(m.id, m.unit_code, on), within))
        c = inner.subquery().c
        statement = (
            sa.select(
                c.k,
                sa.func.count(),
                upto(c.registered, calendar.registration_due),
                upto(c.routed, on),
                upto(c.routed, _min_date(on, calendar.routing_due)),
                upto(c.reported, on),
                upto(c.reported, _min_date(on, calendar.report_in_due)),
                upto(c.confirmed, on),
                upto(c.confirmed, _min_date(on, calendar.confirmation_due)),
            )
            .group_by(c.k)
            .order_by(c.k)
        )
        with self._tx(actor) as conn:
            return [
                ProgressCount("" if k is None else str(k), *(int(v or 0) for v in values))
                for k, *values in conn.execute(statement)
            ]

    def overdue_members(
        self, actor: Actor, calendar: CampaignCalendar, on: date
    ) -> Iterator[OverdueMember]:
        """Members within the scope who, as of ``on``, had not been routed, reported in or had
        their sheet confirmed though that deadline had passed; by unit code, then id."""
        m = members.c
        joined, routed, reported, confirmed = self._milestones(calendar.year)
        missing = []
        if on > calendar.routing_due:
            missing.append(sa.or_(routed.is_(None), routed > on))
        if on > calendar.report_in_due:
            missing.append(sa.or_(reported.is_(None), reported > on))
        if on > calendar.confirmation_due:
            missing.append(sa.and_(reported <= on, sa.or_(confirmed.is_(None), confirmed > on)))
        if not missing:
            return
        statement = where(
            sa.select(
                m.id,
                m.name,
                m.unit_code,
                m.status,
                m.community_id,
                m.community_district,
                m.community_street,
                m.community_name,
                m.registered_on,
                routed.label("routed"),
                reported.label("reported"),
                confirmed.label("confirmed"),
            )
            .select_from(joined)
            .where(self._registered_by(on), sa.or_(*missing)),
            member_condition(actor.scope),
        ).order_by(m.unit_code, m.id)
        with self._tx(actor) as conn:
            for row in conn.execution_options(yield_per=1000).execute(statement):
                dates = MemberDates(
                    row.registered_on, _day(row.routed), _day(row.reported), _day(row.confirmed)
                )
                yield OverdueMember(
                    id=row.id,
                    name=row.name,
                    unit_code=_code(row.unit_code),
                    status=row.status,
                    community_id=row.community_id,
                    community=f"{row.community_district}/{row.community_street}/{row.community_name}",
                    dates=dates,
                    overdue=overdue_milestones(dates, calendar, on),
                )


def _day(value: Any) -> date | None:
    """A date from a computed column (SQLite hands back the text of ``min()``/``coalesce()``)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
