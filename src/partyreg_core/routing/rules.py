"""Routing registrations to districts, communities and instructors, the queue of communities not
yet in the directory, and report-in (DESIGN.md §3 steps 3–4).

A registration goes from its unit up to its *aggregator* (the top-level org of its code: a
district committee or a city work committee), then to the *district* where its report-in
community lies, then to that *community* and its instructors. A city-level unit's member who
lives in district X therefore goes through X. The rules, in order:

1. a resolution an operator made for this spelling (``partyreg route resolve``);
2. a plugin's rule (the ``partyreg_route_member`` hook), when one answers;
3. the directory: the community named by 县区, 街道 and 社区 (all three; the 县区 linked to its
   aggregator by name, as :mod:`partyreg_core.directory` links it);
4. the district alone, when the 县区 is known but the community is not in its directory: the
   member waits in that district's queue (status ``routed``, no community) until resolved;
5. neither: the 县区 itself is unknown, and the member waits, still ``registered``, in the queue
   of its own aggregator (decision 0021) — nothing is dropped.

Everything here is pure: the store feeds members in and applies the plan set-based; the
values are in :mod:`partyreg_core.routing.model`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from partyreg_core.changes import ChangeRequest
from partyreg_core.communities import Community, community_key
from partyreg_core.directory import DirectoryIndex, place_key
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.instructors import Instructor
from partyreg_core.members.model import MemberStatus
from partyreg_core.normalize import normalize_rank
from partyreg_core.operators.model import Actor, Role, Scope
from partyreg_core.orgcodes import OrgCode, OrgTree
from partyreg_core.records import CommunityRef, ReportType
from partyreg_core.routing.model import (
    PlannedRoute,
    QueuedMember,
    QueueGroup,
    ReportInFacts,
    ReportInRefusal,
    RoutingCase,
    RoutingDecision,
)

#: A routing rule: a decision, or ``None`` to leave it to the next rule.
RoutingRule = Callable[[RoutingCase, "Router"], RoutingDecision | None]


def spelling_key(ref: CommunityRef) -> tuple[str, str, str]:
    """The key two spellings of a community are the same by (NFKC, no whitespace, case
    folded, per part): what ``route resolve`` matches and the queue groups by."""
    return (place_key(ref.district), place_key(ref.street), place_key(ref.community))


class Router:
    """The routing rules over one directory (see the module docstring for their order).

    :param tree: the org tree (links a 县区 name to its aggregator).
    :param communities: the community directory.
    :param instructors: community id → the ids of its instructors.
    :param rule: a plugin's rule, asked for each member before the directory.
    :param resolutions: spelling (:func:`spelling_key`) → community id, decided by an operator.
    """

    def __init__(
        self,
        tree: OrgTree,
        communities: Iterable[Community],
        *,
        instructors: Mapping[int, Sequence[int]] | None = None,
        rule: RoutingRule | None = None,
        resolutions: Mapping[tuple[str, str, str], int] | None = None,
    ) -> None:
        self.tree = tree
        self.communities: dict[int, Community] = {c.id: c for c in communities}
        self._instructors = {k: tuple(sorted(v)) for k, v in (instructors or {}).items()}
        self._rule = rule
        self._resolutions = dict(resolutions or {})
        self._by_key = {(str(c.district_code), c.key): c for c in self.communities.values()}
        self._by_ref = {spelling_key(c.ref): c for c in self.communities.values()}
        self._districts: dict[str, OrgCode | None] = {}
        self._decided: dict[CommunityRef, RoutingDecision] = {}
        self._index: DirectoryIndex | None = None
        self._planned: dict[tuple[OrgCode, CommunityRef], PlannedRoute] = {}
        self._aggregators: dict[OrgCode, OrgCode] = {}

    # -- looking up ---------------------------------------------------------------------------

    def district_for(self, name: str) -> OrgCode | None:
        """The aggregator a 县区 name links to (the one holding communities whose name is it or
        starts with it), or ``None`` when none or several do."""
        if name not in self._districts:
            found = [u for u in self.tree.district_for_name(name) if u.kind.has_communities]
            self._districts[name] = found[0].code if len(found) == 1 else None
        return self._districts[name]

    def find(self, ref: CommunityRef) -> Community | None:
        """The directory community ``ref`` names (all three names), or ``None``."""
        district = self.district_for(ref.district)
        if district is not None:
            found = self._by_key.get((str(district), community_key(ref.street, ref.community)))
            if found is not None:
                return found
        return self._by_ref.get(spelling_key(ref))

    def suggestions(self, ref: CommunityRef) -> tuple[Community, ...]:
        """Directory communities ``ref`` may have meant, best first (the same name under
        another street or district, then similar names in the street and the district)."""
        if self._index is None:
            self._index = DirectoryIndex(c.entry for c in self.communities.values())
        out = []
        for close in self._index.resolve(ref).close_matches:
            found = self._by_ref.get(spelling_key(close))
            if found is not None:
                out.append(found)
        # the same district and street first: the likeliest meaning of a misspelt name
        district, street = place_key(ref.district), place_key(ref.street)
        out.sort(key=lambda c: (place_key(c.district) != district, place_key(c.street) != street))
        return tuple(out)

    def instructors_of(self, community_id: int) -> tuple[int, ...]:
        """The instructor ids of a community, ascending."""
        return self._instructors.get(community_id, ())

    # -- deciding -----------------------------------------------------------------------------

    def decide(self, case: RoutingCase) -> RoutingDecision:
        """The decision of the first rule that answers for ``case``."""
        resolved = (
            self._resolutions.get(spelling_key(case.community)) if self._resolutions else None
        )
        if resolved is not None and resolved in self.communities:
            return RoutingDecision(self.communities[resolved].district_code, resolved, "resolve")
        if self._rule is not None:
            decided = self._rule(case, self)
            if decided is not None:
                return self._checked(decided)
        found = self._decided.get(case.community)
        if found is None:
            found = self._decided[case.community] = self._built_in(case.community)
        return found

    def _built_in(self, ref: CommunityRef) -> RoutingDecision:
        community = self.find(ref)
        if community is not None:
            return RoutingDecision(community.district_code, community.id, "directory")
        district = self.district_for(ref.district)
        if district is not None:
            return RoutingDecision(district, None, "district")
        return RoutingDecision(None, None, "unknown_district")

    def _checked(self, decision: RoutingDecision) -> RoutingDecision:
        rule = decision.rule or "plugin"
        if decision.community_id is not None:
            community = self.communities.get(decision.community_id)
            if community is None:
                raise ValidationError(
                    "route.rule_community",
                    f"分流规则（{rule}）给出的社区编号 {decision.community_id} 不在社区通讯录中："
                    "请联系该插件的维护者。",
                )
            if decision.district_code not in (None, community.district_code):
                raise ValidationError(
                    "route.rule_district",
                    f"分流规则（{rule}）给出的社区 {community.label} 不属于 "
                    f"{decision.district_code}：请联系该插件的维护者。",
                )
            return RoutingDecision(community.district_code, community.id, rule)
        district = decision.district_code
        if district is not None:
            unit = self.tree.find(district)
            if unit is None or district.depth != 2 or not unit.kind.has_communities:
                raise ValidationError(
                    "route.rule_district",
                    f"分流规则（{rule}）给出的 {district} 不是县区委或功能区党工委的代码："
                    "请联系该插件的维护者。",
                )
        return RoutingDecision(district, None, rule)

    @property
    def per_member(self) -> bool:
        """Whether a rule must be asked for every member (a plugin's rule is present); else a
        plan depends only on the unit's aggregator and the community as written."""
        return self._rule is not None

    def plan(self, case: RoutingCase) -> PlannedRoute:
        """Where ``case`` goes: its aggregator, district, community and instructors."""
        if self._rule is None:  # then the plan depends only on these two: plan each once
            key = (self.aggregator_of(case.unit_code), case.community)
            planned = self._planned.get(key)
            if planned is None:
                planned = self._planned[key] = self._plan(case)
            return planned
        return self._plan(case)

    def aggregator_of(self, unit_code: OrgCode) -> OrgCode:
        """The aggregator of a unit (cached: a city has a thousand units, not 100,000)."""
        found = self._aggregators.get(unit_code)
        if found is None:
            found = self._aggregators[unit_code] = unit_code.aggregator or unit_code
        return found

    def _plan(self, case: RoutingCase) -> PlannedRoute:
        decision = self.decide(case)
        instructors = (
            self.instructors_of(decision.community_id) if decision.community_id is not None else ()
        )
        return PlannedRoute(
            self.aggregator_of(case.unit_code),
            decision.district_code,
            decision.community_id,
            instructors,
            decision.rule,
        )


def group_queue(members: Iterable[QueuedMember], router: Router) -> list[QueueGroup]:
    """Group waiting members by queue and by the community as written (spellings that differ
    only in width, spaces or case are one), most members first, each with close-name
    suggestions from the directory."""
    groups: dict[tuple[object, ...], list[QueuedMember]] = defaultdict(list)
    for m in members:
        owner = m.district_code if m.district_code is not None else m.unit_code.aggregator
        groups[(m.district_code is None, owner, spelling_key(m.community))].append(m)
    out = []
    for (unknown, _owner, _key), found in groups.items():
        spelling = Counter(m.community for m in found).most_common(1)[0][0]
        out.append(
            QueueGroup(
                community=spelling,
                district_code=None if unknown else found[0].district_code,
                aggregator=found[0].unit_code.aggregator if unknown else None,
                member_ids=tuple(sorted(m.id for m in found)),
                suggestions=router.suggestions(spelling),
            )
        )
    out.sort(
        key=lambda g: (
            str(g.district_code or g.aggregator or ""),
            -g.count,
            g.community.label,
        )
    )
    return out


def may_report_at(report_type: ReportType, rank: str) -> bool:
    """Whether a member may report in with ``report_type``: a contact-point (工作联系点)
    community only for leaders of 县处级 and above (the seed's 二、参加对象; DESIGN.md §2)."""
    if report_type is not ReportType.CONTACT_POINT:
        return True
    try:
        found = normalize_rank(rank)
    except ValidationError:
        return False
    return found is not None and found.at_least_county


def member_not_found(member_id: int) -> ReportInRefusal:
    """A member to confirm who does not exist or is outside the scope."""
    return ReportInRefusal(
        member_id, "member.not_found", f"没有编号为 {member_id} 的党员（或不在你的范围内）。"
    )


def check_report_in(member: ReportInFacts, scope: Scope, on: date) -> ReportInRefusal | None:
    """Why ``member``'s report-in on ``on`` cannot be confirmed by ``scope`` (``None``: it can,
    or it is confirmed already): the member must be routed to a resolved community within the
    scope, a contact point needs a leader of 县处级 and above, and a report-in is not dated
    before the routing."""
    mid, name = member.member_id, member.name
    if member.status is MemberStatus.REGISTERED:
        return ReportInRefusal(
            mid,
            "report_in.not_routed",
            f"{name} 还没有分流：请先由县区或市直党工委运行 partyreg route。",
        )
    if member.community_id is None:
        written = member.community
        return ReportInRefusal(
            mid,
            "report_in.queued",
            f"{name} 填写的社区“{written.district}/{written.street}/"
            f"{written.community}”尚待认定：请县区先用 partyreg route resolve 认定。",
        )
    if not scope.covers_community(member.community_id, member.district_code):
        return ReportInRefusal(
            mid,
            "scope.denied",
            f"{name} 分流到的是社区 {member.community_id}：只能由该社区确认报到。",
        )
    if not may_report_at(member.report_type, member.rank):
        return ReportInRefusal(
            mid,
            "report_in.contact_point",
            f"{name} 的报到类型是“联系点”，但职级“{member.rank or '未填写'}”不是县处级以上："
            "请单位改正报到类型或职级后再确认。",
        )
    if member.status is MemberStatus.REPORTED_IN:
        return None
    if member.routed_on is not None and on < member.routed_on:
        return ReportInRefusal(
            mid,
            "report_in.before_routed",
            f"{name} 于 {member.routed_on.isoformat()} 分流，报到日期 {on.isoformat()} "
            "不能早于分流日期：请核对 --on。",
        )
    return None


# ---------------------------------------------------------------------------------------------
# Changes of community (decision 0025): the refusals the store raises, with their fix
# ---------------------------------------------------------------------------------------------


def change_not_found(request_id: int) -> NotFoundError:
    """No change request of that id within the scope."""
    return NotFoundError(
        "change.not_found",
        f"没有编号为 {request_id} 的变更申请（或不在你的范围内）：用 partyreg change list 查看。",
    )


def change_not_routed(name: str, member_id: int) -> ConflictError:
    """A registered member changes community by an edit of the registration, not a request."""
    return ConflictError(
        "change.not_routed",
        f"{name} 还没有分流到社区：直接修改登记的报到社区即可"
        f"（partyreg members edit {member_id} --district … --street … --community …）。",
    )


def change_pending(name: str, pending: int) -> ConflictError:
    """One pending request per member."""
    return ConflictError(
        "change.pending",
        f"{name} 已有待审批的变更申请（编号 {pending}）：请先审批或驳回它"
        f"（partyreg change approve|reject {pending}）。",
    )


def change_target_unknown(to: CommunityRef | int) -> NotFoundError:
    """The new community must be in the directory."""
    label = to.label if isinstance(to, CommunityRef) else f"编号 {to}"
    return NotFoundError(
        "community.unknown",
        f"社区通讯录中没有 {label}：请核对县区、街道和社区名称（或社区编号），"
        "新社区须先列入社区通讯录（附表4）。",
    )


def change_same(name: str, community: str) -> ValidationError:
    """The new community must differ from the current one."""
    return ValidationError("change.same", f"{name} 已在 {community} 报到：新社区不能与原社区相同。")


def change_denied(request: ChangeRequest) -> NotPermittedError:
    """Only the member's unit side (the unit, its superiors, the city) decides."""
    return NotPermittedError(
        "change.denied",
        f"变更申请 {request.id} 由 {request.name} 所在单位（{request.unit_code}）"
        "或其上级审批：不在你的管理范围内。",
    )


def change_decided(request: ChangeRequest) -> ConflictError:
    """A request is decided once."""
    return ConflictError(
        "change.decided",
        f"变更申请 {request.id} 已于 {request.decided_on} 由 {request.decided_by} "
        f"{request.status.label}，不能再审批。",
    )


def change_date(on: date, requested_on: date) -> ValidationError:
    """A decision is not dated before its request."""
    return ValidationError(
        "change.date", f"审批日期 {on} 早于申请日期 {requested_on}：请核对 --date。"
    )


def change_target_gone(request: ChangeRequest) -> NotFoundError:
    """The requested community left the directory before the approval."""
    return NotFoundError(
        "community.unknown",
        f"变更申请 {request.id} 的新社区 {request.to.label} 不在社区通讯录中："
        "请该县区先把它列入社区通讯录（附表4），再审批。",
    )


# ---------------------------------------------------------------------------------------------
# The directory's upkeep, the instructors, who routes: the refusals the store raises
# ---------------------------------------------------------------------------------------------


def may_keep_district(actor: Actor, district: OrgCode) -> bool:
    """Whether ``actor`` keeps ``district``'s directory and instructors: the city, or the
    district's own operators."""
    scope = actor.scope
    return scope.role is Role.CITY or (scope.role is Role.DISTRICT and scope.code == district)


def community_add_denied(district: str) -> NotPermittedError:
    """A community added to another district's directory."""
    return NotPermittedError(
        "scope.denied", f"不能在 {district} 的社区通讯录中添加社区：不在你的管理范围内。"
    )


def community_exists(label: str, clash: int) -> ConflictError:
    """A community already in the directory."""
    return ConflictError(
        "community.exists",
        f"社区通讯录中已有“{label}”（编号 {clash}）：要修改请用 partyreg community edit {clash}。",
    )


def community_unknown(community_id: int) -> NotFoundError:
    """No community of that id in the directory."""
    return NotFoundError(
        "community.unknown", f"没有编号为 {community_id} 的社区：用 partyreg community list 查看。"
    )


def community_edit_denied(current: Community) -> NotPermittedError:
    """A community of another district edited."""
    return NotPermittedError(
        "scope.denied",
        f"不能修改 {current.label}：它属于 {current.district_code}，不在你的管理范围内。",
    )


def community_name_taken(district: str, street: str, name: str, clash: int) -> ConflictError:
    """Two communities of one district with the same street and name."""
    return ConflictError(
        "community.exists",
        f"{district} 已有社区“{street}/{name}”（编号 {clash}）：同一县区的社区名称不能重复。",
    )


def instructor_add_denied(district: OrgCode) -> NotPermittedError:
    """An instructor added to another district."""
    return NotPermittedError(
        "scope.denied", f"不能为 {district} 添加社区工作指导员：不在你的管理范围内。"
    )


def instructor_exists(name: str, phone: str, clash: int) -> ConflictError:
    """An instructor with that name and phone already there."""
    return ConflictError(
        "instructor.exists",
        f"指导员 {name}（{phone}）已存在（编号 {clash}）：要分配社区请用 "
        f"partyreg instructor assign {clash} 社区…。",
    )


def instructor_unknown(instructor_id: int) -> NotFoundError:
    """No instructor of that id."""
    return NotFoundError(
        "instructor.unknown",
        f"没有编号为 {instructor_id} 的指导员：用 partyreg instructor list 查看。",
    )


def instructor_denied(current: Instructor) -> NotPermittedError:
    """An instructor kept by another district."""
    return NotPermittedError(
        "scope.denied",
        f"指导员 {current.name} 不归你管理：请由其所属县区（{current.district_code or '市级'}）分配。",
    )


def assigned_community_unknown(community_id: int) -> NotFoundError:
    """An instructor assigned to a community not in the directory."""
    return NotFoundError(
        "community.unknown", f"没有编号为 {community_id} 的社区：请核对社区通讯录。"
    )


def assigned_community_denied(community_id: int, district: object) -> NotPermittedError:
    """An instructor assigned to a community of another district."""
    return NotPermittedError(
        "scope.denied",
        f"社区 {community_id} 属于 {district}，不在你的管理范围内：只能分配本县区的社区。",
    )


def routing_denied(scope: Scope) -> NotPermittedError:
    """Routing is for district committees, city work committees and the city."""
    return NotPermittedError(
        "scope.denied",
        "分流由县区委组织部、市直党工委或市级操作员进行："
        f"{scope.role.label}操作员不能分流，请联系上级。",
    )
