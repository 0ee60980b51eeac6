"""The SQL store: one implementation of :class:`partyreg_core.ports.Store` for SQLite and
PostgreSQL, over the one schema of :mod:`.schema`.

Every public method is one transaction. Reads and writes of campaign data are restricted to the
actor's scope by the conditions of :mod:`.scoping`; on PostgreSQL the transaction also runs as
the operator's own database role, so row-level security applies the same rule in the database.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from partyreg_core.audit import AuditEntry, AuditQuery
from partyreg_core.batches import (
    RETENTION_IRREVERSIBLE,
    ActivityWrite,
    Batch,
    BatchKind,
    RegistrationWrite,
    Rejection,
    RowChange,
    UndoReport,
)
from partyreg_core.communities import Community, FieldEdit, community_key
from partyreg_core.converter import unstructure
from partyreg_core.errors import (
    ConflictError,
    NotFoundError,
    NotPermittedError,
    PartyregError,
    ValidationError,
)
from partyreg_core.feedback.rules import over_day_limit
from partyreg_core.hours import ActivityTotal, RollupKey
from partyreg_core.importing import no_gc
from partyreg_core.members.model import (
    MemberStatus,
    Route,
)
from partyreg_core.members.rules import (
    member_not_found,
    refuse_departed_edit,
    registration_changes,
)
from partyreg_core.operators.model import Actor, Role, Scope
from partyreg_core.operators.rules import require_role
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgTree, OrgUnit
from partyreg_core.points.model import Earning, PointsSource
from partyreg_core.ports import InitReport, StoreCheck
from partyreg_core.posts import Post
from partyreg_core.records import (
    Activity,
    CommunityRef,
    DirectoryEntry,
    Gender,
    Rating,
    Registration,
    ReportType,
)
from partyreg_core.retention import erased_message
from partyreg_plugins.sqlstore import migrate, pg, sharing
from partyreg_plugins.sqlstore import points as ledger
from partyreg_plugins.sqlstore.activities import SqlActivities
from partyreg_plugins.sqlstore.bulk import (
    JOINED_ACTIVITY_COLUMNS,
    fetch_rows,
    in_values,
    insert_activities_joined,
    insert_rows,
    service_added_per_batch,
    sqlite_date,
    sqlite_datetime,
)
from partyreg_plugins.sqlstore.documents import DocumentsStoreMixin
from partyreg_plugins.sqlstore.engine import (
    WRITE_OPTION,
    make_engine,
    parse_url,
    sqlite_path,
    translated_errors,
)
from partyreg_plugins.sqlstore.events import SqlEventRepository
from partyreg_plugins.sqlstore.feedback import SqlFeedback
from partyreg_plugins.sqlstore.history import (
    DayCodes,
    activity_district_on_day,
    activity_unit_on_day,
    changed_after,
)
from partyreg_plugins.sqlstore.journal import journal_of, restore
from partyreg_plugins.sqlstore.members import Resolver as _Resolver
from partyreg_plugins.sqlstore.members import SqlMembers, built_on, district_for, member_values
from partyreg_plugins.sqlstore.notify import SqlNotify
from partyreg_plugins.sqlstore.nudges import SqlNudges
from partyreg_plugins.sqlstore.operators import SqlOperators
from partyreg_plugins.sqlstore.orgchanges import OrgChangesMixin
from partyreg_plugins.sqlstore.points import SqlPoints
from partyreg_plugins.sqlstore.progress import ProgressStore
from partyreg_plugins.sqlstore.routing import SqlRouting
from partyreg_plugins.sqlstore.rows import chunks as _chunks
from partyreg_plugins.sqlstore.rows import code as _code
from partyreg_plugins.sqlstore.rows import community as _community
from partyreg_plugins.sqlstore.rows import member as _member
from partyreg_plugins.sqlstore.rows import now as _now
from partyreg_plugins.sqlstore.rows import opt_code as _opt_code
from partyreg_plugins.sqlstore.rows import utc as _utc
from partyreg_plugins.sqlstore.schema import (
    ACTIVITY_KEY,
    MEMBER_TABLES,
    activities,
    audit_log,
    batch_rows,
    change_requests,
    claims,
    communities,
    feedback_sheets,
    import_batches,
    members,
    operators,
    org_units,
    outbox,
    posts,
    routes,
    settings,
)
from partyreg_plugins.sqlstore.scoping import (
    activity_condition,
    activity_write_condition,
    audit_condition,
    member_condition,
    subtree,
    where,
)
from partyreg_plugins.sqlstore.service import SqlService
from partyreg_plugins.sqlstore.signin import SigninRepository
from partyreg_plugins.sqlstore.wishes import SqlWishes
from partyreg_plugins.sqlstore.years import YearsStore, erased_among

#: Mode of a new SQLite store file: read and write for its owner, read for its group.
SQLITE_FILE_MODE = 0o640

MEMBER_COLUMNS = (
    "unit_code",
    "name",
    "phone",
    "gender",
    "unit_and_title",
    "specialty",
    "posts",
    "address",
    "community_district",
    "community_street",
    "community_name",
    "report_type",
    "rank",
    "status",
    "community_id",
    "district_code",
    "registered_on",
    "batch_id",
    "created_batch",
    "updated_at",
)
#: Activity rows in insert order: the member's columns, then the batch's own.
ACTIVITY_COLUMNS = (
    "member_id",
    "community_id",
    "unit_code",
    "district_code",
    *JOINED_ACTIVITY_COLUMNS,
)


class _Rollback(Exception):
    """Raised inside a transaction to roll it back and hand a result out."""

    def __init__(self, result: object) -> None:
        super().__init__("rollback")
        self.result = result


def _json(value: Any) -> Any:
    """Core values as JSON-ready data (org codes as text, dates ISO, tuples as lists)."""
    return json.loads(json.dumps(unstructure(value), ensure_ascii=False, default=str))


def _audit_entry(row: sa.Row[Any]) -> AuditEntry:
    m = row._mapping
    at = _utc(m["at"])
    assert at is not None
    return AuditEntry(
        id=m["id"],
        at=at,
        actor=m["actor"],
        action=m["action"],
        subject=m["subject"],
        before=m["before"],
        after=m["after"],
        on_behalf_of=m["on_behalf_of"],
        os_user=m["os_user"],
        batch_id=m["batch_id"],
    )


def _batch(row: sa.Row[Any]) -> Batch:
    m = row._mapping
    at = _utc(m["at"])
    assert at is not None
    return Batch(
        id=m["id"],
        kind=BatchKind(m["kind"]),
        file=m["file"],
        operator=m["operator"],
        at=at,
        on=m["on_date"],
        rows=m["rows_total"],
        written=m["rows_written"],
        on_behalf_of=m["on_behalf_of"],
        undone_at=_utc(m["undone_at"]),
        undone_by=m["undone_by"],
    )


class SqlStore(
    DocumentsStoreMixin,
    ProgressStore,
    OrgChangesMixin,
    YearsStore,
):
    """A partyreg store in SQLite (``sqlite:///path``) or PostgreSQL (``postgresql://…``).

    Opening one does not connect; the first call does. :meth:`initialise` creates the store;
    every other method needs an initialised, current one and says how to get it otherwise.
    """

    @functools.cached_property
    def signin(self) -> SigninRepository:
        """The members' site's one-time tokens and session key (decision 0115)."""
        return SigninRepository(self)

    def __init__(self, url: str) -> None:
        self.url = url
        self._url = parse_url(url)
        self.dialect: str = self._url.get_backend_name()
        self._engine: Engine | None = None
        self._ready = False
        self._roles = pg.Roles(self._url.database or "") if self.dialect == "postgresql" else None
        self._checked_roles: set[str] = set()

    @functools.cached_property
    def events(self) -> SqlEventRepository:
        """Community events and check-in (decision 0125)."""
        return SqlEventRepository(self)

    def __repr__(self) -> str:
        return f"SqlStore({self._url.render_as_string(hide_password=True)!r})"

    # -- feature repositories (composed, one module each) -------------------------------------

    @cached_property
    def members(self) -> SqlMembers:
        """Members: pages, counts, one member, editing, removing (:mod:`.members`)."""
        return SqlMembers(self)

    @cached_property
    def operators(self) -> SqlOperators:
        """The login, operator accounts, refusals (:mod:`.operators`)."""
        return SqlOperators(self)

    @cached_property
    def wishes(self) -> SqlWishes:
        """Residents' wishes (:mod:`.wishes`)."""
        return SqlWishes(self)

    @cached_property
    def notify(self) -> SqlNotify:
        """Notification channels and the outbox (:mod:`.notify`)."""
        return SqlNotify(self)

    @cached_property
    def routing(self) -> SqlRouting:
        """Directory upkeep, instructors, routing, report-in, changes (:mod:`.routing`)."""
        return SqlRouting(self)

    @cached_property
    def feedback(self) -> SqlFeedback:
        """Activities, feedback sheets and the roll-ups (:mod:`.feedback`)."""
        return SqlFeedback(self)

    @cached_property
    def activities(self) -> SqlActivities:
        """Activities, corrections and self-reports (:mod:`.activities`)."""
        return SqlActivities(self)

    @cached_property
    def points(self) -> SqlPoints:
        """The points ledger (:mod:`.points`)."""
        return SqlPoints(self)

    @cached_property
    def nudges(self) -> SqlNudges:
        """The facts of nudges (:mod:`.nudges`)."""
        return SqlNudges(self)

    @cached_property
    def service(self) -> SqlService:
        """Needs lists, assignments and groups (:mod:`.service`)."""
        return SqlService(self)

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (created on first use)."""
        if self._engine is None:
            self._engine = make_engine(self._url)
        return self._engine

    def close(self) -> None:
        """Release connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def files(self) -> tuple[Path, ...]:
        """The SQLite file and its journals (none on PostgreSQL)."""
        if not self._sqlite:
            return ()
        path = sqlite_path(self._url)
        return tuple(path.with_name(path.name + s) for s in ("", "-wal", "-shm", "-journal"))

    def share_with_group(self, group: str, *, check_only: bool = False) -> None:
        """Make the SQLite store the group's (see :mod:`sharing`); refused on PostgreSQL."""
        if not self._sqlite:
            raise ValidationError(
                "store.group_sqlite_only",
                "--group 只用于 SQLite 存储；PostgreSQL 存储由每位操作员自己的数据库用户登录"
                "（见 docs/storage.md）。",
            )
        sharing.share(sqlite_path(self._url), group, check_only=check_only)

    def check(self) -> StoreCheck:
        """The store's files and their permissions (SQLite), or the login (PostgreSQL)."""
        described = self._url.render_as_string(hide_password=True).replace("+psycopg", "")
        if self._sqlite:
            path = sqlite_path(self._url)
            if not self._file_exists():
                raise self._missing_store()
            files, warnings = sharing.findings(path)
            return StoreCheck(described, tuple(files), warnings=tuple(warnings))
        login = self.operators.login()
        assert login.name is not None
        return StoreCheck(
            described,
            login=login.name,
            login_kind=login.kind.value,
            warnings=tuple(pg.login_findings(login.kind, login.name)),
        )

    @property
    def _sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _date(self, value: date | None) -> Any:
        return sqlite_date(value) if self._sqlite else value

    def _datetime(self, value: datetime | None) -> Any:
        return sqlite_datetime(value) if self._sqlite else value

    def _file_exists(self) -> bool:
        """Whether the SQLite file exists; refused, naming the fix, when its folder is closed
        to this user (a store shared by a group the user is not in)."""
        path = sqlite_path(self._url)
        try:
            os.stat(path)
        except FileNotFoundError:
            return False
        except PermissionError:
            raise NotPermittedError(
                "store.no_access",
                f"没有打开存储 {path} 的权限：请系统管理员把你加入存储文件夹所属的用户组"
                "（partyreg doctor 可查看该组）。",
            ) from None
        return True

    def _missing_store(self) -> PartyregError:
        if self._sqlite:
            return NotFoundError(
                "store.missing",
                f"找不到存储 {sqlite_path(self._url)}：请先运行 partyreg init"
                "（或用 --db 指向已有的存储）。",
            )
        return NotFoundError(
            "store.missing",
            "这个 PostgreSQL 数据库里还没有 partyreg 存储：请先运行 partyreg init（带上同一个 --db）。",
        )

    def _check_version(self, conn: sa.Connection) -> None:
        version = migrate.current(conn)
        if version is None:
            raise self._missing_store()
        if version != migrate.head():
            if not migrate.known(version):
                raise ValidationError(
                    "store.newer",
                    f"存储的结构版本 {version} 比这个 partyreg 新：请升级 partyreg 后再使用。",
                )
            raise ValidationError(
                "store.outdated",
                f"存储的结构版本是 {version}，这个 partyreg 需要 {migrate.head()}："
                "请市级操作员运行 partyreg init 升级存储。",
            )

    def is_ready(self) -> bool:
        """Whether the store exists and its schema is current."""
        if self._ready:
            return True
        if self._sqlite and not self._file_exists():
            return False
        try:
            with translated_errors(self._url), self.engine.connect() as conn, conn.begin():
                if self._roles is not None:
                    if not pg.store_exists(conn, self._roles):
                        return False
                    pg.set_role(conn, self._roles, self._roles.app)
                self._check_version(conn)
        except NotFoundError:
            return False
        self._ready = True
        return True

    def _ensure_ready(self) -> None:
        if not self._ready and not self.is_ready():
            raise self._missing_store()

    @contextmanager
    def _tx(self, actor: Actor | None, *, write: bool = False) -> Iterator[sa.Connection]:
        """One transaction, as ``actor`` (``None``: unscoped reads of shared tables)."""
        if self._sqlite and not self._file_exists():
            raise self._missing_store()  # SQLite would create an empty file on connect
        self._ensure_ready()
        with translated_errors(self._url), self.engine.connect() as conn:
            if write:
                conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                if self._roles is not None:
                    self._enter_role(conn, actor)
                yield conn

    def _enter_role(self, conn: sa.Connection, actor: Actor | None) -> None:
        roles = self._roles
        assert roles is not None
        if actor is None:
            pg.set_role(conn, roles, roles.app)
            return
        if actor.operator.id is None:
            raise NotPermittedError("operator.unknown", f"操作员 {actor.name} 不在这个存储中。")
        role = roles.operator(actor.operator.id)
        pg.set_role(conn, roles, role)
        if role not in self._checked_roles:
            pg.check_row_security(conn, roles, (*MEMBER_TABLES, "audit_log"))
            self._checked_roles.add(role)

    # -- audit ------------------------------------------------------------------------------

    def _audit(
        self,
        conn: sa.Connection,
        actor: Actor | None,
        action: str,
        subject: str,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        batch_id: str | None = None,
        unit_code: OrgCode | None = None,
        district_code: OrgCode | None = None,
        community_id: int | None = None,
        os_user: str | None = None,
        actor_name: str | None = None,
    ) -> AuditEntry:
        at = _now()
        values: dict[str, Any] = {
            "at": at,
            "actor": actor.real_name if actor is not None else (actor_name or os_user or ""),
            "on_behalf_of": actor.on_behalf_of if actor is not None else None,
            "os_user": actor.os_user if actor is not None else (os_user or ""),
            "action": action,
            "subject": subject,
            "before": _json(before) if before is not None else None,
            "after": _json(after) if after is not None else None,
            "batch_id": batch_id,
            "unit_code": str(unit_code) if unit_code else None,
            "district_code": str(district_code) if district_code else None,
            "community_id": community_id,
        }
        entry_id = conn.execute(
            sa.insert(audit_log).values(**values).returning(audit_log.c.id)
        ).scalar_one()
        return AuditEntry(
            id=entry_id,
            at=at,
            actor=values["actor"],
            action=action,
            subject=subject,
            before=values["before"],
            after=values["after"],
            on_behalf_of=values["on_behalf_of"],
            os_user=values["os_user"],
            batch_id=batch_id,
        )

    def append_audit(
        self,
        actor: Actor,
        action: str,
        subject: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Record a change made outside the store's own write methods."""
        scope = actor.scope
        with self._tx(actor, write=True) as conn:
            return self._audit(
                conn,
                actor,
                action,
                subject,
                before=before,
                after=after,
                unit_code=scope.code if scope.role is not Role.DISTRICT else None,
                district_code=scope.code if scope.role is Role.DISTRICT else None,
            )

    def audit(self, actor: Actor, query: AuditQuery) -> Iterator[AuditEntry]:
        """Audit entries within the actor's scope, oldest first (streamed)."""
        statement = where(sa.select(audit_log), audit_condition(actor))
        if query.since is not None:
            statement = statement.where(audit_log.c.at >= _start_of_day(query.since))
        if query.action is not None:
            statement = statement.where(
                sa.or_(
                    audit_log.c.action == query.action, audit_log.c.action.like(query.action + ".%")
                )
            )
        if query.before is not None:
            statement = statement.where(audit_log.c.id < query.before)
        if query.subject is not None:
            statement = statement.where(audit_log.c.subject == query.subject)
        order = audit_log.c.id.desc() if query.newest_first else audit_log.c.id
        statement = statement.order_by(order)
        if query.limit is not None:
            statement = statement.limit(query.limit)
        with self._tx(actor) as conn:
            for row in conn.execution_options(yield_per=1000).execute(statement):
                yield _audit_entry(row)

    # -- set-up -----------------------------------------------------------------------------

    def initialise(self, *, os_user: str, org_tree: OrgTree, posts: Sequence[Post]) -> InitReport:
        """Create or upgrade the store, load the code table and posts, and make ``os_user`` a
        city operator of a store that has none. Idempotent."""
        created_file = False
        if self._sqlite:
            created_file = _create_sqlite_file(sqlite_path(self._url))
        try:
            report = self._initialise(os_user, org_tree, posts, created_file)
        except BaseException:
            if created_file:
                for suffix in ("", "-wal", "-shm"):
                    path = sqlite_path(self._url)
                    path.with_name(path.name + suffix).unlink(missing_ok=True)
            raise
        self._ready = True
        return report

    def _initialise(
        self, os_user: str, org_tree: OrgTree, post_list: Sequence[Post], created_file: bool
    ) -> InitReport:
        with translated_errors(self._url), self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                if self._roles is not None:
                    pg.ensure_store_roles(conn, self._roles)
                    pg.set_role(conn, self._roles, self._roles.owner)
                before = migrate.current(conn)
                if before is not None and not migrate.known(before):
                    raise ValidationError(
                        "store.newer",
                        f"存储的结构版本 {before} 比这个 partyreg 新：请升级 partyreg 后再运行。",
                    )
                has_operators = (
                    before is not None
                    and conn.execute(sa.select(sa.func.count()).select_from(operators)).scalar_one()
                )
                migrate.upgrade(conn)
                codes_added = self._load_codes(conn, org_tree)
                posts_added = self._load_posts(conn, post_list)
                operator_created = None
                if not has_operators:
                    operator_created = self._first_operator(conn, os_user)
                elif self._roles is not None:
                    self._ensure_login_roles(conn)
                report = InitReport(
                    url=self._url.render_as_string(hide_password=True).replace("+psycopg", ""),
                    created=created_file or before is None,
                    schema_before=before,
                    schema_after=migrate.head(),
                    codes_added=codes_added,
                    posts_added=posts_added,
                    operator_created=operator_created,
                )
                if report.changed and has_operators:
                    self._require_city(conn, os_user)
                if report.changed:
                    if self._roles is not None:
                        pg.set_role(conn, self._roles, self._roles.owner)
                    self._audit(
                        conn,
                        None,
                        "store.init",
                        self.url if self._sqlite else report.url,
                        before={"schema": before},
                        after={
                            "schema": report.schema_after,
                            "codes_added": codes_added,
                            "posts_added": posts_added,
                            "operator_created": operator_created,
                        },
                        os_user=os_user,
                    )
        return report

    def _ensure_login_roles(self, conn: sa.Connection) -> None:
        """Every operator's role a LOGIN role unless the operator is disabled (stores made
        before operators logged in as themselves had NOLOGIN roles). Runs as the owner."""
        assert self._roles is not None
        accounts = conn.execute(sa.select(operators.c.id, operators.c.disabled)).all()
        conn.exec_driver_sql("RESET ROLE")
        for account in accounts:
            pg.ensure_operator_role(conn, self._roles, account.id, login=not account.disabled)
        pg.set_role(conn, self._roles, self._roles.owner)

    def _require_city(self, conn: sa.Connection, os_user: str) -> None:
        row = conn.execute(
            sa.select(operators.c.role, operators.c.disabled).where(operators.c.name == os_user)
        ).first()
        if row is None or row.role != Role.CITY.value or row.disabled:
            raise NotPermittedError(
                "init.denied",
                f"系统用户 {os_user} 不是市级操作员，不能升级或改动存储：请市级操作员运行 partyreg init。",
            )

    def _load_codes(self, conn: sa.Connection, tree: OrgTree) -> int:
        have = set(conn.execute(sa.select(org_units.c.code)).scalars())
        missing = [u for u in tree if str(u.code) not in have]
        if missing:
            conn.execute(sa.insert(org_units), [_unit_values(u, None) for u in missing])
        return len(missing)

    def _load_posts(self, conn: sa.Connection, post_list: Sequence[Post]) -> int:
        have = {(r.district_code, r.code) for r in conn.execute(sa.select(posts))}
        missing = [
            p for p in post_list if (str(p.district) if p.district else "", p.code) not in have
        ]
        if missing:
            conn.execute(
                sa.insert(posts),
                [
                    {
                        "code": p.code,
                        "name": p.name,
                        "district_code": str(p.district) if p.district else "",
                        "plugin": p.plugin,
                        "description": p.description,
                    }
                    for p in missing
                ],
            )
        return len(missing)

    def _first_operator(self, conn: sa.Connection, os_user: str) -> str:
        operator_id = conn.execute(
            sa.insert(operators)
            .values(name=os_user, role=Role.CITY.value, created_at=_now(), created_by="init")
            .returning(operators.c.id)
        ).scalar_one()
        if self._roles is not None:
            conn.exec_driver_sql("RESET ROLE")
            pg.ensure_operator_role(conn, self._roles, operator_id)
            pg.set_role(conn, self._roles, self._roles.owner)
        return os_user

    # -- operators --------------------------------------------------------------------------

    # -- org tree ---------------------------------------------------------------------------

    def _tree(self, conn: sa.Connection) -> OrgTree:
        rows = conn.execute(sa.select(org_units).order_by(org_units.c.code)).all()
        names = self._former_names(conn)
        units = [
            OrgUnit(
                _code(r.code),
                r.name,
                OrgKind(r.kind),
                r.valid_from,
                r.retired_on,
                _opt_code(r.moved_to),
                names.get(r.code, ()),
            )
            for r in rows
        ]
        return OrgTree(sorted(units, key=lambda u: u.code.segments))

    def load_org_tree(self) -> OrgTree:
        """The org tree as stored."""
        with self._tx(None) as conn:
            return self._tree(conn)

    def add_org_units(self, actor: Actor, batch: Batch, units: Sequence[OrgUnit]) -> int:
        """Add new units (parents first); each parent must be within the actor's scope."""
        with self._tx(actor, write=True) as conn:
            tree = self._tree(conn)
            for unit in sorted(units, key=lambda u: u.code.segments):
                parent = unit.code.parent
                if parent is None or not actor.scope.covers_unit(parent):
                    raise NotPermittedError(
                        "scope.denied",
                        f"不能在 {parent or '最上级'} 下添加单位：不在你的管理范围内。",
                    )
                tree.add(unit)  # refuses a used code or a missing parent, naming the fix
            conn.execute(sa.insert(org_units), [_unit_values(u, batch.id) for u in units])
            self._insert_batch(conn, actor, batch, len(units))
            self._audit(
                conn,
                actor,
                "import.codes",
                f"batch:{batch.id}",
                after={"file": batch.file, "codes": [[str(u.code), u.name] for u in units]},
                batch_id=batch.id,
                unit_code=actor.scope.code,
            )
            return len(units)

    # -- directory --------------------------------------------------------------------------

    def communities(self, district: OrgCode | None = None) -> list[Community]:
        """The community directory (shared by all operators)."""
        statement = sa.select(communities).order_by(communities.c.district_code, communities.c.id)
        if district is not None:
            statement = statement.where(communities.c.district_code == str(district))
        with self._tx(None) as conn:
            return [_community(r) for r in conn.execute(statement)]

    def save_communities(
        self, actor: Actor, batch: Batch, entries: Sequence[DirectoryEntry]
    ) -> list[Community]:
        """Add or update directory entries, matched by district, street and community."""
        with self._tx(actor, write=True) as conn:
            tree = self._tree(conn)
            existing = {
                (r.district_code, r.match_key): r.id
                for r in conn.execute(
                    sa.select(
                        communities.c.id, communities.c.district_code, communities.c.match_key
                    )
                )
            }
            saved_ids: list[int] = []
            for entry in entries:
                district = entry.district_code or district_for(tree, entry.district)
                if district is None:
                    raise ValidationError(
                        "directory.district_unknown",
                        f"县区“{entry.district}”对应不到唯一的县区委或党工委：请在代码表中加入它，或填写县区代码。",
                    )
                if actor.scope.role is not Role.CITY and not (
                    actor.scope.role is Role.DISTRICT and actor.scope.code == district
                ):
                    raise NotPermittedError(
                        "scope.denied",
                        f"不能修改 {entry.district} 的社区通讯录：不在你的管理范围内。",
                    )
                key = community_key(entry.street, entry.community)
                values = {
                    "district_code": str(district),
                    "district": entry.district,
                    "street": entry.street,
                    "name": entry.community,
                    "match_key": key,
                    "phone": entry.phone,
                    "qq_group": entry.qq_group,
                    "secretary": entry.secretary,
                    "mobile": entry.mobile,
                    "address": entry.address,
                    "batch_id": batch.id,
                }
                found = existing.get((str(district), key))
                if found is None:
                    found = conn.execute(
                        sa.insert(communities).values(**values).returning(communities.c.id)
                    ).scalar_one()
                    existing[(str(district), key)] = found
                else:
                    conn.execute(
                        sa.update(communities).where(communities.c.id == found).values(**values)
                    )
                saved_ids.append(found)
            self._insert_batch(conn, actor, batch, len(entries))
            self._audit(
                conn,
                actor,
                "import.directory",
                f"batch:{batch.id}",
                after={"file": batch.file, "communities": saved_ids},
                batch_id=batch.id,
                district_code=actor.scope.code if actor.scope.role is Role.DISTRICT else None,
            )
            rows = conn.execute(sa.select(communities).where(communities.c.id.in_(saved_ids)))
            by_id = {r.id: _community(r) for r in rows}
            return [by_id[i] for i in saved_ids]

    def directory_edits(
        self, actor: Actor, community_ids: Sequence[int]
    ) -> dict[int, list[FieldEdit]]:
        """Hand edits (``community.edit`` audit entries) of these communities made after the
        import batch that last wrote each of them, newest first."""
        if not community_ids:
            return {}
        edits: dict[int, list[FieldEdit]] = {}
        with self._tx(actor) as conn:
            written = {
                r.id: r.at
                for r in conn.execute(
                    sa.select(communities.c.id, import_batches.c.at)
                    .select_from(
                        communities.outerjoin(
                            import_batches, import_batches.c.id == communities.c.batch_id
                        )
                    )
                    .where(communities.c.id.in_(list(community_ids)))
                )
            }
            subjects = [f"community:{i}" for i in written]
            entries = conn.execute(
                sa.select(audit_log.c.subject, audit_log.c.at, audit_log.c.actor, audit_log.c.after)
                .where(audit_log.c.action == "community.edit", audit_log.c.subject.in_(subjects))
                .order_by(audit_log.c.id.desc())
            )
            for subject, at, who, after in entries:
                community_id = int(subject.split(":", 1)[1])
                since = written.get(community_id)
                at = _utc(at) or at
                if since is not None and at <= (_utc(since) or since):
                    continue
                for field, value in (after or {}).items():
                    edits.setdefault(community_id, []).append(
                        FieldEdit(field, "" if value is None else str(value), at, who)
                    )
        return edits

    def _community_index(self, conn: sa.Connection) -> dict[tuple[str, str], int]:
        return {
            (r.district_code, r.match_key): r.id
            for r in conn.execute(
                sa.select(communities.c.id, communities.c.district_code, communities.c.match_key)
            )
        }

    # -- batches ----------------------------------------------------------------------------

    def _insert_batch(self, conn: sa.Connection, actor: Actor, batch: Batch, written: int) -> None:
        conn.execute(
            sa.insert(import_batches).values(
                id=batch.id,
                kind=batch.kind.value,
                file=batch.file,
                operator=actor.real_name,
                on_behalf_of=actor.on_behalf_of,
                at=batch.at,
                on_date=batch.on,
                rows_total=batch.rows,
                rows_written=written,
                scope_code=str(actor.scope.code) if actor.scope.code else None,
            )
        )

    def _batch_written(self, conn: sa.Connection, batch_id: str, written: int) -> None:
        conn.execute(
            sa.update(import_batches)
            .where(import_batches.c.id == batch_id)
            .values(rows_written=written)
        )

    def record_message_batch(self, actor: Actor, batch: Batch, message_ids: Sequence[int]) -> None:
        """Record the messages a bulk action queued (or a flush tried) under its batch, made
        now when it has no row yet (decision 0109): ``undo_batch`` withdraws those not yet
        sent."""
        with self._tx(actor, write=True) as conn:
            known = conn.execute(
                sa.select(import_batches.c.id).where(import_batches.c.id == batch.id)
            ).first()
            if known is None:
                self._insert_batch(conn, actor, batch, len(message_ids))
            for chunk in _chunks(sorted(set(message_ids))):
                conn.execute(
                    sa.insert(batch_rows),
                    [
                        {"batch_id": batch.id, "table_name": "outbox", "row_key": {"id": i}}
                        for i in chunk
                    ],
                )

    def batches(self, actor: Actor) -> list[Batch]:
        """The batches the actor may see (city: all; others: their own and their scope's),
        newest first."""
        statement = sa.select(import_batches).order_by(import_batches.c.at.desc())
        if actor.scope.role is not Role.CITY:
            name = actor.operator.name
            parts = [import_batches.c.operator == name, import_batches.c.on_behalf_of == name]
            if actor.scope.code is not None:
                parts.append(subtree(import_batches.c.scope_code, actor.scope.code))
            statement = statement.where(sa.or_(*parts))
        with self._tx(actor) as conn:
            return [_batch(r) for r in conn.execute(statement)]

    # -- members ----------------------------------------------------------------------------

    def _visible_by_person(
        self,
        conn: sa.Connection,
        scope: Scope,
        keys: Iterable[tuple[str, str]],
    ) -> dict[tuple[str, str], sa.Row[Any]]:
        """The members within ``scope`` among the persons ``keys`` (name, phone)."""
        wanted = set(keys)
        phones = sorted({phone for _name, phone in wanted})
        condition = member_condition(scope)
        found: dict[tuple[str, str], sa.Row[Any]] = {}
        statement = where(
            sa.select(members).where(in_values(self.dialect, members.c.phone, phones)), condition
        )
        for row in conn.execute(statement):
            key = (row.name, row.phone)
            if key in wanted:
                found[key] = row
        return found

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
        """Write rows of 附表1 as one batch (see :class:`partyreg_core.ports.Store`).

        ``registrations`` is consumed once, in chunks of :data:`REGISTRATION_CHUNK`, inside the
        one transaction: only per-batch counts, the rejections, the new members' ids, the changed
        rows and a compact index of the persons seen (to find repeated rows) are kept — never
        the records themselves."""
        try:
            with no_gc(), self._tx(actor, write=True) as conn:
                result = _RegistrationWriter(self, conn, actor, batch).write(
                    registrations, skip_rejected, dry_run, commit_if, batch_rows
                )
                if result.batch_id is None or result.dry_run:
                    raise _Rollback(result)
                return result
        except _Rollback as rollback:
            assert isinstance(rollback.result, RegistrationWrite)
            return rollback.result

    def _member_rows(
        self,
        new: Sequence[tuple[int, Registration, tuple[str, str]]],
        batch: Batch,
        now: datetime,
        resolver: _Resolver,
    ) -> list[tuple[Any, ...]]:
        """New members as rows in :data:`MEMBER_COLUMNS` order (a hot path: 100,000 rows)."""
        day, stamp, batch_id = self._date(batch.day), self._datetime(now), batch.id
        status = MemberStatus.REGISTERED.value
        texts: dict[OrgCode, str] = {}
        rows = []
        for _i, reg, _key in new:
            district, community_id = resolver.resolve(reg.community)
            unit = texts.get(reg.unit_code)
            if unit is None:
                unit = texts[reg.unit_code] = str(reg.unit_code)
            ref = reg.community
            rows.append(
                (
                    unit,
                    reg.name,
                    reg.phone,
                    _VALUES[reg.gender],
                    reg.unit_and_title,
                    reg.specialty,
                    ",".join(reg.posts),
                    reg.address,
                    ref.district,
                    ref.street,
                    ref.community,
                    _VALUES[reg.report_type],
                    reg.rank,
                    status,
                    community_id,
                    resolver.text(district),
                    day,
                    batch_id,
                    batch_id,
                    stamp,
                )
            )
        return rows

    def _visible_member(self, conn: sa.Connection, actor: Actor, member_id: int) -> sa.Row[Any]:
        row = conn.execute(
            where(
                sa.select(members).where(members.c.id == member_id), member_condition(actor.scope)
            )
        ).first()
        if row is None:
            raise member_not_found(member_id)
        return row

    def route_members(self, actor: Actor, routes_given: Sequence[Route], on: date) -> int:
        """Route members to a district (and community): they become ``routed`` on ``on``."""
        scope = actor.scope
        with self._tx(actor, write=True) as conn:
            tree = self._tree(conn)
            community_districts = {
                r.id: r.district_code
                for r in conn.execute(sa.select(communities.c.id, communities.c.district_code))
            }
            done = []
            for route in routes_given:
                row = self._visible_member(conn, actor, route.member_id)
                member = _member(row)
                may = scope.covers_unit(member.unit_code) or (
                    scope.role is Role.DISTRICT and member.district_code == scope.code
                )
                if not may:
                    raise NotPermittedError(
                        "scope.denied", f"不能分流党员 {member.name}：不在你的管理范围内。"
                    )
                if route.district_code not in tree or route.district_code.depth != 2:
                    raise ValidationError(
                        "route.district", f"{route.district_code} 不是县区委或党工委的代码。"
                    )
                if route.community_id is not None and (
                    community_districts.get(route.community_id) != str(route.district_code)
                ):
                    raise ValidationError(
                        "route.community",
                        f"社区编号 {route.community_id} 不在 {route.district_code} 的社区通讯录中。",
                    )
                conn.execute(
                    sa.update(routes)
                    .where(routes.c.member_id == member.id, routes.c.ended_on.is_(None))
                    .values(ended_on=on)
                )
                conn.execute(
                    sa.insert(routes).values(
                        member_id=member.id,
                        from_code=str(member.unit_code.aggregator or member.unit_code),
                        district_code=str(route.district_code),
                        community_id=route.community_id,
                        instructor_id=route.instructor_id,
                        routed_on=on,
                        routed_by=actor.real_name,
                    )
                )
                status = (
                    MemberStatus.ROUTED.value
                    if member.status is MemberStatus.REGISTERED
                    else member.status.value
                )
                conn.execute(
                    sa.update(members)
                    .where(members.c.id == member.id)
                    .values(
                        status=status,
                        district_code=str(route.district_code),
                        community_id=route.community_id,
                        routed_on=on,
                        updated_at=_now(),
                    )
                )
                done.append(
                    {
                        "id": member.id,
                        "district": str(route.district_code),
                        "community_id": route.community_id,
                    }
                )
            self._audit(
                conn,
                actor,
                "route.assign",
                f"members:{len(done)}",
                after={"routes": done, "on": on.isoformat()},
                unit_code=scope.code if scope.role is not Role.DISTRICT else None,
                district_code=scope.code if scope.role is Role.DISTRICT else None,
            )
            return len(done)

    # -- activities -------------------------------------------------------------------------

    def write_activities(
        self,
        actor: Actor,
        batch: Batch,
        activity_rows: Sequence[Activity],
        *,
        skip_rejected: bool = False,
        dry_run: bool = False,
    ) -> ActivityWrite:
        """Write activities as one batch (see :class:`partyreg_core.ports.Store`)."""
        if not actor.scope.may_record_activities():
            raise NotPermittedError(
                "activity.denied",
                "单位党组织不能录入活动：活动由社区、社区工作指导员或其县区录入。",
            )
        rows = activity_rows if isinstance(activity_rows, list) else list(activity_rows)
        locked = self._refuse_closed_years(
            actor, batch, rows, skip_rejected=skip_rejected, dry_run=dry_run
        )
        if locked is not None:  # rows in a closed campaign year (years.py)
            return locked
        # PostgreSQL: a clean batch goes straight in, joined to its members in the database;
        # anything else is rolled back and judged row by row in a fresh transaction. (SQLite
        # judges every batch row by row: its per-row join costs more than the Python lookup.)
        direct = self.dialect == "postgresql" and bool(rows) and not dry_run
        while True:
            try:
                with no_gc(), self._tx(actor, write=True) as conn:
                    if direct:
                        written = self._insert_activities_directly(conn, actor, batch, rows)
                        self._record_activities(conn, actor, batch, len(rows), written, 0, 0)
                        return ActivityWrite(batch.id, len(rows), written, 0, (), written)
                    result = self._write_activities_checked(
                        conn, actor, batch, rows, skip_rejected, dry_run
                    )
                    if result.batch_id is None or dry_run:
                        raise _Rollback(result)
                    return result
            except _Rollback as rollback:
                if rollback.result is None:
                    direct = False
                    continue
                assert isinstance(rollback.result, ActivityWrite)
                return rollback.result

    def _insert_activities_directly(
        self, conn: sa.Connection, actor: Actor, batch: Batch, rows: list[Activity]
    ) -> int:
        """The fast path of a clean batch: the database finds each member by name + phone while
        inserting (a join, not a Python lookup). Raises ``_Rollback(None)`` when the batch
        needs a closer look: hours over 24 within it, activities already stored
        for its members in its dates, a confirmed sheet, or any row the insert did not take
        (an unknown, unrouted or out-of-scope member, a duplicate); the checked path then says
        exactly which rows and why."""
        days: dict[date, Any] = {}
        sums: dict[tuple[str, str, Any], float] = defaultdict(float)
        params: list[tuple[Any, ...]] = []
        add, batch_id, to_value = params.append, batch.id, self._date
        for activity in rows:
            when = activity.day
            day = days.get(when)
            if day is None:
                day = days[when] = to_value(when)
            name, phone, hours = activity.name, activity.phone, activity.hours
            key = (name, phone, day)
            total = sums[key] + hours
            if over_day_limit(total):
                raise _Rollback(None)
            sums[key] = total
            self_reported = activity.self_reported
            add(
                (
                    day,
                    when.year,
                    activity.content,
                    activity.place,
                    activity.participants,
                    hours,
                    _RATINGS[activity.rating],
                    activity.kind,
                    self_reported,
                    not self_reported,
                    batch_id,
                    name,
                    phone,
                )
            )
        phones = in_values(self.dialect, members.c.phone, sorted({k[1] for k in sums}))
        years = sorted({d.year for d in days})
        probes = (
            sa.select(activities.c.id)
            .join(members, members.c.id == activities.c.member_id)
            .where(phones, activities.c.day.between(days[min(days)], days[max(days)]))
            .limit(1),
            sa.select(feedback_sheets.c.id)
            .join(members, members.c.id == feedback_sheets.c.member_id)
            .where(
                phones, feedback_sheets.c.year.in_(years), feedback_sheets.c.status == "confirmed"
            )
            .limit(1),
        )
        if any(fetch_rows(conn, probe) for probe in probes):
            raise _Rollback(None)
        condition = activity_write_condition(actor.scope)
        scope_sql = (
            ""
            if condition is None
            else " AND "
            + str(condition.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        )
        try:
            inserted = insert_activities_joined(conn, params, scope_sql)
        except sa.exc.IntegrityError:  # the same activity twice, or a writer got there first
            raise _Rollback(None) from None
        if inserted != len(rows):
            raise _Rollback(None)
        return inserted

    def _record_activities(
        self,
        conn: sa.Connection,
        actor: Actor,
        batch: Batch,
        rows: int,
        written: int,
        duplicates: int,
        rejected: int,
    ) -> None:
        scope = actor.scope
        self._insert_batch(conn, actor, batch, written)
        if written:  # the batch's confirmed activities earn their points with it
            earned = conn.execute(
                sa.select(
                    activities.c.id,
                    activities.c.member_id,
                    activities.c.day,
                    activities.c.hours,
                    activities.c.kind,
                    activities.c.content,
                )
                .where(activities.c.batch_id == batch.id, activities.c.confirmed.is_(True))
                .order_by(activities.c.id)
            ).all()
            ledger.earn(
                conn,
                [
                    Earning(
                        member_id=r.member_id,
                        day=r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day)),
                        source=PointsSource.ACTIVITY,
                        source_id=r.id,
                        hours=r.hours,
                        kind=r.kind,
                        what=r.content[:40],
                    )
                    for r in earned
                ],
                recorded_by=actor.name,
            )
        self._audit(
            conn,
            actor,
            "import.activities",
            f"batch:{batch.id}",
            after={
                "file": batch.file,
                "rows": rows,
                "new": written,
                "duplicates": duplicates,
                "rejected": rejected,
            },
            batch_id=batch.id,
            unit_code=scope.code if scope.role is Role.UNIT else None,
            district_code=scope.code if scope.role is Role.DISTRICT else None,
            community_id=min(scope.communities) if len(scope.communities) == 1 else None,
        )

    def _write_activities_checked(
        self,
        conn: sa.Connection,
        actor: Actor,
        batch: Batch,
        rows: list[Activity],
        skip_rejected: bool,
        dry_run: bool,
    ) -> ActivityWrite:
        """Every row judged in Python against what the store holds (see the fast path)."""
        scope = actor.scope
        dialect = self.dialect
        c = members.c
        wanted = {(a.name, a.phone) for a in rows}
        people = {
            (r[0], r[1]): r[2:]
            for r in fetch_rows(
                conn,
                where(
                    sa.select(
                        c.name,
                        c.phone,
                        c.id,
                        c.community_id,
                        c.unit_code,
                        c.district_code,
                        c.status,
                    ).where(in_values(dialect, c.phone, sorted({p for _n, p in wanted}))),
                    member_condition(scope),
                ),
            )
            if (r[0], r[1]) in wanted
        }
        # what is stored already for these members in the batch's dates: identical activities
        # (a re-import) are skipped, and the day's hours count towards the 24-hour limit
        days: dict[date, Any] = {}  # each date once in the driver's form
        for activity in rows:
            if activity.day not in days:
                days[activity.day] = self._date(activity.day)
        stored: set[tuple[Any, ...]] = set()  # their keys (ACTIVITY_KEY)
        day_hours: dict[tuple[int, Any], float] = defaultdict(float)  # stored hours per day
        # this batch: each member-day's first row; later rows that day and their hours
        firsts: dict[tuple[int, Any], tuple[Any, ...]] = {}
        seen: set[tuple[Any, ...]] = set()
        extra: dict[tuple[int, Any], float] = {}
        locked: set[tuple[int, int]] = set()
        ids = sorted({p[0] for p in people.values()})
        if ids:
            stored = set(
                fetch_rows(
                    conn,
                    sa.select(*[activities.c[name] for name in ACTIVITY_KEY]).where(
                        in_values(dialect, activities.c.member_id, ids),
                        activities.c.day.between(days[min(days)], days[max(days)]),
                    ),
                )
            )
            for key in stored:
                day_hours[(key[0], key[1])] += key[5]
            locked.update(
                fetch_rows(
                    conn,
                    sa.select(feedback_sheets.c.member_id, feedback_sheets.c.year).where(
                        in_values(dialect, feedback_sheets.c.member_id, ids),
                        feedback_sheets.c.status == "confirmed",
                    ),
                )
            )
        rejected: list[Rejection] = []
        tuples: list[tuple[Any, ...]] = []
        duplicates = 0
        city = scope.role is Role.CITY
        registered = MemberStatus.REGISTERED.value
        add_seen, add_row, batch_id = seen.add, tuples.append, batch.id
        # the hot loop of a bulk load (2 million rows a year): locals only, no calls it can avoid
        for i, activity in enumerate(rows):
            member = people.get((activity.name, activity.phone))
            if member is None:
                rejected.append(_activity_rejection(i, activity, "activity.member_unknown"))
                continue
            member_id, community_id, unit_code, district_code, status = member
            if community_id is None or status == registered:
                rejected.append(_activity_rejection(i, activity, "activity.no_community"))
                continue
            if not city and not scope.covers_community(community_id, _opt_code(district_code)):
                rejected.append(_activity_rejection(i, activity, "scope.denied"))
                continue
            when = activity.day
            year = when.year
            if locked and (member_id, year) in locked:
                rejected.append(_activity_rejection(i, activity, "activity.locked"))
                continue
            day = days[when]
            hours = activity.hours
            content, place, participants = activity.content, activity.place, activity.participants
            rating, kind, self_reported = (
                _RATINGS[activity.rating],
                activity.kind,
                activity.self_reported,
            )
            if stored and (
                (member_id, day, content, place, participants, hours, rating, kind, self_reported)
                in stored
            ):
                duplicates += 1
                continue
            row = (
                member_id,
                community_id,
                unit_code,
                district_code,
                day,
                year,
                content,
                place,
                participants,
                hours,
                rating,
                kind,
                self_reported,
                not self_reported,
                batch_id,
            )
            day_key = (member_id, day)
            first = firsts.get(day_key)
            if first is None:  # the member's first activity that day in this batch: the usual
                if over_day_limit(hours + (day_hours.get(day_key, 0.0) if day_hours else 0.0)):
                    rejected.append(_activity_rejection(i, activity, "activity.hours_day"))
                    continue
                firsts[day_key] = row
                add_row(row)
                continue
            if row == first or row in seen:  # the same activity twice in the batch
                duplicates += 1
                continue
            more = extra.get(day_key, 0.0) + hours
            if over_day_limit(day_hours.get(day_key, 0.0) + first[9] + more):
                rejected.append(_activity_rejection(i, activity, "activity.hours_day"))
                continue
            extra[day_key] = more
            add_seen(row)
            add_row(row)
        outcome = ActivityWrite(
            batch_id=None,
            rows=len(rows),
            new=len(tuples),
            duplicates=duplicates,
            rejected=tuple(rejected),
            dry_run=dry_run,
        )
        if dry_run or (rejected and not skip_rejected) or not tuples:
            return outcome
        with service_added_per_batch(conn, batch.id):
            written = insert_rows(
                conn, "activities", ACTIVITY_COLUMNS, tuples, conflict=ACTIVITY_KEY
            )
        duplicates += len(tuples) - written
        self._record_activities(conn, actor, batch, len(rows), written, duplicates, len(rejected))
        return ActivityWrite(
            batch_id=batch.id,
            rows=len(rows),
            new=written,
            duplicates=duplicates,
            rejected=tuple(rejected),
            written=written,
        )

    def activity_totals(
        self, actor: Actor, by: RollupKey, *, year: int | None = None
    ) -> list[ActivityTotal]:
        """Hours and counts of confirmed activities grouped ``by``, within the scope; by unit
        or district for a ``year`` an org change reached into, under each activity's day's
        codes (decision 0062)."""
        a = activities.c
        with self._tx(actor) as conn:
            key: Any = rollup_column(by)
            day: DayCodes | None = None
            if (
                year is not None
                and by in (RollupKey.UNIT, RollupKey.DISTRICT)
                and changed_after(conn, date(year, 1, 1))
            ):
                # the histories joined once where they allow it, else looked up per activity
                day = DayCodes() if DayCodes.exact(conn) else None
                if by is RollupKey.UNIT:
                    key = day.unit() if day is not None else activity_unit_on_day()
                else:
                    key = day.district() if day is not None else activity_district_on_day()
            statement = (
                sa.select(key, sa.func.sum(a.hours), sa.func.count())
                .where(a.confirmed == sa.true())
                .group_by(key)
                .order_by(key)
            )
            if day is not None:
                statement = statement.select_from(day.source)
            statement = where(statement, activity_condition(actor.scope))
            if year is not None:
                statement = statement.where(a.year == year)
            return [
                ActivityTotal("" if k is None else str(k), round(h, 2), n)
                for k, h, n in fetch_rows(conn, statement)
            ]

    def member_activities(
        self, actor: Actor, member_id: int, *, year: int | None = None
    ) -> list[Activity]:
        """A member's confirmed activities (of ``year``), by day — only those visible in the
        scope: the unit's ledger, or the community's own record."""
        statement = (
            sa.select(activities)
            .where(activities.c.member_id == member_id, activities.c.confirmed == sa.true())
            .order_by(activities.c.day, activities.c.id)
        )
        statement = where(statement, activity_condition(actor.scope))
        if year is not None:
            statement = statement.where(activities.c.year == year)
        with self._tx(actor) as conn:
            self._visible_member(conn, actor, member_id)
            member = conn.execute(
                sa.select(members.c.name, members.c.phone).where(members.c.id == member_id)
            ).one()
            return [
                Activity(
                    name=member.name,
                    phone=member.phone,
                    day=row.day if isinstance(row.day, date) else date.fromisoformat(row.day),
                    content=row.content,
                    hours=row.hours,
                    rating=Rating(row.rating),
                    place=row.place,
                    participants=row.participants,
                    kind=row.kind,
                    self_reported=row.self_reported,
                )
                for row in conn.execute(statement)
            ]

    # -- undo -------------------------------------------------------------------------------

    def undo_batch(self, actor: Actor, batch_id: str, reason: str = "") -> UndoReport:
        """Revert a registrations, activities or bulk-action batch nothing has built on yet."""
        unrecalled = 0
        with self._tx(actor, write=True) as conn:
            row = conn.execute(
                sa.select(import_batches).where(import_batches.c.id == batch_id)
            ).first()
            if row is None or not _may_see_batch(actor, row):
                raise NotFoundError("batch.not_found", f"没有批次 {batch_id}（或不在你的范围内）。")
            batch = _batch(row)
            if batch.undone_at is not None:
                raise ConflictError(
                    "batch.undone", f"批次 {batch_id} 已于 {batch.undone_at:%Y-%m-%d %H:%M} 撤销。"
                )
            if batch.kind is BatchKind.REGISTRATIONS:
                removed, restored = self._undo_registrations(conn, actor, batch)
            elif batch.kind is BatchKind.ACTIVITIES:
                removed, restored = self._undo_activities(conn, actor, batch), 0
            elif batch.kind is BatchKind.REPORT_IN:
                restored, removed = self.routing._undo_report_in(conn, actor, batch_id), 0
            elif batch.kind is BatchKind.FEEDBACK:
                restored = self.feedback._undo_feedback(
                    conn, actor, batch_id, reason, _now().date()
                )
                removed = 0
            elif batch.kind in JOURNALED:
                if batch.kind is BatchKind.YEAR:
                    self._year_undo_allowed(conn, actor, batch)
                rows = [r for r in journal_of(conn, batch_id) if r.table_name != "outbox"]
                if batch.kind in (BatchKind.ASSIGN, BatchKind.GROUP):  # the year lock
                    self.service._refuse_closed(
                        conn,
                        *{
                            int(v["year"])
                            for r in rows
                            for v in (r.before, r.after)
                            if v and "year" in v
                        },
                    )
                removed = sum(1 for r in rows if r.before is None and r.after is not None)
                restored = restore(conn, rows, batch_id, JOURNALED[batch.kind]) - removed
                _gone, _withdrawn, unrecalled = self._undo_messages(conn, batch, reason)
            elif batch.kind in (BatchKind.REMIND, BatchKind.FLUSH):
                removed, restored, unrecalled = self._undo_messages(conn, batch, reason)
            elif batch.kind is BatchKind.RETENTION:
                raise ValidationError(
                    "batch.irreversible",
                    f"批次 {batch_id}（匿名化 {batch.written} 名党员）不能撤销。"
                    + RETENTION_IRREVERSIBLE,
                )
            else:
                raise ValidationError(
                    "batch.undo_kind",
                    f"{batch.kind.value} 批次不能撤销：代码表和通讯录请直接修改。",
                )
            conn.execute(
                sa.update(import_batches)
                .where(import_batches.c.id == batch_id)
                .values(undone_at=_now(), undone_by=actor.real_name)
            )
            self._audit(
                conn,
                actor,
                "import.undo",
                f"batch:{batch_id}",
                after={
                    "kind": batch.kind.value,
                    "removed": removed,
                    "restored": restored,
                    "reason": reason,
                },
                batch_id=batch_id,
                unit_code=actor.scope.code if actor.scope.role is not Role.DISTRICT else None,
                district_code=actor.scope.code if actor.scope.role is Role.DISTRICT else None,
            )
            return UndoReport(batch_id, batch.kind, removed, restored, unrecalled)

    def _undo_messages(
        self, conn: sa.Connection, batch: Batch, reason: str
    ) -> tuple[int, int, int]:
        """A reminder's or a flush's messages: those never tried are deleted (a reminder's:
        the same reminder may be queued again), those waiting for a retry are withdrawn
        (failed, ``withdrawn``); those sent cannot be recalled and are counted."""
        ids = [int(r.row_key["id"]) for r in journal_of(conn, batch.id) if r.table_name == "outbox"]
        removed = withdrawn = sent = 0
        for chunk in _chunks(ids):
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.status, outbox.c.attempts).where(
                    outbox.c.id.in_(chunk)
                )
            ).all()
            fresh = [r.id for r in rows if r.status in ("pending", "skipped") and not r.attempts]
            waiting = [r.id for r in rows if r.status == "pending" and r.attempts]
            sent += sum(1 for r in rows if r.status == "sent")
            if fresh and batch.kind is not BatchKind.FLUSH:
                removed += conn.execute(sa.delete(outbox).where(outbox.c.id.in_(fresh))).rowcount
                left = conn.execute(sa.select(outbox.c.id).where(outbox.c.id.in_(fresh)))
                waiting += list(left.scalars())  # not deletable here (row security): withdrawn
            else:
                waiting += fresh
            if waiting:
                withdrawn += conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_(waiting))
                    .values(
                        status="failed",
                        next_attempt_at=None,
                        error_code="withdrawn",
                        last_error=f"已撤回（撤销批次 {batch.id}：{reason}）"[:500],
                    )
                ).rowcount
        return removed, withdrawn, sent

    def _undo_registrations(
        self, conn: sa.Connection, actor: Actor, batch: Batch
    ) -> tuple[int, int]:
        entry = conn.execute(
            sa.select(audit_log.c.after)
            .where(audit_log.c.batch_id == batch.id, audit_log.c.action == "import.registrations")
            .limit(1)
        ).scalar()
        details = entry or {}
        created = [
            r.id
            for r in conn.execute(
                where(
                    sa.select(members.c.id, members.c.status, members.c.batch_id).where(
                        members.c.created_batch == batch.id
                    ),
                    member_condition(actor.scope),
                )
            )
        ]
        changed = details.get("changed", [])
        touched = created + [c["id"] for c in changed]
        later = [
            r.id
            for chunk in _chunks(touched)
            for r in conn.execute(
                sa.select(members.c.id).where(
                    members.c.id.in_(chunk),
                    sa.or_(members.c.batch_id != batch.id, members.c.status != "registered"),
                )
            )
        ]
        blockers = built_on(conn, created)
        if later:
            blockers.append(f"{len(later)} 名党员在之后又被修改或已分流")
        if blockers:
            raise ConflictError(
                "batch.in_use",
                f"批次 {batch.id} 不能撤销：{'；'.join(blockers)}。请先撤销之后的操作。",
            )
        for chunk in _chunks(created):
            conn.execute(sa.delete(claims).where(claims.c.member_id.in_(chunk)))
            conn.execute(sa.delete(change_requests).where(change_requests.c.member_id.in_(chunk)))
            conn.execute(sa.delete(members).where(members.c.id.in_(chunk)))
        conn.execute(sa.delete(change_requests).where(change_requests.c.batch_id == batch.id))
        for change in changed:
            values = _restore_values(change["before"])
            conn.execute(sa.update(members).where(members.c.id == change["id"]).values(**values))
            if "posts" in change["before"]:
                conn.execute(sa.delete(claims).where(claims.c.member_id == change["id"]))
                posts_before = change["before"]["posts"]
                if posts_before:
                    insert_rows(
                        conn,
                        "claims",
                        ("member_id", "post_code", "position"),
                        [(change["id"], p, i) for i, p in enumerate(posts_before)],
                    )
        return len(created), len(changed)

    def _undo_activities(self, conn: sa.Connection, actor: Actor, batch: Batch) -> int:
        condition = activity_condition(actor.scope)
        batch_rows = where(
            sa.select(activities.c.member_id, activities.c.year).where(
                activities.c.batch_id == batch.id
            ),
            condition,
        ).distinct()
        pairs = {(r.member_id, r.year) for r in conn.execute(batch_rows)}
        locked = [
            (m, y)
            for chunk in _chunks(sorted({m for m, _y in pairs}))
            for m, y in conn.execute(
                sa.select(feedback_sheets.c.member_id, feedback_sheets.c.year).where(
                    feedback_sheets.c.member_id.in_(chunk), feedback_sheets.c.status == "confirmed"
                )
            )
            if (m, y) in pairs
        ]
        if locked:
            raise ConflictError(
                "batch.in_use",
                f"批次 {batch.id} 不能撤销：其中 {len(locked)} 名党员的实绩反馈单已盖章确认。",
            )
        undone = list(
            conn.execute(
                where(
                    sa.select(activities.c.id).where(activities.c.batch_id == batch.id),
                    condition,
                )
            ).scalars()
        )
        ledger.reverse(
            conn,
            PointsSource.ACTIVITY,
            undone,
            reason=f"导入批次 {batch.id} 已撤销",
            recorded_by=actor.name,
        )
        statement = sa.delete(activities).where(activities.c.batch_id == batch.id)
        if condition is not None:
            statement = statement.where(condition)
        return int(conn.execute(statement).rowcount)

    # -- settings ---------------------------------------------------------------------------

    def get_setting(self, key: str) -> Any:
        """A shared setting's value, or ``None``."""
        with self._tx(None) as conn:
            return conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).scalar()

    def set_setting(self, actor: Actor, key: str, value: Any) -> None:
        """Change a shared setting (city operators only; audited)."""
        require_role(actor, Role.CITY, "修改共享设置")
        with self._tx(actor, write=True) as conn:
            before = conn.execute(sa.select(settings.c.value).where(settings.c.key == key)).first()
            values = {"value": value, "updated_at": _now(), "updated_by": actor.real_name}
            if before is None:
                conn.execute(sa.insert(settings).values(key=key, **values))
            else:
                conn.execute(sa.update(settings).where(settings.c.key == key).values(**values))
            self._audit(
                conn,
                actor,
                "setting.change",
                f"setting:{key}",
                before={"value": before[0]} if before is not None else None,
                after={"value": value},
            )


# -- helpers ---------------------------------------------------------------------------------


#: The bulk actions whose batch journal (``batch_rows``) ``undo_batch`` restores, with what
#: their rows are called in a refusal.
JOURNALED = {
    BatchKind.ASSIGN: "岗位分配",
    BatchKind.GROUP: "服务小组",
    BatchKind.ROUTE: "分流结果",
    BatchKind.YEAR: "年度和各单位的确认",
    BatchKind.WISHES: "微心愿",
}

REGISTRATION_CHUNK = 20_000
_UNDECIDED = object()
"""Registrations classified and inserted at a time by :meth:`SqlStore.write_registrations`."""


class _RegistrationWriter:
    """One :meth:`SqlStore.write_registrations`: the rows taken in chunks inside its
    transaction. Per chunk: refuse unknown codes, rows outside the scope and repeated persons;
    sort the rest into new (inserted at once, with their claims), unchanged, changed (kept
    until the end) and conflicts. Only small per-batch state is kept: counts, rejections, the
    new members' ids, the changed rows and an index of the persons seen (for duplicates)."""

    def __init__(self, store: SqlStore, conn: sa.Connection, actor: Actor, batch: Batch) -> None:
        self.store, self.conn, self.actor, self.batch = store, conn, actor, batch
        self.scope = actor.scope
        self.tree = store._tree(conn)
        self.resolver = _Resolver(self.tree, store._community_index(conn))
        self.now = _now()
        self.rejected: list[Rejection] = []
        # Repeated persons are found through the store itself (nothing per row is kept for
        # them in memory beyond two arrays): a person inserted by an earlier chunk is a member
        # whose ``created_batch`` is this batch, found by id in ``new_ids`` (ascending) with
        # its row index at the same position of ``new_index``; a person already stored and
        # met before in this batch is in ``seen_ids`` (member id → row index; empty for a
        # file of new members); a person met with no visible member (a conflict) in
        # ``seen_unseen``; repeats within one chunk in that chunk's own dict.
        self.new_ids = array("q")
        self.new_index = array("q")
        self.seen_ids: dict[int, int] = {}
        self.seen_unseen: dict[tuple[str, str], int] = {}
        self.last_id = 0
        self.updates: list[tuple[sa.Row[Any], Registration, dict[str, tuple[object, object]]]] = []
        self.changed_rows: list[RowChange] = []
        self.moves: list[tuple[sa.Row[Any], Registration]] = []
        self.unchanged = 0
        self.count = 0
        self.refusals: dict[OrgCode, tuple[str, str] | None] = {}

    def write(
        self,
        registrations: Iterable[Registration],
        skip_rejected: bool,
        dry_run: bool,
        commit_if: Callable[[], bool] | None,
        batch_rows: Callable[[], int] | None,
    ) -> RegistrationWrite:
        chunk: list[Registration] = []
        for reg in registrations:
            chunk.append(reg)
            if len(chunk) >= REGISTRATION_CHUNK:
                self._chunk(chunk)
                chunk = []
        if chunk:
            self._chunk(chunk)
        del chunk
        if commit_if is not None and not commit_if():
            dry_run = True
        batch = self.batch
        if batch_rows is not None:
            batch = attrs.evolve(batch, rows=batch_rows())
        return self._finish(batch, skip_rejected, dry_run)

    def _refusal(self, code: OrgCode) -> tuple[str, str] | None:
        """Why rows of unit ``code`` are refused (code, message), or ``None``: decided once
        per distinct code of the batch, not once per row."""
        found = self.refusals.get(code, _UNDECIDED)
        if found is not _UNDECIDED:
            return found  # type: ignore[return-value]
        refusal: tuple[str, str] | None = None
        if code not in self.tree:
            refusal = (
                "code.unknown",
                f"单位代码 {code} 不在代码表中：请先在代码表中加入该单位。",
            )
        elif not self.scope.may_register(code):
            refusal = (
                "scope.denied",
                f"单位代码 {code} 不在你的管理范围内：请交由该单位或其上级导入。",
            )
        self.refusals[code] = refusal
        return refusal

    def _chunk(self, regs: list[Registration]) -> None:
        rejected, refusals, refusal_of = self.rejected, self.refusals, self._refusal
        # Each row's person key is made once here (not by the property at every use), and
        # unit checks are per distinct code: this loop is per row, the work in it is not.
        keys = [(reg.name, reg.phone) for reg in regs]
        candidates: list[tuple[int, Registration, tuple[str, str]]] = []
        in_chunk: dict[tuple[str, str], int] = {}
        for i, reg, key in zip(itertools.count(self.count), regs, keys):
            code = reg.unit_code
            refusal = refusals[code] if code in refusals else refusal_of(code)
            if refusal is not None:
                rejected.append(Rejection(i, refusal[0], refusal[1], "单位代码", str(code)))
            elif (earlier := in_chunk.setdefault(key, i)) != i:
                rejected.append(_repeat(i, reg, earlier))
            else:
                candidates.append((i, reg, key))
        del in_chunk, keys
        self.count += len(regs)
        conn, store = self.conn, self.store
        existing = store._visible_by_person(conn, self.scope, [k for _i, _r, k in candidates])
        new: list[tuple[int, Registration, tuple[str, str]]] = []
        seen_unseen = self.seen_unseen
        for i, reg, key in candidates:
            row = existing.get(key)
            if row is None:
                met = seen_unseen.get(key)
                if met is None:
                    new.append((i, reg, key))
                else:
                    rejected.append(_repeat(i, reg, met))
            elif (met := self._met(row, i)) is not None:
                rejected.append(_repeat(i, reg, met))
            else:
                self._compare(i, reg, row)
        del candidates, existing
        # a person anonymised by retention is not registered again from an old sheet
        erased = erased_among(conn, [key for _i, _reg, key in new])
        if erased:
            for i, reg, key in new:
                if key in erased:
                    rejected.append(
                        Rejection(i, "member.erased", erased_message(*key), "姓名", reg.name)
                    )
            new = [entry for entry in new if entry[2] not in erased]
        if not new:
            return
        batch = self.batch
        rows = store._member_rows(new, batch, self.now, self.resolver)
        insert_rows(conn, "members", MEMBER_COLUMNS, rows, conflict=("name", "phone"))
        del rows
        ids = {
            (name, phone): member_id
            for member_id, name, phone in fetch_rows(
                conn,
                sa.select(members.c.id, members.c.name, members.c.phone)
                .where(members.c.created_batch == batch.id, members.c.id > self.last_id)
                .order_by(members.c.id),
            )
        }
        if ids:
            self.last_id = max(self.last_id, *ids.values())
            index = {key: i for i, _reg, key in new}
            for person, member_id in ids.items():  # ascending ids: new_ids stays sorted
                self.new_ids.append(member_id)
                self.new_index.append(index[person])
            del index
        # Not inserted: someone registered the person meanwhile (a writer committing
        # concurrently, on PostgreSQL) or earlier, in a unit outside the scope.
        missed = [(i, reg, key) for i, reg, key in new if key not in ids]
        if missed:
            found_now = store._visible_by_person(conn, self.scope, [k for _i, _r, k in missed])
            for i, reg, key in missed:
                row = found_now.get(key)
                if row is None:
                    seen_unseen[key] = i
                    rejected.append(_conflict(i, reg, None))
                else:
                    self.seen_ids[row.id] = i
                    self._compare(i, reg, row)
        claim_rows = [
            (member_id, post, position)
            for _i, reg, key in new
            if (member_id := ids.get(key)) is not None
            for position, post in enumerate(
                dict.fromkeys(reg.posts) if len(reg.posts) > 1 else reg.posts
            )
        ]
        if claim_rows:
            insert_rows(conn, "claims", ("member_id", "post_code", "position"), claim_rows)

    def _met(self, row: sa.Row[Any], index: int) -> int | None:
        """The index of the earlier row of this batch for the stored member ``row``, or
        ``None`` (and the member is remembered as met at ``index``)."""
        if row.created_batch == self.batch.id:
            at = bisect_left(self.new_ids, row.id)
            if at < len(self.new_ids) and self.new_ids[at] == row.id:
                return self.new_index[at]
        earlier = self.seen_ids.setdefault(row.id, index)
        return None if earlier == index else earlier

    def _compare(self, i: int, reg: Registration, row: sa.Row[Any]) -> None:
        """Sort a row for a person already stored: conflict, unchanged, update, move."""
        if row.unit_code != str(reg.unit_code):
            self.rejected.append(_conflict(i, reg, row.unit_code))
            return
        current = _member(row)
        changes = registration_changes(current.registration, reg)
        if not changes:
            self.unchanged += 1
            return
        try:  # the rule of every edit path (decision 0074): one who left is history
            refuse_departed_edit(current)
        except ConflictError as refused:
            self.rejected.append(Rejection(i, refused.code, refused.message, "姓名", reg.name))
            return
        self.changed_rows.append(RowChange(i, row.id, tuple(changes)))
        if "community" in changes and current.status is not MemberStatus.REGISTERED:
            self.moves.append((row, reg))
            changes.pop("community")
            reg = _with_community(reg, current.community)
            if not changes:
                return
        self.updates.append((row, reg, changes))

    def _finish(self, batch: Batch, skip_rejected: bool, dry_run: bool) -> RegistrationWrite:
        conn, store, resolver, scope = self.conn, self.store, self.resolver, self.scope
        rejected, updates, moves = self.rejected, self.updates, self.moves
        self.seen_ids, self.seen_unseen, self.new_index = {}, {}, array("q")
        rejected.sort(key=lambda r: r.index)
        changed = len({row.id for row, *_ in updates} | {row.id for row, _reg in moves})
        new = len(self.new_ids)
        outcome = RegistrationWrite(
            batch_id=None,
            rows=self.count,
            new=new,
            changed=changed,
            unchanged=self.unchanged,
            rejected=tuple(rejected),
            change_requests=len(moves),
            dry_run=dry_run,
            changes=tuple(self.changed_rows),
        )
        if dry_run or (rejected and not skip_rejected) or not (new or changed):
            return outcome  # rolled back: a re-import of the same rows changes nothing at all
        claim_rows: list[tuple[int, str, int]] = []
        changed_audit = []
        for row, reg, changes in updates:
            district, community_id = resolver.resolve(reg.community)
            values = member_values(reg, batch, self.now)
            if "community" in changes:
                values.update(
                    district_code=str(district) if district else None, community_id=community_id
                )
            conn.execute(sa.update(members).where(members.c.id == row.id).values(**values))
            if "posts" in changes:
                conn.execute(sa.delete(claims).where(claims.c.member_id == row.id))
                claim_rows += [
                    (row.id, post, position)
                    for position, post in enumerate(dict.fromkeys(reg.posts))
                ]
            changed_audit.append(
                {
                    "id": row.id,
                    "before": {k: v[0] for k, v in changes.items()},
                    "after": {k: v[1] for k, v in changes.items()},
                }
            )
        if claim_rows:
            insert_rows(conn, "claims", ("member_id", "post_code", "position"), claim_rows)
        filed = 0
        for row, reg in moves:
            district, community_id = resolver.resolve(reg.community)
            filed += store._file_import_change(
                conn,
                dict(
                    member_id=row.id,
                    from_community_id=row.community_id,
                    to_community_id=community_id,
                    to_district=reg.community.district,
                    to_street=reg.community.street,
                    to_name=reg.community.community,
                    reason=f"登记表（批次 {batch.id}）改了报到社区",
                    requested_on=batch.day,
                    requested_by=self.actor.real_name,
                    batch_id=batch.id,
                ),
            )
        written = new + changed
        store._insert_batch(conn, self.actor, batch, written)
        store._audit(
            conn,
            self.actor,
            "import.registrations",
            f"batch:{batch.id}",
            after={
                "file": batch.file,
                "rows": self.count,
                "new": sorted(self.new_ids),
                "changed": changed_audit,
                "change_requests": [row.id for row, _reg in moves],
                "rejected": len(rejected),
            },
            batch_id=batch.id,
            unit_code=scope.code,
        )
        return RegistrationWrite(
            batch_id=batch.id,
            rows=self.count,
            new=new,
            changed=changed,
            unchanged=self.unchanged,
            rejected=tuple(rejected),
            change_requests=filed,
            written=written,
            changes=tuple(self.changed_rows),
        )


_RATINGS = {rating: rating.value for rating in Rating}
_VALUES: dict[Any, str] = {e: e.value for kind in (Gender, ReportType) for e in kind}

_ACTIVITY_PROBLEMS = {
    "activity.member_unknown": (
        "姓名",
        "找不到 {name}（{phone}）：请核对姓名和联系方式（须与登记表一致），或该党员不在你的范围内。",
    ),
    "activity.no_community": ("姓名", "{name} 还没有分流到社区：请先完成分流再录入活动。"),
    "scope.denied": ("姓名", "{name} 所在社区不在你的管理范围内：请交由该社区录入。"),
    "activity.locked": (
        "年月日",
        "{name} {year} 年的实绩反馈单已盖章确认：不能再添加该年的活动。",
    ),
    "activity.hours_day": (
        "服务时间（小时）",
        "{name} 在 {day} 的服务时间合计超过 24 小时：请核对时长。",
    ),
}


def _activity_rejection(index: int, activity: Activity, code: str) -> Rejection:
    column, text = _ACTIVITY_PROBLEMS[code]
    value = {
        "姓名": activity.name,
        "年月日": activity.day.isoformat(),
        "服务时间（小时）": str(activity.hours),
    }[column]
    message = text.format(
        name=activity.name, phone=activity.phone, year=activity.year, day=activity.day.isoformat()
    )
    return Rejection(index, code, message, column, value)


def _repeat(index: int, reg: Registration, earlier: int) -> Rejection:
    """The rejection of a row repeating an earlier row's person (name and phone)."""
    return Rejection(
        index,
        "member.duplicate_row",
        f"与第 {earlier + 1} 条重复（同一姓名和联系方式）：请删去其中一行。",
        "姓名",
        reg.name,
    )


def _conflict(index: int, reg: Registration, other_unit: str | None) -> Rejection:
    where_text = f"单位 {other_unit}" if other_unit else "其他单位"
    return Rejection(
        index,
        "member.conflict",
        f"{reg.name}（{reg.phone}）已由{where_text}登记：同一人不能由两个单位登记，"
        "请与对方单位或上级组织部门核实后再处理。",
        "姓名",
        reg.name,
    )


def _with_community(reg: Registration, community: CommunityRef) -> Registration:
    return attrs.evolve(reg, community=community)


def _restore_values(before: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in before.items():
        if name == "posts":
            values["posts"] = ",".join(value)
        elif name == "community":
            values.update(
                community_district=value["district"],
                community_street=value["street"],
                community_name=value["community"],
            )
        else:
            values[name] = value
    values["updated_at"] = _now()
    return values


def _unit_values(unit: OrgUnit, batch_id: str | None) -> dict[str, Any]:
    return {
        "code": str(unit.code),
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_code": str(unit.parent) if unit.parent else None,
        "valid_from": unit.valid_from,
        "retired_on": unit.retired_on,
        "batch_id": batch_id,
    }


def _may_see_batch(actor: Actor, row: sa.Row[Any]) -> bool:
    scope = actor.scope
    if scope.role is Role.CITY:
        return True
    name = actor.operator.name
    if name in (row.operator, row.on_behalf_of):
        return True
    return (
        scope.code is not None
        and row.scope_code is not None
        and _code(row.scope_code).is_within(scope.code)
    )


def _start_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def rollup_column(by: RollupKey) -> sa.Column[Any]:
    """The activities column a roll-up groups by."""
    return {
        RollupKey.MEMBER: activities.c.member_id,
        RollupKey.COMMUNITY: activities.c.community_id,
        RollupKey.UNIT: activities.c.unit_code,
        RollupKey.DISTRICT: activities.c.district_code,
    }[by]


def _create_sqlite_file(target: Path) -> bool:
    """Create an empty SQLite store file readable by its owner and group only; ``False`` if it
    exists already."""
    if target.exists():
        if target.is_file() and target.stat().st_size == 0:  # made empty beforehand (touch)
            with contextlib.suppress(PermissionError):  # not ours: its owner decides
                os.chmod(target, SQLITE_FILE_MODE)
        return False
    if not target.parent.exists():
        raise ValidationError(
            "store.dir", f"文件夹 {target.parent} 不存在：请先创建它，或用 --db 指向别的位置。"
        )
    try:
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, SQLITE_FILE_MODE)
    except FileExistsError:
        return False
    except PermissionError:
        raise NotPermittedError(
            "store.dir", f"没有在 {target.parent} 中创建文件的权限：请换一个文件夹。"
        ) from None
    os.close(fd)
    os.chmod(target, SQLITE_FILE_MODE)  # the umask must not widen or narrow it
    return True
