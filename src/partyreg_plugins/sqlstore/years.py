"""Store methods over the years: campaign years and their unit confirmations, the year lock on
activities, each member's service for Table 1, and retention (anonymising members who left).

A mixin of :class:`~partyreg_plugins.sqlstore.store.SqlStore`; it uses the store's transaction,
audit and scope helpers. See ``docs/years.md`` and decisions 0055–0059.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import attrs
import sqlalchemy as sa

from partyreg_core.batches import ActivityWrite, Batch, Rejection
from partyreg_core.calendar import CampaignCalendar
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError
from partyreg_core.feedback.rules import year_closed_message
from partyreg_core.ledger import MemberService
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_core.records import Activity, Rating
from partyreg_core.retention import (
    ERASURE_KEY_SETTING,
    MEMBER_ID_ACTIONS,
    RetentionReport,
    anonymised_values,
    cutoff,
    erased_digest,
    member_subject,
    scrub,
)
from partyreg_core.years import (
    MONTH_DAYS_SETTING,
    CampaignYear,
    UnitConfirmation,
    YearOpening,
    YearStatus,
    calendar_for,
    calendar_from_json,
    calendar_json,
)
from partyreg_plugins.sqlstore import pg
from partyreg_plugins.sqlstore.bulk import fetch_rows, in_values
from partyreg_plugins.sqlstore.journal import RowJournal
from partyreg_plugins.sqlstore.schema import (
    activities,
    audit_log,
    batch_rows,
    campaign_years,
    erased_people,
    import_batches,
    members,
    org_units,
    settings,
    year_confirmations,
)
from partyreg_plugins.sqlstore.scoping import activity_condition, subtree, where
from partyreg_plugins.sqlstore.wishes import erase_residents

_CHUNK = 500


def _city_only(actor: Actor, what: str) -> None:
    if actor.scope.role is not Role.CITY:
        raise NotPermittedError("scope.denied", f"只有市级操作员可以{what}。")


class YearsStore:
    """Campaign years, the year lock, Table 1's service columns and retention.

    A mixin of ``SqlStore``: ``self`` is the store, whose transaction (``_tx``), audit
    (``_audit``) and role helpers these methods use."""

    # -- campaign years ---------------------------------------------------------------------

    def _year_row(self, conn: sa.Connection, year: int) -> sa.Row[Any] | None:
        return conn.execute(sa.select(campaign_years).where(campaign_years.c.year == year)).first()

    def _campaign_year(self, conn: sa.Connection, row: sa.Row[Any]) -> CampaignYear:
        m = row._mapping
        counts = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(year_confirmations.c.confirmed_on),
                sa.func.coalesce(sa.func.sum(year_confirmations.c.members), 0),
            ).where(year_confirmations.c.year == m["year"])
        ).one()
        return CampaignYear(
            year=m["year"],
            status=YearStatus(m["status"]),
            calendar=calendar_from_json(m["year"], m["calendar"]),
            opened_on=m["opened_on"],
            opened_by=m["opened_by"],
            closed_on=m["closed_on"],
            closed_by=m["closed_by"],
            units=int(counts[0]),
            units_confirmed=int(counts[1]),
            members_carried=int(counts[2]),
        )

    def campaign_years(self) -> list[CampaignYear]:
        """Every year the store opened, newest first."""
        with self._tx(None) as conn:
            rows = conn.execute(
                sa.select(campaign_years).order_by(campaign_years.c.year.desc())
            ).all()
            return [self._campaign_year(conn, row) for row in rows]

    def campaign_year(self, year: int) -> CampaignYear | None:
        """The year ``year``, or ``None`` when the store never opened it."""
        with self._tx(None) as conn:
            row = self._year_row(conn, year)
            return None if row is None else self._campaign_year(conn, row)

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
        """Open ``year`` (city operators): store its calendar, close every earlier open year,
        and carry each unit's standing registrations (members who have not left by ``on``)
        over for the unit to confirm. Refuses a year already opened, or one not after the
        newest opened year. With ``batch`` (not in a dry run), one batch that ``undo_batch``
        takes back (decision 0109)."""
        _city_only(actor, "开启新的活动年度")
        with self._tx(actor, write=True) as conn:
            journal = None
            if batch is not None and not dry_run:
                self._insert_batch(conn, actor, batch, 1)  # type: ignore[attr-defined]
                journal = RowJournal(conn, batch.id)
                journal.watch(campaign_years, sa.true())
                journal.watch(year_confirmations, year_confirmations.c.year == year)
            newest = conn.execute(sa.select(sa.func.max(campaign_years.c.year))).scalar()
            if newest is not None and year < newest:
                raise ConflictError(
                    "year.order",
                    f"已开启 {newest} 年度，不能再开启更早的 {year} 年度：年度只能向后切换。",
                )
            if self._year_row(conn, year) is not None:
                raise ConflictError(
                    "year.exists", f"{year} 年度已经开启：用 partyreg year show {year} 查看。"
                )
            closing = [
                r[0]
                for r in conn.execute(
                    sa.select(campaign_years.c.year).where(
                        campaign_years.c.year < year, campaign_years.c.status == "open"
                    )
                )
            ]
            # the years the store holds data for but never opened (a store that began in 2014
            # and opened 2015 first): recorded as opened and closed now, so that they show as
            # closed (year show 2014) like any other past year (decision 0073)
            first = self._first_data_year(conn)
            if newest is None and first is not None and first < year:
                month_days = self.get_setting(MONTH_DAYS_SETTING)  # type: ignore[attr-defined]
                conn.execute(
                    sa.insert(campaign_years),
                    [
                        {
                            "year": y,
                            "status": "closed",
                            "calendar": calendar_json(calendar_for(y, month_days)),
                            "opened_on": on,
                            "opened_by": actor.real_name,
                            "closed_on": on,
                            "closed_by": actor.real_name,
                        }
                        for y in range(first, year)
                    ],
                )
                closing = [*range(first, year), *closing]
            if closing:
                conn.execute(
                    sa.update(campaign_years)
                    .where(campaign_years.c.year.in_(closing))
                    .values(status="closed", closed_on=on, closed_by=actor.real_name)
                )
            conn.execute(
                sa.insert(campaign_years).values(
                    year=year,
                    status="open",
                    calendar=calendar_json(calendar),
                    opened_on=on,
                    opened_by=actor.real_name,
                )
            )
            standing = sa.or_(members.c.left_on.is_(None), members.c.left_on > on)
            per_unit = conn.execute(
                sa.select(members.c.unit_code, sa.func.count())
                .where(standing, members.c.anonymised_on.is_(None))
                .group_by(members.c.unit_code)
                .order_by(members.c.unit_code)
            ).all()
            if per_unit:
                conn.execute(
                    sa.insert(year_confirmations),
                    [{"year": year, "unit_code": code, "members": n} for code, n in per_unit],
                )
            carried = sum(n for _code, n in per_unit)
            self._audit(
                conn,
                actor,
                "year.open",
                f"year:{year}",
                after={
                    "year": year,
                    "calendar": calendar_json(calendar),
                    "closed_years": closing,
                    "units": len(per_unit),
                    "members": carried,
                    "on": on.isoformat(),
                },
            )
            opened = self._year_row(conn, year)
            assert opened is not None
            result = YearOpening(
                self._campaign_year(conn, opened), tuple(closing), len(per_unit), carried
            )
            if dry_run:  # everything above, taken back: the preview is the real computation
                conn.get_transaction().rollback()  # type: ignore[union-attr]
            elif journal is not None:
                journal.record()
            return result

    def _year_undo_allowed(self, conn: sa.Connection, actor: Actor, batch: Batch) -> None:
        """Undoing ``year open`` (city only) is refused once the year holds data: activities
        dated in it, or a later year opened."""
        _city_only(actor, "撤销开启年度")
        opened = conn.execute(
            sa.select(batch_rows.c.row_key, batch_rows.c.before).where(
                batch_rows.c.batch_id == batch.id, batch_rows.c.table_name == "campaign_years"
            )
        ).all()
        years = sorted(int(r.row_key["year"]) for r in opened if r.before is None)
        if not years:
            return
        year = years[-1]
        later = conn.execute(
            sa.select(sa.func.max(campaign_years.c.year)).where(campaign_years.c.year > year)
        ).scalar()
        if later is not None:
            raise ConflictError(
                "batch.in_use",
                f"批次 {batch.id} 不能撤销：之后又开启了 {later} 年度，请先撤销开启 {later} 年度的批次。",
            )
        used = conn.execute(
            sa.select(sa.func.count()).where(activities.c.year == year)
        ).scalar_one()
        if used:
            raise ConflictError(
                "batch.in_use",
                f"批次 {batch.id} 不能撤销：{year} 年度已有 {used} 条活动记录。"
                "开启年度只能在录入数据之前撤销。",
            )

    def year_confirmations(
        self, actor: Actor, year: int, *, pending_only: bool = False
    ) -> list[UnitConfirmation]:
        """The units' confirmations of ``year`` within the actor's scope (unit code order)."""
        scope = actor.scope
        statement = (
            sa.select(year_confirmations, org_units.c.name)
            .join(org_units, org_units.c.code == year_confirmations.c.unit_code)
            .where(year_confirmations.c.year == year)
            .order_by(year_confirmations.c.unit_code)
        )
        if pending_only:
            statement = statement.where(year_confirmations.c.confirmed_on.is_(None))
        if scope.role is not Role.CITY:
            if scope.code is None:
                return []  # communities and instructors have no units
            statement = statement.where(subtree(year_confirmations.c.unit_code, scope.code))
        with self._tx(actor) as conn:
            if self._year_row(conn, year) is None:
                raise _no_year(year)
            return [_confirmation(row) for row in conn.execute(statement)]

    def confirm_year(self, actor: Actor, year: int, unit: OrgCode, on: date) -> UnitConfirmation:
        """A unit confirms its registrations for ``year`` as they stand on ``on`` (the unit's
        own operator, its district, or the city). Confirming again records the new count."""
        scope = actor.scope
        if not scope.may_register(unit):
            raise NotPermittedError(
                "scope.denied", f"单位 {unit} 不在你的管理范围内：请由该单位或其上级确认。"
            )
        with self._tx(actor, write=True) as conn:
            row = self._year_row(conn, year)
            if row is None:
                raise _no_year(year)
            if row._mapping["status"] != "open":
                raise ConflictError("year.closed", f"{year} 年度已关闭，不能再确认登记。")
            key = sa.and_(
                year_confirmations.c.year == year, year_confirmations.c.unit_code == str(unit)
            )
            before = conn.execute(sa.select(year_confirmations).where(key)).first()
            count = conn.execute(
                sa.select(sa.func.count()).where(
                    members.c.unit_code == str(unit),
                    sa.or_(members.c.left_on.is_(None), members.c.left_on > on),
                    members.c.anonymised_on.is_(None),
                )
            ).scalar_one()
            values = {
                "confirmed_on": on,
                "confirmed_by": actor.real_name,
                "confirmed_members": count,
            }
            if before is None:
                if (
                    conn.execute(
                        sa.select(org_units.c.code).where(org_units.c.code == str(unit))
                    ).first()
                    is None
                ):
                    raise NotFoundError("code.unknown", f"没有单位代码 {unit}。")
                conn.execute(
                    sa.insert(year_confirmations).values(
                        year=year, unit_code=str(unit), members=count, **values
                    )
                )
            else:
                conn.execute(sa.update(year_confirmations).where(key).values(**values))
            self._audit(
                conn,
                actor,
                "year.confirm",
                f"year:{year}",
                before=None
                if before is None
                else {
                    "unit_code": str(unit),
                    "confirmed_on": before._mapping["confirmed_on"],
                    "confirmed_members": before._mapping["confirmed_members"],
                },
                after={"unit_code": str(unit), "confirmed_on": on.isoformat(), "members": count},
                unit_code=unit,
            )
            saved = conn.execute(
                sa.select(year_confirmations, org_units.c.name)
                .join(org_units, org_units.c.code == year_confirmations.c.unit_code)
                .where(key)
            ).one()
            return _confirmation(saved)

    def _first_data_year(self, conn: sa.Connection) -> int | None:
        """The earliest year the store holds data for: its first batch's business date or its
        first activity."""
        first = conn.execute(
            sa.select(
                sa.func.min(import_batches.c.on_date),
                sa.func.min(import_batches.c.at),
                sa.select(sa.func.min(activities.c.day)).scalar_subquery(),
            )
        ).one()
        years = [v.year for v in first if v is not None]
        return min(years) if years else None

    def latest_data_year(self) -> int | None:
        """The latest year the store holds data for (the business date of its newest batch),
        or ``None`` for an empty store: the campaign year while no year was opened."""
        with self._tx(None) as conn:
            # the business date of the newest batch (a batch without one counts for its day)
            row = conn.execute(
                sa.select(import_batches.c.on_date, import_batches.c.at)
                .order_by(import_batches.c.at.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            return (row.on_date or row.at).year

    def locked_before(self) -> int | None:
        """Activities dated before this year are refused: the newest opened year (opening it
        closed every earlier one, opened or not); ``None`` while no year was opened."""
        with self._tx(None) as conn:
            newest = conn.execute(sa.select(sa.func.max(campaign_years.c.year))).scalar()
            return None if newest is None else int(newest)

    def _refuse_closed_years(
        self,
        actor: Actor,
        batch: Batch,
        rows: Sequence[Activity],
        *,
        skip_rejected: bool,
        dry_run: bool,
    ) -> ActivityWrite | None:
        """The year lock on activities (called first by ``write_activities``): ``None`` when no
        row falls in a closed year; otherwise the write with those rows refused
        (``activity.year_closed``) and the others written as the options say."""
        limit = self.locked_before() if rows else None
        closed = {a.day.year for a in rows if limit is not None and a.day.year < limit}
        if not closed:
            return None
        refused = [
            Rejection(
                i,
                "activity.year_closed",
                year_closed_message(a.name, a.day.year),
                "年月日",
                a.day.isoformat(),
            )
            for i, a in enumerate(rows)
            if a.day.year in closed
        ]
        kept = [i for i, a in enumerate(rows) if a.day.year not in closed]
        if not kept:
            return ActivityWrite(None, len(rows), 0, 0, tuple(refused), dry_run=dry_run)
        rest = self.write_activities(
            actor,
            batch,
            [rows[i] for i in kept],
            skip_rejected=skip_rejected,
            dry_run=dry_run or not skip_rejected,
        )
        rejected = sorted(
            (*refused, *(attrs.evolve(r, index=kept[r.index]) for r in rest.rejected)),
            key=lambda r: r.index,
        )
        return attrs.evolve(rest, rows=len(rows), rejected=tuple(rejected), dry_run=dry_run)

    # -- Table 1's service columns ----------------------------------------------------------

    def member_service(
        self, actor: Actor, year: int, member_ids: Sequence[int] | None = None
    ) -> list[MemberService]:
        """Each visible member's confirmed activities in ``year``: hours, count and ratings
        (members without any are left out), by member id. One grouped query, joined to the
        members for their name and phone."""
        a = activities.c

        def rated(rating: Rating) -> Any:
            return sa.func.sum(sa.case((a.rating == rating.value, 1), else_=0))

        # totals per member first, then each total joined to its member by primary key
        totals = where(
            sa.select(
                a.member_id.label("member_id"),
                sa.func.sum(a.hours).label("hours"),
                sa.func.count().label("n"),
                rated(Rating.EXCELLENT).label("excellent"),
                rated(Rating.GOOD).label("good"),
                rated(Rating.FAIR).label("fair"),
            )
            .where(a.year == year, a.confirmed == sa.true())
            .group_by(a.member_id),
            activity_condition(actor.scope),
        )
        if member_ids is not None:
            totals = totals.where(in_values(self.dialect, a.member_id, sorted(member_ids)))
        t = totals.subquery("t")
        statement = (
            sa.select(
                t.c.member_id, members.c.name, members.c.phone, t.c.hours, t.c.n,
                t.c.excellent, t.c.good, t.c.fair,
            )
            .join_from(t, members, members.c.id == t.c.member_id)
            .order_by(t.c.member_id)
        )  # fmt: skip
        with self._tx(actor) as conn:
            return [
                MemberService(
                    member_id=member_id,
                    name=name,
                    phone=phone,
                    year=year,
                    hours=round(float(hours), 4),
                    activities=int(count),
                    excellent=int(excellent),
                    good=int(good),
                    fair=int(fair),
                )
                for member_id, name, phone, hours, count, excellent, good, fair in fetch_rows(
                    conn, statement
                )
            ]

    # -- retention --------------------------------------------------------------------------

    def run_retention(
        self, actor: Actor, on: date, years: int, *, dry_run: bool, batch: Batch | None = None
    ) -> RetentionReport:
        """Anonymise the members who left ``years`` or more years before ``on`` and scrub the
        audit log's before/after values about them (city operators; see decision 0057).

        A dry run says what would happen and writes nothing (not even an audit entry)."""
        _city_only(actor, "执行个人信息保留期限处理")
        due_by = cutoff(on, years)
        with self._tx(actor, write=True) as conn:
            due = conn.execute(
                sa.select(members.c.id, members.c.unit_code, members.c.name, members.c.phone)
                .where(
                    members.c.left_on.is_not(None),
                    members.c.left_on <= due_by,
                    members.c.anonymised_on.is_(None),
                )
                .order_by(members.c.id)
            ).all()
            ids = [r[0] for r in due]
            by_unit = dict(sorted(Counter(str(r[1]) for r in due).items()))
            changes = self._audit_scrubs(conn, set(ids)) if ids else []
            wish_ids = erase_residents(conn, due_by, on, dry_run=dry_run)
            report = RetentionReport(
                on=on,
                years=years,
                cutoff=due_by,
                dry_run=dry_run,
                member_ids=tuple(ids),
                audit_entry_ids=tuple(entry_id for entry_id, _b, _a in changes),
                by_unit=by_unit,
                wish_ids=tuple(wish_ids),
            )
            if dry_run or not ids:
                if not dry_run:
                    self._record_retention(conn, actor, report)
                return report
            # one statement, many parameter sets (executemany)
            conn.execute(
                sa.update(members)
                .where(members.c.id == sa.bindparam("member_id"))
                .values(
                    {
                        **{k: sa.bindparam(f"new_{k}") for k in anonymised_values(0)},
                        "anonymised_on": on,
                    }
                ),
                [
                    {"member_id": i, **{f"new_{k}": v for k, v in anonymised_values(i).items()}}
                    for i in ids
                ],
            )
            if changes:
                self._scrub_audit(conn, actor, changes)
            if batch is not None:  # whom it erased, by id; undo_batch refuses it (decision 0109)
                self._insert_batch(  # type: ignore[attr-defined]
                    conn, actor, attrs.evolve(batch, rows=len(ids)), len(ids)
                )
                conn.execute(
                    sa.insert(batch_rows),
                    [
                        {"batch_id": batch.id, "table_name": "members", "row_key": {"id": i}}
                        for i in ids
                    ],
                )
            key = _erasure_key(conn, actor)
            digests = {erased_digest(key, r.name, r.phone) for r in due}
            known = set(
                conn.execute(
                    sa.select(erased_people.c.digest).where(erased_people.c.digest.in_(digests))
                ).scalars()
            )
            if digests - known:
                conn.execute(
                    sa.insert(erased_people),
                    [{"digest": d, "erased_on": on} for d in sorted(digests - known)],
                )
            self._record_retention(conn, actor, report)
            return report

    def _record_retention(self, conn: sa.Connection, actor: Actor, report: RetentionReport) -> None:
        self._audit(
            conn,
            actor,
            "retention.run",
            f"retention:{report.on.isoformat()}",
            after={
                "on": report.on.isoformat(),
                "years": report.years,
                "left_on_or_before": report.cutoff.isoformat(),
                "members": report.members,
                "member_ids": list(report.member_ids),
                "by_unit": dict(report.by_unit),
                "audit_entries": report.audit_entries,
                "wishes": report.wishes,
                "audit_entry_ids": list(report.audit_entry_ids),
            },
        )

    def _audit_scrubs(self, conn: sa.Connection, ids: set[int]) -> list[tuple[int, Any, Any]]:
        """The audit entries mentioning the members ``ids`` and their scrubbed before/after
        (the whole log is read, streamed: retention runs rarely)."""
        a = audit_log.c
        changes = []
        statement = (
            sa.select(a.id, a.subject, a.action, a.before, a.after)
            .where(sa.or_(a.before.is_not(None), a.after.is_not(None)))
            .order_by(a.id)
        )
        # per statement: streaming set on the connection would stay for the updates after it
        rows = conn.execute(statement, execution_options={"yield_per": 1000})
        for entry_id, subject, action, before, after in rows:
            member = member_subject(subject)
            whole = member is not None and member in ids
            by_id = action in MEMBER_ID_ACTIONS
            new_before = scrub(before, ids, whole=whole, id_means_member=by_id)
            new_after = scrub(after, ids, whole=whole, id_means_member=by_id)
            if new_before != before or new_after != after:
                changes.append((entry_id, new_before, new_after))
        return changes

    def _scrub_audit(
        self, conn: sa.Connection, actor: Actor, changes: Sequence[tuple[int, Any, Any]]
    ) -> None:
        """Rewrite before/after of the given entries: the one path past the append-only
        triggers. The trigger is lifted and restored inside this transaction (DDL is
        transactional on both backends), so no other statement ever sees the log unguarded,
        and a crash restores it with the rest."""
        if self._sqlite:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        else:
            assert self._roles is not None
            pg.require_owner_membership(conn, self._roles)
            pg.set_role(conn, self._roles, self._roles.owner)
            conn.exec_driver_sql(
                "ALTER TABLE partyreg.audit_log DISABLE TRIGGER audit_log_no_change"
            )
        conn.execute(
            sa.update(audit_log)
            .where(audit_log.c.id == sa.bindparam("entry_id"))
            .values(before=sa.bindparam("new_before"), after=sa.bindparam("new_after")),
            [{"entry_id": i, "new_before": b, "new_after": a} for i, b, a in changes],
        )
        if self._sqlite:
            conn.exec_driver_sql(
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
                " BEGIN SELECT RAISE(ABORT, 'audit log is append-only (UPDATE refused)'); END"
            )
        else:
            assert self._roles is not None
            conn.exec_driver_sql(
                "ALTER TABLE partyreg.audit_log ENABLE TRIGGER audit_log_no_change"
            )
            self._enter_role(conn, actor)


def _erasure_key(conn: sa.Connection, actor: Actor) -> str:
    """The store's key of the erased people's digests, made on first use (city operators
    run retention, and only they write settings)."""
    key = conn.execute(
        sa.select(settings.c.value).where(settings.c.key == ERASURE_KEY_SETTING)
    ).scalar()
    if isinstance(key, str) and key:
        return key
    key = secrets.token_hex(32)
    conn.execute(
        sa.insert(settings).values(
            key=ERASURE_KEY_SETTING, value=key, updated_at=datetime.now(UTC),
            updated_by=actor.real_name,
        )
    )  # fmt: skip
    return key


def erased_among(conn: sa.Connection, people: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``people`` (name, phone) were anonymised by retention (decision 0079)."""
    if not people or conn.execute(sa.select(erased_people.c.digest).limit(1)).first() is None:
        return set()
    key = conn.execute(
        sa.select(settings.c.value).where(settings.c.key == ERASURE_KEY_SETTING)
    ).scalar()
    if not isinstance(key, str) or not key:
        return set()
    by_digest = {erased_digest(key, name, phone): (name, phone) for name, phone in people}
    found: set[tuple[str, str]] = set()
    digests = sorted(by_digest)
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start : start + _CHUNK]
        found.update(
            by_digest[d]
            for d in conn.execute(
                sa.select(erased_people.c.digest).where(erased_people.c.digest.in_(chunk))
            ).scalars()
        )
    return found


def _no_year(year: int) -> NotFoundError:
    return NotFoundError(
        "year.not_found", f"{year} 年度还没有开启：请市级操作员运行 partyreg year open {year}。"
    )


def _confirmation(row: sa.Row[Any]) -> UnitConfirmation:
    m = row._mapping
    return UnitConfirmation(
        year=m["year"],
        unit_code=parse_code(m["unit_code"]),
        unit_name=m["name"],
        members=m["members"],
        confirmed_on=m["confirmed_on"],
        confirmed_by=m["confirmed_by"],
        confirmed_members=m["confirmed_members"],
    )
