"""The facade: what embedders, the CLI and the TUI call.

A :class:`Workspace` binds a plugin manager (and so the storage, formats, exporters, notifiers
and local posts the plugins provide) to a store URL and an acting operator. It returns core
values and raises :class:`partyreg_core.errors.PartyregError`; it never formats for a screen.
"""

from __future__ import annotations

import getpass
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import attrs

from partyreg_core import builtin
from partyreg_core.audit import AuditEntry, AuditQuery
from partyreg_core.batches import (
    ActivityWrite,
    Batch,
    BatchKind,
    RegistrationWrite,
    UndoReport,
    new_batch_id,
)
from partyreg_core.calendar import CampaignCalendar
from partyreg_core.communities import Community, community_key
from partyreg_core.directory import DirectoryIndex
from partyreg_core.errors import (
    ConflictError,
    NotFoundError,
    NotPermittedError,
    ValidationError,
)
from partyreg_core.forms import REGISTRATION_FORM, DataRow, FormKind
from partyreg_core.hours import ActivityTotal, RollupKey
from partyreg_core.importing import (
    ImportContext,
    ImportReport,
    ImportRequest,
    Progress,
    import_file,
)
from partyreg_core.ledger import MemberService
from partyreg_core.masking import mask_fields
from partyreg_core.members import Member, MemberCount, MemberPage, MemberQuery, Route
from partyreg_core.operators import Actor, Operator, Role, Scope, parse_role
from partyreg_core.orgcodes import OrgCode, OrgTree, OrgUnit, TableProblem, check_table, parse_code
from partyreg_core.plugins import (
    PluginInfo,
    PluginManager,
    collect_exporters,
    collect_formats,
    collect_posts,
    collect_storage,
    list_plugins,
    make_plugin_manager,
)
from partyreg_core.ports import Change, Exporter, ImportOutcome, InitReport, Store
from partyreg_core.posts import Post, PostCatalog
from partyreg_core.records import (
    Activity,
    CommunityRef,
    DirectoryEntry,
    FeedbackSheet,
    Registration,
    RowIssue,
)
from partyreg_core.registrations import RegistrationContext, validate_registration
from partyreg_core.retention import RETENTION_SETTING, RetentionReport, retention_years
from partyreg_core.years import (
    MONTH_DAYS_SETTING,
    CampaignYear,
    UnitConfirmation,
    YearOpening,
    calendar_for,
    check_year,
)

log = logging.getLogger(__name__)

#: "Today" for operators is the date in Asia/Shanghai (DESIGN.md §9).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

DEFAULT_DB = "sqlite:///partyreg.db"


class Workspace:
    """One operator's view of one partyreg store.

    :param db_url: the store URL (``sqlite:///path`` or ``postgresql://…``).
    :param operator: the account to act as (``--as``; ``None``: the OS user's own account).
    :param plugin_manager: a prepared manager (tests pass one with extra plugins).
    :param os_user: the OS user at the keyboard (default :func:`getpass.getuser`).
    :param clock: the current time (default: the system clock, UTC).

    Every read and write of campaign data goes through the store as the acting operator and
    stays within its scope; phones and addresses come back masked for the roles that do not
    need them in full (:attr:`partyreg_core.operators.Scope.sees_full_phone`).
    """

    def __init__(
        self,
        db_url: str = DEFAULT_DB,
        *,
        operator: str | None = None,
        plugin_manager: PluginManager | None = None,
        os_user: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db_url = db_url
        self.operator = operator
        self.pm = plugin_manager if plugin_manager is not None else make_plugin_manager()
        self.os_user = os_user if os_user is not None else getpass.getuser()
        self._clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The current time (UTC)."""
        return self._clock()

    def today(self) -> date:
        """Today's date in Asia/Shanghai."""
        return self.now().astimezone(LOCAL_ZONE).date()

    # -- the store ------------------------------------------------------------------------

    @cached_property
    def store(self) -> Store:
        """The store named by ``db_url``, opened by the plugin that serves its scheme."""
        scheme = self._scheme()
        openers = collect_storage(self.pm)
        if scheme not in openers:
            known = "、".join(sorted(f"{s}://" for s in openers)) or "（没有加载存储插件）"
            raise ValidationError(
                "store.scheme", f"不支持的存储地址“{self.db_url}”：可用的有 {known}。"
            )
        return openers[scheme](self.db_url)

    def close(self) -> None:
        """Release the store's connections."""
        if "store" in self.__dict__:
            self.store.close()

    def init(self) -> InitReport:
        """Create or upgrade the store, load the code table and the posts, and make the OS
        user a city operator of a new store (``partyreg init``; running it again changes
        nothing)."""
        report = self.store.initialise(
            os_user=self.os_user,
            org_tree=builtin.code_table(),
            posts=self.post_catalog.all(),
        )
        self.__dict__.pop("org_tree", None)
        self.__dict__.pop("actor", None)
        return report

    # -- who is acting ----------------------------------------------------------------------

    @cached_property
    def actor(self) -> Actor:
        """The acting operator: the OS user's account, or with ``--as`` (city operators only)
        the account named."""
        store = self.store
        own = store.find_operator(self.os_user)
        if self.operator is None or self.operator == self.os_user:
            if own is None:
                raise NotPermittedError(
                    "operator.unknown",
                    f"系统用户 {self.os_user} 不是 partyreg 操作员：请市级操作员运行 "
                    f"partyreg operator add {self.os_user} --role … --scope … 添加。",
                )
            _check_enabled(own)
            return Actor(own, self.os_user)
        if own is None or own.disabled or own.role is not Role.CITY:
            raise NotPermittedError(
                "operator.as_denied",
                f"只有市级操作员可以用 --as 以其他操作员身份操作：系统用户 {self.os_user} 不是市级操作员。",
            )
        other = store.find_operator(self.operator)
        if other is None:
            raise NotFoundError(
                "operator.unknown",
                f"没有操作员 {self.operator}：用 partyreg operator list 查看已有的操作员。",
            )
        _check_enabled(other)
        return Actor(other, self.os_user, real=own)

    # -- plugins --------------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """The loaded plugins with their versions and hooks."""
        return list_plugins(self.pm)

    # -- posts ----------------------------------------------------------------------------

    @cached_property
    def post_catalog(self) -> PostCatalog:
        """Every post the plugins provide (the 15 city posts and the districts' local ones)."""
        return collect_posts(self.pm)

    def posts(
        self, district: OrgCode | str | None = None, *, all_districts: bool = False
    ) -> list[Post]:
        """The posts valid in ``district`` (city-wide posts only when ``None``), or every post
        when ``all_districts``."""
        if all_districts:
            return self.post_catalog.all()
        code = self._code(district) if district is not None else None
        if code is not None:
            self.code(code)  # an unknown district is an error, not an empty list
        return self.post_catalog.for_district(code)

    # -- org codes ------------------------------------------------------------------------

    @cached_property
    def org_tree(self) -> OrgTree:
        """The org tree: the store's once the store exists, else the 2014 code table of 附表2
        that ``partyreg init`` loads."""
        if self._has_storage() and self.store.is_ready():
            return self.store.load_org_tree()
        return builtin.code_table()

    def _scheme(self) -> str:
        return urlsplit(self.db_url).scheme.split("+")[0].lower()

    def _has_storage(self) -> bool:
        return self._scheme() in collect_storage(self.pm)

    def code(self, code: OrgCode | str) -> OrgUnit:
        """The unit with ``code`` (typed as operators type it)."""
        return self.org_tree.get(self._code(code))

    def codes(self, parent: OrgCode | str | None = None) -> list[OrgUnit]:
        """Every unit, or the direct children of ``parent``."""
        if parent is None:
            return list(self.org_tree)
        return self.org_tree.children(self.code(parent).code)

    def next_code(self, parent: OrgCode | str) -> OrgCode:
        """The code a new unit under ``parent`` gets (never one used before)."""
        return self.org_tree.next_child(self.code(parent).code)

    def find_codes(self, name: str) -> list[OrgUnit]:
        """Units whose name is ``name``."""
        found = self.org_tree.by_name(name)
        if not found:
            raise NotFoundError("code.name_unknown", f"代码表中没有名为“{name}”的单位。")
        return found

    def check_codes(self, rows: Iterable[tuple[str, str]]) -> list[TableProblem]:
        """Every problem of a code table (``(code, name)`` rows) against the current tree."""
        return check_table(rows, known=self.org_tree)

    @staticmethod
    def _code(code: OrgCode | str) -> OrgCode:
        if isinstance(code, OrgCode):
            return code
        if not isinstance(code, str):
            raise ValidationError("code.invalid", f"单位代码应为文本：{code!r}")
        return parse_code(code)

    # -- operators --------------------------------------------------------------------------

    def parse_scope(self, role: Role | str, scope: Sequence[str] = ()) -> Scope:
        """A scope as typed on the command line: ``--scope CODE`` for district and unit
        operators, one or more communities (id or ``县区/街道/社区``) for community and
        instructor operators, nothing for the city."""
        role = role if isinstance(role, Role) else parse_role(role)
        texts = [t for part in scope for t in part.split(",") if t.strip()]
        if role.needs_code:
            if len(texts) != 1:
                raise ValidationError(
                    "scope.code_missing",
                    f"{role.label}操作员需要且只需要一个单位代码作为范围：--scope 008.001。",
                )
            code = self.code(texts[0]).code
            return Scope(role, code)
        if role.needs_communities:
            if not texts:
                raise ValidationError(
                    "scope.communities_missing",
                    f"{role.label}操作员需要至少一个社区：--scope 县区/街道/社区 或社区编号。",
                )
            return Scope(role, communities=frozenset(self.community(t).id for t in texts))
        if texts:
            raise ValidationError("scope.code_unexpected", "市级操作员不需要 --scope：请去掉它。")
        return Scope(role)

    def operators(self) -> list[Operator]:
        """Every operator account (city operators only)."""
        return self.store.operators(self.actor)

    def operator_account(self, name: str) -> Operator:
        """One operator account (city operators only)."""
        for operator in self.operators():
            if operator.name == name:
                return operator
        raise NotFoundError(
            "operator.unknown", f"没有操作员 {name}：用 partyreg operator list 查看。"
        )

    def add_operator(self, name: str, role: Role | str, scope: Sequence[str] = ()) -> Operator:
        """Add an operator account tied to the OS user ``name`` (city operators only)."""
        name = _operator_name(name)
        if self.store.find_operator(name) is not None:
            raise ConflictError(
                "operator.exists",
                f"操作员 {name} 已存在：要改范围请用 partyreg operator scope {name} …。",
            )
        saved = self.store.save_operator(self.actor, Operator(name, self.parse_scope(role, scope)))
        self._changed("operator.add", f"operator:{name}", None, {"role": saved.role.value})
        return saved

    def set_operator_scope(
        self, name: str, role: Role | str, scope: Sequence[str] = ()
    ) -> Operator:
        """Change an operator's role and scope (city operators only)."""
        current = self.operator_account(name)
        saved = self.store.save_operator(
            self.actor, attrs.evolve(current, scope=self.parse_scope(role, scope))
        )
        self._changed("operator.change", f"operator:{name}", None, {"role": saved.role.value})
        return saved

    def disable_operator(self, name: str, *, enable: bool = False) -> Operator:
        """Disable (or enable again) an operator account (city operators only)."""
        current = self.operator_account(name)
        saved = self.store.save_operator(self.actor, attrs.evolve(current, disabled=not enable))
        self._changed("operator.change", f"operator:{name}", None, {"disabled": saved.disabled})
        return saved

    # -- directory --------------------------------------------------------------------------

    def communities(self, district: OrgCode | str | None = None) -> list[Community]:
        """The community directory (附表4), or one district's part."""
        return self.store.communities(self._code(district) if district is not None else None)

    def community(self, text: str) -> Community:
        """A community named by its id or as ``县区/街道/社区``."""
        text = text.strip()
        found = self.store.communities()
        if text.isdigit():
            for item in found:
                if item.id == int(text):
                    return item
            raise NotFoundError(
                "community.unknown", f"没有编号为 {text} 的社区：用社区通讯录核对。"
            )
        ref = parse_community(text)
        key = community_key(ref.street, ref.community)
        district = _one_district(self.org_tree, ref.district)
        for item in found:
            if item.key == key and (district is None or item.district_code == district):
                return item
        raise NotFoundError(
            "community.unknown",
            f"社区通讯录中没有“{ref.label}”：请写成 县区/街道/社区，或先导入社区通讯录（附表4）。",
        )

    def save_communities(
        self, entries: Sequence[DirectoryEntry], *, file: str = ""
    ) -> list[Community]:
        """Add or update directory entries as one batch."""
        batch = self._batch(BatchKind.DIRECTORY, file, len(entries), None)
        saved = self.store.save_communities(self.actor, batch, entries)
        self._imported(batch, len(saved))
        return saved

    def add_units(self, units: Sequence[OrgUnit], *, file: str = "") -> int:
        """Add units to the org tree as one batch (each parent within the scope)."""
        batch = self._batch(BatchKind.CODES, file, len(units), None)
        added = self.store.add_org_units(self.actor, batch, units)
        self.__dict__.pop("org_tree", None)
        self._imported(batch, added)
        return added

    # -- members ----------------------------------------------------------------------------

    def _masked(self, member: Member) -> Member:
        scope = self.actor.scope
        if scope.sees_full_phone and scope.sees_full_address:
            return member
        return attrs.evolve(
            member, phone=scope.phone(member.phone), address=scope.address(member.address)
        )

    def members(self, query: MemberQuery | None = None) -> MemberPage:
        """A page of members within the operator's scope (masked as the role requires)."""
        page = self.store.list_members(self.actor, query or MemberQuery())
        return attrs.evolve(page, members=tuple(self._masked(m) for m in page.members))

    def iter_members(self, query: MemberQuery | None = None) -> Iterator[Member]:
        """Every member matching ``query`` within the scope, streamed (for complete output)."""
        for member in self.store.iter_members(self.actor, query or MemberQuery()):
            yield self._masked(member)

    def member_counts(
        self, query: MemberQuery | None = None, *, depth: int = 2
    ) -> list[MemberCount]:
        """How many members matching ``query`` within the scope have each status, by unit code
        cut to ``depth`` segments (2: by district or city work committee, 3: by their units)."""
        return self.store.count_members(self.actor, query or MemberQuery(), depth)

    def member(self, member_id: int) -> Member:
        """One member within the scope (``NotFoundError`` otherwise, revealing nothing)."""
        return self._masked(self.store.get_member(self.actor, member_id))

    def find_member(self, name: str, phone: str | None = None) -> list[Member]:
        """Members within the scope named ``name`` (and with ``phone``)."""
        page = self.store.list_members(self.actor, MemberQuery(name=name, phone=phone))
        return [self._masked(m) for m in page.members]

    def write_registrations(
        self,
        registrations: Sequence[Registration],
        *,
        file: str = "",
        on: date | None = None,
        skip_rejected: bool = False,
        dry_run: bool = False,
    ) -> RegistrationWrite:
        """Write rows of 附表1 as one batch (all or nothing unless ``skip_rejected``)."""
        batch = self._batch(BatchKind.REGISTRATIONS, file, len(registrations), on)
        result = self.store.write_registrations(
            self.actor, batch, registrations, skip_rejected=skip_rejected, dry_run=dry_run
        )
        if result.committed:
            self._imported(batch, result.written)
        return result

    def registration_from_fields(
        self, fields: Mapping[str, str], *, on: date | None = None
    ) -> tuple[Registration, list[RowIssue]]:
        """Judge one member's 附表1 fields (canonical column → text as typed) by the same rules
        as an import; return the registration and its warnings, or raise
        :class:`ValidationError` naming every error."""
        scope = self.actor.scope
        codes = None if scope.role is Role.CITY else ([scope.code] if scope.code else [])
        context = RegistrationContext(
            tree=self.org_tree,
            posts=self.post_catalog,
            directory=DirectoryIndex(c.entry for c in self.communities()),
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

    def add_member(self, registration: Registration, *, on: date | None = None) -> Member:
        """Register one member by hand (``members add``)."""
        result = self.write_registrations([registration], on=on)
        if result.rejected:
            rejection = result.rejected[0]
            error = NotPermittedError if rejection.code == "scope.denied" else ConflictError
            raise error(rejection.code, rejection.message)
        if not result.new:
            raise ConflictError(
                "member.exists",
                f"{registration.name}（{registration.phone}）已经登记过了：要修改请用 partyreg members edit。",
            )
        return self.find_member(registration.name, registration.phone)[0]

    def edit_member(
        self, member_id: int, changes: Mapping[str, str]
    ) -> tuple[Member, list[RowIssue]]:
        """Change fields of a member's 附表1 row, given as text by canonical column
        (``phone``, ``posts``, ``community``, …): the other fields are kept, the whole row is
        judged again like an import, and the change is audited. Returns the member and the
        warnings."""
        unknown = sorted(set(changes) - set(REGISTRATION_COLUMNS))
        if unknown:
            raise ValidationError("member.field", f"不能修改的字段：{', '.join(unknown)}。")
        if not changes:
            raise ValidationError(
                "member.nothing", "没有要修改的字段：请给出如 --phone 13912345678。"
            )
        current = self.store.get_member(self.actor, member_id)
        registration, warnings = self.registration_from_fields(
            {**registration_cells(current), **changes}
        )
        saved = self.store.update_member(self.actor, member_id, registration)
        self._changed("member.edit", f"member:{member_id}", None, dict(changes))
        return self._masked(saved), warnings

    def remove_member(self, member_id: int, reason: str) -> Member:
        """Remove a member nothing has been built on yet."""
        if not reason.strip():
            raise ValidationError("member.reason", "删除党员需要说明原因：--reason …。")
        removed = self.store.remove_member(self.actor, member_id, reason.strip())
        self._changed("member.remove", f"member:{member_id}", {"name": removed.name}, None)
        return self._masked(removed)

    def route_members(self, routes: Sequence[Route], *, on: date | None = None) -> int:
        """Route members to a district and community."""
        return self.store.route_members(self.actor, routes, on or self.today())

    # -- activities -------------------------------------------------------------------------

    def write_activities(
        self,
        activities: Sequence[Activity],
        *,
        file: str = "",
        on: date | None = None,
        skip_rejected: bool = False,
        dry_run: bool = False,
    ) -> ActivityWrite:
        """Write activities (rows of 附表3) as one batch."""
        batch = self._batch(BatchKind.ACTIVITIES, file, len(activities), on)
        result = self.store.write_activities(
            self.actor, batch, activities, skip_rejected=skip_rejected, dry_run=dry_run
        )
        if result.batch_id is not None and not result.dry_run:
            self._imported(batch, result.written)
        return result

    def activity_totals(
        self, by: RollupKey | str, *, year: int | None = None
    ) -> list[ActivityTotal]:
        """Hours and activity counts by member, community, unit or district, within scope."""
        return self.store.activity_totals(self.actor, RollupKey(by), year=year)

    # -- importing files --------------------------------------------------------------------

    def import_file(
        self, request: ImportRequest, *, progress: Progress | None = None
    ) -> ImportReport:
        """Import a file (``partyreg import``): one path for real and dry runs, all or nothing
        unless ``skip_invalid`` (see :mod:`partyreg_core.importing`)."""
        context = ImportContext(
            store=self.store,
            actor=self.actor,
            tree=self.org_tree,
            posts=self.post_catalog,
            formats=collect_formats(self.pm),
            new_batch=lambda kind, file, on, rows: self._batch(kind, file, rows, on),
            write_errors=lambda target, headers, rows: self.pm.hook.partyreg_write_rejected_rows(
                target=target, headers=headers, rows=rows
            ),
        )
        report = import_file(request, context, progress)
        if report.batch_id is not None and not report.dry_run:
            self.__dict__.pop("org_tree", None)  # a code table import adds units
            outcome = ImportOutcome(
                report.batch_id, request.path.name, report.kind, report.rows_written
            )
            self._notify_imported(outcome)
        return report

    # -- exports ----------------------------------------------------------------------------

    def exporters(self) -> list[Exporter]:
        """The exports plugins provide (the official forms and others), by name."""
        return sorted(collect_exporters(self.pm).values(), key=lambda e: e.name)

    def export(self, name: str, target: Path, options: Mapping[str, Any]) -> int:
        """Write export ``name`` to ``target`` and return how many records it holds.

        The file is written beside ``target`` and moved into place when complete, so a failed
        export never leaves half a file; the export is recorded in the audit log (personal data
        leaving the store).
        """
        exporters = collect_exporters(self.pm)
        if name not in exporters:
            known = "、".join(sorted(exporters)) or "（没有）"
            raise NotFoundError("export.unknown", f"没有名为 {name} 的导出：可用的有 {known}。")
        actor = self.actor
        partial = target.with_name(f".{target.name}.partial{target.suffix}")
        try:
            count = exporters[name].export(self, partial, options)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        details = {k: str(v) for k, v in options.items()}
        self.store.append_audit(
            actor, f"export.{name}", target.name, None, {"records": count, **details}
        )
        return count

    def official_registrations(self, query: MemberQuery | None = None) -> Iterator[Registration]:
        """Members' rows of 附表1 in full, within the scope, for the official forms.

        Unlike :meth:`members` these are not masked: the forms travel between unit, district
        and community as the campaign requires; ``--mask`` masks an export for circulars.
        """
        for member in self.store.iter_members(self.actor, query or MemberQuery()):
            yield member.registration

    def feedback_sheets(
        self,
        year: int,
        *,
        member_id: int | None = None,
        unit: OrgCode | None = None,
        community: str | None = None,
    ) -> Iterator[FeedbackSheet]:
        """附表3 for ``year``: one sheet per member in scope (one member, a unit's subtree, or a
        community's members), filled from the member's confirmed activities of that year.

        The sheet number is ``YEAR-MEMBERID`` (six digits). Sheets come as drafts: confirming
        and stamping them is the community secretary's step.
        """
        actor = self.actor
        if member_id is not None:
            people: Iterable[Member] = [self.store.get_member(actor, member_id)]
        else:
            community_id = self.community(community).id if community else None
            people = self.store.iter_members(
                actor, MemberQuery(unit=unit, community_id=community_id)
            )
        tree = self.org_tree
        for member in list(people):
            unit_row = tree.find(member.unit_code)
            yield FeedbackSheet(
                number=f"{year}-{member.id:06d}",
                year=year,
                name=member.name,
                phone=member.phone,
                unit_code=member.unit_code,
                unit_name=unit_row.name if unit_row else str(member.unit_code),
                community=member.community,
                activities=tuple(self.store.member_activities(actor, member.id, year=year)),
            )

    # -- batches, audit, settings -----------------------------------------------------------

    def batches(self) -> list[Batch]:
        """The import batches the operator may see, newest first."""
        return self.store.batches(self.actor)

    def undo_batch(self, batch_id: str) -> UndoReport:
        """Revert a batch nothing has built on yet."""
        report = self.store.undo_batch(self.actor, batch_id.strip())
        self._changed("import.undo", f"batch:{batch_id}", None, {"removed": report.removed})
        return report

    def audit(
        self,
        *,
        since: date | None = None,
        action: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        before: int | None = None,
        subject: str | None = None,
    ) -> Iterator[AuditEntry]:
        """Audit entries within the operator's scope, oldest first (or ``newest_first``; with
        ``before``, only entries older than that id: the next page of a newest-first list; with
        ``subject``, only the entries about it, e.g. ``member:12``)."""
        query = AuditQuery(
            since=since,
            action=action,
            limit=limit,
            newest_first=newest_first,
            before=before,
            subject=subject,
        )
        scope = self.actor.scope
        entries = self.store.audit(self.actor, query)
        if scope.sees_full_phone and scope.sees_full_address:
            return entries
        # The log keeps full values; a role that sees phones and addresses masked elsewhere
        # sees them masked here too (decision 0014).
        return (
            attrs.evolve(
                entry,
                before=mask_fields(entry.before, scope.phone, scope.address),
                after=mask_fields(entry.after, scope.phone, scope.address),
            )
            for entry in entries
        )

    def setting(self, key: str) -> Any:
        """A shared setting (plain JSON data) or ``None``."""
        return self.store.get_setting(key)

    def set_setting(self, key: str, value: Any) -> None:
        """Change a shared setting (city operators only; audited)."""
        self.store.set_setting(self.actor, key, value)
        self._changed("setting.change", f"setting:{key}", None, {"value": value})

    # -- internals --------------------------------------------------------------------------

    def _batch(self, kind: BatchKind, file: str, rows: int, on: date | None) -> Batch:
        at = self.now()
        return Batch(
            id=new_batch_id(at, secrets.token_hex(3)),
            kind=kind,
            file=file,
            operator=self.actor.real_name,
            at=at,
            on=on or self.today(),
            rows=rows,
            on_behalf_of=self.actor.on_behalf_of,
        )

    def _imported(self, batch: Batch, written: int) -> None:
        self._notify_imported(ImportOutcome(batch.id, batch.file, batch.kind.value, written))

    def _notify_imported(self, outcome: ImportOutcome) -> None:
        try:
            self.pm.hook.partyreg_on_imported(workspace=self, outcome=outcome)
        except Exception:  # an event handler must not undo or hide a committed import
            log.exception("partyreg_on_imported handler failed for batch %s", outcome.batch_id)

    def _changed(
        self,
        action: str,
        subject: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        change = Change(
            actor=self.actor.real_name,
            at=self.now(),
            action=action,
            subject=subject,
            before=before,
            after=after,
            on_behalf_of=self.actor.on_behalf_of,
        )
        try:
            self.pm.hook.partyreg_on_changed(workspace=self, change=change)
        except Exception:  # an event handler must not undo or hide a committed change
            log.exception("partyreg_on_changed handler failed for %s", subject)

    # -- years --

    def campaign_calendar(self, year: int) -> CampaignCalendar:
        """The calendar of ``year``: the one stored when the year was opened, else the shared
        month-days (``calendar.month_days``) applied to it, else the seed's dates."""
        opened = self.store.campaign_year(year)
        if opened is not None:
            return opened.calendar
        return calendar_for(year, self.store.get_setting(MONTH_DAYS_SETTING))

    def campaign_years(self) -> list[CampaignYear]:
        """Every campaign year the store opened, newest first."""
        return self.store.campaign_years()

    def campaign_year(self, year: int) -> CampaignYear:
        """Campaign year ``year`` (``year.not_found`` when it was never opened)."""
        found = self.store.campaign_year(check_year(year))
        if found is None:
            raise NotFoundError(
                "year.not_found",
                f"{year} 年度还没有开启：请市级操作员运行 partyreg year open {year}。",
            )
        return found

    def open_year(self, year: int, *, on: date | None = None) -> YearOpening:
        """Open campaign ``year`` (city operators): its calendar from the shared month-days,
        earlier years closed (readable, no new activities), standing registrations carried
        over for each unit to confirm."""
        calendar = calendar_for(check_year(year), self.store.get_setting(MONTH_DAYS_SETTING))
        opening = self.store.open_year(self.actor, year, calendar, on or self.today())
        self._changed(
            "year.open",
            f"year:{year}",
            None,
            {
                "year": year,
                "closed_years": list(opening.closed_years),
                "units": opening.units,
                "members": opening.members,
            },
        )
        return opening

    def year_confirmations(
        self, year: int, *, pending_only: bool = False
    ) -> list[UnitConfirmation]:
        """The units' confirmations of ``year`` within scope (``pending_only``: unconfirmed)."""
        return self.store.year_confirmations(
            self.actor, check_year(year), pending_only=pending_only
        )

    def confirm_year(
        self, year: int, unit: OrgCode | str, *, on: date | None = None
    ) -> UnitConfirmation:
        """Unit ``unit`` confirms its carried-over registrations for ``year``."""
        code = self.code(unit).code
        confirmation = self.store.confirm_year(
            self.actor, check_year(year), code, on or self.today()
        )
        self._changed(
            "year.confirm",
            f"year:{year}",
            None,
            {"year": year, "unit_code": str(code), "members": confirmation.confirmed_members},
        )
        return confirmation

    def current_year(self) -> int | None:
        """The newest opened campaign year, or ``None`` when none was opened."""
        years = self.store.campaign_years()
        return years[0].year if years else None

    def member_service(self, year: int) -> list[MemberService]:
        """Each member's confirmed service in ``year`` within scope (Table 1's service
        columns): hours, activities and ratings. Not masked: it feeds the official form."""
        return self.store.member_service(self.actor, check_year(year))

    def retention_years(self) -> int:
        """The retention period in years (setting ``retention.years``, default 3)."""
        return retention_years(self.store.get_setting(RETENTION_SETTING))

    def run_retention(self, *, on: date | None = None, dry_run: bool = False) -> RetentionReport:
        """Anonymise the members who left more than the retention period before ``on``
        (city operators; a dry run writes nothing)."""
        report = self.store.run_retention(
            self.actor, on or self.today(), self.retention_years(), dry_run=dry_run
        )
        if not dry_run:
            self._changed(
                "retention.run",
                f"retention:{report.on.isoformat()}",
                None,
                {"members": report.members, "audit_entries": report.audit_entries},
            )
        return report


def parse_community(text: str) -> CommunityRef:
    """A community as typed: ``县区/街道/社区`` (the form JSON and messages use)."""
    parts = [p.strip() for p in text.replace("／", "/").split("/")]
    if len(parts) != 3 or not all(parts):
        raise ValidationError(
            "community.format",
            f"社区“{text}”应写成 县区/街道/社区（如 清河区/清河街道/A社区）或社区编号。",
        )
    return CommunityRef(*parts)


def _one_district(tree: OrgTree, name: str) -> OrgCode | None:
    found = [u for u in tree.district_for_name(name) if u.kind.has_communities]
    return found[0].code if len(found) == 1 else None


def _check_enabled(operator: Operator) -> None:
    if operator.disabled:
        raise NotPermittedError(
            "operator.disabled", f"操作员 {operator.name} 已停用：请联系市级操作员。"
        )


def _operator_name(name: str) -> str:
    value = name.strip()
    if not value or len(value) > 64 or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValidationError(
            "operator.name",
            f"操作员名“{name}”不可用：应是该操作员登录系统的用户名（不含空格，最多 64 个字符）。",
        )
    return value


#: The canonical 附表1 columns a member's fields are typed in (``partyreg members add|edit``).
REGISTRATION_COLUMNS = tuple(column.key for column in REGISTRATION_FORM.columns)


def registration_cells(member: Member) -> dict[str, str]:
    """A member's 附表1 cells as text by canonical column (what an export would write)."""
    return {
        "unit_code": str(member.unit_code),
        "name": member.name,
        "gender": member.gender.value,
        "unit_and_title": member.unit_and_title,
        "specialty": member.specialty,
        "posts": "、".join(member.posts),
        "phone": member.phone,
        "address": member.address,
        "community": member.community.community,
        "street": member.community.street,
        "district": member.community.district,
        "report_type": member.report_type.value,
        "rank": member.rank,
    }
