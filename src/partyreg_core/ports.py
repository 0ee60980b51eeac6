"""The ports through which the core reaches the outside: stores, file formats, exporters and
notification channels, and the values that cross them. Plugins implement these Protocols; the
core never imports a plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

# values that cross the ports are defined with their features (so that no feature module
# imports this one); plugins may still import them from here
from partyreg_core.audit import Change as Change
from partyreg_core.members.port import MemberRepository
from partyreg_core.operators.model import Login as Login
from partyreg_core.operators.model import LoginKind as LoginKind
from partyreg_core.operators.port import OperatorRepository
from partyreg_core.sheets import RawRow as RawRow
from partyreg_core.sheets import RawSheet as RawSheet
from partyreg_core.sheets import ReadLimits as ReadLimits

if TYPE_CHECKING:
    from partyreg_core.audit import AuditEntry, AuditQuery
    from partyreg_core.batches import ActivityWrite, Batch, RegistrationWrite, UndoReport
    from partyreg_core.calendar import CampaignCalendar
    from partyreg_core.communities import Community, FieldEdit
    from partyreg_core.documents import IssuedDocument
    from partyreg_core.events.port import EventRepository
    from partyreg_core.feedback.port import ActivityRepository, FeedbackRepository
    from partyreg_core.hours import ActivityTotal, RollupKey
    from partyreg_core.ledger import MemberService
    from partyreg_core.members.model import Route
    from partyreg_core.notify.port import NotifyRepository
    from partyreg_core.nudges.port import NudgeRepository
    from partyreg_core.operators.model import Actor
    from partyreg_core.orgchanges import OrgChange, OrgChangeRecord, OrgPlan
    from partyreg_core.orgcodes import OrgCode, OrgTree, OrgUnit
    from partyreg_core.points.port import PointsRepository
    from partyreg_core.posts import Post
    from partyreg_core.progress import OverdueMember, ProgressBy, ProgressCount
    from partyreg_core.records import Activity, DirectoryEntry, Registration
    from partyreg_core.retention import RetentionReport
    from partyreg_core.routing.port import RoutingRepository
    from partyreg_core.service.port import ServiceRepository
    from partyreg_core.signin.port import SigninStore
    from partyreg_core.wishes.port import WishRepository
    from partyreg_core.years import CampaignYear, UnitConfirmation, YearOpening

# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class InitReport:
    """What ``partyreg init`` did: whether it created the store, the schema version before and
    after, what it loaded, and the operator it made (the OS user, on a new store)."""

    url: str
    created: bool
    schema_before: str | None
    schema_after: str
    codes_added: int = 0
    posts_added: int = 0
    operator_created: str | None = None

    @property
    def changed(self) -> bool:
        """Whether anything was changed (a second ``init`` changes nothing)."""
        return (
            self.created
            or self.schema_before != self.schema_after
            or bool(self.codes_added or self.posts_added or self.operator_created)
        )


@attrs.frozen
class StoreFile:
    """A file (or the folder) a SQLite store lives in, as ``partyreg doctor`` shows it."""

    path: Path
    mode: int
    owner: str
    group: str
    is_dir: bool = False


@attrs.frozen
class StoreFinding:
    """Something ``partyreg doctor`` found wrong or worth knowing (a stable code, Chinese
    text saying what to do)."""

    code: str
    message: str


@attrs.frozen
class StoreCheck:
    """What ``partyreg doctor`` reports: the store's files (SQLite) or the login (PostgreSQL:
    its name, whether it is an operator's own role, a superuser or BYPASSRLS), and warnings."""

    url: str
    files: tuple[StoreFile, ...] = ()
    login: str | None = None
    login_kind: str | None = None
    warnings: tuple[StoreFinding, ...] = ()


@runtime_checkable
class Store(Protocol):
    """A campaign store, chosen by the ``--db`` URL.

    The feature ports it is made of are the repositories it holds as attributes
    (``members``: :class:`~partyreg_core.members.port.MemberRepository`, ``operators``:
    :class:`~partyreg_core.operators.port.OperatorRepository`, ``wishes``, …).

    Every method that reads or writes campaign data takes the acting :class:`Actor` and works
    within its scope: rows outside it are neither returned nor changed, and a row named by id
    outside it is "not found" (nothing about it is revealed). Each write is one transaction
    (all or nothing) and leaves one audit entry (a bulk write: one for its batch). The
    contract per port ships as :mod:`partyreg_core.testing` (members and operators so far; the
    rest is still in ``tests/plugins/storage``), run on SQLite, PostgreSQL and the in-memory
    reference store; every backend passes it unchanged. Errors are :class:`partyreg_core.errors.PartyregError`; a busy or unreachable
    store is :class:`partyreg_core.errors.TemporaryError`.
    """

    url: str
    #: community events and check-in (:mod:`partyreg_core.events`)
    events: EventRepository
    dialect: str
    #: the feature repositories (each a small Protocol of its own package)
    members: MemberRepository
    operators: OperatorRepository
    wishes: WishRepository
    points: PointsRepository
    nudges: NudgeRepository
    notify: NotifyRepository
    routing: RoutingRepository
    service: ServiceRepository
    activities: ActivityRepository
    feedback: FeedbackRepository

    @property
    def signin(self) -> SigninStore:
        """The one-time sign-in tokens and the site's session key (decision 0115)."""

    # -- set-up -----------------------------------------------------------------------------

    def initialise(self, *, os_user: str, org_tree: OrgTree, posts: Sequence[Post]) -> InitReport:
        """Create or upgrade the store, load the code table and the posts (adding what is
        missing, never changing what is there), and make ``os_user`` a city operator if the
        store has no operator yet. Running it again changes nothing."""

    def is_ready(self) -> bool:
        """Whether the store exists and its schema is current (no connection error is hidden:
        an unreachable server raises :class:`TemporaryError`)."""

    def close(self) -> None:
        """Release connections."""

    def files(self) -> tuple[Path, ...]:
        """The files the store lives in (none for a server): an export never replaces them."""

    def share_with_group(self, group: str, *, check_only: bool = False) -> None:
        """Make a SQLite store, its journals and its folder group-writable for ``group`` and
        closed to others (setgid folder, so new WAL/SHM files take the group too);
        ``check_only``: refuse now what would be refused, changing nothing."""

    def check(self) -> StoreCheck:
        """Permissions and login as ``partyreg doctor`` reports them."""

    # -- org tree and directory -------------------------------------------------------------

    def load_org_tree(self) -> OrgTree:
        """The org tree as stored (every unit ever coded, retired ones included)."""

    def add_org_units(self, actor: Actor, batch: Batch, units: Sequence[OrgUnit]) -> int:
        """Add new units (parents first; each parent within the actor's scope); returns how
        many were added. A code that exists is refused (codes are never reused)."""

    def communities(self, district: OrgCode | None = None) -> list[Community]:
        """The community directory (附表4), or one district's part of it. The directory is
        shared by all operators."""

    def save_communities(
        self, actor: Actor, batch: Batch, entries: Sequence[DirectoryEntry]
    ) -> list[Community]:
        """Add or update directory entries (matched by district, street and community name);
        each entry's district must be in the actor's scope."""

    def directory_edits(
        self, actor: Actor, community_ids: Sequence[int]
    ) -> dict[int, list[FieldEdit]]:
        """The contact fields of these communities edited by hand (``community edit``) since an
        import last wrote them, newest first per field: what a re-import must not silently
        revert."""

    # -- members ----------------------------------------------------------------------------

    def write_registrations(
        self,
        actor: Actor,
        batch: Batch,
        registrations: Iterable[Registration],
        *,
        skip_rejected: bool = False,
        dry_run: bool = False,
        commit_if: Callable[[], bool] | None = None,
        batch_rows: Callable[[], int] | None = None,
    ) -> RegistrationWrite:
        """Write rows of 附表1 as one batch. A person (name + phone) is one member: the same
        unit's row updates the changed fields (a changed community of a routed member becomes a
        change-of-community request); another unit's person is refused (``member.conflict``);
        a unit outside the scope is refused (``scope.denied``). With refused rows nothing is
        written unless ``skip_rejected``; ``dry_run`` writes nothing and says what would be.

        ``registrations`` may be any iterable (a generator streams: it is consumed once, in
        chunks, inside the one transaction, so the records are never all held). Once it is exhausted,
        ``commit_if`` (if given) decides: ``False`` rolls the batch back and the result is that
        of a dry run; ``batch_rows`` (if given) is the batch's final row count."""

    def route_members(self, actor: Actor, routes: Sequence[Route], on: date) -> int:
        """Route members to a district (and community), marking them routed on ``on``."""

    # -- activities -------------------------------------------------------------------------

    def write_activities(
        self,
        actor: Actor,
        batch: Batch,
        activities: Sequence[Activity],
        *,
        skip_rejected: bool = False,
        dry_run: bool = False,
    ) -> ActivityWrite:
        """Write activities (rows of 附表3) as one batch: each member found by name + phone
        within the scope and with a community; an identical activity already stored is a
        duplicate (skipped); refused: unknown member, more than 24 hours a day, a locked sheet."""

    def member_activities(
        self, actor: Actor, member_id: int, *, year: int | None = None
    ) -> list[Activity]:
        """A member's confirmed activities (of ``year``) visible in the scope, by day;
        :class:`NotFoundError` for a member outside it."""

    def activity_totals(
        self, actor: Actor, by: RollupKey, *, year: int | None = None
    ) -> list[ActivityTotal]:
        """Hours and activity counts grouped ``by`` member, community, unit or district,
        within the scope, ordered by key."""

    # -- batches and audit ------------------------------------------------------------------

    def batches(self, actor: Actor) -> list[Batch]:
        """The import batches the actor may see, newest first."""

    def undo_batch(self, actor: Actor, batch_id: str, reason: str = "") -> UndoReport:
        """Revert a batch nothing has built on yet (``reason`` goes to the audit log);
        :class:`ConflictError` saying what blocks it otherwise."""

    def record_message_batch(self, actor: Actor, batch: Batch, message_ids: Sequence[int]) -> None:
        """Record the outbox messages a reminder queued or a flush tried as one batch, which
        :meth:`undo_batch` takes back as far as messages can be (decision 0109)."""

    def append_audit(
        self,
        actor: Actor,
        action: str,
        subject: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Record a change made outside the store's own write methods (one transaction)."""

    def audit(self, actor: Actor, query: AuditQuery) -> Iterator[AuditEntry]:
        """Audit entries within the scope (city: all; others: their own and those about their
        units, district or communities), oldest first (newest first, and before an id, as the
        query says)."""

    # -- issued documents (partyreg_core.documents) -----------------------------------------

    def document_key(self) -> bytes:
        """The store's secret key of check codes (never exported)."""

    def issue_document(
        self, actor: Actor, document: IssuedDocument, *, replaces: str | None = None
    ) -> IssuedDocument:
        """Record ``document`` as issued (replacing an earlier one of the same serial with
        other content; ``replaces``: the serial of a valid document it supersedes); returns
        it as recorded."""

    def find_document(self, serial: str) -> IssuedDocument | None:
        """The issued document ``serial``, or ``None``."""

    def latest_document(self, member_id: int, kind: str) -> IssuedDocument | None:
        """The newest revision of a member's document of ``kind``, or ``None``."""

    def revoke_document(self, actor: Actor, serial: str, reason: str, on: date) -> IssuedDocument:
        """Revoke a valid document (audited); returns it as it is now."""

    # -- settings ---------------------------------------------------------------------------

    def get_setting(self, key: str) -> Any:
        """A shared setting's value (plain JSON data), or ``None``."""

    def set_setting(self, actor: Actor, key: str, value: Any) -> None:
        """Change a shared setting (city operators only; audited)."""

    # -- progress -----------------------------------------------------------------------------

    def set_expected(self, actor: Actor, code: OrgCode, year: int, expected: int) -> int | None:
        """Declare the expected member count of ``code`` for ``year`` (a unit its own, a
        district or the city for units below); returns the previous count."""

    def expectations(self, actor: Actor, year: int) -> dict[OrgCode, int]:
        """Every expected count declared for ``year``."""

    def progress_counts(
        self,
        actor: Actor,
        by: ProgressBy,
        calendar: CampaignCalendar,
        on: date,
        *,
        within: OrgCode | None = None,
    ) -> list[ProgressCount]:
        """Members within the scope counted as of ``on`` per unit (code cut to 3 segments),
        district (2 segments) or community: registered, and per later milestone done and done
        on time; one grouped query, in key order. ``within``: only the members whose unit
        code on ``on`` is that code or below it (a unit's members by community)."""

    def overdue_members(
        self, actor: Actor, calendar: CampaignCalendar, on: date
    ) -> Iterator[OverdueMember]:
        """Members within the scope who missed a deadline that had passed by ``on``, each with
        the milestones missed (:func:`partyreg_core.progress.overdue_milestones`), streamed by
        unit code."""

    # -- orgchanges --

    def org_changes(self, code: OrgCode | None = None) -> list[OrgChangeRecord]:
        """The recorded org changes (of ``code``: as the unit changed or as the code it went on
        under), oldest first (shared by all operators)."""
        ...

    def apply_org_changes(
        self,
        actor: Actor,
        changes: Sequence[OrgChange],
        *,
        today: date,
        batch: Batch | None = None,
        dry_run: bool = False,
    ) -> OrgPlan:
        """Plan ``changes`` (:func:`partyreg_core.orgchanges.plan_changes`) against the stored
        tree in one transaction and, unless ``dry_run``, write them: new codes, retired codes
        pointing at their new ones, every old → new code applied to what carries a code, the
        members' earlier codes kept, one audit entry (``org.<kind>``, or ``org.apply`` for a
        ``batch``). The actor must cover the parent of each unit changed and each new parent or
        merge target."""
        ...

    def unit_members_on(self, actor: Actor, under: OrgCode, day: date) -> dict[int, str]:
        """Members within ``under`` under the codes of ``day`` (not gone before the day's year
        began): member id → the unit code they had that day, in scope."""
        ...

    def org_changed_after(self, day: date) -> bool:
        """Whether an org change took effect after ``day``."""
        ...

    # -- years --

    def campaign_years(self) -> list[CampaignYear]:
        """Every campaign year the store opened, newest first."""

    def campaign_year(self, year: int) -> CampaignYear | None:
        """Campaign year ``year``, or ``None`` when it was never opened."""

    def open_year(
        self,
        actor: Actor,
        year: int,
        calendar: CampaignCalendar,
        on: date,
        *,
        dry_run: bool = False,
        batch: Batch | None = None,
    ) -> YearOpening:
        """Open ``year`` with ``calendar`` (city only; audited): close every earlier open year
        and carry each unit's standing registrations over for it to confirm (``dry_run``:
        what it would do, rolled back)."""

    def year_confirmations(
        self, actor: Actor, year: int, *, pending_only: bool = False
    ) -> list[UnitConfirmation]:
        """The units' confirmations of ``year`` within the scope, by unit code."""

    def confirm_year(self, actor: Actor, year: int, unit: OrgCode, on: date) -> UnitConfirmation:
        """Unit ``unit`` confirms its registrations for open ``year`` (audited)."""

    def latest_data_year(self) -> int | None:
        """The year of the newest batch's business date (``None`` for an empty store): the
        campaign year while no year was opened."""

    def locked_before(self) -> int | None:
        """The newest opened year: activities dated in an earlier year are refused
        (``activity.year_closed``); ``None`` while no year was opened."""

    def member_service(
        self, actor: Actor, year: int, member_ids: Sequence[int] | None = None
    ) -> list[MemberService]:
        """Each visible member's confirmed service in ``year`` (hours, count, ratings)."""

    def run_retention(
        self, actor: Actor, on: date, years: int, *, dry_run: bool, batch: Batch | None = None
    ) -> RetentionReport:
        """Anonymise members who left ``years`` years before ``on`` or earlier, scrub the audit
        log's values about them, and log the run (city only; a dry run writes nothing)."""


StoreOpener = Callable[[str], Store]


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class TableFormat(Protocol):
    """A file format partyreg can read (``name`` and ``extensions`` may be plain class
    attributes; read-only here, so a frozen or constant one satisfies the protocol)."""

    @property
    def name(self) -> str:
        """The format's name (``xlsx``, ``csv``)."""
        ...

    @property
    def extensions(self) -> tuple[str, ...]:
        """The file name endings it reads (``.xlsx``)."""
        ...

    def sniff(self, path: Path, limits: ReadLimits) -> None:
        """Check, before parsing, that ``path`` really is of this format and is safe to read;
        raise :class:`partyreg_core.errors.ValidationError` (code ``file.*``) saying why not."""

    def sheets(self, path: Path, limits: ReadLimits) -> Iterator[RawSheet]:
        """The visible sheets of ``path`` in workbook order (a CSV has one)."""


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class Exporter(Protocol):
    """An export (``partyreg export NAME -o FILE``): an official form, a circular, a ledger."""

    @property
    def name(self) -> str:
        """The export's name on the command line (``form1``)."""
        ...

    @property
    def title(self) -> str:
        """What it is, in Chinese (``附表1 登记表``)."""
        ...

    def export(self, workspace: Any, target: Path, options: Mapping[str, Any]) -> int:
        """Write the export to ``target`` and return how many records it holds.

        An exporter that masks by role may also define ``masks(workspace, options) -> bool``
        (whether phones and addresses come out masked), which the audit entry records; without
        it, ``--mask`` decides."""


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class Message:
    """A notification: a Chinese subject and body for the recipients of one channel."""

    subject: str
    body: str
    recipients: tuple[str, ...] = ()


@runtime_checkable
class Notifier(Protocol):
    """A channel that delivers messages; raise on failure so the outbox retries later."""

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise."""


NotifierFactory = Callable[[Mapping[str, str]], Notifier]


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class ImportOutcome:
    """What a committed import wrote."""

    batch_id: str
    file: str
    kind: str
    rows_written: int
