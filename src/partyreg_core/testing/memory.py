"""A small in-memory reference store: the member and operator ports over plain dicts.

Written for the contract suite (:mod:`partyreg_core.testing.contracts`), it is the proof that
those ports say enough to be implemented without SQL, and the example a county team follows
for its own backend. Not for production: nothing is persisted, one process only.

It keeps the scope rule as the core states it (:meth:`Scope.sees_member`,
:meth:`Scope.may_register`), and the member rules of :mod:`partyreg_core.members.rules`. Every
write checks everything before it changes anything (all or nothing, like a transaction) and
leaves its audit entry. Left out, as the suite does not need them: pinyin search (a search's
letters match Latin names only), PostgreSQL's login roles, batches and their undo.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import attrs

from partyreg_core.audit import AuditEntry, AuditQuery
from partyreg_core.communities import Community, community_key
from partyreg_core.converter import unstructure
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.members.model import (
    Member,
    MemberCount,
    MemberPage,
    MemberQuery,
    MemberStatus,
    Route,
)
from partyreg_core.members.rules import (
    refuse_departed_edit,
    refuse_routed_community_edit,
    refuse_unit_edit,
    registration_changes,
)
from partyreg_core.operators.model import Actor, Login, LoginKind, Operator, Role, Scope
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgTree, OrgUnit
from partyreg_core.records import CommunityRef, DirectoryEntry, Registration
from partyreg_core.search import TermKind, parse_search
from partyreg_core.testing.harness import (
    CITY,
    OS_USER,
    ROUTED_ON,
    District,
    district_name,
    operator_name,
)

#: How many of a phone's last digits a role that sees phones masked may search by.
VISIBLE_PHONE_DIGITS = 4


@attrs.frozen
class _Logged:
    """An audit entry and the places that decide who may read it."""

    entry: AuditEntry
    unit_code: OrgCode | None
    district_code: OrgCode | None
    community_id: int | None


@attrs.frozen
class _UnitPeriod:
    """A unit a member had before a transfer, until (not including) ``valid_to``."""

    unit_code: OrgCode
    valid_from: date | None
    valid_to: date


class MemoryStore:
    """Members, operators, the org tree, the directory and the audit log, in memory."""

    def __init__(self) -> None:
        self._tree = OrgTree()
        self._communities: dict[int, Community] = {}
        self._operators: dict[str, Operator] = {}
        self._members: dict[int, Member] = {}
        self._routes: dict[int, list[tuple[Route, date, date | None]]] = {}
        self._periods: dict[int, list[_UnitPeriod]] = {}
        self._log: list[_Logged] = []
        self._ids = itertools.count(1)

    # -- set-up (the parts of other ports the suite arranges data with) ------------------------

    def initialise(self, *, os_user: str, org_tree: OrgTree) -> None:
        """Load the code table and make ``os_user`` the first city operator."""
        self._tree = org_tree.copy()
        self._operators[os_user] = Operator(
            os_user, Scope.city(), id=next(self._ids), created_by="init"
        )

    def load_org_tree(self) -> OrgTree:
        """The org tree (a copy)."""
        return self._tree.copy()

    def add_org_units(self, actor: Actor, units: Sequence[OrgUnit]) -> int:
        """Add new units (parents first) under parents within the actor's scope."""
        tree = self._tree.copy()
        for unit in sorted(units, key=lambda u: u.code.segments):
            parent = unit.code.parent
            if parent is None or not actor.scope.covers_unit(parent):
                raise NotPermittedError(
                    "scope.denied", f"不能在 {parent or '最上级'} 下添加单位：不在你的管理范围内。"
                )
            tree.add(unit)
        self._tree = tree
        self._append(actor, "import.codes", "codes", {"codes": [str(u.code) for u in units]})
        return len(units)

    def save_communities(self, actor: Actor, entries: Sequence[DirectoryEntry]) -> list[Community]:
        """Add directory entries (each with its ``district_code``) for the city or a district."""
        saved = []
        for entry in entries:
            district = entry.district_code
            if district is None or district not in self._tree:
                raise ValidationError(
                    "directory.district_unknown", f"县区“{entry.district}”对应不到县区委或党工委。"
                )
            if not actor.scope.covers_community(None, district):
                raise NotPermittedError(
                    "scope.denied", f"不能修改 {entry.district} 的社区通讯录：不在你的管理范围内。"
                )
            community = Community(
                id=next(self._ids),
                district_code=district,
                district=entry.district,
                street=entry.street,
                name=entry.community,
                phone=entry.phone,
            )
            self._communities[community.id] = community
            saved.append(community)
        ids = [c.id for c in saved]
        self._append(actor, "import.directory", "directory", {"communities": ids})
        return saved

    def communities(self, district: OrgCode | None = None) -> list[Community]:
        """The community directory (of ``district``), by district and id."""
        found = [c for c in self._communities.values() if district in (None, c.district_code)]
        return sorted(found, key=lambda c: (str(c.district_code), c.id))

    def add_registrations(
        self, actor: Actor, regs: Sequence[Registration], on: date | None = None
    ) -> list[int]:
        """Register new members (none may be registered yet); returns their ids."""
        taken = {m.person_key for m in self._members.values()}
        for reg in regs:
            if not actor.scope.may_register(reg.unit_code):
                raise NotPermittedError(
                    "scope.denied", f"单位 {reg.unit_code} 的党员登记不在你的管理范围内。"
                )
            self._known_unit(reg.unit_code)
            if reg.person_key in taken:
                raise ConflictError(
                    "member.conflict", f"{reg.name}（{reg.phone}）已登记为另一名党员。"
                )
            taken.add(reg.person_key)
        ids = []
        for reg in regs:
            district, community_id = self._resolve(reg.community)
            member = Member(
                id=next(self._ids),
                community_id=community_id,
                district_code=district,
                registered_on=on,
                **{k: getattr(reg, k) for k in _REGISTRATION_KEYS},
            )
            self._members[member.id] = member
            ids.append(member.id)
        self._append(actor, "import.registrations", "registrations", {"members": ids})
        return ids

    def route_members(self, actor: Actor, routes: Sequence[Route], on: date) -> int:
        """Route members to a district and community: they become ``routed`` on ``on``."""
        for route in routes:
            member = self._visible(actor, route.member_id)
            if not actor.scope.covers_unit(member.unit_code) and not (
                actor.scope.role is Role.DISTRICT and member.district_code == actor.scope.code
            ):
                raise NotPermittedError(
                    "scope.denied", f"不能分流党员 {member.name}：不在你的管理范围内。"
                )
            community = self._communities.get(route.community_id or -1)
            if route.community_id is not None and (
                community is None or community.district_code != route.district_code
            ):
                raise ValidationError(
                    "route.community",
                    f"社区编号 {route.community_id} 不在 {route.district_code} 的社区通讯录中。",
                )
        for route in routes:
            member = self._members[route.member_id]
            self._end_routes(member.id, on)
            self._routes.setdefault(member.id, []).append((route, on, None))
            status = MemberStatus.ROUTED if member.status is MemberStatus.REGISTERED else None
            self._members[member.id] = attrs.evolve(
                member,
                status=status or member.status,
                district_code=route.district_code,
                community_id=route.community_id,
                routed_on=on,
            )
        self._append(actor, "route.assign", f"members:{len(routes)}", {"on": on.isoformat()})
        return len(routes)

    # -- members (MemberRepository) -------------------------------------------------------------

    def list_members(self, actor: Actor, query: MemberQuery) -> MemberPage:
        """A page of the members matching ``query`` within the actor's scope."""
        found = self._matching(actor, query)
        end = None if query.limit is None else query.offset + query.limit
        return MemberPage(tuple(found[query.offset : end]), len(found), query.offset)

    def iter_members(self, actor: Actor, query: MemberQuery) -> Iterator[Member]:
        """Every member matching ``query`` within the scope."""
        yield from self.list_members(actor, query).members

    def count_members(self, actor: Actor, query: MemberQuery, depth: int) -> list[MemberCount]:
        """Members matching ``query`` by status and unit code cut to ``depth`` segments."""
        return _counts((_cut(m.unit_code, depth), m.status) for m in self._matching(actor, query))

    def count_members_by_community(
        self, actor: Actor, query: MemberQuery
    ) -> list[tuple[int, MemberStatus, int]]:
        """Members matching ``query`` by community (those without one left out) and status."""
        counts: dict[tuple[int, str], int] = {}
        for m in self._matching(actor, query):
            if m.community_id is not None:
                key = (m.community_id, m.status.value)
                counts[key] = counts.get(key, 0) + 1
        return [(cid, MemberStatus(s), n) for (cid, s), n in sorted(counts.items())]

    def count_members_on(
        self, actor: Actor, day: date, depth: int, under: OrgCode | None = None
    ) -> list[MemberCount]:
        """Members as they stood on ``day``, by their status and unit code of that day."""
        rows = []
        for m in self._members.values():
            if not self._sees(actor.scope, m) or (m.left_on is not None and m.left_on <= day):
                continue
            periods = self._periods.get(m.id, [])
            start = max((p.valid_to for p in periods), default=m.registered_on)
            codes = [m.unit_code] if start is None or start <= day else []
            codes += [
                p.unit_code
                for p in periods
                if (p.valid_from is None or p.valid_from <= day) and p.valid_to > day
            ]
            for code in codes:
                if under is None or code.is_within(under):
                    rows.append((_cut(code, depth), _status_on(m, day)))
        return _counts(rows)

    def get_member(self, actor: Actor, member_id: int) -> Member:
        """One member; :class:`NotFoundError` outside the scope."""
        return self._visible(actor, member_id)

    def update_member(self, actor: Actor, member_id: int, registration: Registration) -> Member:
        """Change a member's fields of 附表1 (audited with before and after)."""
        current = self._visible(actor, member_id)
        refuse_departed_edit(current)
        refuse_unit_edit(current, registration.unit_code)
        refuse_routed_community_edit(current, registration.community)
        if not actor.scope.may_register(current.unit_code):
            raise NotPermittedError(
                "scope.denied",
                f"单位 {current.unit_code} 的党员登记不在你的管理范围内：请交由该单位或其上级修改。",
            )
        changes = registration_changes(current.registration, registration)
        if not changes:
            return current
        if registration.person_key != current.person_key and any(
            m.person_key == registration.person_key and m.id != member_id
            for m in self._members.values()
        ):
            raise ConflictError(
                "member.conflict",
                f"{registration.name}（{registration.phone}）已登记为另一名党员：请核对后再改。",
            )
        values: dict[str, Any] = {k: getattr(registration, k) for k in _REGISTRATION_KEYS}
        if "community" in changes and current.status is MemberStatus.REGISTERED:
            values["district_code"], values["community_id"] = self._resolve(registration.community)
        updated = self._members[member_id] = attrs.evolve(current, **values)
        self._append(
            actor,
            "member.edit",
            f"member:{member_id}",
            {k: v[1] for k, v in changes.items()},
            before={k: v[0] for k, v in changes.items()},
            about=updated,
        )
        return updated

    def remove_member(self, actor: Actor, member_id: int, reason: str) -> Member:
        """Remove a member nothing has been built on yet (here: no route)."""
        current = self._visible(actor, member_id)
        self._may_register(actor, current, "删除")
        if self._routes.get(member_id):
            raise ConflictError(
                "member.in_use",
                f"不能删除党员 {current.name}：已有分流记录。如该党员已离开，请改用变更或离开登记。",
            )
        del self._members[member_id]
        self._append(
            actor,
            "member.remove",
            f"member:{member_id}",
            {"reason": reason},
            before=unstructure(current),
            about=current,
        )
        return current

    def transfer_member(
        self, actor: Actor, member_id: int, to: OrgCode, on: date, reason: str, today: date
    ) -> Member:
        """Move a member to unit ``to`` from ``on``; the old unit's period is kept."""
        _check_day(on, today, "转出")
        current = self._lifecycle(actor, member_id, "转出")
        target = self._tree.resolve(to, on)
        if target.code == current.unit_code:
            raise ValidationError(
                "member.same_unit", f"{current.name} 已在 {to}（{target.name}）：无需转出。"
            )
        periods = self._periods.setdefault(member_id, [])
        start = max((p.valid_to for p in periods), default=current.registered_on)
        if start is not None and on < start:
            raise ValidationError(
                "member.transfer_date",
                f"转出日期 {on} 早于 {current.name} 在现单位的起始日期 {start}：请核对日期。",
            )
        periods.append(_UnitPeriod(current.unit_code, start, on))
        moved = self._members[member_id] = attrs.evolve(current, unit_code=to)
        after = {"unit_code": str(to), "on": on.isoformat(), "reason": reason}
        self._append(
            actor,
            "member.transfer",
            f"member:{member_id}",
            after,
            before={"unit_code": str(current.unit_code)},
            about=moved,
        )
        return moved

    def retire_member(
        self, actor: Actor, member_id: int, on: date, reason: str, stay: bool, today: date
    ) -> Member:
        """Record a retirement; without ``stay`` the member also leaves that day."""
        _check_day(on, today, "退休")
        current = self._lifecycle(actor, member_id, "退休")
        if current.retired_on is not None:
            raise ConflictError(
                "member.retired", f"{current.name} 已于 {current.retired_on} 登记退休。"
            )
        retired = attrs.evolve(current, retired_on=on)
        if not stay:
            left_reason = "退休" + (f"：{reason}" if reason else "")
            retired = attrs.evolve(retired, left_on=on, left_reason=left_reason)
            self._end_routes(member_id, on)
        self._members[member_id] = retired
        after = {"on": on.isoformat(), "stay": stay, "reason": reason}
        self._append(actor, "member.retire", f"member:{member_id}", after, about=current)
        return retired

    def leave_member(
        self, actor: Actor, member_id: int, on: date, reason: str, today: date
    ) -> Member:
        """Record that a member left on ``on``."""
        _check_day(on, today, "离开")
        current = self._lifecycle(actor, member_id, "离开")
        left = self._members[member_id] = attrs.evolve(current, left_on=on, left_reason=reason)
        self._end_routes(member_id, on)
        after = {"on": on.isoformat(), "reason": reason}
        self._append(actor, "member.leave", f"member:{member_id}", after, about=current)
        return left

    # -- operators (OperatorRepository) ---------------------------------------------------------

    def login(self) -> Login:
        """No login: whoever holds the object is in (like a SQLite file)."""
        return Login(LoginKind.FILE)

    def find_operator(self, name: str) -> Operator | None:
        """The operator account ``name``, or ``None``."""
        return self._operators.get(name)

    def operators(self, actor: Actor) -> list[Operator]:
        """Every operator account, by name (city operators only)."""
        _require_city(actor, "查看操作员")
        return [self._operators[name] for name in sorted(self._operators)]

    def save_operator(self, actor: Actor, operator: Operator) -> Operator:
        """Add an operator, or change an existing one's scope or disabled flag."""
        _require_city(actor, "管理操作员")
        scope = operator.scope
        if scope.code is not None and scope.code not in self._tree:
            raise NotFoundError("code.unknown", f"代码 {scope.code} 不在单位党组织代码表中。")
        unknown = sorted(scope.communities - set(self._communities))
        if unknown:
            raise NotFoundError(
                "community.unknown",
                f"社区编号 {', '.join(map(str, unknown))} 不在社区通讯录中："
                "请先导入社区通讯录（附表4）。",
            )
        before = self._operators.get(operator.name)
        if before is not None:
            self._guard_last_city(before, operator)
        saved = Operator(
            operator.name,
            scope,
            disabled=operator.disabled,
            id=before.id if before is not None else next(self._ids),
            created_by=before.created_by if before is not None else actor.real_name,
        )
        self._operators[operator.name] = saved
        self._append(
            actor,
            "operator.add" if before is None else "operator.change",
            f"operator:{operator.name}",
            _operator_audit(saved),
            before=_operator_audit(before) if before is not None else None,
        )
        return saved

    def record_refusal(
        self, *, os_user: str, action: str, subject: str, details: Mapping[str, Any]
    ) -> None:
        """Record a refused attempt by ``os_user`` in the audit log."""
        entry = AuditEntry(
            id=len(self._log) + 1,
            at=datetime.now(UTC),
            actor=os_user,
            action=action,
            subject=subject,
            after=_plain(details),
            os_user=os_user,
        )
        self._log.append(_Logged(entry, None, None, None))

    # -- the audit log ----------------------------------------------------------------------

    def audit(self, actor: Actor, query: AuditQuery) -> Iterator[AuditEntry]:
        """Audit entries within the actor's scope, oldest first (or newest first)."""
        scope, name = actor.scope, actor.operator.name
        found = []
        for logged in self._log:
            entry = logged.entry
            visible = (
                scope.role is Role.CITY
                or name in (entry.actor, entry.on_behalf_of)
                or (logged.unit_code is not None and scope.covers_unit(logged.unit_code))
                or (
                    scope.role is not Role.UNIT
                    and scope.covers_community(logged.community_id, logged.district_code)
                )
            )
            if not visible:
                continue
            if query.since is not None and entry.at.date() < query.since:
                continue
            if query.action is not None and not (
                entry.action == query.action or entry.action.startswith(query.action + ".")
            ):
                continue
            if query.before is not None and entry.id >= query.before:
                continue
            if query.subject is not None and entry.subject != query.subject:
                continue
            found.append(entry)
        if query.newest_first:
            found.reverse()
        yield from found[: query.limit]

    # -- inside ---------------------------------------------------------------------------------

    def _append(
        self,
        actor: Actor,
        action: str,
        subject: str,
        after: Mapping[str, Any],
        *,
        before: Mapping[str, Any] | None = None,
        about: Member | None = None,
    ) -> None:
        scope = actor.scope
        unit = scope.code if scope.role is not Role.DISTRICT else None
        district = scope.code if scope.role is Role.DISTRICT else None
        community = None
        if about is not None:
            routed = about.status is not MemberStatus.REGISTERED
            unit = about.unit_code
            district = about.district_code if routed else None
            community = about.community_id if routed else None
        entry = AuditEntry(
            id=len(self._log) + 1,
            at=datetime.now(UTC),
            actor=actor.real_name,
            action=action,
            subject=subject,
            before=_plain(before) if before is not None else None,
            after=_plain(after),
            on_behalf_of=actor.on_behalf_of,
            os_user=actor.os_user,
        )
        self._log.append(_Logged(entry, unit, district, community))

    def _sees(self, scope: Scope, member: Member) -> bool:
        return scope.sees_member(
            member.unit_code, member.status, member.district_code, member.community_id
        )

    def _visible(self, actor: Actor, member_id: int) -> Member:
        member = self._members.get(member_id)
        if member is None or not self._sees(actor.scope, member):
            raise NotFoundError(
                "member.not_found", f"没有编号为 {member_id} 的党员（或不在你的范围内）。"
            )
        return member

    def _may_register(self, actor: Actor, member: Member, what: str) -> None:
        if not actor.scope.may_register(member.unit_code):
            raise NotPermittedError(
                "scope.denied",
                f"单位 {member.unit_code} 的党员登记不在你的管理范围内：请交由该单位或其上级{what}。",
            )

    def _lifecycle(self, actor: Actor, member_id: int, what: str) -> Member:
        current = self._visible(actor, member_id)
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

    def _end_routes(self, member_id: int, on: date) -> None:
        self._routes[member_id] = [
            (route, since, ended if ended is not None else on)
            for route, since, ended in self._routes.get(member_id, [])
        ]

    def _known_unit(self, code: OrgCode) -> None:
        if code not in self._tree:
            raise NotFoundError("code.unknown", f"代码 {code} 不在单位党组织代码表中。")

    def _resolve(self, ref: CommunityRef) -> tuple[OrgCode | None, int | None]:
        """The district and directory community a registration's 县区/街道/社区 names."""
        districts = [
            u for u in self._tree.district_for_name(ref.district) if u.kind.has_communities
        ]
        if len(districts) != 1:
            return None, None
        district = districts[0].code
        key = community_key(ref.street, ref.community)
        for community in self._communities.values():
            if community.district_code == district and community.key == key:
                return district, community.id
        return district, None

    def _matching(self, actor: Actor, query: MemberQuery) -> list[Member]:
        resolved = self._resolve(query.community)[1] if query.community is not None else None
        terms = parse_search(query.text) if query.text else ()
        found = [
            m
            for m in self._members.values()
            if self._sees(actor.scope, m)
            and _matches(m, query, resolved)
            and all(_term_matches(m, t.kind, t.text, actor.scope) for t in terms)
        ]
        return sorted(found, key=lambda m: (str(m.unit_code), m.id))

    def _guard_last_city(self, before: Operator, after: Operator) -> None:
        if before.role is not Role.CITY or before.disabled:
            return
        if after.role is Role.CITY and not after.disabled:
            return
        others = [
            o
            for o in self._operators.values()
            if o.role is Role.CITY and not o.disabled and o.name != before.name
        ]
        if not others:
            raise ConflictError(
                "operator.last_city",
                f"{before.name} 是最后一个市级操作员，不能停用或改为其他角色：请先添加另一个市级操作员。",
            )


_REGISTRATION_KEYS = tuple(attrs.fields_dict(Registration))


def _matches(m: Member, q: MemberQuery, resolved: int | None) -> bool:
    if q.unit is not None and not m.unit_code.is_within(q.unit):
        return False
    if q.district is not None and not (
        m.unit_code.is_within(q.district) or m.district_code == q.district
    ):
        return False
    if q.community_id is not None and m.community_id != q.community_id:
        return False
    # a community matches as written, or as the directory resolved it
    if (
        q.community is not None
        and m.community != q.community
        and (resolved is None or m.community_id != resolved)
    ):
        return False
    if q.community_resolved is not None and (m.community_id is not None) != q.community_resolved:
        return False
    return (
        (q.status is None or m.status is q.status)
        and (q.name is None or m.name == q.name)
        and (q.phone is None or m.phone == q.phone)
        and (q.post is None or q.post in m.posts)
        and (q.include_left or m.left_on is None)
    )


def _term_matches(m: Member, kind: TermKind, text: str, scope: Scope) -> bool:
    if kind is TermKind.NAME:
        return text in m.name
    if kind is TermKind.CODE:
        return str(m.unit_code).startswith(text)
    if kind is TermKind.DIGITS:
        if str(m.unit_code).startswith(text) or (text.isdigit() and int(text) == m.id):
            return True
        if scope.sees_full_phone:
            return text in m.phone
        return len(text) <= VISIBLE_PHONE_DIGITS and text in m.phone[-VISIBLE_PHONE_DIGITS:]
    return text in m.name.lower()


def _plain(value: Any) -> Any:
    """Core values as the JSON an audit entry keeps (codes as text, dates ISO, lists)."""
    return json.loads(json.dumps(unstructure(value), ensure_ascii=False, default=str))


def _cut(code: OrgCode, depth: int) -> OrgCode:
    return OrgCode(code.segments[:depth])


def _counts(rows: Iterator[tuple[OrgCode, MemberStatus]] | list[Any]) -> list[MemberCount]:
    counts: dict[tuple[str, str], int] = {}
    for code, status in rows:
        key = (str(code), status.value)
        counts[key] = counts.get(key, 0) + 1
    return [
        MemberCount(OrgCode(tuple(code.split("."))), MemberStatus(status), n)
        for (code, status), n in sorted(counts.items())
    ]


def _status_on(m: Member, day: date) -> MemberStatus:
    if m.status is MemberStatus.REPORTED_IN and (m.reported_on is None or m.reported_on <= day):
        return MemberStatus.REPORTED_IN
    if m.status is not MemberStatus.REGISTERED and (m.routed_on is None or m.routed_on <= day):
        return MemberStatus.ROUTED
    return MemberStatus.REGISTERED


def _check_day(on: date, today: date, what: str) -> None:
    if on > today:
        raise ValidationError(
            "member.future", f"{what}日期 {on} 晚于今天（{today}）：请在当天或之后再登记。"
        )


def _operator_audit(operator: Operator) -> dict[str, Any]:
    """An operator as its audit entries record it (the SQL store's shape)."""
    return {
        "name": operator.name,
        "role": operator.role.value,
        "code": str(operator.scope.code) if operator.scope.code else None,
        "communities": sorted(operator.scope.communities),
        "disabled": operator.disabled,
    }


def _require_city(actor: Actor, what: str) -> None:
    if actor.scope.role is not Role.CITY:
        raise NotPermittedError(
            "operator.denied",
            f"只有{Role.CITY.label}操作员可以{what}：{actor.name} 是{actor.scope.role.label}操作员。",
        )


class MemoryHarness:
    """The contract suite's :class:`~partyreg_core.testing.harness.Harness` over a
    :class:`MemoryStore` initialised with ``org_tree`` (the built-in code table by default)."""

    def __init__(self, org_tree: OrgTree | None = None) -> None:
        if org_tree is None:
            from partyreg_core import builtin  # reads the shipped code table

            org_tree = builtin.code_table()
        self.store = MemoryStore()
        self.store.initialise(os_user=OS_USER, org_tree=org_tree)

    @property
    def members(self) -> MemoryStore:
        """The member port."""
        return self.store

    @property
    def operators(self) -> MemoryStore:
        """The operator port."""
        return self.store

    def city(self) -> Actor:
        """The city operator."""
        found = self.store.find_operator(OS_USER)
        assert found is not None
        return Actor(found, OS_USER)

    def make_district(self, units: int = 2, communities: int = 2) -> District:
        """A new district with its units and communities."""
        code = self.store.load_org_tree().next_child(CITY)
        name = district_name(code)
        new = [OrgUnit(code, name, OrgKind.DISTRICT)] + [
            OrgUnit(code.child(i), f"{name}第{i}单位", OrgKind.UNIT) for i in range(1, units + 1)
        ]
        self.store.add_org_units(self.city(), new)
        entries = [
            DirectoryEntry(
                district=name.removesuffix("委"),
                street=f"第{k}街道",
                community=f"第{k}社区",
                phone="0517-83601234",
                district_code=code,
            )
            for k in range(1, communities + 1)
        ]
        saved = self.store.save_communities(self.city(), entries)
        return District(code, name, tuple(u.code for u in new[1:]), tuple(saved))

    def register(
        self, by: Actor, regs: Sequence[Registration], on: date | None = None
    ) -> list[int]:
        """Register new members."""
        return self.store.add_registrations(by, regs, on)

    def route(self, member_ids: Sequence[int], district: District, k: int = 0) -> None:
        """Route members to a community of ``district``."""
        community = district.communities[k].id
        routes = [Route(m, district.code, community) for m in member_ids]
        self.store.route_members(self.city(), routes, ROUTED_ON)

    def add_operator(
        self, role: Role, code: OrgCode | None = None, communities: Sequence[int] = ()
    ) -> Actor:
        """A new operator acting for itself."""
        name = operator_name()
        scope = Scope(role, code, frozenset(communities))
        saved = self.store.save_operator(self.city(), Operator(name, scope))
        return Actor(saved, name)

    def audit(self, actor: Actor, query: AuditQuery) -> Iterator[AuditEntry]:
        """The audit log within the actor's scope."""
        return self.store.audit(actor, query)
