"""The store's part of members: pages, counts, one member, editing and removing (the
:class:`~partyreg_core.members.port.MemberRepository` of :class:`SqlStore`, as
``store.members``).

The rules of an edit (a transfer moves a member, a change request a routed member's
community, one who left is history) and the refusals' messages are the core's
(:mod:`partyreg_core.members.rules`); the store applies them where it reads the member in
the write's own transaction. The history of a member (transfer, retirement, leaving, the
counts as of a day) is written with the org changes (:mod:`.orgchanges`); this repository
hands those calls on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from partyreg_core.batches import Batch
from partyreg_core.communities import community_key
from partyreg_core.converter import unstructure
from partyreg_core.errors import ConflictError
from partyreg_core.members.model import (
    Member,
    MemberCount,
    MemberPage,
    MemberQuery,
    MemberStatus,
)
from partyreg_core.members.rules import (
    member_in_use,
    person_taken,
    refuse_departed_edit,
    refuse_routed_community_edit,
    refuse_unit_edit,
    registration_changes,
    registration_denied,
)
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode, OrgTree, parse_code
from partyreg_core.records import CommunityRef, Registration
from partyreg_core.retention import erased_message
from partyreg_plugins.sqlstore.bulk import insert_rows
from partyreg_plugins.sqlstore.db import Repository
from partyreg_plugins.sqlstore.rows import chunks
from partyreg_plugins.sqlstore.rows import member as _member
from partyreg_plugins.sqlstore.rows import now as _now
from partyreg_plugins.sqlstore.schema import (
    activities,
    assignments,
    change_requests,
    claims,
    feedback_sheets,
    group_members,
    members,
    points_entries,
    routes,
    wishes,
)
from partyreg_plugins.sqlstore.scoping import member_condition, subtree, where
from partyreg_plugins.sqlstore.search import scan_order, text_condition, unit_prefix
from partyreg_plugins.sqlstore.years import erased_among


class SqlMembers(Repository):
    """``store.members``: registered members within the acting operator's scope."""

    def _member_statement(
        self, actor: Actor, query: MemberQuery, conn: sa.Connection
    ) -> sa.Select[Any]:
        statement = where(sa.select(members), member_condition(actor.scope))
        c = members.c
        if query.unit is not None:
            statement = statement.where(subtree(c.unit_code, query.unit))
        if query.district is not None:
            statement = statement.where(
                sa.or_(subtree(c.unit_code, query.district), c.district_code == str(query.district))
            )
        if query.community_id is not None:
            statement = statement.where(c.community_id == query.community_id)
        if query.community is not None:
            ref = query.community
            resolved = Resolver(self._tree(conn), self._community_index(conn)).resolve(ref)[1]
            as_written = sa.and_(
                c.community_district == ref.district,
                c.community_street == ref.street,
                c.community_name == ref.community,
            )
            statement = statement.where(
                as_written if resolved is None else sa.or_(as_written, c.community_id == resolved)
            )
        if query.status is not None:
            statement = statement.where(c.status == query.status.value)
        if query.name is not None:
            statement = statement.where(c.name == query.name)
        if query.phone is not None:
            statement = statement.where(c.phone == query.phone)
        if query.text:
            condition = text_condition(query.text, actor.scope, conn.dialect.name)
            if condition is not None:
                statement = statement.where(condition)
        if query.community_resolved is not None:
            found = c.community_id.is_not(None)
            statement = statement.where(found if query.community_resolved else sa.not_(found))
        if query.post is not None:
            claimed = sa.exists().where(
                claims.c.member_id == c.id, claims.c.post_code == query.post
            )
            statement = statement.where(claimed)
        if not query.include_left:  # members who left are history, not current lists
            statement = statement.where(c.left_on.is_(None))
        return statement

    def list_members(self, actor: Actor, query: MemberQuery) -> MemberPage:
        """A page of members within the actor's scope."""
        with self._tx(actor) as conn:
            statement = self._member_statement(actor, query, conn)
            total = conn.execute(
                sa.select(sa.func.count()).select_from(statement.subquery())
            ).scalar_one()
            statement = statement.order_by(*scan_order(query.text)).offset(query.offset)
            if query.limit is not None:
                statement = statement.limit(query.limit)
            found = tuple(_member(r) for r in conn.execute(statement))
            return MemberPage(found, total, query.offset)

    def iter_members(self, actor: Actor, query: MemberQuery) -> Iterator[Member]:
        """Every member matching ``query`` within the scope, streamed."""
        with self._tx(actor) as conn:
            statement = self._member_statement(actor, query, conn)
            statement = statement.order_by(members.c.unit_code, members.c.id).offset(query.offset)
            if query.limit is not None:
                statement = statement.limit(query.limit)
            for row in conn.execution_options(yield_per=1000).execute(statement):
                yield _member(row)

    def count_members(self, actor: Actor, query: MemberQuery, depth: int) -> list[MemberCount]:
        """Members matching ``query`` within the scope, counted by status and by unit code cut
        to ``depth`` segments, in one grouped query."""
        with self._tx(actor) as conn:
            matching = self._member_statement(actor, query, conn).subquery()
            prefix = unit_prefix(depth, matching.c.unit_code)
            statement = (
                sa.select(prefix, matching.c.status, sa.func.count())
                .group_by(prefix, matching.c.status)
                .order_by(prefix, matching.c.status)
            )
            return [
                MemberCount(parse_code(unit), MemberStatus(status), count)
                for unit, status, count in conn.execute(statement)
            ]

    def count_members_by_community(
        self, actor: Actor, query: MemberQuery
    ) -> list[tuple[int, MemberStatus, int]]:
        """Members matching ``query`` within the scope, counted by community and status in
        one grouped query (members with no community are left out)."""
        with self._tx(actor) as conn:
            matching = self._member_statement(actor, query, conn).subquery()
            community = matching.c.community_id
            statement = (
                sa.select(community, matching.c.status, sa.func.count())
                .where(community.is_not(None))
                .group_by(community, matching.c.status)
                .order_by(community, matching.c.status)
            )
            return [
                (int(cid), MemberStatus(status), count)
                for cid, status, count in conn.execute(statement)
            ]

    def get_member(self, actor: Actor, member_id: int) -> Member:
        """One member within the scope, or :class:`NotFoundError`."""
        with self._tx(actor) as conn:
            return _member(self._visible_member(conn, actor, member_id))

    def update_member(self, actor: Actor, member_id: int, registration: Registration) -> Member:
        """Change a member's fields of 附表1 (audited)."""
        with self._tx(actor, write=True) as conn:
            row = self._visible_member(conn, actor, member_id)
            current = _member(row)
            # the edit rules as constraints (decision 0074): a transfer moves a member, a
            # change request a routed member's community; one who left is history
            refuse_departed_edit(current)
            refuse_unit_edit(current, registration.unit_code)
            refuse_routed_community_edit(current, registration.community)
            for code in (current.unit_code, registration.unit_code):
                if not actor.scope.may_register(code):
                    raise registration_denied(code, "修改")
            tree = self._tree(conn)
            tree.get(registration.unit_code)  # code.unknown
            changes = registration_changes(current.registration, registration)
            if not changes:
                return current
            if registration.person_key != current.person_key:
                clash = conn.execute(
                    sa.select(members.c.id).where(
                        members.c.name == registration.name,
                        members.c.phone == registration.phone,
                        members.c.id != member_id,
                    )
                ).first()
                if clash is not None:
                    raise person_taken(registration)
                if erased_among(conn, [registration.person_key]):  # decision 0079
                    raise ConflictError(
                        "member.erased", erased_message(registration.name, registration.phone)
                    )
            values = member_values(registration, None, _now())
            if "community" in changes:
                district, community_id = Resolver(tree, self._community_index(conn)).resolve(
                    registration.community
                )
                if current.status is MemberStatus.REGISTERED:
                    values.update(
                        district_code=str(district) if district else None, community_id=community_id
                    )
            conn.execute(sa.update(members).where(members.c.id == member_id).values(**values))
            if "posts" in changes:
                conn.execute(sa.delete(claims).where(claims.c.member_id == member_id))
                insert_rows(
                    conn,
                    "claims",
                    ("member_id", "post_code", "position"),
                    [(member_id, p, i) for i, p in enumerate(dict.fromkeys(registration.posts))],
                )
            updated = _member(self._visible_member(conn, actor, member_id))
            self._audit(
                conn,
                actor,
                "member.edit",
                f"member:{member_id}",
                before={k: v[0] for k, v in changes.items()},
                after={k: v[1] for k, v in changes.items()},
                **member_about(updated),
            )
            return updated

    def remove_member(self, actor: Actor, member_id: int, reason: str) -> Member:
        """Remove a member nothing has been built on yet."""
        with self._tx(actor, write=True) as conn:
            row = self._visible_member(conn, actor, member_id)
            current = _member(row)
            if not actor.scope.may_register(current.unit_code):
                raise registration_denied(current.unit_code, "删除")
            blockers = built_on(conn, [member_id])
            if blockers:
                raise member_in_use(current, blockers)
            conn.execute(sa.delete(claims).where(claims.c.member_id == member_id))
            conn.execute(sa.delete(change_requests).where(change_requests.c.member_id == member_id))
            conn.execute(sa.delete(members).where(members.c.id == member_id))
            self._audit(
                conn,
                actor,
                "member.remove",
                f"member:{member_id}",
                before=unstructure(current),
                after={"reason": reason},
                **member_about(current),
            )
            return current

    # -- a member's history: written with the org changes (:mod:`.orgchanges`) ---------------

    def count_members_on(
        self, actor: Actor, day: date, depth: int, under: OrgCode | None = None
    ) -> list[MemberCount]:
        """Members as they stood on ``day``, by status and unit code cut to ``depth``."""
        return self._store.count_members_on(actor, day, depth, under)

    def transfer_member(
        self, actor: Actor, member_id: int, to: OrgCode, on: date, reason: str, today: date
    ) -> Member:
        """Move a member to unit ``to`` from ``on`` (audited)."""
        return self._store.transfer_member(actor, member_id, to, on, reason, today)

    def retire_member(
        self, actor: Actor, member_id: int, on: date, reason: str, stay: bool, today: date
    ) -> Member:
        """Record a retirement; without ``stay`` the member also leaves that day (audited)."""
        return self._store.retire_member(actor, member_id, on, reason, stay, today)

    def leave_member(
        self, actor: Actor, member_id: int, on: date, reason: str, today: date
    ) -> Member:
        """Record that a member left on ``on`` (audited)."""
        return self._store.leave_member(actor, member_id, on, reason, today)


def member_values(reg: Registration, batch: Batch | None, now: datetime) -> dict[str, Any]:
    """A registration's columns of ``members`` (and its batch, when one writes it)."""
    values: dict[str, Any] = {
        "unit_code": str(reg.unit_code),
        "name": reg.name,
        "phone": reg.phone,
        "gender": reg.gender.value,
        "unit_and_title": reg.unit_and_title,
        "specialty": reg.specialty,
        "posts": ",".join(reg.posts),
        "address": reg.address,
        "community_district": reg.community.district,
        "community_street": reg.community.street,
        "community_name": reg.community.community,
        "report_type": reg.report_type.value,
        "rank": reg.rank,
        "updated_at": now,
    }
    if batch is not None:
        values["batch_id"] = batch.id
    return values


def built_on(conn: sa.Connection, member_ids: Sequence[int]) -> list[str]:
    """What has been built on these members (in Chinese, for the refusal of a removal or an
    undo): routes, activities, sheets, assignments, groups, points, wishes."""
    found = []
    checks = (
        ("分流记录", routes.c.member_id),
        ("活动记录", activities.c.member_id),
        ("实绩反馈单", feedback_sheets.c.member_id),
        ("岗位安排", assignments.c.member_id),
        ("编组", group_members.c.member_id),
        ("积分", points_entries.c.member_id),
        ("微心愿", wishes.c.member_id),
    )
    for label, column in checks:
        for chunk in chunks(list(member_ids)):
            if conn.execute(sa.select(column).where(column.in_(chunk)).limit(1)).first():
                found.append(label)
                break
    return found


def member_about(member: Member) -> dict[str, Any]:
    """The audit entry's unit, district and community of a change to ``member``."""
    routed = member.status is not MemberStatus.REGISTERED
    return {
        "unit_code": member.unit_code,
        "district_code": member.district_code if routed else None,
        "community_id": member.community_id if routed else None,
    }


class Resolver:
    """Finds the district (aggregator) and directory community a registration names."""

    def __init__(self, tree: OrgTree, index: dict[tuple[str, str], int]) -> None:
        self._tree = tree
        self._index = index
        self._districts: dict[str, OrgCode | None] = {}
        self._found: dict[CommunityRef, tuple[OrgCode | None, int | None]] = {}
        self._texts: dict[OrgCode, str] = {}

    def resolve(self, ref: CommunityRef) -> tuple[OrgCode | None, int | None]:
        """The district and community id of ``ref`` (``None`` where unresolved)."""
        found = self._found.get(ref)
        if found is None:
            found = self._found[ref] = self._resolve(ref)
        return found

    def _resolve(self, ref: CommunityRef) -> tuple[OrgCode | None, int | None]:
        if ref.district not in self._districts:
            self._districts[ref.district] = district_for(self._tree, ref.district)
        district = self._districts[ref.district]
        if district is None:
            return None, None
        return district, self._index.get((str(district), community_key(ref.street, ref.community)))

    def text(self, code: OrgCode | None) -> str | None:
        """``code`` as stored (cached: the same few districts come back again and again)."""
        if code is None:
            return None
        found = self._texts.get(code)
        if found is None:
            found = self._texts[code] = str(code)
        return found


def district_for(tree: OrgTree, name: str) -> OrgCode | None:
    """The one aggregator (with communities) named ``name``, or ``None`` (none or several)."""
    found = [u for u in tree.district_for_name(name) if u.kind.has_communities]
    return found[0].code if len(found) == 1 else None
