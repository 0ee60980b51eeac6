"""What the facade offers for routing (``ws.routing``): the directory's upkeep, the
instructors, routing runs and their queue, report-in, and changes of community.

Each committed step is reported as an event (``community.*``, ``instructor.*``,
``route.routed``, ``route.queued``, ``route.assign``, ``report_in.confirm``, ``change.*``):
the ``partyreg_on_changed`` listeners (the notifications among them) hear every one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

import attrs

from partyreg_core.batches import Batch, BatchKind
from partyreg_core.changes import ChangeRequest, ChangeStatus, clean_reason, parse_target
from partyreg_core.communities import Community
from partyreg_core.directory import validate_directory_entry
from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.forms import DataRow, FormKind
from partyreg_core.instructors import Instructor
from partyreg_core.members.model import Member, MemberQuery, MemberStatus, Route
from partyreg_core.members.rules import serves_in
from partyreg_core.normalize import normalize_name, normalize_phone
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode, OrgTree, OrgUnit
from partyreg_core.records import (
    CommunityRef,
    DirectoryEntry,
    RowIssue,
    Severity,
    parse_community,
    record_id,
)
from partyreg_core.routing.model import QueueGroup, ReportInResult, RoutingRun
from partyreg_core.routing.port import RoutingRepository
from partyreg_core.routing.rules import Router, RoutingRule, group_queue, spelling_key

#: What the service reports to the facade: event, subject, before, after.
Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


def _checked(parse: Callable[[str], str], text: str, label: str) -> str:
    try:
        return parse(text)
    except ValidationError as exc:
        raise ValidationError(exc.code, f"{label}：{exc.message}") from None


# not slotted: a frontend's test may wrap one method of the instance it drives
@attrs.define(slots=False)
class RoutingService:
    """Routing for one acting operator.

    :param repository: the store's routing (:class:`~partyreg_core.routing.port.RoutingRepository`).
    :param actor: who is acting (asked when needed: the facade resolves it lazily).
    :param today: today's date in Asia/Shanghai.
    :param org_tree: the org tree (read once by the facade).
    :param code: an org unit by its code as typed.
    :param community: a community by ``县区/街道/社区`` or id, within scope.
    :param communities: the community directory.
    :param members: the members within scope matching a query (masked as the role requires).
    :param community_counts: (community id, status, count) of the members within scope matching
        a query, counted by the store in one grouped query.
    :param plugin_rule: the plugins' ``partyreg_route_member`` rule (``None``: none).
    :param assign_routes: writes routes given by hand (``route.assign``), returns the count.
    :param batch: a new batch of a kind, a file text, a row count and a business date.
    :param queued_by: collects the outbox messages queued inside it under a batch.
    :param changed: reports each committed step (``partyreg_on_changed``).
    """

    repository: RoutingRepository
    actor: Callable[[], Actor]
    today: Callable[[], date]
    org_tree: Callable[[], OrgTree]
    code: Callable[[OrgCode | str], OrgUnit]
    community: Callable[[str], Community]
    communities: Callable[[], list[Community]]
    members: Callable[[MemberQuery], Iterator[Member]]
    community_counts: Callable[[MemberQuery], Iterable[tuple[int, MemberStatus, int]]]
    plugin_rule: Callable[[], RoutingRule | None]
    assign_routes: Callable[[Sequence[Route], date], int]
    batch: Callable[[BatchKind, str, int, date | None], Batch]
    queued_by: Callable[[Batch], AbstractContextManager[list[int]]]
    changed: Changed

    def directory_entry(
        self, fields: Mapping[str, str], *, on: date | None = None
    ) -> tuple[DirectoryEntry, list[RowIssue]]:
        """Judge one community's 附表4 cells (canonical column → text as typed: ``district``,
        ``street``, ``community``, ``phone``, …) by the same rules as an import; return the
        entry and its warnings, or raise :class:`ValidationError` naming every error."""
        row = DataRow.of(FormKind.DIRECTORY, 1, {k: v for k, v in fields.items() if v is not None})
        result = validate_directory_entry(row, self.org_tree(), today=on or self.today())
        errors = [i for i in result.issues if i.severity is Severity.ERROR]
        if result.entry is None or errors:
            raise ValidationError(
                errors[0].code if errors else "community.invalid",
                "；".join(f"{i.column}：{i.message}" for i in errors) or "社区信息不完整。",
            )
        warnings = [i for i in result.issues if i.severity is Severity.WARNING]
        return result.entry, warnings

    def add_community(self, fields: Mapping[str, str]) -> tuple[Community, list[RowIssue]]:
        """Add one community to the directory (``community add``): judged like a 附表4 row;
        a district adds to its own part only. Returns it and the warnings."""
        entry, warnings = self.directory_entry(fields)
        saved = self.repository.add_community(self.actor(), entry)
        self.changed("community.add", f"community:{saved.id}", None, {"community": saved.label})
        return saved, warnings

    def edit_community(
        self, community: str, changes: Mapping[str, str]
    ) -> tuple[Community, list[RowIssue]]:
        """Change a community's street, name or contact cells (``community edit``); the 县区
        stays. Returns it and the warnings."""
        allowed = ("street", "community", "phone", "qq_group", "secretary", "mobile", "address")
        unknown = sorted(set(changes) - set(allowed))
        if unknown:
            raise ValidationError("community.field", f"不能修改的字段：{', '.join(unknown)}。")
        if not changes:
            raise ValidationError(
                "community.nothing", "没有要修改的字段：请给出如 --phone 0517-83601234。"
            )
        current = self.community(community)
        cells = {
            "district": current.district,
            "district_code": str(current.district_code),
            "street": current.street,
            "community": current.name,
            "phone": current.phone,
            "qq_group": current.qq_group,
            "secretary": current.secretary,
            "mobile": current.mobile,
            "address": current.address,
            **changes,
        }
        entry, warnings = self.directory_entry(cells)
        saved = self.repository.edit_community(self.actor(), current.id, entry)
        self.changed("community.edit", f"community:{saved.id}", None, dict(changes))
        return saved, warnings

    def instructors(self, district: OrgCode | str | None = None) -> list[Instructor]:
        """Community work instructors, or a district's."""
        return self.repository.instructors(
            self.code(district).code if district is not None else None
        )

    def instructor(self, text: str) -> Instructor:
        """An instructor named by id or by name."""
        text = text.strip()
        found = self.repository.instructors()
        number = record_id(text)
        if number is not None:
            match = [i for i in found if i.id == number]
        else:
            match = [i for i in found if i.name == text]
        if not match:
            raise NotFoundError(
                "instructor.unknown", f"没有指导员“{text}”：用 partyreg instructor list 查看。"
            )
        if len(match) > 1:
            ids = "、".join(str(i.id) for i in match)
            raise ValidationError(
                "instructor.ambiguous", f"有 {len(match)} 名指导员叫 {text}：请用编号（{ids}）。"
            )
        return match[0]

    def add_instructor(
        self,
        name: str,
        phone: str,
        *,
        district: OrgCode | str | None = None,
        communities: Sequence[str] = (),
    ) -> Instructor:
        """Add a community work instructor (name, phone), kept by ``district`` (a district
        operator's own by default), and assign them to ``communities``."""
        clean_name = _checked(normalize_name, name, "姓名")
        clean_phone = _checked(normalize_phone, phone, "手机")
        scope = self.actor().scope
        if district is not None:
            code = self.code(district).code
        elif scope.role is Role.DISTRICT and scope.code is not None:
            code = scope.code
        else:
            raise ValidationError(
                "instructor.district", "请用 --district CODE 指明指导员所属的县区（如 008.003）。"
            )
        unit = self.org_tree().get(code)
        if code.depth != 2 or not unit.kind.has_communities:
            raise ValidationError(
                "instructor.district",
                f"{code}（{unit.name}）不是县区委或功能区党工委的代码：指导员属于管理社区的县区。",
            )
        ids = [self.community(c).id for c in communities]
        saved = self.repository.add_instructor(self.actor(), clean_name, clean_phone, code)
        self.changed("instructor.add", f"instructor:{saved.id}", None, {"name": saved.name})
        if ids:
            saved = self.repository.set_instructor_communities(self.actor(), saved.id, add=ids)
            self.changed("instructor.assign", f"instructor:{saved.id}", None, {"communities": ids})
        return saved

    def assign_instructor(
        self, who: str, communities: Sequence[str], *, remove: bool = False
    ) -> Instructor:
        """Assign an instructor to communities (or, with ``remove``, take them off)."""
        instructor = self.instructor(who)
        ids = [self.community(c).id for c in communities]
        if not ids:
            raise ValidationError(
                "instructor.communities", "请给出至少一个社区（编号或 县区/街道/社区）。"
            )
        saved = self.repository.set_instructor_communities(
            self.actor(), instructor.id, add=() if remove else ids, remove=ids if remove else ()
        )
        action = "instructor.unassign" if remove else "instructor.assign"
        self.changed(action, f"instructor:{saved.id}", None, {"communities": ids})
        return saved

    def router(self, *, resolutions: Mapping[tuple[str, str, str], int] | None = None) -> Router:
        """The routing rules over the current directory and instructors, with the plugins'
        ``partyreg_route_member`` rule first when a plugin provides one."""
        rule = self.plugin_rule()
        guided: dict[int, list[int]] = {}
        for instructor in self.repository.instructors():
            for community_id in instructor.community_ids:
                guided.setdefault(community_id, []).append(instructor.id)
        return Router(
            self.org_tree(),
            self.communities(),
            instructors=guided,
            rule=rule,
            resolutions=resolutions,
        )

    def route(
        self,
        *,
        on: date | None = None,
        dry_run: bool = False,
        unit: OrgCode | str | None = None,
    ) -> RoutingRun:
        """Route everything pending within the scope (``partyreg route``): each member to the
        community and instructors of the community they wrote, through its district; a
        community not in the directory to the district's queue; an unknown 县区 waits at the
        aggregator. Emits ``route.routed`` per community and ``route.queued`` per queue."""
        unit_code = self.code(unit).code if unit is not None else None
        day = on or self.today()
        batch = None if dry_run else self.batch(BatchKind.ROUTE, "route", 0, day)
        run = self.repository.route_pending(
            self.actor(), self.router(), day, unit=unit_code, dry_run=dry_run, batch=batch
        )
        if batch is not None and any(m.changed for m in run.members):
            run = attrs.evolve(run, batch_id=batch.id)
            with self.queued_by(batch):  # the route's messages are part of its batch
                self._events(run)
        elif not dry_run:
            self._events(run)
        return run

    def queue(self, district: OrgCode | str | None = None) -> list[QueueGroup]:
        """The queue within the scope (``partyreg route queue``): members waiting for their
        community (or 县区) to be resolved, grouped by the community as written, with the
        directory's close matches; ``district`` keeps one district's queue."""
        router = self.router()
        code = self.code(district).code if district is not None else None
        waiting = []
        for member in self.repository.queued_members(self.actor()):
            if member.district_code is None and router.district_for(member.community.district):
                continue  # the code table now knows its 县区: the next route moves it on
            if code is not None and (member.district_code or member.unit_code.aggregator) != code:
                continue
            waiting.append(member)
        return group_queue(waiting, router)

    def resolve(
        self,
        written: CommunityRef | str,
        to: str,
        *,
        on: date | None = None,
        dry_run: bool = False,
    ) -> RoutingRun:
        """Match a community as written (all members who wrote it the same way) to a
        directory community ``to`` and route them there (``partyreg route resolve``)."""
        ref = written if isinstance(written, CommunityRef) else parse_community(written)
        target = self.community(to)
        router = self.router(resolutions={spelling_key(ref): target.id})
        run = self.repository.route_pending(
            self.actor(), router, on or self.today(), only=ref, dry_run=dry_run
        )
        if not run.members and not run.skipped:
            raise NotFoundError(
                "route.queue_empty",
                f"你的范围内没有等待认定、填写为“{ref.label}”的党员：用 partyreg route queue 查看队列。",
            )
        if not dry_run:
            self._events(run)
        return run

    def _events(self, run: RoutingRun) -> None:
        router_communities = {c.id: c for c in self.communities()}
        units: dict[OrgCode, str] = {}
        for community_id, routed in run.by_community().items():
            changed = [m for m in routed if m.changed]
            if not changed:
                continue
            community = router_communities[community_id]
            self.changed(
                "route.routed",
                f"community:{community_id}",
                None,
                {
                    "community_id": community_id,
                    "community": f"{community.district} {community.street} {community.name}",
                    "district_code": str(community.district_code),
                    "instructor_ids": list(changed[0].route.instructor_ids),
                    "count": len(changed),
                    "members": [
                        {
                            "id": m.id,
                            "name": m.name,
                            "unit_code": units.get(m.unit_code)
                            or units.setdefault(m.unit_code, str(m.unit_code)),
                        }
                        for m in changed
                    ],
                },
            )
        waiting = {**run.waiting_by_aggregator(), **run.queued_by_district()}
        for code, count in sorted(waiting.items()):
            self.changed(
                "route.queued",
                f"org:{code}",
                None,
                {"district_code": str(code), "count": count},
            )

    def confirm_report_in(
        self, member_ids: Sequence[int], *, on: date | None = None, batch: Batch | None = None
    ) -> ReportInResult:
        """Confirm that members reported in at the community they were routed to
        (``report-in confirm``); all or nothing: with a refusal nothing is written."""
        if not member_ids:
            raise ValidationError("report_in.nobody", "请给出党员编号，或用 --community X --all。")
        result = self.repository.confirm_report_in(
            self.actor(), member_ids, on or self.today(), batch=batch
        )
        if result.ok:
            for member_id in result.confirmed:
                self.changed(
                    "report_in.confirm",
                    f"member:{member_id}",
                    None,
                    {"member_id": member_id, "on": result.on.isoformat()},
                )
        return result

    def confirm_community_report_in(
        self,
        community: str,
        *,
        except_ids: Sequence[int] = (),
        on: date | None = None,
        dry_run: bool = False,
    ) -> ReportInResult:
        """Confirm report-in of every member routed to ``community`` who has not reported in
        yet and is in current work, except ``except_ids`` (``report-in confirm --community X
        --all --except …``). A dry run lists them as ``confirmed`` and writes nothing."""
        ids = self.report_in_candidates(community, except_ids=except_ids)
        if dry_run or not ids:
            return ReportInResult(on or self.today(), confirmed=tuple(ids) if dry_run else ())
        batch = self.batch(
            BatchKind.REPORT_IN, f"report-in confirm --all {community}", len(ids), on
        )
        return self.confirm_report_in(ids, on=on, batch=batch)

    def report_in_candidates(self, community: str, *, except_ids: Sequence[int] = ()) -> list[int]:
        """The members ``report-in confirm --all`` would confirm: routed to ``community``, not
        reported in, not left (decision 0075), not in ``except_ids``."""
        target = self.community(community)
        skip = set(except_ids)
        return [
            m.id
            for m in self.members(MemberQuery(community_id=target.id, status=MemberStatus.ROUTED))
            if m.id not in skip and m.community_id == target.id and serves_in(m)
        ]

    def report_in_members(
        self, *, community: str | None = None, status: MemberStatus | None = None
    ) -> Iterator[Member]:
        """Members routed (or reported in) within the scope, for ``report-in list``: of one
        community, with one status; registered members are not listed."""
        community_id = self.community(community).id if community is not None else None
        query = MemberQuery(community_id=community_id, status=status)
        for member in self.members(query):
            if member.status is not MemberStatus.REGISTERED:
                yield member

    def request_change(
        self,
        member_id: int,
        to: str | int | CommunityRef,
        reason: str,
        *,
        on: date | None = None,
    ) -> ChangeRequest:
        """File a change of community for a routed member (``partyreg change request``): the
        new community as ``县区 街道 社区``, ``县区/街道/社区`` or a directory id."""
        target = parse_target(to) if isinstance(to, str) else to
        request = self.repository.request_change(
            self.actor(), member_id, target, clean_reason(reason), on or self.today()
        )
        self.changed("change.requested", f"change:{request.id}", None, request.event())
        return request

    def change_requests(self, status: ChangeStatus | str | None = None) -> list[ChangeRequest]:
        """Change requests of the members in scope (``pending``, ``approved``, ``rejected``),
        newest first."""
        wanted = None
        if status is not None:
            try:
                wanted = ChangeStatus(status)
            except ValueError:
                raise ValidationError(
                    "change.status",
                    f"未知的状态“{status}”：应为 pending、approved 或 rejected。",
                ) from None
        return self.repository.change_requests(self.actor(), wanted)

    def approve_change(
        self, request_id: int, *, on: date | None = None, note: str | None = None
    ) -> ChangeRequest:
        """Approve a pending change (the member's unit side): the old community releases the
        member, the new one takes them in (``routed`` until it confirms the report-in)."""
        note = clean_reason(note, what="审批意见") if note and note.strip() else None
        decided = self.repository.decide_change(
            self.actor(), request_id, True, note, on or self.today()
        )
        self.changed("change.approved", f"change:{decided.id}", None, decided.event())
        return decided

    def reject_change(
        self, request_id: int, reason: str, *, on: date | None = None
    ) -> ChangeRequest:
        """Reject a pending change with a reason (the member's unit side)."""
        decided = self.repository.decide_change(
            self.actor(),
            request_id,
            False,
            clean_reason(reason, what="驳回理由"),
            on or self.today(),
        )
        self.changed("change.rejected", f"change:{decided.id}", None, decided.event())
        return decided

    def assign(self, routes: Sequence[Route], *, on: date | None = None) -> int:
        """Route members to a district and community as given (not through the rules): they
        become ``routed`` on ``on``. Emits ``route.assign`` per member."""
        day = on or self.today()
        count = self.assign_routes(routes, day)
        for route in routes:
            self.changed(
                "route.assign",
                f"member:{route.member_id}",
                None,
                {
                    "member_id": route.member_id,
                    "district_code": str(route.district_code),
                    "community_id": route.community_id,
                    "on": day.isoformat(),
                },
            )
        return count

    def report_in_counts(self) -> dict[int, Counter[MemberStatus]]:
        """For each community in the scope with members routed to it, how many of those
        members (who have not left) have each status — counted by the store in one grouped
        query, as :meth:`report_in_members` would list them."""
        counts: dict[int, Counter[MemberStatus]] = {}
        for cid, status, count in self.community_counts(MemberQuery()):
            if status is not MemberStatus.REGISTERED:
                counts.setdefault(cid, Counter())[status] += count
        return counts
