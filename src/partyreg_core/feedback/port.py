"""What a store provides for community service: the activities (``Store.activities``: recording,
correcting, self-reports) and the feedback sheets with the roll-ups (``Store.feedback``:
numbering, confirmation, delivery, the SQL summaries, pairing counts)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Protocol

from partyreg_core.batches import Batch
from partyreg_core.feedback.model import (
    PendingActivity,
    ServiceEntry,
    SheetInfo,
    StoredActivity,
    SummaryBy,
    SummaryRow,
)
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode


class ActivityRepository(Protocol):
    """Activities in a store. Every method is one transaction within the actor's scope and
    leaves its audit entries; the store raises the refusals of
    :mod:`partyreg_core.feedback.rules` and keeps the constraints that guard them (the
    24-hour day, the locked sheet, the closed year, no identical activity twice)."""

    def record_activities(
        self, actor: Actor, entries: Sequence[ServiceEntry], *, subject: str
    ) -> list[int]:
        """Write activities an instructor records (one member, or a group), all or none: each
        member routed into the actor's communities, the year's sheet not confirmed, at most 24
        hours a day with what is stored, no repeat of a stored activity. Returns the new ids."""

    def group_roster(self, actor: Actor, group_id: int) -> tuple[int, list[int]]:
        """A service group's community id and its members' ids (the group in scope)."""

    def list_activities(
        self,
        actor: Actor,
        *,
        member_id: int | None = None,
        community_id: int | None = None,
        year: int | None = None,
        activity_id: int | None = None,
    ) -> list[StoredActivity]:
        """Activities visible in the scope (of a member, a community, a year; one by id), by
        day and id."""

    def change_activity(
        self, actor: Actor, activity_id: int, entry: ServiceEntry | None, reason: str
    ) -> StoredActivity:
        """Correct an activity to ``entry`` (``None``: remove it), audited with ``reason``: in
        the actor's communities only, never on a confirmed sheet (``activity.locked``) nor in
        a closed year (``activity.year_closed``), at most 24 hours that day. Returns the
        activity as it was."""

    def pending_activities(
        self, actor: Actor, *, community_id: int | None = None
    ) -> list[PendingActivity]:
        """Self-reported activities waiting for confirmation, within the scope."""

    def decide_self_reports(
        self, actor: Actor, activity_ids: Sequence[int], *, confirm: bool, reason: str = ""
    ) -> list[PendingActivity]:
        """Confirm or reject (remove) self-reported activities, all or none; audited."""


class FeedbackRepository(Protocol):
    """Feedback sheets (附表3) and the roll-ups in a store. Every method is one transaction
    within the actor's scope; writes are audited."""

    def feedback_sheet_list(
        self,
        actor: Actor,
        year: int,
        *,
        member_id: int | None = None,
        unit: OrgCode | None = None,
        community_id: int | None = None,
        numbers: Sequence[str] | None = None,
    ) -> list[SheetInfo]:
        """The year's feedback sheets in scope, numbering the routed members' missing ones."""

    def confirm_sheets(
        self,
        actor: Actor,
        numbers: Sequence[str],
        on: date,
        *,
        skip_confirmed: bool = False,
        batch: Batch | None = None,
    ) -> list[SheetInfo]:
        """Confirm (stamp and lock) sheets, all or none; audited. With ``batch`` the
        confirmations are one batch that ``undo_batch`` takes back in one step."""

    def reopen_sheet(self, actor: Actor, number: str, reason: str, on: date) -> SheetInfo:
        """Reopen a confirmed sheet for a correction, with a reason; audited."""

    def deliver_sheets(self, actor: Actor, unit: OrgCode, year: int, on: date) -> list[SheetInfo]:
        """Mark a unit's confirmed sheets of ``year`` delivered to its ledger; audited."""

    def sheets_iter(
        self, actor: Actor, year: int, *, unit: OrgCode | None = None
    ) -> Iterator[SheetInfo]:
        """The stored sheets of ``year`` in scope, without numbering new ones."""

    def feedback_summary(
        self, actor: Actor, by: SummaryBy, *, year: int | None = None, unit: OrgCode | None = None
    ) -> list[SummaryRow]:
        """Confirmed service grouped ``by`` (SQL), with members and those with none yet."""

    def pairing_counts(self, actor: Actor) -> list[tuple[str, int, int]]:
        """``(unit_code, community_id, members)`` of routed members, in scope."""
