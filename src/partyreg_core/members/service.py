"""What the facade offers for members (``ws.members``): the pages and streams an operator may
see (masked as the role requires), counts, one member, finding by name, registering one by
hand, editing, removing, and a member's transfer, retirement and leaving.

Every path judges a member's fields by the rules of an import (``from_fields``) and applies the
rules of an edit (:mod:`partyreg_core.members.rules`), so the command line, the terminal UI and
the members' site agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from partyreg_core.communities import Community
from partyreg_core.directory import DirectoryIndex
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.forms import DataRow, FormKind
from partyreg_core.members.fields import FIELD_KEYS, registration_cells
from partyreg_core.members.model import Member, MemberCount, MemberPage, MemberQuery
from partyreg_core.members.port import MemberRepository
from partyreg_core.members.rules import (
    refuse_departed_edit,
    refuse_routed_community_edit,
    refuse_unit_edit,
)
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode, OrgTree
from partyreg_core.posts import Post, PostCatalog
from partyreg_core.records import Registration, RowIssue, parse_community
from partyreg_core.registrations import RegistrationContext, validate_registration

#: What the service reports to the facade: event, subject, before, after.
Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


def masked_for(actor: Actor, member: Member) -> Member:
    """``member`` as ``actor`` may see it: a signed-in member sees their own record in full;
    an operator's role decides whether phone and address are shown in full or masked."""
    if actor.member is not None and actor.member == member.id:
        return member
    scope = actor.scope
    if scope.sees_full_phone and scope.sees_full_address:
        return member
    return attrs.evolve(
        member, phone=scope.phone(member.phone), address=scope.address(member.address)
    )


def _reason(reason: str, what: str) -> str:
    value = reason.strip()
    if not value:
        raise ValidationError("member.reason", f"办理{what}需要说明原因：--reason …。")
    return value


@attrs.define
class MemberService:
    """Members for one acting operator.

    :param repository: the store's members (:class:`~partyreg_core.members.port.MemberRepository`).
    :param actor: who is acting (asked when needed: the facade resolves it lazily).
    :param today: today's date in Asia/Shanghai.
    :param org_tree: the org tree (单位代码 must exist in it).
    :param post_catalog: the posts a member may claim.
    :param communities: the directory's communities (of one district, or all for ``None``).
    :param community: a community by ``县区/街道/社区`` or id.
    :param code: an org code as typed.
    :param write: the one bulk path of 附表1 (an import of one row: ``ws.write_registrations``).
    :param changed: reports each change (audit-side events, notifications).
    """

    repository: MemberRepository
    actor: Callable[[], Actor]
    today: Callable[[], date]
    org_tree: Callable[[], OrgTree]
    post_catalog: Callable[[], PostCatalog]
    communities: Callable[[OrgCode | None], Sequence[Community]]
    community: Callable[[str], Community]
    code: Callable[[OrgCode | str], OrgCode]
    write: Callable[..., Any]
    changed: Changed

    def _masked(self, member: Member) -> Member:
        return masked_for(self.actor(), member)

    # -- what an operator may see -------------------------------------------------------------

    def page(self, query: MemberQuery | None = None) -> MemberPage:
        """A page of members within the operator's scope (masked as the role requires)."""
        page = self.repository.list_members(self.actor(), query or MemberQuery())
        return attrs.evolve(page, members=tuple(self._masked(m) for m in page.members))

    def iter(self, query: MemberQuery | None = None) -> Iterator[Member]:
        """Every member matching ``query`` within the scope, streamed (for complete output)."""
        actor = self.actor()
        for member in self.repository.iter_members(actor, query or MemberQuery()):
            yield masked_for(actor, member)

    def counts(self, query: MemberQuery | None = None, *, depth: int = 2) -> list[MemberCount]:
        """How many members matching ``query`` within the scope have each status, by unit code
        cut to ``depth`` segments (2: by district or city work committee, 3: by their units)."""
        return self.repository.count_members(self.actor(), query or MemberQuery(), depth)

    def counts_on(
        self, day: date, *, depth: int = 2, under: OrgCode | str | None = None
    ) -> list[MemberCount]:
        """Members as they stood on ``day`` (registered by then and not yet left), by status
        that day and by the unit code they had that day, cut to ``depth`` segments — so a
        past year adds up under that year's codes after a merge."""
        code = self.code(under) if under is not None else None
        return self.repository.count_members_on(self.actor(), day, depth, code)

    def get(self, member_id: int) -> Member:
        """One member within the scope (``NotFoundError`` otherwise, revealing nothing)."""
        return self._masked(self.repository.get_member(self.actor(), member_id))

    def find(self, name: str, phone: str | None = None) -> list[Member]:
        """Members within the scope named ``name`` (and with ``phone``), those who left too."""
        query = MemberQuery(name=name, phone=phone, include_left=True)
        page = self.repository.list_members(self.actor(), query)
        return [self._masked(m) for m in page.members]

    def visible_communities(self) -> list[Community]:
        """The communities whose members the operator may see, for a screen to filter by: a
        district operator's district, a community or instructor operator's own communities,
        every community for the others (the scope rules, asked of the core, not the screen)."""
        scope = self.actor().scope
        if scope.role is Role.DISTRICT and scope.code is not None:
            return list(self.communities(scope.code))
        found = list(self.communities(None))
        if scope.role.needs_communities:
            found = [c for c in found if c.id in scope.communities]
        return found

    def visible_posts(self) -> list[Post]:
        """The posts the operator's members may have claimed: a district's own and the city's
        for a district operator, every post for the others."""
        scope = self.actor().scope
        catalog = self.post_catalog()
        if scope.role is Role.DISTRICT and scope.code is not None:
            return catalog.for_district(scope.code)
        return catalog.all()

    # -- registering and editing -------------------------------------------------------------

    def from_fields(
        self, fields: Mapping[str, str], *, on: date | None = None
    ) -> tuple[Registration, list[RowIssue]]:
        """Judge one member's 附表1 fields (canonical column → text as typed) by the same rules
        as an import; return the registration and its warnings, or raise
        :class:`ValidationError` naming every error."""
        scope = self.actor().scope
        codes = None if scope.role is Role.CITY else ([scope.code] if scope.code else [])
        context = RegistrationContext(
            tree=self.org_tree(),
            posts=self.post_catalog(),
            directory=DirectoryIndex(c.entry for c in self.communities(None)),
            today=on or self.today(),
            scope=codes,
        )
        result = validate_registration(DataRow.of(FormKind.REGISTRATIONS, 1, fields), context)
        if result.record is None:
            errors = result.errors
            raise ValidationError(
                errors[0].code if errors else "member.invalid",
                "；".join(f"{i.column}：{i.message}" for i in errors) or "登记信息不完整。",
            )
        return result.record, list(result.warnings)

    def add(self, registration: Registration, *, on: date | None = None) -> Member:
        """Register one member by hand (``members add``)."""
        result = self.write([registration], on=on)
        if result.rejected:
            rejection = result.rejected[0]
            error = NotPermittedError if rejection.code == "scope.denied" else ConflictError
            raise error(rejection.code, rejection.message)
        if not result.new:
            raise ConflictError(
                "member.exists",
                f"{registration.name}（{registration.phone}）已经登记过了：要修改请用 partyreg members edit。",
            )
        return self.find(registration.name, registration.phone)[0]

    def edit(self, member_id: int, changes: Mapping[str, str]) -> tuple[Member, list[RowIssue]]:
        """Change fields of a member's 附表1 row, given as text by canonical column
        (``phone``, ``posts``, ``community``, …): the other fields are kept, the whole row is
        judged again like an import, and the change is audited. Returns the member and the
        warnings."""
        unknown = sorted(set(changes) - set(FIELD_KEYS))
        if unknown:
            raise ValidationError("member.field", f"不能修改的字段：{', '.join(unknown)}。")
        if not changes:
            raise ValidationError(
                "member.nothing", "没有要修改的字段：请给出如 --phone 13912345678。"
            )
        actor = self.actor()
        current = self.repository.get_member(actor, member_id)
        refuse_departed_edit(current)
        if "unit_code" in changes:  # before the row is judged: whatever code it names
            refuse_unit_edit(current, self.code(changes["unit_code"]))
        cells = {**registration_cells(current), **changes}
        if "community" in changes:
            cells.update(self._community_cells(changes["community"]))
        registration, warnings = self.from_fields(cells)
        # the rules of an edit, the same for the CLI and the terminal UI's form (decision 0074)
        refuse_unit_edit(current, registration.unit_code)
        if {"community", "street", "district"} & set(changes):
            refuse_routed_community_edit(current, registration.community)
        else:  # untouched: kept exactly as stored, however the row re-normalises
            registration = attrs.evolve(registration, community=current.community)
        saved = self.repository.update_member(actor, member_id, registration)
        self.changed("member.edit", f"member:{member_id}", None, dict(changes))
        return self._masked(saved), warnings

    def _community_cells(self, text: str) -> dict[str, str]:
        """A community given to an edit as ``县区/街道/社区``, a directory id or a name, as the
        three cells of 附表1: a path or an id is found in the directory (as the import and
        ``change request`` find it); a name names the directory community of that name when
        there is exactly one, else it stays a name within the member's street and district."""
        text = text.strip()
        if text.isdigit():
            found = self.community(text)
        elif "/" in text or "／" in text:
            try:
                found = self.community(text)
            except NotFoundError:  # not in the directory: it waits in the route queue
                ref = parse_community(text)
                return {"community": ref.community, "street": ref.street, "district": ref.district}
        else:
            named = [c for c in self.communities(None) if c.name == text]
            if len(named) != 1:
                return {"community": text}
            found = named[0]
        return {"community": found.name, "street": found.street, "district": found.district}

    def remove(self, member_id: int, reason: str) -> Member:
        """Remove a member nothing has been built on yet."""
        if not reason.strip():
            raise ValidationError("member.reason", "删除党员需要说明原因：--reason …。")
        removed = self.repository.remove_member(self.actor(), member_id, reason.strip())
        self.changed("member.remove", f"member:{member_id}", {"name": removed.name}, None)
        return self._masked(removed)

    # -- a member's course: transfer, retirement, leaving ----------------------------------

    def transfer(
        self, member_id: int, to: OrgCode | str, *, reason: str, on: date | None = None
    ) -> Member:
        """Transfer a member to another unit (the old unit or above does it; the new unit
        takes over; community, activities and history stay)."""
        reason = _reason(reason, "转出")
        today = self.today()
        moved = self.repository.transfer_member(
            self.actor(), member_id, self.code(to), on or today, reason, today
        )
        self.changed(
            "member.transfer",
            f"member:{member_id}",
            None,
            {"unit_code": str(moved.unit_code), "reason": reason},
        )
        return self._masked(moved)

    def retire(
        self, member_id: int, *, reason: str = "", on: date | None = None, stay: bool = False
    ) -> Member:
        """Record a member's retirement; with ``stay`` they stay on as a voluntary retired
        member (离退休党员自愿参加), otherwise they leave the campaign that day."""
        today = self.today()
        saved = self.repository.retire_member(
            self.actor(), member_id, on or today, reason.strip(), stay, today
        )
        self.changed(
            "member.retire", f"member:{member_id}", None, {"stay": stay, "reason": reason.strip()}
        )
        return self._masked(saved)

    def leave(self, member_id: int, *, reason: str, on: date | None = None) -> Member:
        """Record that a member left (they drop out of current lists; past years keep them)."""
        reason = _reason(reason, "离开")
        today = self.today()
        saved = self.repository.leave_member(self.actor(), member_id, on or today, reason, today)
        self.changed("member.leave", f"member:{member_id}", None, {"reason": reason})
        return self._masked(saved)
