"""The facade: what embedders, the CLI and the TUI call.

A :class:`Workspace` binds a plugin manager (and so the storage, formats, exporters, notifiers
and local posts the plugins provide) to a store URL and an acting operator. It returns core
values and raises :class:`partyreg_core.errors.PartyregError`; it never formats for a screen.
"""

from __future__ import annotations

import copy
import csv
import io
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import attrs

import partyreg_core
from partyreg_core import builtin, documents, progress
from partyreg_core.assignment import (
    DEFAULT_SPECIALTY_MAP,
    AssignmentSolver,
    Candidate,
    Opening,
    SpecialtyMap,
    assign_posts,
)
from partyreg_core.audit import AuditEntry, AuditQuery
from partyreg_core.batches import (
    ActivityWrite,
    Batch,
    BatchKind,
    RegistrationWrite,
    UndoReport,
    new_batch_id,
)
from partyreg_core.calendar import CampaignCalendar, Deadline
from partyreg_core.communities import Community, community_key
from partyreg_core.documents import IssuedDocument
from partyreg_core.errors import (
    NotFoundError,
    NotPermittedError,
    PluginError,
    ValidationError,
)
from partyreg_core.events.service import EventService
from partyreg_core.feedback import (
    KINDS_SETTING,
    WEIGHTS_SETTING,
    LedgerLine,
    Pairing,
    PendingActivity,
    Ranked,
    RankingWeights,
    ServiceEntry,
    SheetInfo,
    StoredActivity,
    SummaryBy,
    SummaryRow,
    TierLine,
    activity_kinds,
    check_entry,
    check_kind,
    ledger_lines,
    parse_sheet_number,
    rank,
    sheet_number,
    suggest_pairings,
    tier_lines,
)
from partyreg_core.grouping import (
    DEFAULT_LEADER_RULE,
    GroupMember,
    LeaderCriterion,
    SizeBounds,
    parse_leader_rule,
    plan_groups,
)
from partyreg_core.hours import ActivityTotal, RollupKey
from partyreg_core.importing import (
    ErrorWriter,
    ImportContext,
    ImportReport,
    ImportRequest,
    Progress,
    RejectedRow,
    import_file,
)
from partyreg_core.ledger import MemberService as ServiceRecord
from partyreg_core.masking import mask_fields
from partyreg_core.members.model import (
    Member,
    MemberQuery,
    MemberStatus,
)
from partyreg_core.members.service import MemberService
from partyreg_core.notify.service import NotifyService
from partyreg_core.nudges.service import NudgeService
from partyreg_core.operators.identity import FixedIdentity, Identity, IdentityProvider, OsIdentity
from partyreg_core.operators.model import Actor, Role, Scope
from partyreg_core.operators.service import OperatorService
from partyreg_core.orgchanges import OrgChange, OrgChangeRecord, OrgPlan, parse_change_rows
from partyreg_core.orgcodes import OrgCode, OrgTree, OrgUnit, TableProblem, check_table, parse_code
from partyreg_core.outputs import check_target, private_output
from partyreg_core.plugins import (
    PluginInfo,
    PluginManager,
    collect_exporters,
    collect_formats,
    collect_notifiers,
    collect_posts,
    collect_storage,
    list_plugins,
    make_plugin_manager,
)
from partyreg_core.points.service import PointsService
from partyreg_core.ports import (
    Change,
    Exporter,
    ImportOutcome,
    InitReport,
    Store,
    StoreCheck,
)
from partyreg_core.posts import Post, PostCatalog
from partyreg_core.progress import OverdueMember, ProgressBy, ProgressReport
from partyreg_core.records import (
    Activity,
    CommunityRef,
    DirectoryEntry,
    FeedbackSheet,
    Rating,
    Registration,
    SheetStatus,
    parse_community,
    record_id,
)
from partyreg_core.retention import RETENTION_SETTING, RetentionReport, retention_years
from partyreg_core.routing.model import (
    RoutingCase,
    RoutingDecision,
)
from partyreg_core.routing.rules import Router, RoutingRule
from partyreg_core.routing.service import RoutingService
from partyreg_core.service import (
    Assignment,
    AssignmentRun,
    Group,
    GroupingRun,
    Need,
    check_need,
)
from partyreg_core.signin.service import SigninService
from partyreg_core.textencoding import decode_text
from partyreg_core.wishes.service import WishService
from partyreg_core.years import (
    MONTH_DAYS_SETTING,
    CampaignYear,
    UnitConfirmation,
    YearOpening,
    calendar_for,
    campaign_year_or,
    check_year,
    refuse_closed_year,
)

log = logging.getLogger(__name__)

#: "Today" for operators is the date in Asia/Shanghai (DESIGN.md §9).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

DEFAULT_DB = partyreg_core.DEFAULT_DB


class Workspace:
    """One operator's view of one partyreg store.

    :param db_url: the store URL (``sqlite:///path`` or ``postgresql://…``).
    :param operator: the account to act as (``--as``; ``None``: the OS user's own account).
    :param plugin_manager: a prepared manager (tests pass one with extra plugins).
    :param identity: who is at the keyboard (default :class:`~partyreg_core.operators.identity.OsIdentity`,
        the process's user id); an embedding system passes its own authenticated user.
    :param os_user: shorthand for ``identity=FixedIdentity(os_user)`` (embedders, tests).
    :param clock: the current time (default: the system clock, UTC).
    :param administration: set-up work on PostgreSQL (see :meth:`check_login`).

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
        identity: IdentityProvider | None = None,
        os_user: str | None = None,
        clock: Callable[[], datetime] | None = None,
        administration: bool = False,
        admin_login_ok: bool = False,
    ) -> None:
        self.db_url = db_url
        self.operator = operator
        #: set-up work (``init``, ``operator add|disable|enable|scope``): on PostgreSQL it needs
        #: the admin login (CREATEROLE) and refuses an operator's own; daily work the reverse.
        self.administration = administration
        #: daily work that carries rows across scopes (transfers, org changes, retention):
        #: on PostgreSQL it may also run with the admin login, as the OS user's account
        self.admin_login_ok = admin_login_ok
        self.pm = plugin_manager if plugin_manager is not None else make_plugin_manager()
        if identity is None:
            identity = FixedIdentity(os_user) if os_user is not None else OsIdentity()
        self._identity_provider = identity
        self._clock = clock or (lambda: datetime.now(UTC))

    @cached_property
    def identity(self) -> Identity:
        """The person at the keyboard (asked of the identity provider once)."""
        return self._identity_provider.identify()

    @property
    def os_user(self) -> str:
        """The name of the person at the keyboard (the account they are tied to)."""
        return self.identity.name

    def now(self) -> datetime:
        """The current time (UTC)."""
        return self._clock()

    def today(self) -> date:
        """Today's date in Asia/Shanghai."""
        return self.now().astimezone(LOCAL_ZONE).date()

    def default_year(self) -> int:
        """The year a command means when it names none: the store's current campaign year
        (the newest opened; while none was, the year of the newest batch's business date),
        else this calendar year (decision 0073)."""
        newest = self.store.locked_before()
        return campaign_year_or(
            newest if newest is not None else self.store.latest_data_year(), self.today()
        )

    def refuse_closed_year(self, year: int, *, name: str | None = None) -> None:
        """The year lock (decision 0073): refuse a write dated in a closed year, the same way
        on every path (commands, forms, imports)."""
        refuse_closed_year(year, self.store.locked_before(), name=name)

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

    def init(self, *, group: str | None = None) -> InitReport:
        """Create or upgrade the store, load the code table and the posts, and make the OS
        user a city operator of a new store (``partyreg init``; running it again changes
        nothing). ``group``: a SQLite store shared by that Unix group (see
        :meth:`partyreg_core.ports.Store.share_with_group`)."""
        if group is not None:
            self.store.share_with_group(group, check_only=True)
        report = self.store.initialise(
            os_user=self.os_user,
            org_tree=builtin.code_table(),
            posts=self.post_catalog.all(),
        )
        self.__dict__.pop("org_tree", None)
        self.__dict__.pop("actor", None)
        if group is not None:
            self.store.share_with_group(group)
        return report

    def check_store(self) -> StoreCheck:
        """What ``partyreg doctor`` reports: the store's files and their permissions (SQLite)
        or its login (PostgreSQL), with warnings."""
        return self.store.check()

    # -- who is acting ----------------------------------------------------------------------

    @cached_property
    def operators(self) -> OperatorService:
        """Operators (:mod:`partyreg_core.operators.model`): who is acting, and the accounts."""
        return OperatorService(
            repository=self.store.operators,
            identity=lambda: self.identity,
            as_name=lambda: self.operator,
            administration=lambda: self.administration,
            admin_login_ok=lambda: self.admin_login_ok,
            actor=lambda: self.actor,
            unit=self.code,
            community=self.community,
            changed=self._changed_event,
        )

    @cached_property
    def actor(self) -> Actor:
        """The acting operator, resolved once per session (:meth:`OperatorService.resolve`)."""
        return self.operators.resolve()

    def check_still_enabled(self) -> None:
        """Refuse (and forget the cached actor) when the acting account was disabled since
        this workspace looked it up: a long-running TUI asks before every action."""
        actor = self.__dict__.get("actor")
        if actor is None:
            return
        try:
            self.operators.check_still_enabled(actor)
        except NotPermittedError:
            self.__dict__.pop("actor", None)
            raise

    # -- the members' site -------------------------------------------------------------------

    @cached_property
    def signin(self) -> SigninService:
        """One-time sign-in links and the site's session key (decision 0115)."""
        return SigninService(self, self.store.signin)

    def for_member(self, member_id: int) -> Workspace:
        """This workspace acting for the signed-in member ``member_id`` (the members' site):
        the same store and account, the audit log's actor ``member:ID`` (decision 0116).
        Everything it does is judged by the same rules as the operator's own commands."""
        child = copy.copy(self)
        # what this workspace read once (the org tree, the posts) is shared; what is the
        # acting identity's own is not
        child.__dict__ = {k: v for k, v in self.__dict__.items() if k not in _ACTING}
        child.__dict__["actor"] = attrs.evolve(self.actor, member=member_id)
        return child

    def refresh(self) -> None:
        """Forget what this workspace read once and keeps (the org tree, the acting account),
        so the next use reads it again: a long-running frontend (the members' site) calls it
        now and then, so that renamed units and disabled accounts take effect."""
        for name in ("org_tree", "actor"):
            self.__dict__.pop(name, None)

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

    # -- directory --------------------------------------------------------------------------

    def communities(self, district: OrgCode | str | None = None) -> list[Community]:
        """The community directory (附表4), or one district's part."""
        return self.store.communities(self._code(district) if district is not None else None)

    def community(self, text: str) -> Community:
        """A community named by its id or as ``县区/街道/社区``."""
        text = text.strip()
        found = self.store.communities()
        number = record_id(text)
        if number is not None:
            for item in found:
                if item.id == number:
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

    @cached_property
    def members(self) -> MemberService:
        """Members (:mod:`partyreg_core.members`): pages, counts, one member, registering,
        editing, removing, transfer, retirement, leaving — masked as the role requires."""
        return MemberService(
            repository=self.store.members,
            actor=lambda: self.actor,
            today=self.today,
            org_tree=lambda: self.org_tree,
            post_catalog=lambda: self.post_catalog,
            communities=self.store.communities,
            community=lambda text: self.community(text),
            code=self._code,
            write=self.write_registrations,
            changed=self._changed_event,
        )

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
            write_errors=self._error_writer(request),
        )
        if request.errors_out is not None:  # refused before anything is written to the store
            check_target(request.errors_out, force=request.force, protected=self.store.files())
        report = import_file(request, context, progress)
        if report.batch_id is not None and not report.dry_run:
            self.__dict__.pop("org_tree", None)  # a code table import adds units
            outcome = ImportOutcome(
                report.batch_id, request.path.name, report.kind, report.rows_written
            )
            self._notify_imported(outcome)
        return report

    def _error_writer(self, request: ImportRequest) -> ErrorWriter:
        """The ``--errors-out`` writer: the rejected rows (with their phones and addresses) go
        through :func:`private_output` like any export, and into the audit log."""

        def write(target: Path, headers: Sequence[str], rows: Sequence[RejectedRow]) -> int | None:
            with private_output(target, force=request.force, protected=self.store.files()) as f:
                written: int | None = self.pm.hook.partyreg_write_rejected_rows(
                    target=f, headers=headers, rows=rows
                )
                if written is None:
                    return None
            self.store.append_audit(
                self.actor,
                "export.errors_out",
                target.name,
                None,
                {
                    "records": written,
                    "source": request.path.name,
                    **self._leaving(target, None, False, None),
                },
            )
            return written

        return write

    # -- exports ----------------------------------------------------------------------------

    def exporters(self) -> list[Exporter]:
        """The exports plugins provide (the official forms and others), by name."""
        return sorted(collect_exporters(self.pm).values(), key=lambda e: e.name)

    def export(
        self,
        name: str,
        target: Path,
        options: Mapping[str, Any],
        *,
        force: bool = False,
        reason: str | None = None,
    ) -> int:
        """Write export ``name`` to ``target`` and return how many records it holds
        (``reason``: default ``options["reason"]``).

        The file goes through :func:`partyreg_core.outputs.private_output`: created 0600, never
        over an existing file without ``force``, never through a symlink, never over the store;
        written beside ``target`` and moved into place when complete, so a failed export never
        leaves half a file. The export is recorded in the audit log (personal data leaving the
        store: who, what, where, the scope, masked or not, and the ``reason`` given).
        """
        exporters = collect_exporters(self.pm)
        if name not in exporters:
            known = "、".join(sorted(exporters)) or "（没有）"
            raise NotFoundError("export.unknown", f"没有名为 {name} 的导出：可用的有 {known}。")
        actor = self.actor
        if reason is not None:  # an exporter may require one (附表1 with --full)
            options = {**options, "reason": reason}
        with private_output(target, force=force, protected=self.store.files()) as partial:
            count = exporters[name].export(self, partial, options)
        details = {k: str(v) for k, v in options.items()}
        self.store.append_audit(
            actor,
            f"export.{name}",
            target.name,
            None,
            {
                "records": count,
                **details,
                **self._leaving(
                    target,
                    options.get("scope"),
                    _masks(exporters[name], self, options),
                    reason if reason is not None else options.get("reason"),
                ),
            },
        )
        return count

    def _leaving(
        self, target: Path, scope: object, masked: bool, reason: str | None
    ) -> dict[str, Any]:
        """What the audit log says of a file carrying personal data out of the store."""
        return {
            "file": os.path.abspath(target),
            "scope": str(scope) if scope else self.actor.scope.label,
            "masked": masked,
            "reason": reason.strip() if reason and reason.strip() else None,
        }

    def official_registrations(self, query: MemberQuery | None = None) -> Iterator[Registration]:
        """Members' rows of 附表1 in full, within the scope, for the official forms.

        Unlike :meth:`members` these are not masked: the forms travel between unit, district
        and community as the campaign requires; ``--mask`` masks an export for circulars.
        """
        for member in self.store.members.iter_members(self.actor, query or MemberQuery()):
            yield member.registration

    def directory_refs(self) -> dict[int | None, CommunityRef]:
        """Each directory community's id and its name as the directory writes it: forms print
        the resolved community (文渠社区), not what a unit typed (文渠居委会)."""
        return {c.id: c.ref for c in self.store.communities()}

    def resolved_registrations(self, query: MemberQuery | None = None) -> Iterator[Member]:
        """Members in scope (as :meth:`official_registrations`, unmasked) whose community is
        the directory's name once resolved."""
        directory = self.directory_refs()
        for member in self.store.members.iter_members(self.actor, query or MemberQuery()):
            ref = directory.get(member.community_id)
            yield member if ref is None else attrs.evolve(member, community=ref)

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

        Each sheet carries its stored number (``YEAR-CCCC-NNNN``, given the first time the
        sheet is listed or printed, decision 0045) and, once the community has confirmed it,
        who confirmed it, when, and the stamp line. A member not yet routed to a community has
        no number yet (``""``).
        """
        actor = self.actor
        community_id = self.community(community).id if community else None
        if member_id is not None:
            people: Iterable[Member] = [self.store.members.get_member(actor, member_id)]
        else:
            people = self.store.members.iter_members(
                actor, MemberQuery(unit=unit, community_id=community_id)
            )
        stored = {
            s.member_id: s
            for s in self.store.feedback_sheet_list(
                actor, year, member_id=member_id, unit=unit, community_id=community_id
            )
        }
        tree = self.org_tree
        directory = self.directory_refs()
        balances = self.points.balances(year)
        for member in list(people):
            unit_row = tree.find(member.unit_code)
            info = stored.get(member.id)
            confirmed = info is not None and info.confirmed_on is not None
            yield FeedbackSheet(
                number=info.number if info is not None else "",
                year=year,
                name=member.name,
                phone=member.phone,
                unit_code=member.unit_code,
                unit_name=unit_row.name if unit_row else str(member.unit_code),
                community=directory.get(member.community_id, member.community),
                activities=tuple(self.store.member_activities(actor, member.id, year=year)),
                status=SheetStatus.CONFIRMED if confirmed else SheetStatus.DRAFT,
                confirmed_by=info.confirmed_by if info is not None else "",
                confirmed_on=info.confirmed_on if info is not None else None,
                stamp=info.stamp if info is not None else "",
                points=balances.get(member.id, 0.0),
            )

    # -- community events (partyreg_core.events) ---------------------------------------------

    @property
    def events(self) -> EventService:
        """Community events with check-in (``event …`` and the members' check-in page); made
        on each use, so that a workspace acting for a member (:meth:`for_member`) acts as them."""
        return EventService(
            repo=self.store.events,
            now=self.now,
            zone=LOCAL_ZONE,
            actor=lambda: self.actor,
            community=self.community,
            refuse_closed_year=self.refuse_closed_year,
            check_entries=self._check_entries,
            member=lambda member_id: self.members.get(member_id),
        )

    # -- issued documents (check codes) ------------------------------------------------------

    def issue_feedback_sheet(self, sheet: FeedbackSheet) -> str:
        """Record a confirmed, numbered 附表3 as issued and return its check code (what the
        printed sheet shows beside its number; decision 0068)."""
        document = self.store.issue_document(self.actor, documents.feedback_document(sheet))
        return document.code(self.store.document_key())

    def verify_document(self, serial: str, code: str) -> IssuedDocument | None:
        """The issued document ``serial`` when ``code`` is its check code, else ``None``
        (anyone may verify: no scope, no personal data beyond what the paper shows). A
        genuine document that was revoked or superseded is returned too: its ``holds`` is
        false and :meth:`IssuedDocument.standing` says why (decision 0127)."""
        document = self.store.find_document(serial.strip().upper())
        if not documents.verify(self.store.document_key(), document, code):
            return None
        return document

    def verified_facts(self, document: IssuedDocument) -> documents.VerifiedFacts:
        """What a public check shows of a genuine document: kind, name, unit (by name),
        community and day — nothing else (the members' site's ``/verify``)."""
        facts = document.facts()
        unit = self.org_tree.find(parse_code(facts.unit)) if _is_code(facts.unit) else None
        return attrs.evolve(facts, unit=unit.name) if unit is not None else facts

    def report_in_certificate(
        self, member_id: int
    ) -> tuple[documents.ReportInCertificate, IssuedDocument, str]:
        """The report-in certificate (报到证 and its 回执) of a member routed to a community:
        issued the first time, the same document while nothing it certifies changed, and a
        new revision superseding the earlier one when something did (decision 0127).
        Returns the certificate, the document as recorded and its check code."""
        member = self.store.members.get_member(self.actor, member_id)
        if member.community_id is None or member.status is MemberStatus.REGISTERED:
            raise ValidationError(
                "certificate.not_routed",
                f"{member.name}（编号 {member_id}）还没有分流到社区：分流后才能出具报到证。",
            )
        community = self.community(str(member.community_id))
        unit = self.org_tree.find(member.unit_code)
        cert = documents.ReportInCertificate(
            member_id=member.id,
            name=member.name,
            gender=member.gender.value,
            unit_and_title=member.unit_and_title,
            unit_code=str(member.unit_code),
            unit_name=unit.name if unit is not None else str(member.unit_code),
            district=community.district,
            street=community.street,
            community=community.name,
            report_type=member.report_type.value,
            posts=tuple(self.post_name(p, community.district_code) for p in member.posts),
            routed_on=member.routed_on or self.today(),
            reported_on=member.reported_on,
            community_phone=community.phone,
            community_qq=community.qq_group,
            community_address=community.address,
        )
        today = self.today()
        latest = self.store.latest_document(member_id, documents.CERTIFICATE_KIND)
        if latest is not None and latest.holds:
            again = documents.certificate_document(cert, latest.serial, latest.issued_on)
            if documents.same_certificate(latest, again):
                return cert, latest, latest.code(self.store.document_key())
        revision = documents.certificate_revision(latest.serial) + 1 if latest else 1
        year = today.year
        serial = documents.certificate_serial(member_id, year, revision)
        document = self.store.issue_document(
            self.actor,
            documents.certificate_document(cert, serial, today),
            replaces=latest.serial if latest is not None and latest.holds else None,
        )
        return cert, document, document.code(self.store.document_key())

    def revoke_certificate(self, member_id: int, reason: str) -> IssuedDocument:
        """Withdraw a member's report-in certificate (the reason is required and audited);
        the paper then verifies as revoked."""
        if not reason.strip():
            raise ValidationError(
                "certificate.reason", "作废报到证需要说明原因：--reason “调离本市”。"
            )
        self.store.members.get_member(self.actor, member_id)  # within scope
        latest = self.store.latest_document(member_id, documents.CERTIFICATE_KIND)
        if latest is None or not latest.holds:
            raise NotFoundError(
                "certificate.none", f"党员 {member_id} 没有有效的报到证：不用作废。"
            )
        return self.store.revoke_document(self.actor, latest.serial, reason.strip(), self.today())

    # -- batches, audit, settings -----------------------------------------------------------

    def batches(self) -> list[Batch]:
        """The import batches the operator may see, newest first."""
        return self.store.batches(self.actor)

    def undo_batch(self, batch_id: str, reason: str = "") -> UndoReport:
        """Revert a batch nothing has built on yet: an import, or a bulk action's batch
        (``partyreg undo BATCH --reason …``; the reason goes to the audit log)."""
        report = self.store.undo_batch(self.actor, batch_id.strip(), reason.strip())
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

    # -- feature packages (wired here only) -------------

    @cached_property
    def wishes(self) -> WishService:
        """Residents' wishes (:mod:`partyreg_core.wishes`)."""
        return WishService(
            repository=self.store.wishes,
            actor=lambda: self.actor,
            today=self.today,
            community=lambda text: self._service_community(text),
            post=lambda community, text: self._post_for(community, text).code,
            check_entries=self._check_entries,
            changed=self._changed_event,
        )

    @cached_property
    def notify(self) -> NotifyService:
        """Notification channels and the outbox (:mod:`partyreg_core.notify`)."""
        return NotifyService(
            repository=self.store.notify,
            actor=lambda: self.actor,
            now=self.now,
            notifiers=lambda: collect_notifiers(self.pm),
            changed=self._changed_event,
            audit=lambda action, subject, before, after: self.store.append_audit(
                self.actor, action, subject, before, after
            ),
            batch=lambda kind, file, rows: self._batch(kind, file, rows, None),
            record_batch=lambda batch, ids: self.store.record_message_batch(self.actor, batch, ids),
        )

    @cached_property
    def routing(self) -> RoutingService:
        """Directory upkeep, instructors, routing, report-in and changes of community
        (:mod:`partyreg_core.routing`)."""
        return RoutingService(
            repository=self.store.routing,
            actor=lambda: self.actor,
            today=self.today,
            org_tree=lambda: self.org_tree,
            code=self.code,
            community=self.community,
            communities=self.store.communities,
            members=self.members.iter,
            community_counts=lambda query: self.store.members.count_members_by_community(
                self.actor, query
            ),
            plugin_rule=self._route_rule,
            assign_routes=lambda routes, on: self.store.route_members(self.actor, routes, on),
            batch=self._batch,
            queued_by=self.notify.queued_by,
            changed=self._changed_event,
        )

    def _route_rule(self) -> RoutingRule | None:
        """The plugins' ``partyreg_route_member`` rule, when one provides it."""
        hook = self.pm.hook.partyreg_route_member
        if not hook.get_hookimpls():
            return None

        def rule(case: RoutingCase, router: Router) -> RoutingDecision | None:
            decided: RoutingDecision | None = hook(case=case, router=router)
            return decided

        return rule

    @cached_property
    def points(self) -> PointsService:
        """The points ledger (:mod:`partyreg_core.points`)."""
        return PointsService(
            repository=self.store.points,
            actor=lambda: self.actor,
            today=self.today,
            default_year=self.default_year,
            refuse_closed_year=lambda year: self.refuse_closed_year(year),
            changed=self._changed_event,
        )

    @cached_property
    def nudges(self) -> NudgeService:
        """Nudges to individuals (:mod:`partyreg_core.nudges`)."""
        return NudgeService(
            repository=self.store.nudges,
            actor=lambda: self.actor,
            now=self.now,
            setting=self.setting,
            set_setting=self.set_setting,
            feedback_deadline=lambda year: self.calendar(year).confirmation_due,
            notify=self.notify.queue,
            changed=self._changed_event,
        )

    def _changed_event(
        self,
        action: str,
        subject: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        self._changed(
            action,
            subject,
            dict(before) if before is not None else None,
            dict(after) if after is not None else None,
        )

    # -- progress -----------------------------------------------------------------------------

    def calendar(self, year: int | None = None) -> CampaignCalendar:
        """The campaign calendar of ``year`` (default this year), the one calendar every part
        reads (decision 0060): the dates a city operator set for that year (``partyreg calendar
        set``), else the calendar stored when the year was opened (``partyreg year open``),
        else the shared month-days (``partyreg year calendar``) applied to the year, else the
        seed's (08-30, 09-10, 09-20, 12-20)."""
        year = year or self.default_year()
        value = self.store.get_setting(progress.calendar_setting_key(year))
        if value is not None:
            return progress.calendar_from_setting(year, value)
        opened = self.store.campaign_year(year)
        if opened is not None:
            return opened.calendar
        return calendar_for(year, self.store.get_setting(MONTH_DAYS_SETTING))

    def set_calendar(self, year: int, dues: Mapping[str, date]) -> CampaignCalendar:
        """Move some of ``year``'s deadlines (key → date; city operators only, audited)."""
        calendar = progress.with_dues(self.calendar(year), dues)
        self.set_setting(
            progress.calendar_setting_key(year), progress.calendar_to_setting(calendar)
        )
        return calendar

    def set_expected(
        self, unit: OrgCode | str, expected: int, *, year: int | None = None
    ) -> int | None:
        """Declare how many members ``unit`` expects to register in ``year`` (a unit its own; a
        district or the city for units below). Returns the previous count."""
        code = self.code(unit).code
        year = year or self.default_year()
        before = self.store.set_expected(self.actor, code, year, expected)
        self._changed(
            "progress.expect",
            f"org:{code}",
            {"year": year, "expected": before} if before is not None else None,
            {"year": year, "expected": expected},
        )
        return before

    def expectations(self, year: int | None = None) -> dict[OrgCode, int]:
        """The expected counts declared for ``year``."""
        return self.store.expectations(self.actor, year or self.default_year())

    def progress(
        self,
        by: ProgressBy | str = ProgressBy.UNIT,
        *,
        on: date | None = None,
        year: int | None = None,
        unit: str | None = None,
    ) -> ProgressReport:
        """Progress within the scope as of ``on`` (default today) against ``year``'s deadlines
        (default ``on``'s year): per unit, district or community, with the districts' roll-up
        and the total (see :mod:`partyreg_core.progress`). ``unit``: only the members of that
        unit (its code on ``on``) and the units below it — a unit's members by community."""
        try:
            grouping = ProgressBy(by)
        except ValueError:
            raise ValidationError(
                "progress.by", f"未知的分组“{by}”：应为 district、unit 或 community。"
            ) from None
        on = on or self.today()
        calendar = self.calendar(year or on.year)
        actor = self.actor
        # a code of the day (a 2014 report after the 2016 changes): parsed, not looked up
        within = self._code(unit) if unit is not None else None
        counts = self.store.progress_counts(actor, grouping, calendar, on, within=within)
        tree = self.org_tree
        # the units as they were on the day (codes and names: a 2014 report after the 2016
        # changes shows 清河区委 and 洪泽县委)
        names = {str(u.code): u.name_on(on) for u in tree}
        districts: dict[str, str] = {}
        if grouping is ProgressBy.COMMUNITY:
            for community in self.store.communities():
                names[str(community.id)] = community.label
                districts[str(community.id)] = str(community.district_code)
        scope = actor.scope
        # a roll-up's completion rate sums its units' bases: grouped otherwise, count by unit too
        unit_counts = (
            None
            if grouping is ProgressBy.UNIT
            else self.store.progress_counts(actor, ProgressBy.UNIT, calendar, on, within=within)
        )
        return progress.build_report(
            by=grouping,
            unit_counts=unit_counts,
            counts=counts,
            calendar=calendar,
            on=on,
            names=names,
            expectations=self.expectations(calendar.year),
            expected_visible=scope.covers_unit,
            community_districts=districts,
            total_name=_scope_name(scope, tree)
            if within is None
            else names.get(str(within), str(within)),
        )

    def overdue(
        self, *, on: date | None = None, year: int | None = None
    ) -> Iterator[OverdueMember]:
        """Members in scope who missed a deadline that had passed by ``on``, each with the
        milestones missed (streamed, by unit code)."""
        on = on or self.today()
        calendar = self.calendar(year or on.year)
        return self.store.overdue_members(self.actor, calendar, on)

    def remind(
        self,
        days: int,
        *,
        on: date | None = None,
        year: int | None = None,
        dry_run: bool = False,
    ) -> Reminders:
        """Remind the lagging: when the next deadline falls within ``days`` days of ``on``, one
        ``progress.remind`` event per lagging unit and per lagging district (never one per
        member); districts and the city only. The notification plugin turns the events into
        messages; the reminder run itself is audited. A dry run returns the reminders it
        would send and writes nothing."""
        if self.actor.scope.role not in (Role.CITY, Role.DISTRICT):
            raise NotPermittedError(
                "progress.remind_denied",
                "催办提醒由县区委组织部、市直党工委或市级操作员发出：不在你的权限内。",
            )
        on = on or self.today()
        calendar = self.calendar(year or on.year)
        deadline = progress.deadline_within(calendar, on, days)
        if deadline is None:
            return Reminders(on, days, None, ())
        report = self.progress(ProgressBy.UNIT, on=on, year=calendar.year)
        lagging = [r for r in report.rows if r.key and progress.is_lagging(r, deadline.key)]
        units = {r.key for r in lagging}  # a district's own members make a row of its own code
        lagging += [
            r
            for r in report.districts
            if r.key and r.key not in units and progress.is_lagging(r, deadline.key)
        ]
        events = tuple(progress.reminder(r, deadline, on) for r in lagging)
        if dry_run:  # who would be reminded; nothing audited, no message queued
            return Reminders(on, days, deadline, events)
        self.store.append_audit(
            self.actor,
            "progress.remind",
            f"deadline:{calendar.year}:{deadline.key}",
            None,
            {"on": on.isoformat(), "days": days, "orgs": [e["code"] for e in events]},
        )
        before = dict(self.notify.tally)
        # decision 0109: one batch, whose undo withdraws the reminders not yet sent
        batch = self._batch(BatchKind.REMIND, f"progress remind {deadline.key}", len(events), on)
        with self.notify.queued_by(batch) as added:
            for event in events:
                self._changed("progress.remind", f"org:{event['code']}", None, dict(event))
        queued = {k: v - before[k] for k, v in self.notify.tally.items()}
        return Reminders(on, days, deadline, events, queued, batch.id if added else None)

    # -- service --

    def _service_community(self, community: str | int) -> Community:
        text = str(community).strip()
        number = record_id(text)
        if number is not None:
            return self.store.service_community(number)
        return self.community(text)

    def _post_for(self, community: Community, text: str) -> Post:
        post = self.post_catalog.get(text, community.district_code)
        if post is None:
            key = "".join(text.split())
            post = next(
                (
                    p
                    for p in self.post_catalog.for_district(community.district_code)
                    if "".join(p.name.split()) == key
                ),
                None,
            )
        if post is None:
            raise ValidationError(
                "needs.post",
                f"岗位“{text}”不是 {community.district} 可用的岗位：用 partyreg posts list "
                f"--district {community.district_code} 查看可用岗位的代码。",
            )
        return post

    def post_name(self, code: str, district: OrgCode | None) -> str:
        """A post's name in ``district`` (its code when no plugin knows it any more)."""
        post = self.post_catalog.get(code, district)
        return post.name if post is not None else f"{code}号岗"

    def needs(self, community: str | int, *, year: int | None = None) -> list[Need]:
        """A community's needs list (of ``year``; every year when ``None``)."""
        found = self._service_community(community)
        return self.store.needs(self.actor, found.id, year)

    def add_need(
        self,
        community: str | int,
        post: str,
        people: int,
        *,
        purpose: str = "",
        start: date | None = None,
        end: date | None = None,
        year: int | None = None,
    ) -> Need:
        """Add a row to a community's needs list: a post valid in its district (city-wide or
        local), how many people, what for, when (``year`` defaults to the start's, else this
        year)."""
        found = self._service_community(community)
        code = self._post_for(found, post).code
        need = check_need(
            Need(
                community_id=found.id,
                year=year or (start.year if start else self.default_year()),
                post_code=code,
                people=people,
                purpose=purpose,
                start_on=start,
                end_on=end,
            )
        )
        saved = self.store.save_need(self.actor, need)
        self._changed("needs.add", f"need:{saved.id}", None, _need_change(saved))
        return saved

    def edit_need(
        self,
        community: str | int,
        need_id: int,
        *,
        post: str | None = None,
        people: int | None = None,
        purpose: str | None = None,
        start: date | None = None,
        end: date | None = None,
        year: int | None = None,
    ) -> Need:
        """Change a needs row (only the fields given); it must be published again."""
        found = self._service_community(community)
        current = next((n for n in self.store.needs(self.actor, found.id) if n.id == need_id), None)
        if current is None:
            raise NotFoundError(
                "needs.not_found",
                f"{found.label} 的需求清单中没有编号 {need_id}：用 partyreg needs list 查看。",
            )
        changed = attrs.evolve(
            current,
            post_code=self._post_for(found, post).code if post is not None else current.post_code,
            people=people if people is not None else current.people,
            purpose=purpose if purpose is not None else current.purpose,
            start_on=start if start is not None else current.start_on,
            end_on=end if end is not None else current.end_on,
            year=year if year is not None else current.year,
        )
        saved = self.store.save_need(self.actor, check_need(changed))
        self._changed("needs.edit", f"need:{need_id}", _need_change(current), _need_change(saved))
        return saved

    def remove_need(self, community: str | int, need_id: int) -> Need:
        """Remove a needs row (the audit log keeps it)."""
        found = self._service_community(community)
        removed = self.store.remove_need(self.actor, found.id, need_id)
        self._changed("needs.remove", f"need:{need_id}", _need_change(removed), None)
        return removed

    def publish_needs(
        self, community: str | int, *, year: int | None = None, on: date | None = None
    ) -> list[Need]:
        """Publish the community's needs list of ``year``: records the date and emits
        ``needs.published`` (the notifications tell the community's members and units)."""
        found = self._service_community(community)
        the_year = year or self.default_year()
        published = self.store.publish_needs(self.actor, found.id, the_year, on or self.today())
        self._changed(
            "needs.published",
            f"community:{found.id}",
            None,
            {
                "community_id": found.id,
                "community": f"{found.district} {found.street} {found.name}",
                "year": the_year,
                "needs": [
                    {
                        "post_code": n.post_code,
                        "post": self.post_name(n.post_code, found.district_code),
                        "people": n.people,
                        "purpose": n.purpose,
                    }
                    for n in published
                ],
            },
        )
        return published

    def specialty_map(self) -> SpecialtyMap:
        """The specialty map assignment uses: the built-in words, the plugins' words
        (``partyreg_register_specialties``), then the ``service.specialties`` setting."""
        added: dict[str, list[str]] = {}

        def register(word: str, post_codes: Sequence[str]) -> None:
            added[str(word)] = [str(c) for c in post_codes]

        self.pm.hook.partyreg_register_specialties(register=register)
        result = DEFAULT_SPECIALTY_MAP.merged(added)
        configured = self.setting(SPECIALTIES_SETTING)
        if isinstance(configured, Mapping):
            result = result.merged({str(k): list(v) for k, v in configured.items()})
        return result

    def set_specialty(self, word: str, posts: Sequence[str]) -> SpecialtyMap:
        """Map ``word`` to ``posts`` (none: remove the word) in the ``service.specialties``
        setting (city operators; audited)."""
        key = word.strip()
        if not key or len(key) > 20:
            raise ValidationError("specialty.word", f"特长词“{word}”不可用：应为 1–20 个字。")
        codes = []
        for text in posts:
            post = self.post_catalog.get(text)
            if post is None:
                post = next((p for p in self.post_catalog.all() if p.code == text.strip()), None)
            if post is None:
                raise ValidationError(
                    "specialty.post", f"岗位代码“{text}”不存在：用 partyreg posts list 查看。"
                )
            codes.append(post.code)
        current = self.setting(SPECIALTIES_SETTING)
        value = dict(current) if isinstance(current, Mapping) else {}
        value[key] = codes
        self.set_setting(SPECIALTIES_SETTING, value)
        return self.specialty_map()

    def leader_rule(self) -> tuple[LeaderCriterion, ...]:
        """The leader rule: the ``service.leader_rule`` setting, else rank, then hours."""
        configured = self.setting(LEADER_RULE_SETTING)
        if isinstance(configured, (list, str)) and configured:
            return parse_leader_rule(configured)
        return DEFAULT_LEADER_RULE

    def _solver(self) -> AssignmentSolver:
        solver = self.pm.hook.partyreg_assignment_solver()
        if solver is None:
            raise PluginError(
                "assign.solver",
                "没有加载岗位分配的求解器插件（solver_scipy）：请检查 PARTYREG_LOAD_PLUGINS。",
            )
        return cast(AssignmentSolver, solver)

    def service_communities(
        self, communities: Sequence[str | int] | None = None, *, district: str | None = None
    ) -> list[Community]:
        """The communities named, or every community the operator looks after (a district's
        when ``district`` is given): those whose service the operator may arrange."""
        if communities:
            return [self._service_community(c) for c in communities]
        scope = self.actor.scope
        found = self.communities(self.code(district).code if district else None)
        mine = [c for c in found if scope.covers_community(c.id, c.district_code)]
        if not mine:
            raise NotFoundError(
                "community.none",
                "你的管理范围内没有社区：请指定社区（县区/街道/社区 或编号），或用 --district 县区代码。",
            )
        return mine

    def assign(
        self, community: str | int, *, year: int | None = None, dry_run: bool = False
    ) -> AssignmentRun:
        """Assign the community's members (routed or reported in) to the posts of its needs
        list of ``year`` by wishes and specialty (:func:`partyreg_core.assignment.assign_posts`)
        and store it, replacing that year's assignment (not in a dry run)."""
        return self.assign_many([community], year=year, dry_run=dry_run)[0]

    def assign_many(
        self,
        communities: Sequence[str | int] | None = None,
        *,
        district: str | None = None,
        year: int | None = None,
        dry_run: bool = False,
    ) -> list[AssignmentRun]:
        """:meth:`assign` for many communities (default: every one the operator looks after),
        read and written in one transaction each."""
        found = self.service_communities(communities, district=district)
        the_year = year or self.default_year()
        self.refuse_closed_year(the_year)  # a dry run says so too (decision 0073)
        ids = [c.id for c in found]
        rosters = self.store.service_rosters(self.actor, ids)
        needs = self.store.needs_of(self.actor, ids, the_year)
        specialties = self.specialty_map()
        solver = self._solver()
        names: dict[OrgCode, dict[str, str]] = {}
        results = []
        for c in found:
            if c.district_code not in names:
                names[c.district_code] = {
                    p.code: p.name for p in self.post_catalog.for_district(c.district_code)
                }
            post_names = names[c.district_code]
            people = rosters.get(c.id, [])
            candidates = [Candidate(m.member_id, m.name, m.claims, m.specialty) for m in people]
            openings = [
                Opening(n.post_code, post_names.get(n.post_code, f"{n.post_code}号岗"), n.people)
                for n in needs.get(c.id, [])
            ]
            results.append(
                (c, assign_posts(candidates, openings, specialties, solver, post_names), people)
            )
        written: dict[int, int] = {}
        batch_id = None
        if not dry_run:
            batch = self._batch(
                BatchKind.ASSIGN,
                f"assign {the_year}",
                sum(len(r.placements) for _c, r, _p in results),
                None,
            )
            batch_id = batch.id
            written = self.store.replace_assignments_many(
                self.actor,
                the_year,
                {
                    c.id: [
                        Assignment(p.member_id, c.id, the_year, p.post_code, p.reason)
                        for p in result.placements
                    ]
                    for c, result, _people in results
                },
                self.today(),
                batch=batch,
            )
            with self.notify.queued_by(batch):
                for c, result, _people in results:
                    self._changed(
                        "assign.replace",
                        f"community:{c.id}",
                        None,
                        {
                            "community_id": c.id,
                            "year": the_year,
                            "assigned": written[c.id],
                            "left_over": len(result.left_over),
                        },
                    )
        return [
            AssignmentRun(c, the_year, result, dry_run, written.get(c.id, 0), len(people), batch_id)
            for c, result, people in results
        ]

    def assignments(self, community: str | int, *, year: int | None = None) -> list[Assignment]:
        """The community's stored post assignment of ``year``."""
        found = self._service_community(community)
        return self.store.assignments(self.actor, found.id, year or self.default_year())

    def group(
        self,
        community: str | int,
        *,
        year: int | None = None,
        bounds: SizeBounds | None = None,
        rule: Sequence[LeaderCriterion] | None = None,
        dry_run: bool = False,
    ) -> GroupingRun:
        """Group the members of the year's assignment by post, balanced within ``bounds``, each
        group with a leader by ``rule`` (default :meth:`leader_rule`), and store the groups,
        replacing that year's (not in a dry run)."""
        return self.group_many([community], year=year, bounds=bounds, rule=rule, dry_run=dry_run)[0]

    def group_many(
        self,
        communities: Sequence[str | int] | None = None,
        *,
        district: str | None = None,
        year: int | None = None,
        bounds: SizeBounds | None = None,
        rule: Sequence[LeaderCriterion] | None = None,
        dry_run: bool = False,
    ) -> list[GroupingRun]:
        """:meth:`group` for many communities (default: every one the operator looks after),
        read and written in one transaction each."""
        found = self.service_communities(communities, district=district)
        the_year = year or self.default_year()
        self.refuse_closed_year(the_year)  # a dry run says so too (decision 0073)
        the_rule = tuple(rule) if rule else self.leader_rule()
        the_bounds = bounds or SizeBounds()
        ids = [c.id for c in found]
        assigned = self.store.assignments_of(self.actor, ids, the_year)
        rosters = self.store.service_rosters(self.actor, ids)
        people = {m.member_id: m for entries in rosters.values() for m in entries}
        hours = self.store.service_hours(
            self.actor, [a.member_id for rows in assigned.values() for a in rows], the_year - 1
        )
        plans = []
        for c in found:
            mine = {m.member_id for m in rosters.get(c.id, [])}
            current = [a for a in assigned.get(c.id, []) if a.member_id in mine]
            to_group = []
            for a in current:
                member = people[a.member_id]
                wish = (
                    member.claims.index(a.post_code) + 1 if a.post_code in member.claims else None
                )
                to_group.append(
                    GroupMember(
                        member.member_id,
                        member.name,
                        a.post_code,
                        rank=member.rank,
                        hours=hours.get(member.member_id, 0.0),
                        wish_rank=wish,
                    )
                )
            names = {
                code: self.post_name(code, c.district_code)
                for code in {a.post_code for a in current}
            }
            plans.append((c, plan_groups(to_group, the_bounds, the_rule, names)))
        stored: dict[int, list[Group]] = {}
        batch_id = None
        if not dry_run:
            batch = self._batch(
                BatchKind.GROUP, f"group {the_year}", sum(len(p) for _c, p in plans), None
            )
            batch_id = batch.id
            stored = self.store.replace_groups_many(
                self.actor,
                the_year,
                {
                    c.id: [
                        Group(c.id, the_year, g.post_code, g.name, g.leader_id, g.member_ids)
                        for g in planned
                    ]
                    for c, planned in plans
                },
                batch=batch,
            )
            with self.notify.queued_by(batch):
                for c, _planned in plans:
                    self._changed(
                        "group.replace",
                        f"community:{c.id}",
                        None,
                        {"community_id": c.id, "year": the_year, "groups": len(stored[c.id])},
                    )
        return [
            GroupingRun(
                c,
                the_year,
                tuple(planned),
                tuple(stored.get(c.id, [])),
                the_bounds,
                the_rule,
                dry_run,
                {m.member_id: m.name for m in rosters.get(c.id, [])},
                batch_id,
            )
            for c, planned in plans
        ]

    def groups(self, community: str | int, *, year: int | None = None) -> list[Group]:
        """The community's stored groups of ``year``, leader first in each."""
        found = self._service_community(community)
        return self.store.groups(self.actor, found.id, year or self.default_year())

    # -- orgchanges --

    def code_on(self, code: OrgCode | str, day: date) -> OrgUnit:
        """The unit with ``code`` as it stood on ``day`` (under the name it had then); a code
        not in use that day is refused naming what to use (``code.moved``, ``code.retired``,
        ``code.not_yet``)."""
        unit = self.org_tree.resolve(self._code(code), day)
        return attrs.evolve(unit, name=unit.name_on(day))

    def codes_on(self, day: date, parent: OrgCode | str | None = None) -> list[OrgUnit]:
        """Every unit in use on ``day`` (or the children of ``parent`` then), with that day's
        names."""
        tree = self.org_tree.as_of(day)
        if parent is None:
            return list(tree)
        return tree.children(self.code_on(parent, day).code)

    def org_history(self, code: OrgCode | str | None = None) -> list[OrgChangeRecord]:
        """The recorded org changes (of ``code``), oldest first."""
        found = self._code(code) if code is not None else None
        if found is not None:
            self.code(found)  # an unknown code is an error, not an empty history
        if not (self._has_storage() and self.store.is_ready()):
            return []  # the built-in 2014 table has no history
        return self.store.org_changes(found)

    def apply_org_changes(
        self, changes: Sequence[OrgChange], *, file: str = "", dry_run: bool = False
    ) -> OrgPlan:
        """Apply org changes in order as one transaction and one audit entry (``codes add …``,
        or with ``file`` a change file as one batch: ``codes apply``); a dry run says what
        they would do. Every change needs a reason; none may be dated after today."""
        batch = None
        if file and not dry_run:
            batch = self._batch(BatchKind.CODES, file, len(changes), None)
        plan = self.store.apply_org_changes(
            self.actor, changes, today=self.today(), batch=batch, dry_run=dry_run
        )
        if dry_run:
            return plan
        self.__dict__.pop("org_tree", None)
        for applied in plan.changes:
            change = applied.change
            self._changed(
                f"org.{change.kind.value}",
                f"org:{applied.code}",
                {"code": str(applied.code), "name": applied.name_before}
                if applied.name_before
                else None,
                {
                    "code": str(applied.code),
                    "name": applied.name_after,
                    "on": change.on.isoformat(),
                    "reason": change.reason,
                    "moves": [[str(m.old), str(m.new)] for m in applied.moves],
                },
            )
        if batch is not None:
            self._imported(batch, len(plan.changes))
        return plan

    def read_change_file(self, path: Path) -> list[OrgChange]:
        """The changes of a change file (CSV in any encoding the one detector reads: UTF-8
        with or without BOM, UTF-16 with BOM, GB18030; see
        ``docs/orgchanges.md``); a bad line refuses the whole file, naming the line."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError("file.missing", f"找不到文件 {path}：请核对路径。") from None
        except OSError as exc:
            raise ValidationError(
                "file.unreadable", f"读不了文件 {path}：{exc.strerror}。"
            ) from None
        if len(data) > CHANGE_FILE_LIMIT:
            raise ValidationError(
                "file.too_large", f"调整文件 {path.name} 超过 1 MB：调整文件应只有几十行。"
            )
        text = decode_text(data, path.name)
        if "\x00" in text:
            raise ValidationError(
                "file.not_text", f"{path.name} 不是文本文件：调整文件应是 CSV（逗号分隔）。"
            )
        reader = csv.reader(io.StringIO(text))
        rows = []
        for cells in reader:
            rows.append((reader.line_num, cells))
        return parse_change_rows(rows)

    # -- feedback --

    def activity_kinds(self) -> tuple[str, ...]:
        """The activity types: the built-in themed days and the city's own (settings)."""
        extra = self.store.get_setting(KINDS_SETTING)
        return activity_kinds(extra if isinstance(extra, list) else None)

    def record_activity(
        self,
        member_id: int,
        day: date,
        content: str,
        hours: float,
        rating: Rating | str,
        *,
        kind: str = "",
        place: str = "",
        participants: str = "",
        self_reported: bool = False,
        year: int | None = None,
    ) -> list[int]:
        """Record one member's activity (an instructor or community; ``self_reported``: the
        member's own report, which counts once confirmed). Returns the new activity's id."""
        entry = ServiceEntry(
            member_id=member_id,
            day=day,
            content=content.strip(),
            hours=hours,
            rating=Rating(rating),
            kind=kind.strip(),
            place=place.strip(),
            participants=participants.strip(),
            self_reported=self_reported,
        )
        self._check_entries([entry], year)
        ids = self.store.record_activities(self.actor, [entry], subject=f"member:{member_id}")
        self._changed(
            "activity.record",
            f"member:{member_id}",
            None,
            {"ids": ids, "day": day.isoformat(), "hours": hours, "self_reported": self_reported},
        )
        return ids

    def record_group_activity(
        self,
        group_id: int,
        day: date,
        content: str,
        hours: float,
        rating: Rating | str,
        *,
        kind: str = "",
        place: str = "",
        participants: str = "",
        absent: Sequence[int] = (),
        year: int | None = None,
    ) -> list[int]:
        """Record an activity for every member of a service group but ``absent``, in one
        transaction: one member the rules refuse refuses them all."""
        _community_id, roster = self.store.group_roster(self.actor, group_id)
        unknown = sorted(set(absent) - set(roster))
        if unknown:
            raise ValidationError(
                "group.except",
                f"党员 {'、'.join(map(str, unknown))} 不在服务小组 {group_id} 中：请核对 --except。",
            )
        present = [m for m in roster if m not in set(absent)]
        if not present:
            raise ValidationError(
                "group.empty", f"服务小组 {group_id} 没有参加活动的成员：没有可记录的活动。"
            )
        entries = [
            ServiceEntry(
                member_id=m,
                day=day,
                content=content.strip(),
                hours=hours,
                rating=Rating(rating),
                kind=kind.strip(),
                place=place.strip(),
                participants=participants.strip(),
                group_id=group_id,
            )
            for m in present
        ]
        self._check_entries(entries, year)
        ids = self.store.record_activities(self.actor, entries, subject=f"group:{group_id}")
        self._changed(
            "activity.record",
            f"group:{group_id}",
            None,
            {"ids": ids, "members": present, "absent": sorted(absent), "day": day.isoformat()},
        )
        return ids

    def _check_entries(self, entries: Sequence[ServiceEntry], year: int | None) -> None:
        today = self.today()
        kinds = self.activity_kinds()
        chosen = year or self.default_year()
        # the year lock first: a closed --year, or a date in a closed year, is refused the
        # same way (code and text) as the import refuses such a row
        newest = self.store.locked_before()
        for entry in entries:
            if newest is not None and entry.day.year < newest:
                name = self.store.members.get_member(self.actor, entry.member_id).name
                refuse_closed_year(entry.day.year, newest, name=name)
        refuse_closed_year(chosen, newest)
        for entry in entries:  # the year recorded: the campaign year unless named
            check_entry(entry, year=chosen, today=today, kinds=kinds)

    def activities(
        self,
        *,
        member_id: int | None = None,
        community: str | None = None,
        year: int | None = None,
    ) -> list[StoredActivity]:
        """Activities within scope (``activity list``): of a member, a community, a year."""
        return self.store.list_activities(
            self.actor,
            member_id=member_id,
            community_id=self.community(community).id if community else None,
            year=year,
        )

    def activity(self, activity_id: int) -> StoredActivity:
        """One activity within scope (``activity.not_found`` otherwise)."""
        found = self.store.list_activities(self.actor, activity_id=activity_id)
        if not found:
            raise NotFoundError(
                "activity.not_found",
                f"没有编号为 {activity_id} 的活动（或不在你的范围内）：用 partyreg activity list 查看。",
            )
        return found[0]

    def edit_activity(
        self, activity_id: int, changes: Mapping[str, Any], reason: str = ""
    ) -> StoredActivity:
        """Correct an activity (``day``, ``hours``, ``content``, ``rating``, ``kind``,
        ``place``, ``participants``): judged again as ``activity add`` judges it, then written
        with the store's rules (decision 0078). Returns the activity as it is now."""
        unknown = sorted(set(changes) - _ACTIVITY_FIELDS)
        if unknown:
            raise ValidationError("activity.field", f"不能修改的字段：{', '.join(unknown)}。")
        if not changes:
            raise ValidationError(
                "activity.nothing", "没有要修改的内容：请给出如 --hours 2 或 --date 2014-10-01。"
            )
        current = self.activity(activity_id)
        values = dict(changes)
        if "rating" in values:
            values["rating"] = Rating(values["rating"])
        entry = attrs.evolve(current.entry, **values)
        newest = self.store.locked_before()
        for day in (current.day, entry.day):
            refuse_closed_year(day.year, newest, name=current.name)
        check_entry(entry, year=entry.day.year, today=self.today(), kinds=self.activity_kinds())
        self.store.change_activity(self.actor, activity_id, entry, reason.strip())
        self._changed("activity.edit", f"activity:{activity_id}", None, dict(changes))
        return self.activity(activity_id)

    def remove_activity(self, activity_id: int, reason: str) -> StoredActivity:
        """Remove a recorded activity (the reason is required and audited; refused in a
        closed year or on a confirmed sheet, saying what to do). Returns it as it was."""
        if not reason.strip():
            raise ValidationError("activity.reason", "删除活动需要说明原因：--reason “重复录入”。")
        removed = self.store.change_activity(self.actor, activity_id, None, reason.strip())
        self._changed("activity.remove", f"activity:{activity_id}", None, {"reason": reason})
        return removed

    def pending_activities(self, community: str | None = None) -> list[PendingActivity]:
        """Self-reported activities waiting for confirmation, within scope."""
        community_id = self.community(community).id if community else None
        return self.store.pending_activities(self.actor, community_id=community_id)

    def confirm_activities(self, activity_ids: Sequence[int]) -> list[PendingActivity]:
        """Confirm self-reported activities: they count from now on."""
        done = self.store.decide_self_reports(self.actor, activity_ids, confirm=True)
        for item in done:
            self._changed("activity.confirm", f"activity:{item.id}", None, {"confirmed": True})
        return done

    def reject_activities(self, activity_ids: Sequence[int], reason: str) -> list[PendingActivity]:
        """Reject self-reported activities (removed, the reason in the audit log)."""
        if not reason.strip():
            raise ValidationError("activity.reason", "退回自报活动需要说明原因：--reason …。")
        done = self.store.decide_self_reports(
            self.actor, activity_ids, confirm=False, reason=reason.strip()
        )
        for item in done:
            self._changed("activity.reject", f"activity:{item.id}", None, {"reason": reason})
        return done

    def sheets(
        self,
        year: int | None = None,
        *,
        member_id: int | None = None,
        unit: OrgCode | str | None = None,
        community: str | None = None,
    ) -> list[SheetInfo]:
        """The year's feedback sheets in scope with their numbers and state (numbering the
        routed members' sheets that have none yet)."""
        return self.store.feedback_sheet_list(
            self.actor,
            year or self.default_year(),
            member_id=member_id,
            unit=self._code(unit) if unit is not None else None,
            community_id=self.community(community).id if community else None,
        )

    def confirm_feedback(
        self,
        numbers: Sequence[str] = (),
        *,
        community: str | None = None,
        year: int | None = None,
        on: date | None = None,
    ) -> list[SheetInfo]:
        """Confirm (stamp and lock) sheets by number, or every draft sheet of a community for
        the year (as one batch: :meth:`confirm_community_feedback`); emits
        ``feedback.confirmed`` for each."""
        if community is not None:
            return self.confirm_community_feedback(community, year=year, on=on)[1]
        wanted = [self._sheet_number(n) for n in numbers]
        if not wanted:
            return []
        return self._confirmed(self.store.confirm_sheets(self.actor, wanted, on or self.today()))

    def confirm_community_feedback(
        self,
        community: str,
        *,
        year: int | None = None,
        on: date | None = None,
        dry_run: bool = False,
    ) -> tuple[str | None, list[SheetInfo]]:
        """Confirm every draft sheet of ``community`` for the year as one batch that
        ``undo_batch`` takes back in one step (decision 0077): the batch id (``None`` when
        nothing was written) and the sheets — in a dry run, the drafts it would confirm."""
        day = on or self.today()
        the_year = year or (on.year if on else self.default_year())
        drafts = [s for s in self.sheets(the_year, community=community) if s.state.value == "draft"]
        if dry_run or not drafts:
            return None, drafts
        batch = self._batch(
            BatchKind.FEEDBACK, f"feedback confirm --all {community} {the_year}", len(drafts), day
        )
        done = self.store.confirm_sheets(self.actor, [s.number for s in drafts], day, batch=batch)
        return (batch.id if done else None), self._confirmed(done)

    def _confirmed(self, done: list[SheetInfo]) -> list[SheetInfo]:
        for sheet in done:
            self._changed(
                "feedback.confirmed",
                f"feedback:{sheet.number}",
                None,
                {
                    "number": sheet.number,
                    "member_id": sheet.member_id,
                    "name": sheet.name,
                    "unit_code": sheet.unit_code,
                    "year": sheet.year,
                    "community_id": sheet.community_id,
                    "confirmed_by": sheet.confirmed_by,
                },
            )
        return done

    def reopen_feedback(self, number: str, reason: str, *, on: date | None = None) -> SheetInfo:
        """Reopen a confirmed sheet for a correction (the reason is required and audited)."""
        if not reason.strip():
            raise ValidationError(
                "feedback.reason", "退回反馈单需要说明原因：--reason “补录 11 月活动”。"
            )
        sheet = self.store.reopen_sheet(
            self.actor, self._sheet_number(number), reason.strip(), on or self.today()
        )
        self._changed("feedback.reopened", f"feedback:{sheet.number}", None, {"reason": reason})
        return sheet

    def deliver_feedback(
        self, unit: OrgCode | str, *, year: int | None = None, on: date | None = None
    ) -> list[SheetInfo]:
        """Mark a unit's confirmed sheets of the year delivered to its ledger (台帐)."""
        day = on or self.today()
        code = self.code(unit).code
        year = year or (on.year if on else self.default_year())
        done = self.store.deliver_sheets(self.actor, code, year, day)
        if done:
            self._changed(
                "feedback.delivered",
                f"unit:{code}",
                None,
                {"numbers": [s.number for s in done], "year": year},
            )
        return done

    @staticmethod
    def _sheet_number(text: str) -> str:
        year, community_id, sequence = parse_sheet_number(text)
        return sheet_number(year, community_id, sequence)

    def feedback_summary(
        self,
        by: SummaryBy | str,
        *,
        year: int | None = None,
        unit: OrgCode | str | None = None,
    ) -> list[SummaryRow]:
        """Confirmed service grouped by member, community, unit, district, post or month
        (``year=None``: all years), within scope. By unit or district for a ``year``, each
        code carries its name as of the year's end (decision 0062): a 2014 summary shows
        洪泽县委 even after the 2016 rename."""
        grouping = SummaryBy(by)
        rows = self.store.feedback_summary(
            self.actor,
            grouping,
            year=year,
            unit=self._code(unit) if unit is not None else None,
        )
        if year is None or grouping not in (SummaryBy.UNIT, SummaryBy.DISTRICT):
            return rows
        day = min(date(year, 12, 31), self.today())
        names = {str(u.code): u.name_on(day) for u in self.org_tree}
        return [r._replace(label=names.get(r.key, r.label)) for r in rows]

    def ranking_weights(self) -> RankingWeights:
        """The ranking weights in effect (settings key ``ranking_weights``, else defaults)."""
        value = self.store.get_setting(WEIGHTS_SETTING)
        return RankingWeights.from_setting(value if isinstance(value, dict) else None)

    def set_ranking_weights(self, values: Mapping[str, Any]) -> RankingWeights:
        """Change the ranking weights (city operators; audited); unknown keys are refused."""
        chosen = RankingWeights.from_setting(values)
        self.set_setting(WEIGHTS_SETTING, attrs.asdict(chosen))
        return chosen

    def ranking(
        self,
        of: str = "member",
        *,
        year: int | None = None,
        top: int | None = None,
        weights: RankingWeights | None = None,
    ) -> list[Ranked]:
        """Model members (``of="member"``) or model collectives (``"community"``) of a year,
        scored with the stated weights."""
        chosen = weights or self.ranking_weights()
        day_year = year or self.default_year()
        if of == "member":
            rows = [r for r in self.feedback_summary("member", year=day_year) if r.activities]
            return rank(rows, chosen.member_score, top)
        if of == "community":
            rows = [r for r in self.feedback_summary("community", year=day_year) if r.key]
            return rank(rows, chosen.community_score, top)
        raise ValidationError("ranking.of", f"排名对象“{of}”无效：只能是 member 或 community。")

    def service_tiers(self, *, minimum: int = 0) -> list[TierLine]:
        """Members' cumulative service over all years and their star level (100/300/600/
        1000/1500 hours)."""
        return tier_lines(self.feedback_summary("member"), minimum=minimum)

    def pairings(self, *, per_unit: int = 3, minimum: int = 1) -> list[Pairing]:
        """Pairing suggestions (结对共建): for each unit, the communities where most of its
        routed members report in."""
        labels = {c.id: c.label for c in self.store.communities()}
        return suggest_pairings(
            self.store.pairing_counts(self.actor), labels, per_unit=per_unit, minimum=minimum
        )

    def ledger(self, unit: OrgCode | str, *, year: int | None = None) -> list[LedgerLine]:
        """A unit's ledger (台帐) for the year: every member of the unit's subtree with their
        service and their feedback sheet (number, state, confirmation, delivery)."""
        code = self.code(unit).code
        day_year = year or self.default_year()
        day = min(date(day_year, 12, 31), self.today())
        # the members the unit had at the year's end, under that day's codes: the 2014 ledger
        # of 清河区's units, asked after the 2016 merge, still lists their members
        units = self.store.unit_members_on(self.actor, code, day)
        # an org change since the year began re-coded activities and sheets: take the
        # members' own rows wherever they are coded now (decision 0062)
        within = None if self.store.org_changed_after(date(day_year, 1, 1)) else code
        by_member = self.store.feedback_summary(
            self.actor, SummaryBy.MEMBER, year=day_year, unit=within
        )
        sheets = self.store.sheets_iter(self.actor, day_year, unit=within)
        points = self.points.balances(day_year)
        return [
            attrs.evolve(line, points=points.get(line.member_id, 0.0))
            for line in ledger_lines(by_member, sheets, units)
        ]

    def set_activity_kinds(self, kinds: Sequence[str]) -> tuple[str, ...]:
        """Set the city's own activity types (city operators; audited)."""
        names = [k.strip() for k in kinds if k.strip()]
        for name in names:
            if len(name) > 64:
                raise ValidationError(
                    "activity.kind", f"活动类型“{name[:20]}…”太长：最多 64 个字。"
                )
        self.set_setting(KINDS_SETTING, names)
        return self.activity_kinds()

    def check_kind(self, text: str) -> str:
        """``text`` as a known activity type (``""`` when empty)."""
        return check_kind(text, self.activity_kinds())

    # -- years --

    def campaign_calendar(self, year: int) -> CampaignCalendar:
        """The calendar of ``year``: :meth:`calendar`."""
        return self.calendar(check_year(year))

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

    def open_year(self, year: int, *, on: date | None = None, dry_run: bool = False) -> YearOpening:
        """Open campaign ``year`` (city operators): its calendar from the shared month-days,
        earlier years closed (readable, no new activities), standing registrations carried
        over for each unit to confirm."""
        calendar = self.calendar(check_year(year))
        day = on or self.today()
        batch = None if dry_run else self._batch(BatchKind.YEAR, f"year open {year}", 1, day)
        opening = self.store.open_year(
            self.actor, year, calendar, day, dry_run=dry_run, batch=batch
        )
        if dry_run:
            return opening
        assert batch is not None
        opening = attrs.evolve(opening, batch_id=batch.id)
        with self.notify.queued_by(batch):
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

    def member_service(self, year: int) -> list[ServiceRecord]:
        """Each member's confirmed service in ``year`` within scope (Table 1's service
        columns): hours, activities and ratings. Not masked: it feeds the official form."""
        return self.store.member_service(self.actor, check_year(year))

    def retention_years(self) -> int:
        """The retention period in years (setting ``retention.years``, default 3)."""
        return retention_years(self.store.get_setting(RETENTION_SETTING))

    def run_retention(self, *, on: date | None = None, dry_run: bool = False) -> RetentionReport:
        """Anonymise the members who left more than the retention period before ``on``
        (city operators; a dry run writes nothing)."""
        day = on or self.today()
        batch = None if dry_run else self._batch(BatchKind.RETENTION, "retention run", 0, day)
        report = self.store.run_retention(
            self.actor, day, self.retention_years(), dry_run=dry_run, batch=batch
        )
        if batch is not None and report.members:
            report = attrs.evolve(report, batch_id=batch.id)
        if not dry_run:
            self._changed(
                "retention.run",
                f"retention:{report.on.isoformat()}",
                None,
                {"members": report.members, "audit_entries": report.audit_entries},
            )
        return report


@attrs.frozen
class Reminders:
    """What ``Workspace.remind`` did: the deadline within reach (``None``: none within the
    days), and the ``progress.remind`` events it emitted (their ``after``)."""

    on: date
    days: int
    deadline: Deadline | None
    events: tuple[Mapping[str, object], ...]
    #: the outbox rows the events became: ``pending`` (to be sent), ``skipped`` (the target
    #: has no channel), ``duplicate`` (already in the outbox); all 0 without the notification
    #: plugin
    queued: Mapping[str, int] = attrs.field(
        factory=lambda: {"pending": 0, "skipped": 0, "duplicate": 0}
    )
    #: the batch that ``partyreg undo`` takes back (``None``: nothing written)
    batch_id: str | None = None


#: The shared setting overriding or extending the specialty map: ``{word: [post codes]}``.
SPECIALTIES_SETTING = "service.specialties"
#: The shared setting naming the leader rule: ``["rank", "hours"]``.
LEADER_RULE_SETTING = "service.leader_rule"


def _need_change(need: Need) -> dict[str, Any]:
    return {
        "id": need.id,
        "community_id": need.community_id,
        "year": need.year,
        "post_code": need.post_code,
        "people": need.people,
        "purpose": need.purpose,
        "start_on": need.start_on.isoformat() if need.start_on else None,
        "end_on": need.end_on.isoformat() if need.end_on else None,
    }


def _is_code(text: str) -> bool:
    return bool(text) and all(part.isdigit() for part in text.split("."))


def _one_district(tree: OrgTree, name: str) -> OrgCode | None:
    found = [u for u in tree.district_for_name(name) if u.kind.has_communities]
    return found[0].code if len(found) == 1 else None


def _scope_name(scope: Scope, tree: OrgTree) -> str:
    """What a report of this scope is about: 全市, the org's name, or the scope's label."""
    if scope.role is Role.CITY:
        return "全市"
    unit = tree.find(scope.code) if scope.code is not None else None
    return unit.name if unit is not None else scope.label


#: The largest change file read (a change file has tens of lines).
CHANGE_FILE_LIMIT = 1 << 20


def _masks(exporter: Exporter, workspace: Workspace, options: Mapping[str, Any]) -> bool:
    """Whether an export hides phone digits and house numbers: the exporter says, where it
    decides by role (``masks``); else ``--mask``."""
    decide = getattr(exporter, "masks", None)
    if callable(decide):
        return bool(decide(workspace, options))
    return bool(options.get("mask"))


#: What a workspace keeps that is the acting identity's own (a copy acting for a member drops
#: it): the actor and every service built around it.
_ACTING = frozenset(
    {"actor", "signin", "notify", "routing", "members", "operators", "wishes", "points",
     "nudges", "events"}
)  # fmt: skip

#: The fields ``activity edit`` may change.
_ACTIVITY_FIELDS = frozenset({"day", "hours", "content", "rating", "kind", "place", "participants"})
