"""The points ledger in the SQL store (``SqlStore.points``, the
:class:`~partyreg_core.points.port.PointsRepository`), and the two functions the other write
paths call inside their own transaction: :func:`earn` (price and append what an activity, a
wish, a rating or an event earned) and :func:`reverse` (take back what a removed or corrected
activity had earned). The ledger is append-only: the schema's triggers refuse UPDATE and DELETE.

Scope: entries are read like activities (the member's unit, district and community); a hand
adjustment needs the member in the actor's scope, and on PostgreSQL row-level security checks
the same on every insert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.errors import NotFoundError, NotPermittedError
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode
from partyreg_core.points.model import Award, Earning, PointsEntry, PointsSource
from partyreg_core.points.rules import Earned, RuleVersion, price
from partyreg_plugins.sqlstore.bulk import insert_rows, sqlite_date, sqlite_datetime
from partyreg_plugins.sqlstore.rows import code as _code
from partyreg_plugins.sqlstore.rows import now as _now
from partyreg_plugins.sqlstore.rows import opt_code, utc
from partyreg_plugins.sqlstore.schema import members, points_entries, points_rules
from partyreg_plugins.sqlstore.scoping import ledger_condition, member_condition, where

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore

_CHUNK = 500
#: The columns of a new ledger entry, in the order :func:`earn` writes them.
_ENTRY_COLUMNS = (
    "member_id",
    "unit_code",
    "district_code",
    "community_id",
    "year",
    "day",
    "points",
    "reason",
    "source",
    "source_id",
    "rule_id",
    "recorded_at",
    "recorded_by",
)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _entry(row: Any) -> PointsEntry:
    m = row._mapping
    return PointsEntry(
        id=m["id"],
        member_id=m["member_id"],
        year=m["year"],
        day=_day(m["day"]),
        points=float(m["points"]),
        reason=m["reason"],
        source=PointsSource(m["source"]),
        source_id=m["source_id"],
        rule_id=m["rule_id"],
        recorded_at=utc(m["recorded_at"]),
        recorded_by=m["recorded_by"],
        unit_code=opt_code(m["unit_code"]),
        community_id=m["community_id"],
    )


def _version(row: Any) -> RuleVersion:
    m = row._mapping
    return RuleVersion(
        id=m["id"],
        district=opt_code(m["district_code"]),
        effective_from=_day(m["effective_from"]),
        values=dict(m["spec"]),
        set_by=m["set_by"],
    )


def load_versions(conn: sa.Connection) -> list[RuleVersion]:
    """Every rule version, oldest first."""
    rows = conn.execute(
        sa.select(points_rules).order_by(points_rules.c.effective_from, points_rules.c.id)
    )
    return [_version(r) for r in rows]


def _places(conn: sa.Connection, member_ids: Sequence[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    ids = sorted(set(member_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for r in conn.execute(
            sa.select(
                members.c.id, members.c.unit_code, members.c.district_code, members.c.community_id
            ).where(members.c.id.in_(chunk))
        ):
            found[r.id] = r
    return found


def _earned(conn: sa.Connection, earnings: Sequence[Earning]) -> Earned:
    """What the members earned so far on the days and in the years of ``earnings`` (every
    entry but hand adjustments: reversals take back what they reverse)."""
    ids = sorted({e.member_id for e in earnings})
    years = sorted({e.day.year for e in earnings})
    by_day: dict[tuple[int, date], float] = defaultdict(float)
    by_year: dict[tuple[int, int], float] = defaultdict(float)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = conn.execute(
            sa.select(
                points_entries.c.member_id,
                points_entries.c.day,
                points_entries.c.year,
                sa.func.sum(points_entries.c.points),
            )
            .where(
                points_entries.c.member_id.in_(chunk),
                points_entries.c.year.in_(years),
                points_entries.c.source != PointsSource.ADJUSTMENT.value,
            )
            .group_by(points_entries.c.member_id, points_entries.c.day, points_entries.c.year)
        )
        for member_id, day, year, total in rows:
            by_day[(member_id, _day(day))] += float(total or 0)
            by_year[(member_id, year)] += float(total or 0)
    return Earned(dict(by_day), dict(by_year))


def earn(conn: sa.Connection, earnings: Sequence[Earning], *, recorded_by: str) -> list[Award]:
    """Price ``earnings`` under the rules of their days and append them to the ledger, in the
    caller's transaction (so the entries and what earned them are written or not together)."""
    if not earnings:
        return []
    places = _places(conn, [e.member_id for e in earnings])
    districts = {i: opt_code(r.district_code) for i, r in places.items()}
    awards = price(earnings, load_versions(conn), districts, _earned(conn, earnings))
    at = _now()
    # One bulk insert of plain tuples in the driver's form (executemany on SQLite, COPY through
    # a staging table on PostgreSQL): an import's batch earns an entry per activity.
    sqlite = conn.dialect.name == "sqlite"
    stamp = sqlite_datetime(at) if sqlite else at
    days: dict[date, Any] = {}
    rows: list[tuple[Any, ...]] = []
    for award in awards:
        e = award.earning
        place = places[e.member_id]
        day = days.get(e.day)
        if day is None:
            day = days[e.day] = sqlite_date(e.day) if sqlite else e.day
        rows.append(
            (
                e.member_id,
                place.unit_code,
                place.district_code,
                place.community_id,
                e.day.year,
                day,
                award.points,
                award.reason,
                e.source.value,
                e.source_id,
                award.rule_id,
                stamp,
                recorded_by,
            )
        )
    insert_rows(conn, "points_entries", _ENTRY_COLUMNS, rows)
    return awards


def reverse(
    conn: sa.Connection,
    source: PointsSource,
    source_ids: Sequence[int],
    *,
    reason: str,
    recorded_by: str,
) -> int:
    """Append, for each of ``source_ids`` whose entries net to non-zero, one entry taking its
    points back (dated like what it reverses). Returns how many were appended."""
    if not source_ids:
        return 0
    at = _now()
    rows = []
    ids = sorted(set(source_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = conn.execute(
            sa.select(
                points_entries.c.source_id,
                points_entries.c.member_id,
                points_entries.c.unit_code,
                points_entries.c.district_code,
                points_entries.c.community_id,
                points_entries.c.year,
                points_entries.c.day,
                points_entries.c.points,
            )
            .where(
                points_entries.c.source_id.in_(chunk),
                points_entries.c.source == source.value,
            )
            .order_by(points_entries.c.id)
        ).all()
        # per source and member: an event's points are one source shared by its attendees
        nets: dict[tuple[int, int], float] = defaultdict(float)
        first: dict[tuple[int, int], Any] = {}
        for r in found:
            if r.source_id is None:
                continue
            key = (int(r.source_id), int(r.member_id))
            nets[key] += float(r.points)
            first.setdefault(key, r)
        for (source_id, _member), net in nets.items():
            if abs(net) < 0.005:
                continue
            r = first[(source_id, _member)]
            rows.append(
                {
                    "member_id": r.member_id,
                    "unit_code": r.unit_code,
                    "district_code": r.district_code,
                    "community_id": r.community_id,
                    "year": r.year,
                    "day": r.day,
                    "points": round(-net, 2),
                    "reason": f"{reason}（冲销{source.label} {net:g} 分）",
                    "source": source.value,
                    "source_id": source_id,
                    "rule_id": None,
                    "recorded_at": at,
                    "recorded_by": recorded_by,
                }
            )
    if rows:
        conn.execute(sa.insert(points_entries), rows)
    return len(rows)


class SqlPoints:
    """The points ledger of one :class:`~partyreg_plugins.sqlstore.store.SqlStore`."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def entries(
        self, actor: Actor, member_id: int, *, year: int | None, on: date | None
    ) -> list[PointsEntry]:
        """A member's entries within scope, oldest first."""
        statement = sa.select(points_entries).where(points_entries.c.member_id == member_id)
        if year is not None:
            statement = statement.where(points_entries.c.year == year)
        if on is not None:
            statement = statement.where(points_entries.c.day <= on)
        statement = where(statement, ledger_condition(actor.scope))
        with self._store._tx(actor) as conn:
            rows = conn.execute(statement.order_by(points_entries.c.day, points_entries.c.id)).all()
        return [_entry(r) for r in rows]

    def adjust(
        self, actor: Actor, member_id: int, points: float, reason: str, day: date
    ) -> PointsEntry:
        """Append a hand adjustment for a member within scope (audited)."""
        with self._store._tx(actor, write=True) as conn:
            row = conn.execute(
                where(
                    sa.select(
                        members.c.id,
                        members.c.name,
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
            scope = actor.scope
            if scope.role in (Role.COMMUNITY, Role.INSTRUCTOR) and (
                row.community_id not in scope.communities
            ):
                raise NotPermittedError(
                    "scope.denied", f"党员 {row.name} 不在你负责的社区：只能调整本社区党员的积分。"
                )
            values = {
                "member_id": member_id,
                "unit_code": row.unit_code,
                "district_code": row.district_code,
                "community_id": row.community_id,
                "year": day.year,
                "day": day,
                "points": points,
                "reason": reason,
                "source": PointsSource.ADJUSTMENT.value,
                "source_id": None,
                "rule_id": None,
                "recorded_at": _now(),
                "recorded_by": actor.name,
            }
            entry_id = conn.execute(
                sa.insert(points_entries).values(**values).returning(points_entries.c.id)
            ).scalar_one()
            self._store._audit(
                conn,
                actor,
                "points.adjust",
                f"member:{member_id}",
                after={"points": points, "reason": reason, "day": day.isoformat(), "id": entry_id},
                unit_code=_code(row.unit_code),
                district_code=opt_code(row.district_code),
                community_id=row.community_id,
            )
            stored = conn.execute(
                sa.select(points_entries).where(points_entries.c.id == entry_id)
            ).one()
        return _entry(stored)

    def balances(
        self, actor: Actor, year: int, *, on: date | None = None, unit: OrgCode | None = None
    ) -> dict[int, float]:
        """Each member's balance in ``year`` within scope (dated up to ``on``; of ``unit``'s
        subtree)."""
        statement = (
            sa.select(points_entries.c.member_id, sa.func.sum(points_entries.c.points))
            .where(points_entries.c.year == year)
            .group_by(points_entries.c.member_id)
        )
        if on is not None:
            statement = statement.where(points_entries.c.day <= on)
        if unit is not None:
            text = str(unit)
            statement = statement.where(
                (points_entries.c.unit_code == text)
                | points_entries.c.unit_code.startswith(text + ".", autoescape=True)
            )
        statement = where(statement, ledger_condition(actor.scope))
        with self._store._tx(actor) as conn:
            return {int(m): round(float(t or 0), 2) for m, t in conn.execute(statement)}

    def versions(self) -> list[RuleVersion]:
        """Every rule version, oldest first."""
        with self._store._tx(None) as conn:
            return load_versions(conn)

    def add_version(
        self,
        actor: Actor,
        district: OrgCode | None,
        effective_from: date,
        values: Mapping[str, Any],
    ) -> RuleVersion:
        """Store a new rule version (audited)."""
        with self._store._tx(actor, write=True) as conn:
            version_id = conn.execute(
                sa.insert(points_rules)
                .values(
                    district_code=str(district) if district else None,
                    effective_from=effective_from,
                    spec=dict(values),
                    set_by=actor.name,
                    set_at=_now(),
                )
                .returning(points_rules.c.id)
            ).scalar_one()
            self._store._audit(
                conn,
                actor,
                "points.rules",
                f"points_rules:{version_id}",
                after={
                    "district": str(district) if district else None,
                    "effective_from": effective_from.isoformat(),
                    "values": dict(values),
                },
                district_code=district,
            )
            row = conn.execute(sa.select(points_rules).where(points_rules.c.id == version_id)).one()
        return _version(row)

    def member_names(self, actor: Actor, member_ids: Sequence[int]) -> dict[int, str]:
        """The names of members within scope (those who left too)."""
        if not member_ids:
            return {}
        with self._store._tx(actor) as conn:
            rows = conn.execute(
                where(
                    sa.select(members.c.id, members.c.name).where(
                        members.c.id.in_(list(member_ids))
                    ),
                    member_condition(actor.scope),
                )
            )
            return {int(i): str(n) for i, n in rows}
