"""What the facade offers for nudges (``ws.nudges``): the plan of a day and its queueing,
the settings, members' opt-outs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from partyreg_core.errors import NotPermittedError
from partyreg_core.notify.model import Notice
from partyreg_core.nudges.model import (
    Candidate,
    NudgeKind,
    NudgePlan,
    NudgeStatus,
)
from partyreg_core.nudges.port import NudgeRepository
from partyreg_core.nudges.rules import (
    NUDGES_SETTING,
    ZONE,
    NudgeSettings,
    digest,
    due_every,
    event_tomorrow,
    need_tomorrow,
    no_service,
    parse_kinds,
    parse_setting_items,
    plan,
    self_reports,
    settings_dict,
    settings_from,
    sheet_deadline,
    wish_unclaimed,
)
from partyreg_core.operators.model import Actor, Role

Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


@attrs.define
class NudgeService:
    """Nudges for one acting operator.

    :param repository: the store's facts.
    :param actor: who is acting.
    :param now: the current time (UTC).
    :param setting: reads a shared setting; ``set_setting`` writes one (city, audited).
    :param feedback_deadline: the 附表3 deadline of a year (the campaign calendar).
    :param notify: writes notices to the outbox (the facade's one path); returns row ids.
    :param changed: reports each change (events).
    """

    repository: NudgeRepository
    actor: Callable[[], Actor]
    now: Callable[[], datetime]
    setting: Callable[[str], Any]
    set_setting: Callable[[str, Any], None]
    feedback_deadline: Callable[[int], date]
    notify: Callable[[Sequence[Notice]], list[int]]
    changed: Changed

    def settings(self) -> NudgeSettings:
        """The settings in effect (the shared setting ``notify.nudges``, else the defaults)."""
        return settings_from(self.setting(NUDGES_SETTING))

    def set_settings(self, items: Sequence[str]) -> NudgeSettings:
        """Change the settings with ``key=value`` items (city operators; audited)."""
        if self.actor().scope.role is not Role.CITY:
            raise NotPermittedError("nudge.settings_denied", "提醒设置由市级操作员修改。")
        chosen = parse_setting_items(items, self.settings())
        self.set_setting(NUDGES_SETTING, settings_dict(chosen))
        return chosen

    def _at(self, on: date | None) -> tuple[date, datetime]:
        now = self.now()
        today = now.astimezone(ZONE).date()
        if on is None or on == today:
            return today, now
        return on, datetime.combine(on, self.settings().send_time, tzinfo=ZONE)

    def candidates(self, on: date) -> list[Candidate]:
        """Every message the facts of ``on`` call for, before quiet hours, caps and opt-outs."""
        actor = self.actor()
        s = self.settings()
        repo = self.repository
        found: list[Candidate] = []
        if NudgeKind.NEED_TOMORROW not in s.off:
            found += [need_tomorrow(f) for f in repo.needs_starting(actor, on + timedelta(days=1))]
        if NudgeKind.EVENT_TOMORROW not in s.off:
            found += [
                event_tomorrow(f) for f in repo.events_starting(actor, on + timedelta(days=1))
            ]
        if NudgeKind.WISH_UNCLAIMED not in s.off:
            for wish in repo.unclaimed_wishes(actor, on, s.wish_days):
                if due_every((on - wish.received_on).days, s.wish_days):
                    found += wish_unclaimed(wish, on)
        facts = repo.community_facts(actor, on, idle_days=s.no_service_days, year=on.year)
        deadline = self.feedback_deadline(on.year)
        days_left = (deadline - on).days
        weekly = on.weekday() == s.digest_weekday
        for fact in facts:
            oldest = fact.oldest_self_report
            if (
                fact.waiting_self_reports
                and oldest is not None
                and (on - oldest).days >= s.self_report_days
            ):
                found.append(self_reports(fact, on))
            if fact.unconfirmed_sheets and days_left in s.sheet_days:
                found.append(sheet_deadline(fact, deadline, on))
            if weekly:
                found.append(digest(fact, on, s))
        if NudgeKind.NO_SERVICE not in s.off:
            for idle in repo.idle_members(actor, on, s.no_service_days):
                if due_every((on - idle.since).days, s.no_service_days):
                    found.append(no_service(idle, on))
        return found

    def plan(self, on: date | None = None) -> NudgePlan:
        """What would be sent on ``on`` (default today) and to whom, without sending: each
        message with its target and the plan's decision (quiet hours, cap, opt-out)."""
        day, at = self._at(on)
        actor = self.actor()
        found = self.candidates(day)
        start = datetime.combine(day, datetime.min.time(), tzinfo=ZONE)
        queued = self.repository.queued_nudges(actor, start, start + timedelta(days=1))
        members = sorted({c.member_id for c in found if c.member_id is not None})
        optouts = self.repository.optouts(actor, members) if members else {}
        planned = plan(found, self.settings(), at, queued_today=queued, opted_out=optouts)
        return NudgePlan(day, at, tuple(planned))

    def enqueue(self, on: date | None = None) -> tuple[NudgePlan, list[int]]:
        """Plan ``on`` and put the messages to send in the outbox (those deferred by the
        quiet hours due at their end), so ``notify flush`` sends them. Returns the plan and
        the outbox rows added (running it again the same day adds nothing)."""
        chosen = self.plan(on)
        notices = [
            Notice(
                event=f"nudge.{n.candidate.kind.value}",
                target=n.candidate.target,
                subject=n.candidate.subject,
                body=n.candidate.body,
                identity=n.candidate.identity,
                community_id=n.candidate.community_id,
                district_code=n.candidate.district_code,
                org_code=n.candidate.org_code,
                not_before=n.send_at if n.status is NudgeStatus.DEFERRED else None,
            )
            for n in chosen.nudges
            if n.status.queues
        ]
        added = self.notify(notices) if notices else []
        self.changed(
            "notify.nudge",
            f"nudges:{chosen.on.isoformat()}",
            None,
            {
                "on": chosen.on.isoformat(),
                "queued": len(notices),
                "outbox_rows": len(added),
                **{s.value: chosen.count(s) for s in NudgeStatus},
            },
        )
        return chosen, added

    def opt_out(self, member_id: int, kinds: Sequence[str] = ()) -> frozenset[str]:
        """A member's opt-out (all nudges, or the kinds named), recorded by the community or
        the member's unit on the member's request; audited."""
        named = frozenset(k.value for text in kinds for k in parse_kinds(text))
        chosen = named or frozenset({"*"})
        day = self.now().astimezone(ZONE).date()
        self.repository.set_optout(self.actor(), member_id, chosen, day)
        return chosen

    def opt_in(self, member_id: int) -> None:
        """The member takes nudges again."""
        day = self.now().astimezone(ZONE).date()
        self.repository.set_optout(self.actor(), member_id, None, day)
