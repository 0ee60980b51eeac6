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
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import attrs

import partyreg_core
from partyreg_core import builtin, documents, progress
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
    ValidationError,
)
from partyreg_core.events.service import EventService
from partyreg_core.feedback.rules import refuse_closed_year
from partyreg_core.feedback.service import FeedbackService
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
from partyreg_core.service.service import CommunityService
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
            for s in self.store.feedback.feedback_sheet_list(
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
            check_entries=self.feedback.check_entries,
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
            posts=tuple(self.service.post_name(p, community.district_code) for p in member.posts),
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
            community=lambda text: self.service.find(text),
            post=lambda community, text: self.service.post(community, text).code,
            check_entries=self.feedback.check_entries,
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

    @cached_property
    def service(self) -> CommunityService:
        """Needs lists, post assignment and groups (:mod:`partyreg_core.service`)."""
        return CommunityService(
            repository=self.store.service,
            actor=lambda: self.actor,
            today=self.today,
            default_year=self.default_year,
            refuse_closed_year=lambda year: self.refuse_closed_year(year),
            post_catalog=lambda: self.post_catalog,
            code=self.code,
            community=self.community,
            communities=self.communities,
            setting=self.setting,
            set_setting=self.set_setting,
            plugin_specialties=self._specialties,
            solver=lambda: self.pm.hook.partyreg_assignment_solver(),
            batch=self._batch,
            queued_by=self.notify.queued_by,
            changed=self._changed_event,
        )

    def _specialties(self) -> dict[str, list[str]]:
        """The plugins' 特长 words (``partyreg_register_specialties``)."""
        added: dict[str, list[str]] = {}

        def register(word: str, post_codes: Sequence[str]) -> None:
            added[str(word)] = [str(c) for c in post_codes]

        self.pm.hook.partyreg_register_specialties(register=register)
        return added

    @cached_property
    def feedback(self) -> FeedbackService:
        """Activities, self-reports, feedback sheets and the roll-ups
        (:mod:`partyreg_core.feedback`)."""
        return FeedbackService(
            activity_repository=self.store.activities,
            repository=self.store.feedback,
            actor=lambda: self.actor,
            today=self.today,
            default_year=self.default_year,
            locked_before=self.store.locked_before,
            member_name=lambda member_id: self.store.members.get_member(self.actor, member_id).name,
            setting=self.setting,
            set_setting=self.set_setting,
            org_tree=lambda: self.org_tree,
            code=self.code,
            parse_code=self._code,
            community=self.community,
            communities=self.store.communities,
            unit_members_on=self.store.unit_members_on,
            org_changed_after=self.store.org_changed_after,
            point_balances=lambda year: self.points.balances(year),
            batch=self._batch,
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
     "nudges", "events", "service", "feedback"}
)  # fmt: skip
