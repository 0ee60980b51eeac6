"""Org changes with effective dates and the member lifecycle, in the SQL store.

A mixin of :class:`partyreg_plugins.sqlstore.store.SqlStore`. An org change (new unit, rename,
move, retirement, merge) is planned by the core (:func:`partyreg_core.orgchanges.plan_changes`)
inside the store's transaction, against the stored tree, then written: new codes added, old
codes retired pointing at their new ones, and every old → new code applied to what carries a
code (members, their routes, activities, feedback sheets, communities, instructors; operators
of a moved unit). Members' earlier codes are kept in ``member_units`` and communities' earlier
district codes in ``community_districts``, never re-coded, so the counts and the service
summaries of a past day add up under that day's codes (decisions 0051, 0062; see
:mod:`partyreg_plugins.sqlstore.history`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.batches import Batch
from partyreg_core.errors import ConflictError, NotPermittedError, ValidationError
from partyreg_core.members.model import Member, MemberCount, MemberStatus
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgchanges import (
    AppliedChange,
    ChangeKind,
    CodeMove,
    MemberEvent,
    OrgChange,
    OrgChangeRecord,
    OrgPlan,
    plan_changes,
)
from partyreg_core.orgcodes import OrgCode, OrgUnit, parse_code
from partyreg_plugins.sqlstore import pg
from partyreg_plugins.sqlstore.history import changed_after, unit_code_on
from partyreg_plugins.sqlstore.rows import code as _code
from partyreg_plugins.sqlstore.rows import now as _now
from partyreg_plugins.sqlstore.schema import (
    activities,
    communities,
    community_districts,
    feedback_sheets,
    instructors,
    member_units,
    members,
    operators,
    org_changes,
    org_units,
    routes,
)
from partyreg_plugins.sqlstore.scoping import member_condition, subtree, where
from partyreg_plugins.sqlstore.search import unit_prefix

if TYPE_CHECKING:
    from partyreg_plugins.sqlstore.store import SqlStore

#: The columns an old code is replaced in when a unit moves or merges, one code at a time (small
#: or indexed; history tables — ``member_units``, ``community_districts``, the audit log — keep
#: the codes as they were).
RECODED_COLUMNS = (
    members.c.unit_code,
    members.c.district_code,
    communities.c.district_code,
    instructors.c.unit_code,
)
#: The large tables, re-coded in one pass each through a temporary old → new table.
BULK_RECODED = (
    ("activities", "unit_code"),
    ("activities", "district_code"),
    ("feedback_sheets", "unit_code"),
    ("routes", "from_code"),
    ("routes", "district_code"),
)


class OrgChangesMixin:
    """Org changes, the org's history, counts as of a day, and members' transfers,
    retirements and leaving."""

    # -- the org tree's history ------------------------------------------------------------

    def _former_names(self, conn: sa.Connection) -> dict[str, tuple[tuple[date, str], ...]]:
        """Each renamed code's earlier names with the day each stopped, oldest first."""
        found: dict[str, list[tuple[date, str]]] = defaultdict(list)
        statement = (
            sa.select(org_changes.c.code, org_changes.c.on_date, org_changes.c.name_before)
            .where(org_changes.c.kind == ChangeKind.RENAME.value)
            .order_by(org_changes.c.on_date, org_changes.c.id)
        )
        for code, on, name in conn.execute(statement):
            found[code].append((on, name))
        return {code: tuple(names) for code, names in found.items()}

    def org_changes(self: SqlStore, code: OrgCode | None = None) -> list[OrgChangeRecord]:
        """The recorded changes (of ``code``: as the unit changed or as the code it went on
        under), oldest first."""
        statement = sa.select(org_changes).order_by(org_changes.c.on_date, org_changes.c.id)
        if code is not None:
            statement = statement.where(
                sa.or_(org_changes.c.code == str(code), org_changes.c.new_code == str(code))
            )
        with self._tx(None) as conn:
            return [
                OrgChangeRecord(
                    id=r.id,
                    kind=ChangeKind(r.kind),
                    code=_code(r.code),
                    on=r.on_date,
                    reason=r.reason,
                    actor=r.actor,
                    new_code=_code(r.new_code) if r.new_code else None,
                    name_before=r.name_before,
                    name_after=r.name_after,
                    batch_id=r.batch_id,
                    line=r.line,
                )
                for r in conn.execute(statement)
            ]

    # -- org changes -----------------------------------------------------------------------

    def apply_org_changes(
        self: SqlStore,
        actor: Actor,
        changes: Sequence[OrgChange],
        *,
        today: date,
        batch: Batch | None = None,
        dry_run: bool = False,
    ) -> OrgPlan:
        """Plan ``changes`` against the stored tree and, unless ``dry_run``, write them as one
        transaction (one audit entry; with ``batch``, recorded as that batch). The actor must
        cover the parent of every unit changed and every new parent or merge target."""
        with self._tx(actor, write=not dry_run) as conn:
            tree = self._tree(conn)
            counts = {
                _code(code): n
                for code, n in conn.execute(
                    sa.select(members.c.unit_code, sa.func.count())
                    .where(members.c.left_on.is_(None))
                    .group_by(members.c.unit_code)
                )
            }
            plan = plan_changes(tree, changes, today=today, members=counts)
            for applied in plan.changes:
                _check_scope(actor, applied)
            if dry_run:
                return plan
            self._write_plan(conn, actor, plan, batch)
            return plan

    def _write_plan(
        self: SqlStore, conn: sa.Connection, actor: Actor, plan: OrgPlan, batch: Batch | None
    ) -> None:
        added = {u.code for u in plan.added}
        # new units go in first (parents before children), so the re-coded rows can point at them
        for unit in sorted(plan.added, key=lambda u: u.code.segments):
            conn.execute(sa.insert(org_units).values(**_unit_row(unit, batch)))
        for unit in plan.touched:
            conn.execute(
                sa.update(org_units)
                .where(org_units.c.code == str(unit.code))
                .values(
                    name=unit.name,
                    retired_on=unit.retired_on,
                    moved_to=str(unit.moved_to) if unit.moved_to else None,
                )
            )
        for added_unit in plan.tree:  # an added unit re-coded again later in the same plan
            if added_unit.code in added and added_unit.retired_on is not None:
                conn.execute(
                    sa.update(org_units)
                    .where(org_units.c.code == str(added_unit.code))
                    .values(
                        retired_on=added_unit.retired_on,
                        moved_to=str(added_unit.moved_to) if added_unit.moved_to else None,
                    )
                )
        for move in plan.moves:
            self._recode(conn, move)
        self._recode_bulk(conn, plan.moves)
        at = _now()
        rows: list[dict[str, Any]] = []
        for applied in plan.changes:
            change = applied.change
            common = {
                "batch_id": batch.id if batch else None,
                "line": change.line,
                "on_date": change.on,
                "reason": change.reason,
                "actor": actor.real_name,
                "on_behalf_of": actor.on_behalf_of,
                "at": at,
            }
            if change.kind in (ChangeKind.MOVE, ChangeKind.MERGE):
                for move in applied.moves:
                    rows.append(
                        {
                            **common,
                            "kind": move.kind.value,
                            "code": str(move.old),
                            "new_code": str(move.new),
                            "name_before": plan.tree.get(move.old).name,
                            "name_after": plan.tree.get(move.new).name,
                        }
                    )
            else:
                rows.append(
                    {
                        **common,
                        "kind": change.kind.value,
                        "code": str(applied.code),
                        "new_code": None,
                        "name_before": applied.name_before,
                        "name_after": applied.name_after,
                    }
                )
        conn.execute(sa.insert(org_changes), rows)
        if batch is not None:
            self._insert_batch(conn, actor, batch, len(plan.changes))
        scope = actor.scope
        first = plan.changes[0]
        self._audit(
            conn,
            actor,
            "org.apply" if batch is not None else f"org.{first.change.kind.value}",
            f"batch:{batch.id}" if batch is not None else f"org:{first.code}",
            after={
                "file": batch.file if batch else None,
                "changes": [_applied_json(a) for a in plan.changes],
            },
            batch_id=batch.id if batch else None,
            unit_code=scope.code if scope.role is not Role.DISTRICT else None,
            district_code=scope.code if scope.role is Role.DISTRICT else None,
        )

    def _recode(self: SqlStore, conn: sa.Connection, move: CodeMove) -> None:
        old, new = str(move.old), str(move.new)
        other = communities.alias("other")
        clash = conn.execute(
            sa.select(communities.c.street, communities.c.name)
            .join(
                other,
                sa.and_(other.c.district_code == new, other.c.match_key == communities.c.match_key),
            )
            .where(communities.c.district_code == old)
            .limit(1)
        ).first()
        if clash is not None:
            raise ConflictError(
                "orgchange.community_clash",
                f"{old} 并入 {new} 后会有两个“{clash.street}/{clash.name}”："
                "请先在社区通讯录中把其中一个改名（如注明原县区）再调整。",
            )
        self._close_unit_interval(conn, members.c.unit_code == old, move.on, move.kind.value)
        conn.execute(
            sa.insert(community_districts).from_select(
                ["community_id", "district_code", "valid_to", "reason"],
                sa.select(
                    communities.c.id,
                    communities.c.district_code,
                    sa.literal(move.on, sa.Date),
                    sa.literal(move.kind.value),
                ).where(communities.c.district_code == old),
            )
        )
        for column in RECODED_COLUMNS:
            conn.execute(sa.update(column.table).where(column == old).values({column.name: new}))
        if move.kind is not ChangeKind.MERGE:
            # the same unit under a new code: its operators go with it (a merged unit's
            # operators keep their old scope until the city re-scopes them: decision 0052)
            with self._as_owner(conn):
                conn.execute(
                    sa.update(operators).where(operators.c.scope_code == old).values(scope_code=new)
                )

    def _recode_bulk(self: SqlStore, conn: sa.Connection, moves: Sequence[CodeMove]) -> None:
        """Re-code the large tables in one statement each: the moves composed (a code moved
        twice in one plan goes straight to its last code), through a temporary table."""
        final: dict[str, str] = {}
        pointing: dict[str, list[str]] = defaultdict(list)  # current target → the old codes
        for move in moves:
            old, new = str(move.old), str(move.new)
            for earlier in pointing.pop(old, []):
                final[earlier] = new
                pointing[new].append(earlier)
            final[old] = new
            pointing[new].append(old)
        if not final:
            return
        if self._sqlite:
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.pr_recode")
            conn.exec_driver_sql("CREATE TEMP TABLE pr_recode (old TEXT PRIMARY KEY, new TEXT)")
        else:
            conn.exec_driver_sql(
                "CREATE TEMPORARY TABLE pr_recode (old text PRIMARY KEY, new text) ON COMMIT DROP"
            )
        table = sa.table("pr_recode", sa.column("old"), sa.column("new"))
        conn.execute(sa.insert(table), [{"old": k, "new": v} for k, v in final.items()])
        for name, column in BULK_RECODED:
            conn.execute(
                sa.text(
                    f"UPDATE {name} SET {column} = (SELECT r.new FROM pr_recode r"
                    f" WHERE r.old = {name}.{column}) WHERE {column} IN (SELECT old FROM pr_recode)"
                )
            )
        if self._sqlite:
            conn.exec_driver_sql("DROP TABLE temp.pr_recode")

    def _close_unit_interval(
        self, conn: sa.Connection, which: sa.ColumnElement[bool], on: date, reason: str
    ) -> None:
        """Record the current unit code of the members ``which`` selects as history ending
        ``on`` (or when they left, if earlier)."""
        h = member_units.alias("h")
        latest = sa.select(sa.func.max(h.c.valid_to)).where(h.c.member_id == members.c.id)
        start = sa.func.coalesce(latest.scalar_subquery(), members.c.registered_on)
        end = sa.case(
            (sa.and_(members.c.left_on.is_not(None), members.c.left_on < on), members.c.left_on),
            else_=sa.literal(on, sa.Date),
        )
        conn.execute(
            sa.insert(member_units).from_select(
                ["member_id", "unit_code", "valid_from", "valid_to", "reason"],
                sa.select(members.c.id, members.c.unit_code, start, end, sa.literal(reason)).where(
                    which
                ),
            )
        )

    @contextmanager
    def _as_owner(
        self: SqlStore, conn: sa.Connection, actor: Actor | None = None
    ) -> Iterator[None]:
        """On PostgreSQL, run the enclosed statements as the store's owner (row-level security
        does not apply), then return to ``actor``'s role; for writes the store has already
        checked and that carry rows across scopes (decision 0053). SQLite: nothing to do."""
        if self._roles is None:
            yield
            return
        current = conn.exec_driver_sql("SELECT current_user").scalar_one()
        pg.require_owner_membership(conn, self._roles)
        pg.set_role(conn, self._roles, self._roles.owner)
        try:
            yield
        finally:
            pg.set_role(conn, self._roles, str(current))

    # -- counts as of a day ----------------------------------------------------------------

    def count_members_on(
        self: SqlStore, actor: Actor, day: date, depth: int, under: OrgCode | None = None
    ) -> list[MemberCount]:
        """Members as they stood on ``day`` — registered by then, not yet left — counted by
        status (as of that day) and by the unit code *they had that day*, cut to ``depth``
        segments; only members the actor sees now. ``under`` keeps codes within it."""
        m, h = members, member_units
        status = sa.case(
            (
                sa.and_(
                    m.c.status == MemberStatus.REPORTED_IN.value,
                    sa.or_(m.c.reported_on.is_(None), m.c.reported_on <= day),
                ),
                MemberStatus.REPORTED_IN.value,
            ),
            (
                sa.and_(
                    m.c.status != MemberStatus.REGISTERED.value,
                    sa.or_(m.c.routed_on.is_(None), m.c.routed_on <= day),
                ),
                MemberStatus.ROUTED.value,
            ),
            else_=MemberStatus.REGISTERED.value,
        )
        inner = h.alias("hh")
        latest = (
            sa.select(sa.func.max(inner.c.valid_to))
            .where(inner.c.member_id == m.c.id)
            .scalar_subquery()
        )
        start = sa.func.coalesce(latest, m.c.registered_on)
        present = sa.or_(m.c.left_on.is_(None), m.c.left_on > day)
        current = where(
            sa.select(m.c.unit_code.label("code"), status.label("status")).where(
                present, sa.or_(start.is_(None), start <= day)
            ),
            member_condition(actor.scope),
        )
        past = where(
            sa.select(h.c.unit_code.label("code"), status.label("status"))
            .select_from(h.join(m, m.c.id == h.c.member_id))
            .where(
                present,
                sa.or_(h.c.valid_from.is_(None), h.c.valid_from <= day),
                h.c.valid_to > day,
            ),
            member_condition(actor.scope),
        )
        both = sa.union_all(current, past).subquery()
        prefix = unit_prefix(depth, both.c.code)
        statement = (
            sa.select(prefix, both.c.status, sa.func.count())
            .group_by(prefix, both.c.status)
            .order_by(prefix, both.c.status)
        )
        if under is not None:
            statement = statement.where(subtree(both.c.code, under))
        with self._tx(actor) as conn:
            return [
                MemberCount(parse_code(code), MemberStatus(state), count)
                for code, state, count in conn.execute(statement)
            ]

    def unit_members_on(self: SqlStore, actor: Actor, under: OrgCode, day: date) -> dict[int, str]:
        """The members within ``under`` under the codes of ``day`` — those not gone before
        the day's year began (a ledger lists who left during the year, and those registered
        later under the code they came with: a year's registrations are often entered after
        it) — as member id → the unit code they had that day; only members the actor sees."""
        m = members.c
        then = unit_code_on(m.id, m.unit_code, day)
        statement = where(
            sa.select(m.id, then).where(
                sa.or_(m.left_on.is_(None), m.left_on >= date(day.year, 1, 1)),
                subtree(then, under),
            ),
            member_condition(actor.scope),
        )
        with self._tx(actor) as conn:
            return {int(i): str(code) for i, code in conn.execute(statement)}

    def org_changed_after(self: SqlStore, day: date) -> bool:
        """Whether an org change took effect after ``day``."""
        with self._tx(None) as conn:
            return changed_after(conn, day)

    # -- the member lifecycle --------------------------------------------------------------

    def _lifecycle_member(
        self: SqlStore, conn: sa.Connection, actor: Actor, member_id: int, what: str
    ) -> Member:
        from partyreg_plugins.sqlstore.rows import member as _member

        current = _member(self._visible_member(conn, actor, member_id))
        if not actor.scope.may_register(current.unit_code):
            raise NotPermittedError(
                "scope.denied",
                f"党员{what}须由其所在单位 {current.unit_code}（或上级）办理：不在你的管理范围内。",
            )
        if current.left_on is not None:
            raise ConflictError(
                "member.left",
                f"{current.name} 已于 {current.left_on} 离开（{current.left_reason}）：不能再办理{what}。",
            )
        return current

    def _member_start(self, conn: sa.Connection, member: Member) -> date | None:
        latest = conn.execute(
            sa.select(sa.func.max(member_units.c.valid_to)).where(
                member_units.c.member_id == member.id
            )
        ).scalar()
        return latest if latest is not None else member.registered_on

    def transfer_member(
        self: SqlStore,
        actor: Actor,
        member_id: int,
        to: OrgCode,
        on: date,
        reason: str,
        today: date,
    ) -> Member:
        """Transfer a member to unit ``to`` from ``on``: the old unit (or above) does it, the
        new unit takes over; community, route, claims and past activities stay (activities
        from ``on`` on count for the new unit)."""
        from partyreg_plugins.sqlstore.members import member_about as _about
        from partyreg_plugins.sqlstore.rows import member as _member

        _check_day(on, today, "转出")
        with self._tx(actor, write=True) as conn:
            current = self._lifecycle_member(conn, actor, member_id, "转出")
            target = self._tree(conn).resolve(to, on)
            if target.code == current.unit_code:
                raise ValidationError(
                    "member.same_unit", f"{current.name} 已在 {to}（{target.name}）：无需转出。"
                )
            start = self._member_start(conn, current)
            if start is not None and on < start:
                raise ValidationError(
                    "member.transfer_date",
                    f"转出日期 {on} 早于 {current.name} 在现单位的起始日期 {start}：请核对日期。",
                )
            self._close_unit_interval(
                conn, members.c.id == member_id, on, MemberEvent.TRANSFER.value
            )
            with self._as_owner(conn):
                conn.execute(
                    sa.update(members)
                    .where(members.c.id == member_id)
                    .values(unit_code=str(to), updated_at=_now())
                )
                conn.execute(
                    sa.update(activities)
                    .where(activities.c.member_id == member_id, activities.c.day >= on)
                    .values(unit_code=str(to))
                )
                conn.execute(
                    sa.update(feedback_sheets)
                    .where(
                        feedback_sheets.c.member_id == member_id,
                        feedback_sheets.c.year >= on.year,
                        feedback_sheets.c.status == "draft",
                    )
                    .values(unit_code=str(to))
                )
                row = conn.execute(sa.select(members).where(members.c.id == member_id)).one()
            moved = _member(row)
            self._audit(
                conn,
                actor,
                "member.transfer",
                f"member:{member_id}",
                before={"unit_code": str(current.unit_code)},
                after={"unit_code": str(to), "on": on.isoformat(), "reason": reason},
                **_about(moved),
            )
            return moved

    def retire_member(
        self: SqlStore,
        actor: Actor,
        member_id: int,
        on: date,
        reason: str,
        stay: bool,
        today: date,
    ) -> Member:
        """Record a member's retirement on ``on``; with ``stay`` they stay on as a voluntary
        retired member, otherwise they leave the campaign that day."""
        from partyreg_plugins.sqlstore.members import member_about as _about
        from partyreg_plugins.sqlstore.rows import member as _member

        _check_day(on, today, "退休")
        with self._tx(actor, write=True) as conn:
            current = self._lifecycle_member(conn, actor, member_id, "退休")
            if current.retired_on is not None:
                raise ConflictError(
                    "member.retired", f"{current.name} 已于 {current.retired_on} 登记退休。"
                )
            values: dict[str, Any] = {"retired_on": on, "updated_at": _now()}
            if not stay:
                values.update(left_on=on, left_reason="退休" + (f"：{reason}" if reason else ""))
            conn.execute(sa.update(members).where(members.c.id == member_id).values(**values))
            if not stay:
                _end_routes(conn, member_id, on)
            row = self._visible_member(conn, actor, member_id)
            self._audit(
                conn,
                actor,
                "member.retire",
                f"member:{member_id}",
                after={"on": on.isoformat(), "stay": stay, "reason": reason},
                **_about(current),
            )
            return _member(row)

    def leave_member(
        self: SqlStore, actor: Actor, member_id: int, on: date, reason: str, today: date
    ) -> Member:
        """Record that a member left on ``on`` (why: ``reason``). They drop out of current
        lists and counts; past years' statistics keep them."""
        from partyreg_plugins.sqlstore.members import member_about as _about
        from partyreg_plugins.sqlstore.rows import member as _member

        _check_day(on, today, "离开")
        with self._tx(actor, write=True) as conn:
            current = self._lifecycle_member(conn, actor, member_id, "离开")
            conn.execute(
                sa.update(members)
                .where(members.c.id == member_id)
                .values(left_on=on, left_reason=reason, updated_at=_now())
            )
            _end_routes(conn, member_id, on)
            row = self._visible_member(conn, actor, member_id)
            self._audit(
                conn,
                actor,
                "member.leave",
                f"member:{member_id}",
                after={"on": on.isoformat(), "reason": reason},
                **_about(current),
            )
            return _member(row)


def _check_day(on: date, today: date, what: str) -> None:
    if on > today:
        raise ValidationError(
            "member.future", f"{what}日期 {on} 晚于今天（{today}）：请在当天或之后再登记。"
        )


def _end_routes(conn: sa.Connection, member_id: int, on: date) -> None:
    conn.execute(
        sa.update(routes)
        .where(routes.c.member_id == member_id, routes.c.ended_on.is_(None))
        .values(ended_on=on)
    )


def _check_scope(actor: Actor, applied: AppliedChange) -> None:
    """The actor must cover the parent of the unit changed (of a new unit: its parent), and
    the new parent of a move or the target of a merge."""
    scope = actor.scope
    if scope.role is Role.CITY:
        return
    change = applied.change
    places = [applied.code.parent]
    if change.kind is ChangeKind.MOVE:
        places.append(applied.moves[0].new.parent)
    elif change.kind is ChangeKind.MERGE:
        places.append(applied.moves[0].new)
    for place in places:
        if place is None or not scope.covers_unit(place):
            raise NotPermittedError(
                "scope.denied",
                (f"第 {change.line} 行：" if change.line else "")
                + f"{change.kind.label} {applied.code} 须由 {place or '市'} 或其上级办理："
                "不在你的管理范围内。",
            )


def _unit_row(unit: OrgUnit, batch: Batch | None) -> dict[str, Any]:
    return {
        "code": str(unit.code),
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_code": str(unit.parent) if unit.parent else None,
        "valid_from": unit.valid_from,
        "retired_on": unit.retired_on,
        "moved_to": str(unit.moved_to) if unit.moved_to else None,
        "batch_id": batch.id if batch else None,
    }


def _applied_json(applied: AppliedChange) -> dict[str, Any]:
    change = applied.change
    return {
        "line": change.line,
        "kind": change.kind.value,
        "on": change.on.isoformat(),
        "code": str(applied.code),
        "name_before": applied.name_before,
        "name_after": applied.name_after,
        "reason": change.reason,
        "moves": [[str(m.old), str(m.new)] for m in applied.moves],
    }
