"""Progress against the campaign calendar: the rules, on counts the store computes in SQL.

Each member passes four milestones, each with its deadline in the year's calendar
(:class:`partyreg_core.calendar.CampaignCalendar`):

=============== ================================== =================================
milestone       the member's date                  deadline
=============== ================================== =================================
registration    registered (``registered_on``)     ``registration_due`` (08-30)
routing         first routed this campaign         ``routing_due`` (09-10)
report_in       first reported in                  ``report_in_due`` (09-20)
confirmation    feedback sheet of the year stamped ``confirmation_due`` (12-20)
=============== ================================== =================================

Progress is evaluated *as of* a date ``on``: only what was done by ``on`` counts. Work done by
``on`` is on time when done by the deadline (deadlines are inclusive), late otherwise; work not
done by ``on`` is *overdue* once ``on`` is after the deadline, and merely pending before (so
before a deadline nothing is late yet). Registration is measured against the expected count a
unit declares: the shortfall is overdue after the registration deadline. Decision 0026.

The store answers with one :class:`ProgressCount` per group (its done and on-time counts per
milestone, computed in one grouped SQL query); everything else — late, overdue, roll-ups, the
completion rate, the ranking and who is lagging — is here, pure.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import attrs

from partyreg_core.calendar import CampaignCalendar, Deadline
from partyreg_core.dates import parse_date
from partyreg_core.errors import ValidationError
from partyreg_core.orgcodes import OrgCode

#: The milestones in the order of the campaign (the keys of the calendar's deadlines).
MILESTONES = ("registration", "routing", "report_in", "confirmation")

MILESTONE_LABELS = {
    "registration": "登记上报",
    "routing": "分流到社区",
    "report_in": "社区报到",
    "confirmation": "反馈单确认",
}


class ProgressBy(StrEnum):
    """What progress rows are: reporting units, districts (aggregators), or communities."""

    UNIT = "unit"
    DISTRICT = "district"
    COMMUNITY = "community"

    @property
    def label(self) -> str:
        """The grouping in Chinese."""
        return {"unit": "单位", "district": "县区/市直党工委", "community": "社区"}[self.value]


#: The completion rate as every report states it (``progress``, the circular, the TUI):
#: one definition, :func:`completion_base` and :func:`build_report` (decision 0069).
COMPLETION_RULE = (
    "完成率＝已报到人数÷基数，按单位计算后汇总：每个单位的基数是它申报的预计人数，"
    "未申报的按它的已登记人数计，县区和全市的基数是所属各单位基数之和；"
    "按时＝在截止日期当天或之前完成；逾期未报到＝报到截止日期已过仍未报到的人数。"
)
#: What a report prints for an expected count nobody declared.
UNDECLARED = "未申报"

#: Depth of the org code a unit row stands for: the units directly under an aggregator (the
#: ones that report upward to it, 附表2), each with the units below it.
UNIT_DEPTH = 3
#: Depth of an aggregator's code (a 县区委 or a 市直党工委).
DISTRICT_DEPTH = 2


# -- calendar as a shared setting ------------------------------------------------------------


def calendar_setting_key(year: int) -> str:
    """The settings key holding ``year``'s calendar."""
    return f"calendar.{year}"


def calendar_to_setting(calendar: CampaignCalendar) -> dict[str, str]:
    """A calendar as the JSON a setting stores (deadline key → ISO date)."""
    return {d.key: d.due.isoformat() for d in calendar.deadlines}


def calendar_from_setting(year: int, value: Any) -> CampaignCalendar:
    """``year``'s calendar from its stored setting (``None``: the seed's dates)."""
    if value is None:
        return CampaignCalendar.default(year)
    if not isinstance(value, Mapping):
        raise ValidationError("calendar.setting", f"{year} 年的日程设置已损坏：请重新设置。")
    default = CampaignCalendar.default(year)
    dues = {d.key: d.due for d in default.deadlines}
    for key in MILESTONES:
        if key in value:
            dues[key] = parse_day(str(value[key]), f"{MILESTONE_LABELS[key]}截止日期")
    return CampaignCalendar(
        year, dues["registration"], dues["routing"], dues["report_in"], dues["confirmation"]
    )


def with_dues(calendar: CampaignCalendar, changes: Mapping[str, date]) -> CampaignCalendar:
    """``calendar`` with some deadlines moved (checked: in the year, in order)."""
    unknown = sorted(set(changes) - set(MILESTONES))
    if unknown:
        raise ValidationError("calendar.unknown", f"没有这样的截止日期：{'、'.join(unknown)}。")
    dues = {d.key: changes.get(d.key, d.due) for d in calendar.deadlines}
    return CampaignCalendar(
        calendar.year,
        dues["registration"],
        dues["routing"],
        dues["report_in"],
        dues["confirmation"],
    )


def parse_day(text: str, what: str = "日期") -> date:
    """A date as typed (the one parser, :func:`partyreg_core.dates.parse_date`)."""
    return parse_date(text, what=what)


# -- counts and rows -------------------------------------------------------------------------


@attrs.frozen
class ProgressCount:
    """What the store counts for one group, as of a date: members registered by then, and per
    later milestone how many had reached it by then (``*_done``) and how many of those by its
    deadline (``*_on_time``). ``key`` is the group: an org code's text, or a community id as
    text (``""``: members whose community is not resolved)."""

    key: str
    registered: int = 0
    registered_on_time: int = 0
    routed: int = 0
    routed_on_time: int = 0
    reported_in: int = 0
    reported_on_time: int = 0
    confirmed: int = 0
    confirmed_on_time: int = 0

    def __add__(self, other: ProgressCount) -> ProgressCount:
        return ProgressCount(
            self.key,
            self.registered + other.registered,
            self.registered_on_time + other.registered_on_time,
            self.routed + other.routed,
            self.routed_on_time + other.routed_on_time,
            self.reported_in + other.reported_in,
            self.reported_on_time + other.reported_on_time,
            self.confirmed + other.confirmed,
            self.confirmed_on_time + other.confirmed_on_time,
        )


@attrs.frozen
class Stage:
    """One milestone of a group as of a date: done by then (on time or late), and overdue (not
    done though its deadline has passed)."""

    done: int
    on_time: int
    late: int
    overdue: int


@attrs.frozen
class ProgressRow:
    """One group's progress: counts, the four milestones, and the completion rate (members
    reported in over the expected count, or over those registered when none is declared)."""

    key: str
    name: str
    district_code: str | None
    expected: int | None
    registered: int
    routed: int
    reported_in: int
    confirmed: int
    registration: Stage
    routing: Stage
    report_in: Stage
    confirmation: Stage
    completion: float
    #: the completion rate's denominator (:func:`completion_base`, summed per unit)
    base: int = 0

    def stage(self, key: str) -> Stage:
        """The milestone named ``key``."""
        if key not in MILESTONES:
            raise ValidationError("calendar.unknown", f"没有名为 {key} 的截止日期。")
        stage: Stage = getattr(self, key)
        return stage


def _stage(done: int, on_time: int, missing: int, due: date, on: date) -> Stage:
    return Stage(done, on_time, done - on_time, max(missing, 0) if on > due else 0)


def completion_base(registered: int, expected: int | None) -> int:
    """One unit's denominator: its declared expected count (when above 0), else its members
    registered. A roll-up's denominator is the sum of its units' (never its own sum of
    declarations, which would drop the units that declared nothing)."""
    return expected if expected else registered


def completion_rate(reported_in: int, registered: int, expected: int | None) -> float:
    """One unit's rate: reported in over :func:`completion_base`; 0 for an empty group, at
    most 1."""
    return rate(reported_in, completion_base(registered, expected))


def rate(reported_in: int, base: int) -> float:
    """Reported in over ``base``; 0 when the base is 0, at most 1."""
    if base <= 0:
        return 0.0
    return min(1.0, reported_in / base)


def evaluate(
    count: ProgressCount,
    calendar: CampaignCalendar,
    on: date,
    *,
    name: str = "",
    district_code: str | None = None,
    expected: int | None = None,
    base: int | None = None,
) -> ProgressRow:
    """A group's row as of ``on`` from its counts; ``base`` is a roll-up's denominator (the
    sum of its units' :func:`completion_base`), a unit's own by default."""
    registered = count.registered
    base = completion_base(registered, expected) if base is None else base
    return ProgressRow(
        key=count.key,
        name=name,
        district_code=district_code,
        expected=expected,
        registered=registered,
        routed=count.routed,
        reported_in=count.reported_in,
        confirmed=count.confirmed,
        registration=_stage(
            registered,
            count.registered_on_time,
            (expected - registered) if expected is not None else 0,
            calendar.registration_due,
            on,
        ),
        routing=_stage(
            count.routed, count.routed_on_time, registered - count.routed, calendar.routing_due, on
        ),
        report_in=_stage(
            count.reported_in,
            count.reported_on_time,
            registered - count.reported_in,
            calendar.report_in_due,
            on,
        ),
        confirmation=_stage(
            count.confirmed,
            count.confirmed_on_time,
            count.reported_in - count.confirmed,
            calendar.confirmation_due,
            on,
        ),
        completion=rate(count.reported_in, base),
        base=base,
    )


def total(counts: Iterable[ProgressCount], key: str) -> ProgressCount:
    """The sum of ``counts`` under ``key``."""
    result = ProgressCount(key)
    for count in counts:
        result = result + count
    return result


def roll_up(
    counts: Iterable[ProgressCount], group: Callable[[str], str]
) -> dict[str, ProgressCount]:
    """``counts`` summed by ``group(count.key)``, in key order."""
    sums: dict[str, ProgressCount] = {}
    for count in counts:
        key = group(count.key)
        sums[key] = sums[key] + count if key in sums else attrs.evolve(count, key=key)
    return dict(sorted(sums.items()))


def sum_expected(values: Iterable[int | None]) -> int | None:
    """The expected count of a roll-up: the sum of its rows' declared counts (``None`` when no
    row declared one)."""
    declared = [v for v in values if v is not None]
    return sum(declared) if declared else None


def expected_for(code: OrgCode, declared: Mapping[OrgCode, int]) -> int | None:
    """The expected count of the unit ``code`` from the declarations: its own when it declared
    one, else the sum of its nearest declaring units below (a unit's own number covers the
    units below it; ``None`` when no one declared)."""
    return Expectations(declared).of(code)


class Expectations:
    """The declarations indexed by code text, so that a thousand rows each find their own
    number or their nearest declarations below in a few steps (:func:`expected_for`)."""

    def __init__(self, declared: Mapping[OrgCode, int]) -> None:
        self._by_text = {str(code): n for code, n in declared.items()}
        self._texts = sorted(self._by_text)

    def of(self, code: OrgCode) -> int | None:
        """The expected count of ``code``."""
        text = str(code)
        if text in self._by_text:
            return self._by_text[text]
        prefix = text + "."
        start = bisect_left(self._texts, prefix)
        total, found, covered = 0, False, ""
        for other in self._texts[start:]:
            if not other.startswith(prefix):
                break
            if covered and other.startswith(covered):
                continue  # below a nearer declaration, already counted
            total += self._by_text[other]
            found, covered = True, other + "."
        return total if found else None


def cut(code_text: str, depth: int) -> str:
    """An org code's text cut to ``depth`` segments (a shorter code stays as it is)."""
    return ".".join(code_text.split(".")[:depth])


def _unit_expected(key: str, index: Expectations, visible: Callable[[OrgCode], bool]) -> int | None:
    if not key:
        return None
    code = OrgCode(tuple(key.split(".")))
    return index.of(code) if visible(code) else None


# -- ranking, lagging, reminders -------------------------------------------------------------


def ranked(rows: Sequence[ProgressRow]) -> list[ProgressRow]:
    """Rows best first: completion rate, then report-ins on time, then fewest overdue, then
    code (a stable tie-break)."""
    return sorted(
        rows,
        key=lambda r: (
            -r.completion,
            -r.report_in.on_time,
            r.report_in.overdue + r.routing.overdue,
            r.key,
        ),
    )


def is_lagging(row: ProgressRow, deadline_key: str) -> bool:
    """Whether a group still owes work for a deadline: fewer registered than expected (the
    registration deadline; only for a declared count), members not yet routed, not yet
    reported in, or reported in without a confirmed feedback sheet."""
    if deadline_key == "registration":
        return row.expected is not None and row.registered < row.expected
    if deadline_key == "routing":
        return row.routed < row.registered
    if deadline_key == "report_in":
        return row.reported_in < row.registered
    if deadline_key == "confirmation":
        return row.confirmed < row.reported_in
    raise ValidationError("calendar.unknown", f"没有名为 {deadline_key} 的截止日期。")


def deadline_within(calendar: CampaignCalendar, on: date, days: int) -> Deadline | None:
    """The next deadline on or after ``on`` if it falls within ``days`` days, else ``None``."""
    if days < 0:
        raise ValidationError("progress.days", f"提前天数不能是负数：{days}。")
    deadline = calendar.next_deadline(on)
    if deadline is None or deadline.due > on + timedelta(days=days):
        return None
    return deadline


def reminder(row: ProgressRow, deadline: Deadline, on: date) -> dict[str, object]:
    """The ``after`` of a ``progress.remind`` event for a lagging group (the event contract)."""
    return {
        "code": row.key,
        "name": row.name,
        "deadline": deadline.key,
        "deadline_label": deadline.label,
        "due": deadline.due.isoformat(),
        "days_left": (deadline.due - on).days,
        "expected": row.expected,
        "registered": row.registered,
        "routed": row.routed,
        "reported_in": row.reported_in,
    }


# -- one member ------------------------------------------------------------------------------


@attrs.frozen
class MemberDates:
    """A member's milestone dates (``None``: not reached)."""

    registered_on: date | None
    routed_on: date | None
    reported_on: date | None
    confirmed_on: date | None


def overdue_milestones(dates: MemberDates, calendar: CampaignCalendar, on: date) -> tuple[str, ...]:
    """The milestones a member registered by ``on`` had not reached by ``on`` although their
    deadline had passed (registration is a unit's count, not a member's: never listed)."""
    if dates.registered_on is None or dates.registered_on > on:
        return ()
    found: list[str] = []
    reached = {
        "routing": dates.routed_on,
        "report_in": dates.reported_on,
        "confirmation": dates.confirmed_on,
    }
    for deadline in _deadlines(calendar):
        if deadline.key == "registration" or on <= deadline.due:
            continue
        if deadline.key == "confirmation" and not (dates.reported_on and dates.reported_on <= on):
            continue  # only a member who reported in has a sheet to confirm
        day = reached[deadline.key]
        if day is None or day > on:
            found.append(deadline.key)
    return tuple(found)


@lru_cache(maxsize=64)
def _deadlines(calendar: CampaignCalendar) -> tuple[Deadline, ...]:
    return calendar.deadlines


@attrs.frozen
class OverdueMember:
    """A member who missed a deadline, as the overdue list shows them (no phone, no address:
    a supervision list)."""

    id: int
    name: str
    unit_code: OrgCode
    status: str
    community_id: int | None
    community: str
    dates: MemberDates
    overdue: tuple[str, ...] = ()


# -- the report ------------------------------------------------------------------------------


@attrs.frozen
class ProgressReport:
    """Progress as of ``on`` for the year's calendar: the rows (``by`` unit, district or
    community), their roll-up by district, and the city's (the scope's) total."""

    year: int
    on: date
    by: ProgressBy
    calendar: CampaignCalendar
    rows: tuple[ProgressRow, ...]
    districts: tuple[ProgressRow, ...]
    total: ProgressRow


def build_report(
    *,
    by: ProgressBy,
    counts: Sequence[ProgressCount],
    calendar: CampaignCalendar,
    on: date,
    names: Mapping[str, str],
    expectations: Mapping[OrgCode, int],
    expected_visible: Callable[[OrgCode], bool] = lambda _code: True,
    community_districts: Mapping[str, str] | None = None,
    total_name: str = "合计",
    unit_counts: Sequence[ProgressCount] | None = None,
) -> ProgressReport:
    """The report from the store's counts: rows (with the units and districts that declared an
    expected count but have no member yet), the districts' roll-up, the total. An expected
    count is shown only where ``expected_visible`` says the reader is responsible for it.

    The completion rate is a unit's by :func:`completion_base`, and a roll-up's (a district,
    the total) the sum of its units' reported-in over the sum of their bases; grouped by
    district or community, ``unit_counts`` (the same counts by unit) give those bases."""

    index = Expectations(expectations)

    def expected(key: str) -> int | None:
        if by is ProgressBy.COMMUNITY or not key:
            return None
        code = OrgCode(tuple(key.split(".")))
        return index.of(code) if expected_visible(code) else None

    def district_of(key: str) -> str:
        if by is ProgressBy.COMMUNITY:
            return (community_districts or {}).get(key, "")
        return cut(key, DISTRICT_DEPTH)

    by_key = {c.key: c for c in counts}
    if by is not ProgressBy.COMMUNITY:
        depth = UNIT_DEPTH if by is ProgressBy.UNIT else DISTRICT_DEPTH
        for code in expectations:
            if code.depth >= depth and expected_visible(code):
                key = cut(str(code), depth)
                by_key.setdefault(key, ProgressCount(key))
    ordered = [by_key[k] for k in sorted(by_key)]
    # the denominators, per unit by the rule and then summed (decision 0069)
    units = ordered if by is ProgressBy.UNIT else list(unit_counts or ())
    unit_keys = {c.key for c in units}
    if by is not ProgressBy.UNIT:
        for code in expectations:
            if code.depth >= UNIT_DEPTH and expected_visible(code):
                key = cut(str(code), UNIT_DEPTH)
                if key not in unit_keys:
                    units.append(ProgressCount(key))
                    unit_keys.add(key)
    unit_base = {
        c.key: completion_base(c.registered, _unit_expected(c.key, index, expected_visible))
        for c in units
    }
    district_base: dict[str, int] = {}
    for key, value in unit_base.items():
        district = cut(key, DISTRICT_DEPTH) if key else ""
        district_base[district] = district_base.get(district, 0) + value

    def row_base(key: str, count: ProgressCount) -> int | None:
        if by is ProgressBy.UNIT:
            return None  # the unit's own
        if by is ProgressBy.DISTRICT and unit_counts is not None:
            return district_base.get(key, count.registered)
        return count.registered  # a community: its members registered

    rows = tuple(
        evaluate(
            c,
            calendar,
            on,
            name=names.get(c.key, c.key or "（报到社区未匹配）"),
            district_code=district_of(c.key) or None,
            expected=expected(c.key),
            base=row_base(c.key, c),
        )
        for c in ordered
    )
    district_counts = roll_up(ordered, district_of)
    districts = tuple(
        evaluate(
            c,
            calendar,
            on,
            name=names.get(c.key, c.key or "（县区未确定）"),
            district_code=c.key or None,
            expected=expected(c.key) if by is not ProgressBy.COMMUNITY else None,
            base=(district_base.get(c.key, 0) if by is not ProgressBy.COMMUNITY else c.registered),
        )
        for c in district_counts.values()
    )
    grand = total(ordered, "")
    total_row = evaluate(
        grand,
        calendar,
        on,
        name=total_name,
        expected=sum_expected(d.expected for d in districts)
        if by is not ProgressBy.COMMUNITY
        else sum_expected(_unit_expected(c.key, index, expected_visible) for c in units),
        base=sum(unit_base.values())
        if (by is ProgressBy.UNIT or unit_counts is not None)
        else None,
    )
    return ProgressReport(calendar.year, on, by, calendar, rows, districts, total_row)
