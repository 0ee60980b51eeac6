"""The store's part of routing: directory maintenance, instructors, bulk routing, the queue
and report-in (a mixin of :class:`partyreg_plugins.sqlstore.store.SqlStore`).

Routing is set-based: one query reads the pending members within the scope, the core's
:class:`partyreg_core.routing.rules.Router` plans each (cached per aggregator and community as
written), and the plan is applied with a handful of statements through a staging table —
never one statement per member (decision 0022).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import attrs
import sqlalchemy as sa

from partyreg_core.batches import Batch
from partyreg_core.changes import ChangeRequest, ChangeStatus
from partyreg_core.communities import Community, community_key
from partyreg_core.errors import ConflictError, ValidationError
from partyreg_core.instructors import Instructor
from partyreg_core.members.model import MemberStatus
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_core.records import CommunityRef, DirectoryEntry, ReportType
from partyreg_core.routing.model import (
    PlannedRoute,
    QueuedMember,
    ReportInFacts,
    ReportInRefusal,
    ReportInResult,
    RoutedMember,
    RouteOutcome,
    RoutingCase,
    RoutingRun,
)
from partyreg_core.routing.rules import (
    Router,
    assigned_community_denied,
    assigned_community_unknown,
    change_date,
    change_decided,
    change_denied,
    change_not_found,
    change_not_routed,
    change_pending,
    change_same,
    change_target_gone,
    change_target_unknown,
    check_report_in,
    community_add_denied,
    community_edit_denied,
    community_exists,
    community_name_taken,
    community_unknown,
    instructor_add_denied,
    instructor_denied,
    instructor_exists,
    instructor_unknown,
    may_keep_district,
    member_not_found,
    routing_denied,
    spelling_key,
)
from partyreg_plugins.sqlstore.bulk import fetch_rows, in_values
from partyreg_plugins.sqlstore.db import Repository
from partyreg_plugins.sqlstore.journal import RowJournal
from partyreg_plugins.sqlstore.rows import code as _code
from partyreg_plugins.sqlstore.rows import community as _community
from partyreg_plugins.sqlstore.rows import now as _now
from partyreg_plugins.sqlstore.schema import (
    audit_log,
    change_requests,
    communities,
    instructor_communities,
    instructors,
    members,
    routes,
)
from partyreg_plugins.sqlstore.scoping import member_condition, subtree, where

_stages = itertools.count(1)


_DIRECTORY_FIELDS = ("street", "name", "phone", "qq_group", "secretary", "mobile", "address")


def _community_json(community: Community) -> dict[str, str]:
    return {
        "district": community.district,
        "street": community.street,
        "name": community.name,
        "phone": community.phone,
        "qq_group": community.qq_group,
        "secretary": community.secretary,
        "mobile": community.mobile,
        "address": community.address,
    }


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


def pending_change(conn: sa.Connection, member_id: int) -> int | None:
    """The id of the member's pending change request (``None``: none): one at a time."""
    return conn.execute(
        sa.select(change_requests.c.id).where(
            change_requests.c.member_id == member_id,
            change_requests.c.status == ChangeStatus.PENDING.value,
        )
    ).scalar()


def _report_in_facts(row: Any) -> ReportInFacts:
    return ReportInFacts(
        member_id=row.id,
        name=row.name,
        status=MemberStatus(row.status),
        community_id=row.community_id,
        community=CommunityRef(row.community_district, row.community_street, row.community_name),
        district_code=parse_code(row.district_code) if row.district_code else None,
        report_type=ReportType(row.report_type),
        rank=row.rank,
        routed_on=row.routed_on,
    )


class SqlRouting(Repository):
    """Directory maintenance, instructors, routing, report-in and changes of community of one
    :class:`~partyreg_plugins.sqlstore.store.SqlStore` (``store.routing``, the
    :class:`~partyreg_core.routing.port.RoutingRepository`)."""

    # -- directory ------------------------------------------------------------------------------

    def add_community(self, actor: Actor, entry: DirectoryEntry) -> Community:
        """Add one community to the directory (city, or the district it belongs to)."""
        district = entry.district_code
        if district is None:
            raise ValidationError("directory.district_unknown", "社区缺少所属县区的代码。")
        if not may_keep_district(actor, district):
            raise community_add_denied(entry.district)
        key = community_key(entry.street, entry.community)
        with self._tx(actor, write=True) as conn:
            clash = conn.execute(
                sa.select(communities.c.id).where(
                    communities.c.district_code == str(district), communities.c.match_key == key
                )
            ).scalar()
            if clash is not None:
                raise community_exists(entry.ref.label, clash)
            new_id = conn.execute(
                sa.insert(communities)
                .values(
                    district_code=str(district),
                    district=entry.district,
                    street=entry.street,
                    name=entry.community,
                    match_key=key,
                    phone=entry.phone,
                    qq_group=entry.qq_group,
                    secretary=entry.secretary,
                    mobile=entry.mobile,
                    address=entry.address,
                )
                .returning(communities.c.id)
            ).scalar_one()
            saved = _community(
                conn.execute(sa.select(communities).where(communities.c.id == new_id)).one()
            )
            self._audit(
                conn,
                actor,
                "community.add",
                f"community:{new_id}",
                after=_community_json(saved),
                district_code=district,
                community_id=new_id,
            )
            return saved

    def edit_community(self, actor: Actor, community_id: int, entry: DirectoryEntry) -> Community:
        """Change a community's street, name or contact columns (its 县区 stays); audited with
        the changed fields before and after."""
        with self._tx(actor, write=True) as conn:
            row = conn.execute(
                sa.select(communities).where(communities.c.id == community_id)
            ).first()
            if row is None:
                raise community_unknown(community_id)
            current = _community(row)
            if not may_keep_district(actor, current.district_code):
                raise community_edit_denied(current)
            key = community_key(entry.street, entry.community)
            if key != current.key:
                clash = conn.execute(
                    sa.select(communities.c.id).where(
                        communities.c.district_code == str(current.district_code),
                        communities.c.match_key == key,
                        communities.c.id != community_id,
                    )
                ).scalar()
                if clash is not None:
                    raise community_name_taken(
                        current.district, entry.street, entry.community, clash
                    )
            before = _community_json(current)
            after_all = {
                "district": current.district,
                "street": entry.street,
                "name": entry.community,
                "phone": entry.phone,
                "qq_group": entry.qq_group,
                "secretary": entry.secretary,
                "mobile": entry.mobile,
                "address": entry.address,
            }
            changed = [f for f in _DIRECTORY_FIELDS if before[f] != after_all[f]]
            if not changed:
                return current
            conn.execute(
                sa.update(communities)
                .where(communities.c.id == community_id)
                .values(match_key=key, **{f: after_all[f] for f in changed})
            )
            saved = _community(
                conn.execute(sa.select(communities).where(communities.c.id == community_id)).one()
            )
            self._audit(
                conn,
                actor,
                "community.edit",
                f"community:{community_id}",
                before={f: before[f] for f in changed},
                after={f: after_all[f] for f in changed},
                district_code=current.district_code,
                community_id=community_id,
            )
            return saved

    # -- instructors ----------------------------------------------------------------------------

    def _instructor_list(
        self, conn: sa.Connection, ids: Sequence[int] | None = None
    ) -> list[Instructor]:
        statement = sa.select(instructors).order_by(instructors.c.id)
        links = sa.select(instructor_communities)
        if ids is not None:
            statement = statement.where(instructors.c.id.in_(list(ids)))
            links = links.where(instructor_communities.c.instructor_id.in_(list(ids)))
        guided: dict[int, list[int]] = defaultdict(list)
        for link in conn.execute(links):
            guided[link.instructor_id].append(link.community_id)
        return [
            Instructor(
                id=r.id,
                name=r.name,
                phone=r.phone,
                district_code=parse_code(r.unit_code) if r.unit_code else None,
                community_ids=tuple(sorted(guided.get(r.id, ()))),
            )
            for r in conn.execute(statement)
        ]

    def instructors(self, district: OrgCode | None = None) -> list[Instructor]:
        """Every instructor (shared, like the directory), or those a district keeps or whose
        communities lie in it."""
        with self._tx(None) as conn:
            found = self._instructor_list(conn)
            if district is None:
                return found
            own = {
                r.id
                for r in conn.execute(
                    sa.select(communities.c.id).where(communities.c.district_code == str(district))
                )
            }
            return [
                i
                for i in found
                if i.district_code == district or any(c in own for c in i.community_ids)
            ]

    def add_instructor(self, actor: Actor, name: str, phone: str, district: OrgCode) -> Instructor:
        """Add an instructor kept by ``district`` (city, or that district)."""
        if not may_keep_district(actor, district):
            raise instructor_add_denied(district)
        with self._tx(actor, write=True) as conn:
            clash = conn.execute(
                sa.select(instructors.c.id).where(
                    instructors.c.name == name, instructors.c.phone == phone
                )
            ).scalar()
            if clash is not None:
                raise instructor_exists(name, phone, clash)
            new_id = conn.execute(
                sa.insert(instructors)
                .values(name=name, phone=phone, unit_code=str(district))
                .returning(instructors.c.id)
            ).scalar_one()
            self._audit(
                conn,
                actor,
                "instructor.add",
                f"instructor:{new_id}",
                after={"name": name, "phone": phone, "district_code": str(district)},
                district_code=district,
            )
            return self._instructor_list(conn, [new_id])[0]

    def set_instructor_communities(
        self,
        actor: Actor,
        instructor_id: int,
        *,
        add: Sequence[int] = (),
        remove: Sequence[int] = (),
    ) -> Instructor:
        """Assign an instructor to communities (``add``) or take them off (``remove``): city,
        or the district that keeps the instructor, for communities of that district."""
        with self._tx(actor, write=True) as conn:
            found = self._instructor_list(conn, [instructor_id])
            if not found:
                raise instructor_unknown(instructor_id)
            current = found[0]
            scope = actor.scope
            if scope.role is not Role.CITY and (
                scope.role is not Role.DISTRICT or current.district_code != scope.code
            ):
                raise instructor_denied(current)
            wanted = sorted(set(add) | set(remove))
            rows = {
                r.id: r.district_code
                for r in conn.execute(
                    sa.select(communities.c.id, communities.c.district_code).where(
                        communities.c.id.in_(wanted)
                    )
                )
            }
            for community_id in wanted:
                district = rows.get(community_id)
                if district is None:
                    raise assigned_community_unknown(community_id)
                if scope.role is not Role.CITY and district != str(scope.code):
                    raise assigned_community_denied(community_id, district)
            new = [c for c in dict.fromkeys(add) if c not in current.community_ids]
            gone = [c for c in dict.fromkeys(remove) if c in current.community_ids]
            if new:
                conn.execute(
                    sa.insert(instructor_communities),
                    [{"instructor_id": instructor_id, "community_id": c} for c in new],
                )
            if gone:
                conn.execute(
                    sa.delete(instructor_communities).where(
                        instructor_communities.c.instructor_id == instructor_id,
                        instructor_communities.c.community_id.in_(gone),
                    )
                )
            if new or gone:
                self._audit(
                    conn,
                    actor,
                    "instructor.assign" if new else "instructor.unassign",
                    f"instructor:{instructor_id}",
                    before={"communities": list(current.community_ids)},
                    after={"added": new, "removed": gone},
                    district_code=current.district_code,
                )
            return self._instructor_list(conn, [instructor_id])[0]

    # -- routing --------------------------------------------------------------------------------

    def _pending_condition(self, actor: Actor) -> Any:
        scope = actor.scope
        c = members.c
        registered = c.status == MemberStatus.REGISTERED.value
        queued = sa.and_(c.status == MemberStatus.ROUTED.value, c.community_id.is_(None))
        if scope.role is Role.CITY:
            return sa.or_(registered, queued)
        if scope.role is Role.DISTRICT and scope.code is not None:
            own = subtree(c.unit_code, scope.code)
            return sa.or_(
                sa.and_(registered, own),
                sa.and_(queued, sa.or_(own, c.district_code == str(scope.code))),
            )
        raise routing_denied(scope)

    def route_pending(
        self,
        actor: Actor,
        router: Router,
        on: date,
        *,
        unit: OrgCode | None = None,
        only: CommunityRef | None = None,
        dry_run: bool = False,
        batch: Batch | None = None,
    ) -> RoutingRun:
        """Route every pending member within the scope (registered, or waiting in a queue) as
        ``router`` plans: to a community (status ``routed``), to a district's queue (status
        ``routed`` without a community), or — 县区 unknown — left ``registered`` at the
        aggregator. ``unit`` limits it to a unit's subtree, ``only`` to members who wrote that
        community (compared by :func:`partyreg_core.routing.rules.spelling_key`). One audit entry."""
        scope = actor.scope
        condition = self._pending_condition(actor)
        c = members.c
        statement = sa.select(
            c.id,
            c.name,
            c.unit_code,
            c.community_district,
            c.community_street,
            c.community_name,
            c.report_type,
            c.rank,
            c.address,
            c.status,
            c.district_code,
        ).where(condition)
        statement = where(statement, member_condition(scope))
        if unit is not None:
            statement = statement.where(subtree(c.unit_code, unit))
        statement = statement.order_by(c.id)
        if not self._sqlite and not dry_run:
            # two operators routing at once (the city and a district, say) must not both route
            # the same member: the second waits, then sees the row as no longer pending
            statement = statement.with_for_update(of=members)
        wanted = spelling_key(only) if only is not None else None
        with self._tx(actor, write=True) as conn:
            rows = fetch_rows(conn, statement)
            types = {t.value: t for t in ReportType}
            scope_code = scope.code if scope.role is not Role.CITY else None
            planned: list[RoutedMember] = []
            writes: list[tuple[Any, ...]] = []
            skipped = 0
            # Without a plugin rule a plan depends only on the unit's aggregator and the
            # community as written: plan each distinct (aggregator, 县区, 街道, 社区) once,
            # keyed by the raw text (a city has 100,000 members but far fewer such pairs).
            plans: dict[tuple[str, str, str, str], _Plan | None] = {}
            per_member = router.per_member
            units: dict[str, tuple[OrgCode, str, bool]] = {}  # code, aggregator, own unit
            for mid, name, unit_text, cd, cs, cn, rtype, rank, address, status, dist in rows:
                unit = units.get(unit_text)
                if unit is None:
                    unit_code = parse_code(unit_text)
                    unit = units[unit_text] = (
                        unit_code,
                        str(router.aggregator_of(unit_code)),
                        scope.covers_unit(unit_code),
                    )
                unit_code, aggregator, own = unit
                key = (aggregator, cd, cs, cn)
                if not per_member and key in plans:
                    plan = plans[key]
                else:
                    ref = CommunityRef(cd, cs, cn)
                    plan = None
                    if wanted is None or spelling_key(ref) == wanted:
                        case = RoutingCase(unit_code, ref, types[rtype], rank, address, mid)
                        plan = _Plan.of(router.plan(case))
                    plans[key] = plan
                if plan is None:
                    continue
                route = plan.route
                if plan.outcome is RouteOutcome.WAITING:
                    planned.append(RoutedMember(mid, name, unit_code, route, False))
                    continue
                if not own and route.district_code != scope_code:
                    skipped += 1  # the plan would hand them out of this operator's sight
                    continue
                queued = plan.outcome is RouteOutcome.QUEUED
                if queued and status == "routed" and dist == plan.district:
                    planned.append(RoutedMember(mid, name, unit_code, route, False))
                    continue
                planned.append(RoutedMember(mid, name, unit_code, route))
                writes.append((mid, aggregator, plan.district, route.community_id, plan.instructor))
            run = RoutingRun(on, dry_run, tuple(planned), skipped)
            if dry_run or not writes:
                return run
            journal = None
            if batch is not None:  # decision 0109: what undo_batch puts back
                self._insert_batch(conn, actor, attrs.evolve(batch, rows=len(writes)), len(writes))
                journal = RowJournal(conn, batch.id)
                routed_ids = [w[0] for w in writes]
                journal.watch(
                    members, column=members.c.id, values=routed_ids, columns=ROUTE_COLUMNS
                )
                journal.watch(routes, column=routes.c.member_id, values=routed_ids)
            self._apply_routes(conn, actor, writes, on)
            if journal is not None:
                journal.record()
            routed: dict[str, list[int]] = defaultdict(list)
            queued: dict[str, list[int]] = defaultdict(list)
            for m in planned:
                if not m.changed:
                    continue
                if m.route.community_id is not None:
                    routed[str(m.route.community_id)].append(m.id)
                else:
                    queued[str(m.route.district_code)].append(m.id)
            self._audit(
                conn,
                actor,
                "route.resolve" if only is not None else "route.run",
                f"route:{on.isoformat()}",
                after={
                    "on": on.isoformat(),
                    "community": only.label if only is not None else None,
                    "routed": dict(routed),
                    "queued": dict(queued),
                },
                unit_code=scope.code if scope.role is not Role.DISTRICT else None,
                district_code=scope.code if scope.role is Role.DISTRICT else None,
            )
            return run

    def _apply_routes(
        self,
        conn: sa.Connection,
        actor: Actor,
        writes: Sequence[tuple[Any, ...]],
        on: date,
    ) -> None:
        """Apply planned routes (member_id, from_code, district_code, community_id,
        instructor_id) with a staging table and four statements."""
        stage = f"route_stage_{next(_stages)}"
        columns = "member_id, from_code, district_code, community_id, instructor_id"
        raw = conn.connection.driver_connection
        assert raw is not None
        if self._sqlite:
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {stage} (member_id INTEGER PRIMARY KEY, from_code TEXT,"
                " district_code TEXT, community_id INTEGER, instructor_id INTEGER)"
            )
            raw.executemany(f"INSERT INTO {stage} ({columns}) VALUES (?, ?, ?, ?, ?)", writes)
            mark = "?"
        else:
            conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {stage} (member_id bigint PRIMARY KEY, from_code text,"
                " district_code text, community_id bigint, instructor_id bigint) ON COMMIT DROP"
            )
            with raw.cursor() as cursor, cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as cp:
                for row in writes:
                    cp.write_row(row)
            conn.exec_driver_sql(f"ANALYZE {stage}")
            mark = "%s"
        day = self._date(on)
        now = self._datetime(_now())
        conn.exec_driver_sql(
            f"UPDATE routes SET ended_on = {mark} WHERE ended_on IS NULL"
            f" AND member_id IN (SELECT member_id FROM {stage})",
            (day,),
        )
        conn.exec_driver_sql(
            "INSERT INTO routes (member_id, from_code, district_code, community_id,"
            " instructor_id, routed_on, routed_by)"
            f" SELECT member_id, from_code, district_code, community_id, instructor_id,"
            f" {mark}, {mark} FROM {stage}",
            (day, actor.real_name),
        )
        conn.exec_driver_sql(
            f"UPDATE members SET status = 'routed', district_code = s.district_code,"
            f" community_id = s.community_id, routed_on = {mark}, updated_at = {mark}"
            f" FROM {stage} s WHERE members.id = s.member_id",
            (day, now),
        )
        conn.exec_driver_sql(f"DROP TABLE {stage}")

    def queued_members(self, actor: Actor) -> list[QueuedMember]:
        """Members waiting in a queue within the scope: routed to a district without a
        community, or still registered with a 县区 that links to no district (the store keeps
        ``district_code`` empty for them; the router decides again when listing)."""
        c = members.c
        in_district = sa.and_(c.status == MemberStatus.ROUTED.value, c.community_id.is_(None))
        unknown = sa.and_(c.status == MemberStatus.REGISTERED.value, c.district_code.is_(None))
        statement = where(
            sa.select(
                c.id,
                c.name,
                c.unit_code,
                c.community_district,
                c.community_street,
                c.community_name,
                c.status,
                c.district_code,
            ).where(sa.or_(in_district, unknown)),
            member_condition(actor.scope),
        ).order_by(c.id)
        with self._tx(actor) as conn:
            return [
                QueuedMember(
                    r.id,
                    r.name,
                    parse_code(r.unit_code),
                    CommunityRef(r.community_district, r.community_street, r.community_name),
                    parse_code(r.district_code) if r.status == "routed" else None,
                )
                for r in conn.execute(statement)
            ]

    # -- report-in ------------------------------------------------------------------------------

    def confirm_report_in(
        self,
        actor: Actor,
        member_ids: Sequence[int],
        on: date,
        *,
        batch: Batch | None = None,
    ) -> ReportInResult:
        """Confirm that members reported in at the community they were routed to, on ``on``:
        only that community's operators, its instructors, its district or the city may; all
        or nothing — with any refusal nothing is written. One audit entry per community."""
        scope = actor.scope
        wanted = list(dict.fromkeys(member_ids))
        with self._tx(actor, write=True) as conn:
            statement = where(
                sa.select(members).where(in_values(self.dialect, members.c.id, wanted)),
                member_condition(scope),
            )
            found = {r.id: r for r in conn.execute(statement)}
            confirmed: list[int] = []
            already: list[int] = []
            refused: list[ReportInRefusal] = []
            by_community: dict[int, list[int]] = defaultdict(list)
            districts: dict[int, str] = {}
            for mid in wanted:
                row = found.get(mid)
                if row is None:
                    refused.append(member_not_found(mid))
                    continue
                facts = _report_in_facts(row)
                refusal = check_report_in(facts, scope, on)
                if refusal is not None:
                    refused.append(refusal)
                    continue
                if facts.status is MemberStatus.REPORTED_IN:
                    already.append(mid)
                    continue
                confirmed.append(mid)
                by_community[row.community_id].append(mid)
                districts[row.community_id] = row.district_code
            result = ReportInResult(on, tuple(confirmed), tuple(already), tuple(refused))
            if refused or not confirmed:
                return result
            now = _now()
            for chunk in _chunked(confirmed):
                conn.execute(
                    sa.update(members)
                    .where(members.c.id.in_(chunk))
                    .values(status=MemberStatus.REPORTED_IN.value, reported_on=on, updated_at=now)
                )
            for community_id, ids in sorted(by_community.items()):
                self._audit(
                    conn,
                    actor,
                    "report_in.confirm",
                    f"community:{community_id}",
                    after={"on": on.isoformat(), "members": ids},
                    district_code=parse_code(districts[community_id]),
                    community_id=community_id,
                    batch_id=batch.id if batch is not None else None,
                )
            if batch is not None:
                self._insert_batch(conn, actor, batch, len(confirmed))
                result = attrs.evolve(result, batch_id=batch.id)
            return result

    def _undo_report_in(self, conn: sa.Connection, actor: Actor, batch_id: str) -> int:
        """Take back a batch of report-in confirmations (decision 0077): its members go back to
        routed, unless one has since moved on (changed community, left) — then nothing is."""
        entries = conn.execute(
            sa.select(audit_log.c.after).where(
                audit_log.c.batch_id == batch_id, audit_log.c.action == "report_in.confirm"
            )
        ).scalars()
        ids = sorted({int(i) for after in entries for i in (after or {}).get("members", [])})
        if not ids:
            return 0
        current = {
            r.id: r
            for chunk in _chunked(ids)
            for r in conn.execute(
                where(
                    sa.select(members.c.id, members.c.status, members.c.community_id).where(
                        members.c.id.in_(chunk)
                    ),
                    member_condition(actor.scope),
                )
            )
        }
        moved = [i for i in ids if i not in current or current[i].status != "reported_in"]
        if moved:
            raise ConflictError(
                "batch.in_use",
                f"批次 {batch_id} 不能撤销：党员 {'、'.join(map(str, moved[:5]))} 的报到情况之后已有变化。",
            )
        for chunk in _chunked(ids):
            conn.execute(
                sa.update(members)
                .where(members.c.id.in_(chunk))
                .values(status=MemberStatus.ROUTED.value, reported_on=None, updated_at=_now())
            )
        return len(ids)

    # -- change of community ------------------------------------------------------------------

    def _target(self, conn: sa.Connection, to: CommunityRef | int) -> sa.Row[Any] | None:
        """The directory community named by id or by its three names (``None``: not found)."""
        if isinstance(to, int):
            return conn.execute(sa.select(communities).where(communities.c.id == to)).first()
        from partyreg_plugins.sqlstore.members import Resolver as _Resolver

        found = _Resolver(self._tree(conn), self._community_index(conn)).resolve(to)[1]
        if found is None:
            return None
        return conn.execute(sa.select(communities).where(communities.c.id == found)).first()

    def _load_request(self, conn: sa.Connection, actor: Actor, request_id: int) -> ChangeRequest:
        row = conn.execute(
            _requests_statement(actor).where(change_requests.c.id == request_id)
        ).first()
        if row is None:
            raise change_not_found(request_id)
        return _request(row)

    def request_change(
        self, actor: Actor, member_id: int, to: CommunityRef | int, reason: str, on: date
    ) -> ChangeRequest:
        """File a change-of-community request for a routed member (decision 0025)."""
        with self._tx(actor, write=True) as conn:
            row = self._visible_member(conn, actor, member_id)
            if row.status == MemberStatus.REGISTERED.value:
                raise change_not_routed(row.name, member_id)
            pending = pending_change(conn, member_id)
            if pending is not None:
                raise change_pending(row.name, pending)
            target = self._target(conn, to)
            if target is None:
                raise change_target_unknown(to)
            if target.id == row.community_id:
                raise change_same(row.name, f"{target.district}/{target.street}/{target.name}")
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
                raise change_denied(request)
            if request.status is not ChangeStatus.PENDING:
                raise change_decided(request)
            member = self._visible_member(conn, actor, request.member_id)
            if on < request.requested_on:
                raise change_date(on, request.requested_on)
            values: dict[str, Any] = {"decided_on": on, "decided_by": actor.real_name}
            target = None
            if approve:
                target = self._target(
                    conn, request.to_community_id if request.to_community_id else request.to
                )
                if target is None:
                    raise change_target_gone(request)
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


#: The member columns a route writes (and its undo puts back).
ROUTE_COLUMNS = ("status", "district_code", "community_id", "routed_on", "updated_at")


@attrs.frozen
class _Plan:
    """A planned route with the texts the write needs, made once per distinct plan."""

    route: PlannedRoute
    outcome: RouteOutcome
    district: str | None
    instructor: int | None

    @classmethod
    def of(cls, route: PlannedRoute) -> _Plan:
        district = str(route.district_code) if route.district_code is not None else None
        first = route.instructor_ids[0] if route.instructor_ids else None
        return cls(route, route.outcome, district, first)


def _chunked(items: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
