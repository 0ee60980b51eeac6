"""What the facade offers for community service (``ws.feedback``): the activity types,
recording and correcting activities (one member or a service group), self-reports, 附表3
feedback sheets (numbering, confirmation, reopening, delivery) and what is rolled up from them
(summaries, rankings and their weights, service tiers, pairing suggestions, the unit ledger).

Each committed step is reported as an event (``activity.*``, ``feedback.*``): the
``partyreg_on_changed`` listeners hear every one. The rules (the 24-hour day, the year lock,
the locked sheet) and their messages are :mod:`partyreg_core.feedback.rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from partyreg_core.batches import Batch, BatchKind
from partyreg_core.communities import Community
from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.feedback.model import (
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
)
from partyreg_core.feedback.port import ActivityRepository, FeedbackRepository
from partyreg_core.feedback.rules import (
    KINDS_SETTING,
    WEIGHTS_SETTING,
    activity_kinds,
    check_entry,
    check_kind,
    ledger_lines,
    parse_sheet_number,
    rank,
    refuse_closed_year,
    sheet_number,
    suggest_pairings,
    tier_lines,
)
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode, OrgTree, OrgUnit
from partyreg_core.records import Rating

#: What the service reports to the facade: event, subject, before, after.
Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]

#: The fields ``activity edit`` may change.
_ACTIVITY_FIELDS = frozenset({"day", "hours", "content", "rating", "kind", "place", "participants"})


# not slotted: a frontend's test may wrap one method of the instance it drives
@attrs.define(slots=False)
class FeedbackService:
    """Community service for one acting operator.

    :param activity_repository: the store's activities
        (:class:`~partyreg_core.feedback.port.ActivityRepository`).
    :param repository: the store's sheets and roll-ups
        (:class:`~partyreg_core.feedback.port.FeedbackRepository`).
    :param actor: who is acting (asked when needed: the facade resolves it lazily).
    :param today: today's date in Asia/Shanghai.
    :param default_year: the year a command means when it names none (decision 0073).
    :param locked_before: the newest opened campaign year (``None``: nothing is locked).
    :param member_name: a member's name by id, within scope (for the year lock's message).
    :param setting: a shared setting; :param set_setting: changes one (audited, reported).
    :param org_tree: the org tree (read once by the facade).
    :param code: an org unit by its code as typed; :param parse_code: a code as typed.
    :param community: a community by ``县区/街道/社区`` or id, within scope.
    :param communities: the community directory.
    :param unit_members_on: the members a unit's subtree had on a day (id → unit code).
    :param org_changed_after: whether an org change took effect after a day.
    :param point_balances: the members' points balances of a year.
    :param batch: a new batch of a kind, a file text, a row count and a business date.
    :param changed: reports each committed step (``partyreg_on_changed``).
    """

    activity_repository: ActivityRepository
    repository: FeedbackRepository
    actor: Callable[[], Actor]
    today: Callable[[], date]
    default_year: Callable[[], int]
    locked_before: Callable[[], int | None]
    member_name: Callable[[int], str]
    setting: Callable[[str], Any]
    set_setting: Callable[[str, Any], None]
    org_tree: Callable[[], OrgTree]
    code: Callable[[OrgCode | str], OrgUnit]
    parse_code: Callable[[OrgCode | str], OrgCode]
    community: Callable[[str], Community]
    communities: Callable[[], list[Community]]
    unit_members_on: Callable[[Actor, OrgCode, date], dict[int, str]]
    org_changed_after: Callable[[date], bool]
    point_balances: Callable[[int], Mapping[int, float]]
    batch: Callable[[BatchKind, str, int, date | None], Batch]
    changed: Changed

    def kinds(self) -> tuple[str, ...]:
        """The activity types: the built-in themed days and the city's own (settings)."""
        extra = self.setting(KINDS_SETTING)
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
        self.check_entries([entry], year)
        ids = self.activity_repository.record_activities(
            self.actor(), [entry], subject=f"member:{member_id}"
        )
        self.changed(
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
        _community_id, roster = self.activity_repository.group_roster(self.actor(), group_id)
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
        self.check_entries(entries, year)
        ids = self.activity_repository.record_activities(
            self.actor(), entries, subject=f"group:{group_id}"
        )
        self.changed(
            "activity.record",
            f"group:{group_id}",
            None,
            {"ids": ids, "members": present, "absent": sorted(absent), "day": day.isoformat()},
        )
        return ids

    def check_entries(self, entries: Sequence[ServiceEntry], year: int | None) -> None:
        today = self.today()
        kinds = self.kinds()
        chosen = year or self.default_year()
        # the year lock first: a closed --year, or a date in a closed year, is refused the
        # same way (code and text) as the import refuses such a row
        newest = self.locked_before()
        for entry in entries:
            if newest is not None and entry.day.year < newest:
                name = self.member_name(entry.member_id)
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
        return self.activity_repository.list_activities(
            self.actor(),
            member_id=member_id,
            community_id=self.community(community).id if community else None,
            year=year,
        )

    def activity(self, activity_id: int) -> StoredActivity:
        """One activity within scope (``activity.not_found`` otherwise)."""
        found = self.activity_repository.list_activities(self.actor(), activity_id=activity_id)
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
        newest = self.locked_before()
        for day in (current.day, entry.day):
            refuse_closed_year(day.year, newest, name=current.name)
        check_entry(entry, year=entry.day.year, today=self.today(), kinds=self.kinds())
        self.activity_repository.change_activity(self.actor(), activity_id, entry, reason.strip())
        self.changed("activity.edit", f"activity:{activity_id}", None, dict(changes))
        return self.activity(activity_id)

    def remove_activity(self, activity_id: int, reason: str) -> StoredActivity:
        """Remove a recorded activity (the reason is required and audited; refused in a
        closed year or on a confirmed sheet, saying what to do). Returns it as it was."""
        if not reason.strip():
            raise ValidationError("activity.reason", "删除活动需要说明原因：--reason “重复录入”。")
        removed = self.activity_repository.change_activity(
            self.actor(), activity_id, None, reason.strip()
        )
        self.changed("activity.remove", f"activity:{activity_id}", None, {"reason": reason})
        return removed

    def pending_activities(self, community: str | None = None) -> list[PendingActivity]:
        """Self-reported activities waiting for confirmation, within scope."""
        community_id = self.community(community).id if community else None
        return self.activity_repository.pending_activities(self.actor(), community_id=community_id)

    def confirm_activities(self, activity_ids: Sequence[int]) -> list[PendingActivity]:
        """Confirm self-reported activities: they count from now on."""
        done = self.activity_repository.decide_self_reports(
            self.actor(), activity_ids, confirm=True
        )
        for item in done:
            self.changed("activity.confirm", f"activity:{item.id}", None, {"confirmed": True})
        return done

    def reject_activities(self, activity_ids: Sequence[int], reason: str) -> list[PendingActivity]:
        """Reject self-reported activities (removed, the reason in the audit log)."""
        if not reason.strip():
            raise ValidationError("activity.reason", "退回自报活动需要说明原因：--reason …。")
        done = self.activity_repository.decide_self_reports(
            self.actor(), activity_ids, confirm=False, reason=reason.strip()
        )
        for item in done:
            self.changed("activity.reject", f"activity:{item.id}", None, {"reason": reason})
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
        return self.repository.feedback_sheet_list(
            self.actor(),
            year or self.default_year(),
            member_id=member_id,
            unit=self.parse_code(unit) if unit is not None else None,
            community_id=self.community(community).id if community else None,
        )

    def confirm(
        self,
        numbers: Sequence[str] = (),
        *,
        community: str | None = None,
        year: int | None = None,
        on: date | None = None,
    ) -> list[SheetInfo]:
        """Confirm (stamp and lock) sheets by number, or every draft sheet of a community for
        the year (as one batch: :meth:`confirm_community`); emits
        ``feedback.confirmed`` for each."""
        if community is not None:
            return self.confirm_community(community, year=year, on=on)[1]
        wanted = [self._sheet_number(n) for n in numbers]
        if not wanted:
            return []
        return self._confirmed(
            self.repository.confirm_sheets(self.actor(), wanted, on or self.today())
        )

    def confirm_community(
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
        batch = self.batch(
            BatchKind.FEEDBACK, f"feedback confirm --all {community} {the_year}", len(drafts), day
        )
        done = self.repository.confirm_sheets(
            self.actor(), [s.number for s in drafts], day, batch=batch
        )
        return (batch.id if done else None), self._confirmed(done)

    def _confirmed(self, done: list[SheetInfo]) -> list[SheetInfo]:
        for sheet in done:
            self.changed(
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

    def reopen(self, number: str, reason: str, *, on: date | None = None) -> SheetInfo:
        """Reopen a confirmed sheet for a correction (the reason is required and audited)."""
        if not reason.strip():
            raise ValidationError(
                "feedback.reason", "退回反馈单需要说明原因：--reason “补录 11 月活动”。"
            )
        sheet = self.repository.reopen_sheet(
            self.actor(), self._sheet_number(number), reason.strip(), on or self.today()
        )
        self.changed("feedback.reopened", f"feedback:{sheet.number}", None, {"reason": reason})
        return sheet

    def deliver(
        self, unit: OrgCode | str, *, year: int | None = None, on: date | None = None
    ) -> list[SheetInfo]:
        """Mark a unit's confirmed sheets of the year delivered to its ledger (台帐)."""
        day = on or self.today()
        code = self.code(unit).code
        year = year or (on.year if on else self.default_year())
        done = self.repository.deliver_sheets(self.actor(), code, year, day)
        if done:
            self.changed(
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

    def summary(
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
        rows = self.repository.feedback_summary(
            self.actor(),
            grouping,
            year=year,
            unit=self.parse_code(unit) if unit is not None else None,
        )
        if year is None or grouping not in (SummaryBy.UNIT, SummaryBy.DISTRICT):
            return rows
        day = min(date(year, 12, 31), self.today())
        names = {str(u.code): u.name_on(day) for u in self.org_tree()}
        return [r._replace(label=names.get(r.key, r.label)) for r in rows]

    def weights(self) -> RankingWeights:
        """The ranking weights in effect (settings key ``ranking_weights``, else defaults)."""
        value = self.setting(WEIGHTS_SETTING)
        return RankingWeights.from_setting(value if isinstance(value, dict) else None)

    def set_weights(self, values: Mapping[str, Any]) -> RankingWeights:
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
        chosen = weights or self.weights()
        day_year = year or self.default_year()
        if of == "member":
            rows = [r for r in self.summary("member", year=day_year) if r.activities]
            return rank(rows, chosen.member_score, top)
        if of == "community":
            rows = [r for r in self.summary("community", year=day_year) if r.key]
            return rank(rows, chosen.community_score, top)
        raise ValidationError("ranking.of", f"排名对象“{of}”无效：只能是 member 或 community。")

    def tiers(self, *, minimum: int = 0) -> list[TierLine]:
        """Members' cumulative service over all years and their star level (100/300/600/
        1000/1500 hours)."""
        return tier_lines(self.summary("member"), minimum=minimum)

    def pairings(self, *, per_unit: int = 3, minimum: int = 1) -> list[Pairing]:
        """Pairing suggestions (结对共建): for each unit, the communities where most of its
        routed members report in."""
        labels = {c.id: c.label for c in self.communities()}
        return suggest_pairings(
            self.repository.pairing_counts(self.actor()), labels, per_unit=per_unit, minimum=minimum
        )

    def ledger(self, unit: OrgCode | str, *, year: int | None = None) -> list[LedgerLine]:
        """A unit's ledger (台帐) for the year: every member of the unit's subtree with their
        service and their feedback sheet (number, state, confirmation, delivery)."""
        code = self.code(unit).code
        day_year = year or self.default_year()
        day = min(date(day_year, 12, 31), self.today())
        # the members the unit had at the year's end, under that day's codes: the 2014 ledger
        # of 清河区's units, asked after the 2016 merge, still lists their members
        units = self.unit_members_on(self.actor(), code, day)
        # an org change since the year began re-coded activities and sheets: take the
        # members' own rows wherever they are coded now (decision 0062)
        within = None if self.org_changed_after(date(day_year, 1, 1)) else code
        by_member = self.repository.feedback_summary(
            self.actor(), SummaryBy.MEMBER, year=day_year, unit=within
        )
        sheets = self.repository.sheets_iter(self.actor(), day_year, unit=within)
        points = self.point_balances(day_year)
        return [
            attrs.evolve(line, points=points.get(line.member_id, 0.0))
            for line in ledger_lines(by_member, sheets, units)
        ]

    def set_kinds(self, kinds: Sequence[str]) -> tuple[str, ...]:
        """Set the city's own activity types (city operators; audited)."""
        names = [k.strip() for k in kinds if k.strip()]
        for name in names:
            if len(name) > 64:
                raise ValidationError(
                    "activity.kind", f"活动类型“{name[:20]}…”太长：最多 64 个字。"
                )
        self.set_setting(KINDS_SETTING, names)
        return self.kinds()

    def check_kind(self, text: str) -> str:
        """``text`` as a known activity type (``""`` when empty)."""
        return check_kind(text, self.kinds())
