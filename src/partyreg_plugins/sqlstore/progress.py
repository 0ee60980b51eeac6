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
from partyreg_core.changes import ChangeStatus
from partyreg_core.errors import NotFoundError, NotPermittedError, ValidationError
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
from partyreg_plugins.sqlstore.history import unit_code_on
from partyreg_plugins.sqlstore.routing import pending_change
from partyreg_plugins.sqlstore.rows import code as _code
from partyreg_plugins.sqlstore.schema import (
    change_requests,
    feedback_sheets,
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


def _min_date(a: date, b: date) -> date:
    return a if a <= b else b


class ProgressStore(_Base):
    """Change of community, expected counts and progress (mixed into ``SqlStore``)."""

    def _file_import_change(self, conn: sa.Connection, values: Mapping[str, Any]) -> bool:
        """A change request a re-imported 附表1 files (its community changed for a routed
        member); not filed when the member already has a pending one (one at a time)."""
        if pending_change(conn, values["member_id"]) is not None:
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
