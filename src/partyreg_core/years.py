"""Campaign years: opening the next one, carrying registrations over, locking past years.

The campaign runs every year (DESIGN.md §3: the year's dates are configuration). Opening a year
gives it a calendar built from the shared month-days setting (the seed's 08-30, 09-10, 09-20,
12-20 by default), closes every earlier year, and asks each unit with standing registrations to
confirm them (or change them by importing its 附表1 again) for the new year. Every year before
the newest opened one — opened or not — stays readable and takes no new activities
(``activity.year_closed``); while no year was opened nothing is locked, so stores from before
years existed keep working as they did.

Pure: values and functions only; today's date is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

import attrs

from partyreg_core.calendar import CampaignCalendar
from partyreg_core.errors import ValidationError
from partyreg_core.orgcodes import OrgCode

#: The shared setting holding the month-days of the four deadlines.
MONTH_DAYS_SETTING = "calendar.month_days"

#: The seed's month-days (注: 8月30日前、9月10日前、9月20日前、12月20日前).
SEED_MONTH_DAYS: Mapping[str, str] = {
    "registration": "08-30",
    "routing": "09-10",
    "report_in": "09-20",
    "confirmation": "12-20",
}

_MONTH_DAY = re.compile(r"^\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")

# earliest and latest year partyreg accepts for a campaign (the seed is 2014)
FIRST_YEAR = 2000
LAST_YEAR = 2200


class YearStatus(StrEnum):
    """Whether a campaign year takes new activities."""

    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return "进行中" if self is YearStatus.OPEN else "已关闭"


def check_year(year: int) -> int:
    """``year`` if it is a plausible campaign year, else a ``year.invalid`` error."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            "year.invalid",
            f"年度 {year} 不对：请填写 {FIRST_YEAR}–{LAST_YEAR} 之间的四位年份，如 2027。",
        )
    return year


def parse_month_day(text: str, key: str = "") -> tuple[int, int]:
    """``"08-30"`` (also ``8/30``, ``8月30日``) as (month, day); a ``calendar.month_day`` error
    naming ``key`` otherwise."""
    match = _MONTH_DAY.match(str(text))
    if match is not None:
        month, day = int(match.group(1)), int(match.group(2))
        try:
            date(2000, month, day)  # a leap year: 02-29 is a real month-day
        except ValueError:
            pass
        else:
            return month, day
    raise ValidationError(
        "calendar.month_day",
        f"截止日期 {key or ''}“{text}”不是月-日：请写成 08-30 这样的形式。",
    )


def calendar_for(year: int, month_days: Mapping[str, Any] | None = None) -> CampaignCalendar:
    """The calendar of ``year`` from ``month_days`` (``{"registration": "08-30", …}``; missing
    keys take the seed's dates). 02-29 in a year without it becomes 02-28."""
    check_year(year)
    given = dict(month_days or {})
    unknown = sorted(set(given) - set(SEED_MONTH_DAYS))
    if unknown:
        raise ValidationError(
            "calendar.unknown",
            f"月日设置里有未知的截止日期 {'、'.join(unknown)}："
            f"只能是 {'、'.join(SEED_MONTH_DAYS)}。",
        )
    dues: list[date] = []
    for key, seed in SEED_MONTH_DAYS.items():
        month, day = parse_month_day(str(given.get(key, seed)), key)
        if month == 2 and day == 29 and not _leap(year):
            day = 28
        dues.append(date(year, month, day))
    return CampaignCalendar(year, *dues)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def calendar_json(calendar: CampaignCalendar) -> dict[str, str]:
    """The calendar's four dates as stored (ISO dates by field name)."""
    return {
        "registration_due": calendar.registration_due.isoformat(),
        "routing_due": calendar.routing_due.isoformat(),
        "report_in_due": calendar.report_in_due.isoformat(),
        "confirmation_due": calendar.confirmation_due.isoformat(),
    }


def calendar_from_json(year: int, value: Mapping[str, Any]) -> CampaignCalendar:
    """The inverse of :func:`calendar_json`."""
    return CampaignCalendar(
        year,
        date.fromisoformat(str(value["registration_due"])),
        date.fromisoformat(str(value["routing_due"])),
        date.fromisoformat(str(value["report_in_due"])),
        date.fromisoformat(str(value["confirmation_due"])),
    )


@attrs.frozen
class CampaignYear:
    """A campaign year the store knows: its status, calendar, who opened (and closed) it, and
    how its units stand with confirming their carried-over registrations."""

    year: int
    status: YearStatus
    calendar: CampaignCalendar
    opened_on: date
    opened_by: str
    closed_on: date | None = None
    closed_by: str | None = None
    units: int = 0
    units_confirmed: int = 0
    members_carried: int = 0

    @property
    def locked(self) -> bool:
        """Whether the year takes no new activities."""
        return self.status is YearStatus.CLOSED


@attrs.frozen
class UnitConfirmation:
    """A unit's standing registrations carried into ``year``: how many when the year was
    opened, and whether (when, by whom, with how many) the unit confirmed them."""

    year: int
    unit_code: OrgCode
    unit_name: str
    members: int
    confirmed_on: date | None = None
    confirmed_by: str | None = None
    confirmed_members: int | None = None

    @property
    def confirmed(self) -> bool:
        """Whether the unit has confirmed its registrations for the year."""
        return self.confirmed_on is not None


@attrs.frozen
class YearOpening:
    """What opening a year did: the year, the years it closed, the units asked to confirm
    and the registrations carried over."""

    year: CampaignYear
    closed_years: tuple[int, ...]
    units: int
    members: int
    #: the batch that ``partyreg undo`` takes back (``None``: nothing written)
    batch_id: str | None = None


def campaign_year_or(newest_opened: int | None, today: date) -> int:
    """The year a command means when it names none: the store's current campaign year (the
    newest opened), else the calendar year of ``today`` (decision 0073)."""
    return newest_opened if newest_opened is not None else today.year
