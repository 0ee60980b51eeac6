"""The store's part for a community's service: the needs list, the year's post assignment and
the groups with leaders (tables ``needs``, ``assignments``, ``groups``, ``group_members``).

:class:`SqlService` is ``store.service``, composed into
:class:`~partyreg_plugins.sqlstore.store.SqlStore` over :mod:`.db` and implementing
:class:`partyreg_core.service.port.ServiceRepository`: every method is one transaction and
leaves one audit entry per change. Writes are for the community's own operators (community and
instructor roles), its district and the city
(:meth:`partyreg_core.operators.model.Scope.covers_community`); on PostgreSQL revision 0007's
policies say the same. The needs list is readable by everyone; assignments and group members
only where the member is visible. The refusals and their Chinese messages are
:mod:`partyreg_core.service.rules`; the store raises them where its transaction finds the fact
and keeps the constraints that guard them (one post and one group per member and year).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from partyreg_core.batches import Batch
from partyreg_core.communities import Community
from partyreg_core.feedback.rules import refuse_closed_year
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode
from partyreg_core.service.model import Assignment, Group, Need, RosterEntry
from partyreg_core.service.rules import (
    check_assignments,
    check_grouped,
    check_leader,
    community_unknown,
    groups_in_use,
    leader_first,
    need_json,
    need_not_found,
    needs_empty,
    not_on_roster,
    post_order,
    service_denied,
)
from partyreg_plugins.sqlstore.bulk import fetch_rows, in_values
from partyreg_plugins.sqlstore.db import Repository
from partyreg_plugins.sqlstore.journal import RowJournal
from partyreg_plugins.sqlstore.rows import community as _community
from partyreg_plugins.sqlstore.schema import (
    activities,
    assignments,
    campaign_years,
    communities,
    group_members,
    groups,
    members,
    needs,
)
from partyreg_plugins.sqlstore.scoping import activity_condition, member_condition, serving, where

_CHUNK = 500


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _need(row: sa.Row[Any]) -> Need:
    m = row._mapping
    return Need(
        id=m["id"],
        community_id=m["community_id"],
        year=m["year"],
        post_code=m["post_code"],
        people=m["people"],
        purpose=m["purpose"],
        start_on=_day(m["start_on"]),
        end_on=_day(m["end_on"]),
        published_on=_day(m["published_on"]),
        created_by=m["created_by"],
    )


class SqlService(Repository):
    """Needs, assignments and groups (see the module's doc)."""

    def _refuse_closed(self, conn: sa.Connection, *years: int) -> None:
        """The year lock (decision 0073) on needs, assignments and groups: nothing of a closed
        year is written, as an activity of it is not."""
        newest = conn.execute(sa.select(sa.func.max(campaign_years.c.year))).scalar()
        for year in years:
            refuse_closed_year(year, newest)

    # -- scope ------------------------------------------------------------------------------

    def _service_community(
        self, conn: sa.Connection, actor: Actor, community_id: int, *, write: bool
    ) -> OrgCode:
        row = conn.execute(
            sa.select(communities.c.district_code).where(communities.c.id == community_id)
        ).first()
        if row is None:
            raise community_unknown(community_id)
        district = OrgCode(tuple(row.district_code.split(".")))
        if write and not actor.scope.covers_community(community_id, district):
            raise service_denied(community_id)
        return district

    def community(self, community_id: int) -> Community:
        """One community of the directory by id (without reading the whole directory)."""
        with self._tx(None) as conn:
            row = conn.execute(
                sa.select(communities).where(communities.c.id == community_id)
            ).first()
        if row is None:
            raise community_unknown(community_id)
        return _community(row)

    # -- needs --------------------------------------------------------------------------------

    def needs(self, actor: Actor, community_id: int, year: int | None = None) -> list[Need]:
        """A community's needs list (of ``year``), by post code then id."""
        statement = sa.select(needs).where(needs.c.community_id == community_id)
        if year is not None:
            statement = statement.where(needs.c.year == year)
        with self._tx(actor) as conn:
            self._service_community(conn, actor, community_id, write=False)
            rows = [_need(r) for r in conn.execute(statement.order_by(needs.c.id))]
        return sorted(rows, key=lambda n: (post_order(n.post_code), n.id or 0))

    def save_need(self, actor: Actor, need: Need) -> Need:
        """Add a needs row (``need.id`` is ``None``) or change one; a change clears its
        publication date (the list must be published again). Audited with before and after."""
        with self._tx(actor, write=True) as conn:
            district = self._service_community(conn, actor, need.community_id, write=True)
            self._refuse_closed(conn, need.year)
            values = {
                "community_id": need.community_id,
                "year": need.year,
                "post_code": need.post_code,
                "people": need.people,
                "purpose": need.purpose,
                "start_on": need.start_on,
                "end_on": need.end_on,
                "published_on": None,
            }
            before = None
            if need.id is None:
                new_id = conn.execute(
                    sa.insert(needs)
                    .values(**values, created_by=actor.real_name)
                    .returning(needs.c.id)
                ).scalar_one()
                action = "needs.add"
            else:
                old = conn.execute(sa.select(needs).where(needs.c.id == need.id)).first()
                if old is None or old.community_id != need.community_id:
                    raise need_not_found(f"社区 {need.community_id}", need.id)
                self._refuse_closed(conn, old.year)
                before = need_json(_need(old))
                conn.execute(sa.update(needs).where(needs.c.id == need.id).values(**values))
                new_id = need.id
                action = "needs.edit"
            saved = _need(conn.execute(sa.select(needs).where(needs.c.id == new_id)).one())
            self._audit(
                conn,
                actor,
                action,
                f"need:{new_id}",
                before=before,
                after={"community_id": need.community_id, **need_json(saved)},
                district_code=district,
                community_id=need.community_id,
            )
            return saved

    def remove_need(self, actor: Actor, community_id: int, need_id: int) -> Need:
        """Remove a needs row (audited; the audit log keeps it)."""
        with self._tx(actor, write=True) as conn:
            district = self._service_community(conn, actor, community_id, write=True)
            old = conn.execute(
                sa.select(needs).where(needs.c.id == need_id, needs.c.community_id == community_id)
            ).first()
            if old is None:
                raise need_not_found(f"社区 {community_id}", need_id)
            need = _need(old)
            self._refuse_closed(conn, need.year)
            conn.execute(sa.delete(needs).where(needs.c.id == need_id))
            self._audit(
                conn,
                actor,
                "needs.remove",
                f"need:{need_id}",
                before={"community_id": community_id, **need_json(need)},
                district_code=district,
                community_id=community_id,
            )
            return need

    def publish_needs(self, actor: Actor, community_id: int, year: int, on: date) -> list[Need]:
        """Mark the community's needs list of ``year`` published on ``on`` (audited with the
        list as published). An empty list cannot be published."""
        with self._tx(actor, write=True) as conn:
            district = self._service_community(conn, actor, community_id, write=True)
            self._refuse_closed(conn, year)
            where_list = sa.and_(needs.c.community_id == community_id, needs.c.year == year)
            if conn.execute(sa.select(sa.func.count()).where(where_list)).scalar_one() == 0:
                raise needs_empty(community_id, year)
            conn.execute(sa.update(needs).where(where_list).values(published_on=on))
            rows = [_need(r) for r in conn.execute(sa.select(needs).where(where_list))]
            rows.sort(key=lambda n: (post_order(n.post_code), n.id or 0))
            self._audit(
                conn,
                actor,
                "needs.publish",
                f"community:{community_id}",
                after={
                    "community_id": community_id,
                    "year": year,
                    "on": on.isoformat(),
                    "needs": [need_json(n) for n in rows],
                },
                district_code=district,
                community_id=community_id,
            )
            return rows

    # -- what the assignment and the grouping read ---------------------------------------------

    def roster(self, actor: Actor, community_id: int) -> list[RosterEntry]:
        """Members routed or reported in at the community, visible in the scope, by id (read
        with the bare driver: a community's roster is read at every assignment and grouping)."""
        statement = where(
            sa.select(
                members.c.id, members.c.name, members.c.posts, members.c.specialty, members.c.rank
            )
            .where(
                members.c.community_id == community_id,
                members.c.status != "registered",
                serving(),
            )
            .order_by(members.c.id),
            member_condition(actor.scope),
        )
        with self._tx(actor) as conn:
            self._service_community(conn, actor, community_id, write=False)
            return [
                RosterEntry(int(i), name, tuple(posts.split(",")) if posts else (), spec, rank)
                for i, name, posts, spec, rank in fetch_rows(conn, statement)
            ]

    def rosters(self, actor: Actor, community_ids: Sequence[int]) -> dict[int, list[RosterEntry]]:
        """:meth:`roster` of many communities in one transaction."""
        found: dict[int, list[RosterEntry]] = {cid: [] for cid in community_ids}
        with self._tx(actor) as conn:
            for chunk in _chunks(sorted(set(community_ids))):
                statement = where(
                    sa.select(
                        members.c.community_id,
                        members.c.id,
                        members.c.name,
                        members.c.posts,
                        members.c.specialty,
                        members.c.rank,
                    )
                    .where(
                        in_values(self.dialect, members.c.community_id, chunk),
                        members.c.status != "registered",
                        serving(),  # who left is out of current work (decision 0075)
                    )
                    .order_by(members.c.id),
                    member_condition(actor.scope),
                )
                for cid, i, name, posts, spec, rank in fetch_rows(conn, statement):
                    found[int(cid)].append(
                        RosterEntry(
                            int(i), name, tuple(posts.split(",")) if posts else (), spec, rank
                        )
                    )
        return found

    def needs_of(
        self, actor: Actor, community_ids: Sequence[int], year: int
    ) -> dict[int, list[Need]]:
        """The needs lists of ``year`` of many communities, in one transaction."""
        found: dict[int, list[Need]] = {cid: [] for cid in community_ids}
        with self._tx(actor) as conn:
            for chunk in _chunks(sorted(set(community_ids))):
                statement = (
                    sa.select(needs)
                    .where(
                        in_values(self.dialect, needs.c.community_id, chunk), needs.c.year == year
                    )
                    .order_by(needs.c.id)
                )
                for row in conn.execute(statement):
                    found[row.community_id].append(_need(row))
        for rows in found.values():
            rows.sort(key=lambda n: (post_order(n.post_code), n.id or 0))
        return found

    def assignments_of(
        self, actor: Actor, community_ids: Sequence[int], year: int
    ) -> dict[int, list[Assignment]]:
        """The assignments of ``year`` of many communities (members visible in the scope)."""
        found: dict[int, list[Assignment]] = {cid: [] for cid in community_ids}
        with self._tx(actor) as conn:
            for chunk in _chunks(sorted(set(community_ids))):
                statement = where(
                    sa.select(
                        assignments.c.community_id,
                        assignments.c.member_id,
                        assignments.c.post_code,
                        assignments.c.reason,
                        assignments.c.assigned_by,
                    )
                    .join(members, members.c.id == assignments.c.member_id)
                    .where(
                        in_values(self.dialect, assignments.c.community_id, chunk),
                        assignments.c.year == year,
                    )
                    .order_by(assignments.c.member_id),
                    member_condition(actor.scope),
                )
                for cid, mid, post, reason, by in fetch_rows(conn, statement):
                    found[int(cid)].append(
                        Assignment(int(mid), int(cid), year, post, reason, None, by)
                    )
        return found

    def hours(self, actor: Actor, member_ids: Sequence[int], year: int) -> dict[int, float]:
        """Confirmed service hours of ``year`` per member (those visible in the scope; members
        with none are left out)."""
        hours: dict[int, float] = {}
        with self._tx(actor) as conn:
            for chunk in _chunks(sorted(set(member_ids))):
                statement = where(
                    sa.select(activities.c.member_id, sa.func.sum(activities.c.hours))
                    .where(
                        in_values(self.dialect, activities.c.member_id, chunk),
                        activities.c.year == year,
                        activities.c.confirmed == sa.true(),
                    )
                    .group_by(activities.c.member_id),
                    activity_condition(actor.scope),
                )
                for member_id, total in conn.execute(statement):
                    hours[int(member_id)] = round(float(total), 2)
        return hours

    # -- assignments ----------------------------------------------------------------------------

    def assignments(self, actor: Actor, community_id: int, year: int) -> list[Assignment]:
        """The year's post assignment of a community (members visible in the scope), by member."""
        statement = where(
            sa.select(assignments)
            .join(members, members.c.id == assignments.c.member_id)
            .where(assignments.c.community_id == community_id, assignments.c.year == year)
            .order_by(assignments.c.member_id),
            member_condition(actor.scope),
        )
        with self._tx(actor) as conn:
            self._service_community(conn, actor, community_id, write=False)
            return [
                Assignment(
                    member_id=r.member_id,
                    community_id=r.community_id,
                    year=r.year,
                    post_code=r.post_code,
                    reason=r.reason,
                    assigned_on=_day(r.assigned_on),
                    assigned_by=r.assigned_by,
                )
                for r in conn.execute(statement)
            ]

    def _community_members(
        self, conn: sa.Connection, actor: Actor, community_id: int, member_ids: Sequence[int]
    ) -> set[int]:
        found: set[int] = set()
        for chunk in _chunks(sorted(set(member_ids))):
            statement = where(
                sa.select(members.c.id).where(
                    in_values(self.dialect, members.c.id, chunk),
                    members.c.community_id == community_id,
                    members.c.status != "registered",
                    serving(),
                ),
                member_condition(actor.scope),
            )
            found.update(int(r[0]) for r in conn.execute(statement))
        missing = sorted(set(member_ids) - found)
        if missing:
            raise not_on_roster(community_id, missing)
        return found

    def replace_assignments(
        self, actor: Actor, community_id: int, year: int, rows: Sequence[Assignment], on: date
    ) -> int:
        """Replace the community's assignment of ``year`` by ``rows`` (one post per member; a
        member's assignment of that year elsewhere, from before a change of community, is
        replaced too). Audited with the assignment before and after."""
        return self.replace_assignments_many(actor, year, {community_id: rows}, on)[community_id]

    def replace_assignments_many(
        self,
        actor: Actor,
        year: int,
        by_community: Mapping[int, Sequence[Assignment]],
        on: date,
        *,
        batch: Batch | None = None,
    ) -> dict[int, int]:
        """:meth:`replace_assignments` for many communities in one transaction (one audit entry
        per community); returns how many were stored per community. With ``batch``, one batch
        that ``undo_batch`` takes back (decision 0109)."""
        with self._tx(actor, write=True) as conn:
            self._refuse_closed(conn, year)
            journal = None
            if batch is not None:
                self._insert_batch(conn, actor, batch, 0)
                journal = RowJournal(conn, batch.id)
                placed = sorted({a.member_id for rows in by_community.values() for a in rows})
                in_year = assignments.c.year == year
                journal.watch(
                    assignments,
                    in_year,
                    column=assignments.c.member_id,
                    values=placed,
                    also=sa.and_(in_year, assignments.c.community_id.in_(list(by_community))),
                )
            written = {
                cid: self._replace_assignments(conn, actor, cid, year, rows, on)
                for cid, rows in by_community.items()
            }
            if journal is not None and batch is not None:
                journal.record()
                self._batch_written(conn, batch.id, sum(written.values()))
            return written

    def _replace_assignments(
        self,
        conn: sa.Connection,
        actor: Actor,
        community_id: int,
        year: int,
        rows: Sequence[Assignment],
        on: date,
    ) -> int:
        district = self._service_community(conn, actor, community_id, write=True)
        ids = [r.member_id for r in rows]
        check_assignments(ids)
        self._community_members(conn, actor, community_id, ids)
        mine = sa.and_(assignments.c.community_id == community_id, assignments.c.year == year)
        before = {
            str(r.member_id): r.post_code
            for r in conn.execute(sa.select(assignments.c.member_id, assignments.c.post_code).where(mine))
        }  # fmt: skip
        conn.execute(sa.delete(assignments).where(mine))
        for chunk in _chunks(ids):
            conn.execute(
                sa.delete(assignments).where(
                    assignments.c.year == year,
                    in_values(self.dialect, assignments.c.member_id, chunk),
                )
            )
        if rows:
            conn.execute(
                sa.insert(assignments),
                [
                    {
                        "member_id": r.member_id,
                        "community_id": community_id,
                        "year": year,
                        "post_code": r.post_code,
                        "reason": r.reason,
                        "assigned_on": on,
                        "assigned_by": actor.real_name,
                    }
                    for r in rows
                ],
            )
        self._audit(
            conn,
            actor,
            "assign.replace",
            f"community:{community_id}",
            before={"year": year, "posts": before},
            after={
                "year": year,
                "on": on.isoformat(),
                "posts": {str(r.member_id): r.post_code for r in rows},
            },
            district_code=district,
            community_id=community_id,
        )
        return len(rows)

    # -- groups ---------------------------------------------------------------------------------

    def groups(self, actor: Actor, community_id: int, year: int) -> list[Group]:
        """The community's groups of ``year`` (members visible in the scope, leader first)."""
        with self._tx(actor) as conn:
            self._service_community(conn, actor, community_id, write=False)
            return self._groups(conn, actor, community_id, year)

    def _groups(
        self, conn: sa.Connection, actor: Actor, community_id: int, year: int
    ) -> list[Group]:
        found = list(
            conn.execute(
                sa.select(groups)
                .where(groups.c.community_id == community_id, groups.c.year == year)
                .order_by(groups.c.id)
            )
        )
        if not found:
            return []
        statement = where(
            sa.select(group_members.c.group_id, group_members.c.member_id)
            .join(members, members.c.id == group_members.c.member_id)
            .join(groups, groups.c.id == group_members.c.group_id)
            .where(groups.c.community_id == community_id, groups.c.year == year)
            .order_by(group_members.c.group_id, group_members.c.member_id),
            member_condition(actor.scope),
        )
        people: dict[int, list[int]] = {}
        for group_id, member_id in conn.execute(statement):
            people.setdefault(group_id, []).append(member_id)
        out = []
        for g in found:
            ids = people.get(g.id, [])
            if g.leader_id in ids:
                ids = [g.leader_id, *(i for i in ids if i != g.leader_id)]
            out.append(
                Group(
                    id=g.id,
                    community_id=g.community_id,
                    year=g.year,
                    post_code=g.post_code,
                    name=g.name,
                    leader_id=g.leader_id,
                    member_ids=tuple(ids),
                )
            )
        return out

    def replace_groups(
        self, actor: Actor, community_id: int, year: int, planned: Sequence[Group]
    ) -> list[Group]:
        """Replace the community's groups of ``year`` (refused while activities were recorded for
        one of the old groups). Audited with the groups before and after."""
        return self.replace_groups_many(actor, year, {community_id: planned})[community_id]

    def replace_groups_many(
        self,
        actor: Actor,
        year: int,
        by_community: Mapping[int, Sequence[Group]],
        *,
        batch: Batch | None = None,
    ) -> dict[int, list[Group]]:
        """:meth:`replace_groups` for many communities in one transaction (one audit entry per
        community). With ``batch``, one batch that ``undo_batch`` takes back (decision 0109)."""
        with self._tx(actor, write=True) as conn:
            self._refuse_closed(conn, year)
            journal = None
            if batch is not None:
                self._insert_batch(conn, actor, batch, 0)
                journal = RowJournal(conn, batch.id)
                mine = sa.and_(groups.c.community_id.in_(list(by_community)), groups.c.year == year)
                journal.watch(groups, mine)
                journal.watch(
                    group_members,
                    group_members.c.group_id.in_(sa.select(groups.c.id).where(mine)),
                )
            stored = {
                cid: self._replace_groups(conn, actor, cid, year, planned)
                for cid, planned in by_community.items()
            }
            if journal is not None and batch is not None:
                journal.record()
                self._batch_written(conn, batch.id, sum(len(g) for g in stored.values()))
            return stored

    def _replace_groups(
        self,
        conn: sa.Connection,
        actor: Actor,
        community_id: int,
        year: int,
        planned: Sequence[Group],
    ) -> list[Group]:
        district = self._service_community(conn, actor, community_id, write=True)
        ids = [m for g in planned for m in g.member_ids]
        check_grouped(ids)
        self._community_members(conn, actor, community_id, ids)
        old = self._groups(conn, actor, community_id, year)
        old_ids = [g.id for g in old if g.id is not None]
        if old_ids:
            used = conn.execute(
                sa.select(sa.func.count()).where(activities.c.group_id.in_(old_ids))
            ).scalar_one()
            if used:
                raise groups_in_use(used, year)
            conn.execute(sa.delete(group_members).where(group_members.c.group_id.in_(old_ids)))
            conn.execute(sa.delete(groups).where(groups.c.id.in_(old_ids)))
        for g in planned:
            check_leader(g.name, g.leader_id, g.member_ids)
        new_ids: list[int] = []
        if planned:
            inserted = conn.execute(
                sa.insert(groups).returning(groups.c.id, sort_by_parameter_order=True),
                [
                    {
                        "community_id": community_id,
                        "year": year,
                        "post_code": g.post_code,
                        "name": g.name,
                        "leader_id": g.leader_id,
                    }
                    for g in planned
                ],
            )
            new_ids = [int(r[0]) for r in inserted]
            people = [
                {"group_id": gid, "member_id": m}
                for gid, g in zip(new_ids, planned, strict=True)
                for m in g.member_ids
            ]
            if people:
                conn.execute(sa.insert(group_members), people)
        saved = [
            Group(
                community_id,
                year,
                g.post_code,
                g.name,
                g.leader_id,
                leader_first(g.leader_id, g.member_ids),
                gid,
            )
            for gid, g in zip(new_ids, planned, strict=True)
        ]
        self._audit(
            conn,
            actor,
            "group.replace",
            f"community:{community_id}",
            before={"year": year, "groups": [_group_json(g) for g in old]},
            after={"year": year, "groups": [_group_json(g) for g in saved]},
            district_code=district,
            community_id=community_id,
        )
        return saved


def _group_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "post_code": group.post_code,
        "name": group.name,
        "leader_id": group.leader_id,
        "member_ids": list(group.member_ids),
    }


def _chunks(items: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
