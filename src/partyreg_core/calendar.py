"""The campaign calendar: a year's deadlines, the phase a date is in, the next deadline.

Dates come from the seed (08-30, 09-10, 09-20, 12-20); each year's dates are configuration.
Today's date is always a parameter: this module never reads the clock.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.errors import ValidationError


class Phase(StrEnum):
    """Where the campaign stands on a given date, in the order of the seed's flow."""

    REGISTRATION = "registration"  # units register members (附表1) and report upward
    ROUTING = "routing"  # aggregators sort registrations by community
    REPORT_IN = "report_in"  # members report in and claim posts
    SERVICE = "service"  # activities through the year; sheets filled and confirmed by 12-20
    CLOSED = "closed"  # after the confirmation deadline

    @property
    def label(self) -> str:
        """The phase in Chinese, as screens and exports show it."""
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    Phase.REGISTRATION: "登记上报",
    Phase.ROUTING: "梳理分类",
    Phase.REPORT_IN: "社区报到",
    Phase.SERVICE: "服务与反馈",
    Phase.CLOSED: "年度结束",
}


@attrs.frozen
class Deadline:
    """One deadline: what must be done (``key`` and Chinese ``label``), by when (inclusive)."""

    key: str
    label: str
    due: date
    phase: Phase


def _in_order(instance: CampaignCalendar, _a: attrs.Attribute[date], _v: date) -> None:
    dues = [
        instance.registration_due,
        instance.routing_due,
        instance.report_in_due,
        instance.confirmation_due,
    ]
    if any(d.year != instance.year for d in dues):
        raise ValidationError("calendar.year", f"{instance.year} 年的各项截止日期必须在当年之内。")
    if dues != sorted(dues) or len(set(dues)) != len(dues):
        raise ValidationError(
            "calendar.order",
            "截止日期顺序不对：应为 登记上报 < 梳理分类 < 社区报到 < 反馈单确认。",
        )


@attrs.frozen
class CampaignCalendar:
    """A campaign year's four deadlines (each inclusive: work done on the day is on time)."""

    year: int
    registration_due: date
    routing_due: date
    report_in_due: date
    confirmation_due: date = attrs.field(validator=_in_order)

    @classmethod
    def default(cls, year: int) -> CampaignCalendar:
        """The seed's dates in ``year``: 08-30, 09-10, 09-20 and 12-20."""
        return cls(
            year,
            date(year, 8, 30),
            date(year, 9, 10),
            date(year, 9, 20),
            date(year, 12, 20),
        )

    @property
    def deadlines(self) -> tuple[Deadline, ...]:
        """The four deadlines in order."""
        return (
            Deadline(
                "registration",
                "单位登记并逐级上报《党员信息登记表》",
                self.registration_due,
                Phase.REGISTRATION,
            ),
            Deadline(
                "routing",
                "县区梳理分类并反馈社区和指导员，上报社区通讯录",
                self.routing_due,
                Phase.ROUTING,
            ),
            Deadline("report_in", "在职党员完成回社区报到", self.report_in_due, Phase.REPORT_IN),
            Deadline(
                "confirmation",
                "社区完成《实绩反馈单》盖章确认",
                self.confirmation_due,
                Phase.SERVICE,
            ),
        )

    def phase_on(self, day: date) -> Phase:
        """The phase ``day`` falls in; days before this year's campaign count as registration,
        days after the confirmation deadline (or in a later year) as closed."""
        for deadline in self.deadlines:
            if day <= deadline.due:
                return deadline.phase
        return Phase.CLOSED

    def next_deadline(self, day: date) -> Deadline | None:
        """The first deadline on or after ``day``, or ``None`` when all have passed."""
        for deadline in self.deadlines:
            if day <= deadline.due:
                return deadline
        return None

    def days_left(self, day: date) -> int | None:
        """Days from ``day`` to the next deadline (0 on the day itself), or ``None``."""
        deadline = self.next_deadline(day)
        return None if deadline is None else (deadline.due - day).days

    def deadline(self, key: str) -> Deadline:
        """The deadline named ``key`` (registration, routing, report_in, confirmation)."""
        for deadline in self.deadlines:
            if deadline.key == key:
                return deadline
        raise ValidationError("calendar.unknown", f"没有名为 {key} 的截止日期。")

    def is_late(self, key: str, done_on: date) -> bool:
        """Whether work for deadline ``key`` done on ``done_on`` is late."""
        return done_on > self.deadline(key).due
