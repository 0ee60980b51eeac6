"""Community service over the year: activities recorded by instructors, 附表3 feedback sheets
and what is rolled up from them (summaries, service tiers, rankings, pairing suggestions).

Pure rules only (no I/O, no clock: today's date is a parameter). The store keeps the rows and
does the SQL aggregation; the facade (:class:`partyreg_core.workspace.Workspace`) joins them.

Rules (DESIGN.md §6, §9; the seed's section on instructors):

- an activity's date lies in the campaign year being recorded and not after today; its hours
  are more than 0 and at most 24 (and at most 24 a day per member, counted by the store across
  what it holds); its rating is 优, 良 or 一般; its type, when given, is one of the catalog
  (:func:`activity_kinds`: the seed's themed days plus the types a city adds in the settings);
- a self-reported activity counts once the instructor confirms it;
- a sheet is numbered ``YEAR-CCCC-NNNN`` (year, community id, sequence within the community
  and year, assigned once and never reused, decision 0045);
- service tiers follow the national volunteer star levels: 100, 300, 600, 1000, 1500 hours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.normalize import MAX_HOURS
from partyreg_core.records import Rating

#: The seed's themed activities (党员示范岗, 党员奉献日, 服务居民楼幢竞赛) and the occasions it
#: names for them (weekends, holidays, memorial days), plus everyday service.
BUILTIN_KINDS: tuple[str, ...] = (
    "日常服务",
    "党员奉献日",
    "党员示范岗",
    "服务居民楼幢竞赛",
    "节假日活动",
    "重要纪念日活动",
    "同过组织生活",
    "同上党课",
)

#: The settings key holding a city's own activity types (a list of names).
#: What a date after today is told to do, wherever an activity is recorded (the CLI and the
#: members' site refuse it alike with ``date.future``).
ACTIVITY_DATE_FIX = "活动和确认只能在发生后记录，请核对年份"
KINDS_SETTING = "activity_kinds"
#: The settings key holding the ranking weights (an object, see :class:`RankingWeights`).
WEIGHTS_SETTING = "ranking_weights"

MAX_KIND = 64
MAX_TEXT = 200


def activity_kinds(extra: Iterable[str] | None = None) -> tuple[str, ...]:
    """The activity types: the built-in ones, then the city's own (settings), each once."""
    kinds = list(BUILTIN_KINDS)
    for item in extra or ():
        name = str(item).strip()
        if name and name not in kinds:
            kinds.append(name)
    return tuple(kinds)


def check_kind(text: str, kinds: Sequence[str]) -> str:
    """``text`` as an activity type of the catalog (``""`` when empty)."""
    value = text.strip()
    if not value or value in kinds:
        return value
    raise ValidationError(
        "activity.kind",
        f"活动类型“{value}”不在目录中：可用的有 {'、'.join(kinds)}"
        "（市级操作员可用 partyreg config 在 activity_kinds 中增加）。",
    )


def parse_rating(text: str) -> Rating:
    """优, 良 or 一般."""
    value = text.strip()
    for rating in Rating:
        if value == rating.value:
            return rating
    raise ValidationError("activity.rating", f"评价“{value}”无效：只能是 优、良 或 一般。")


@attrs.frozen
class ServiceEntry:
    """One activity an instructor records for one member (``partyreg activity add``), or for
    each member of a group (``group_id`` set)."""

    member_id: int
    day: date
    content: str
    hours: float
    rating: Rating
    kind: str = ""
    place: str = ""
    participants: str = ""
    self_reported: bool = False
    group_id: int | None = None


def check_entry(entry: ServiceEntry, *, year: int, today: date, kinds: Sequence[str]) -> None:
    """Refuse an entry that breaks a rule of its own (hours, date, rating, type, texts); the
    store checks what needs the stored rows (24 hours a day, locked sheets, scope)."""
    if not entry.hours > 0 or entry.hours > MAX_HOURS:
        raise ValidationError(
            "activity.hours", f"服务时间 {entry.hours:g} 小时无效：须大于 0 且不超过 24。"
        )
    if entry.day.year != year:
        raise ValidationError(
            "activity.year",
            f"日期 {entry.day.isoformat()} 不在 {year} 年度内：请核对日期（或用 --year 指明年度）。",
        )
    if entry.day > today:
        raise ValidationError(
            "activity.future", f"日期 {entry.day.isoformat()} 晚于今天：不能记录未来的活动。"
        )
    if not entry.content.strip():
        raise ValidationError("activity.content", "服务（活动）内容为空：请简要写明做了什么。")
    for label, text in (
        ("服务（活动）内容", entry.content),
        ("服务地点", entry.place),
        ("参加人员", entry.participants),
    ):
        if len(text) > MAX_TEXT:
            raise ValidationError("activity.text", f"{label}超过 {MAX_TEXT} 个字：请精简。")
    check_kind(entry.kind, kinds)


@attrs.frozen
class ActivityRecord:
    """What every stored activity shows: its id, the member, the day, what was done and how."""

    id: int
    member_id: int
    name: str
    community_id: int | None
    day: date
    content: str
    hours: float
    rating: Rating
    kind: str = ""
    place: str = ""
    participants: str = ""


@attrs.frozen
class PendingActivity(ActivityRecord):
    """A self-reported activity (stored, waiting for the instructor's confirmation)."""


@attrs.frozen
class StoredActivity(ActivityRecord):
    """An activity as stored (``activity list``): besides what every activity shows, whether
    it was self-reported and whether it counts yet (confirmed)."""

    self_reported: bool = False
    confirmed: bool = True
    group_id: int | None = None
    batch_id: str | None = None

    @property
    def entry(self) -> ServiceEntry:
        """The activity as an entry (what ``activity edit`` changes and checks again)."""
        return ServiceEntry(
            member_id=self.member_id,
            day=self.day,
            content=self.content,
            hours=self.hours,
            rating=self.rating,
            kind=self.kind,
            place=self.place,
            participants=self.participants,
            self_reported=self.self_reported,
            group_id=self.group_id,
        )


# -- feedback sheets --------------------------------------------------------------------------

_NUMBER = re.compile(r"^(\d{4})-(\d{4,})-(\d{4,})$")


def sheet_number(year: int, community_id: int, sequence: int) -> str:
    """The number of a sheet: ``2014-0012-0003`` (year, community id, sequence within the
    community and year; both padded to four digits and wider when they need it)."""
    return f"{year:04d}-{community_id:04d}-{sequence:04d}"


def parse_sheet_number(text: str) -> tuple[int, int, int]:
    """``(year, community_id, sequence)`` of a sheet number as typed (full-width digits and
    spaces tolerated)."""
    import unicodedata

    value = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    match = _NUMBER.match(value)
    if match is None:
        raise ValidationError(
            "feedback.number",
            f"反馈单编号“{text}”格式不对：应为 年度-社区编号-序号，如 2014-0012-0003。",
        )
    return int(match[1]), int(match[2]), int(match[3])


def stamp_text(community_label: str, secretary: str, on: date) -> str:
    """The stamp line of a confirmed sheet: who confirmed it, for which community, when."""
    who = f"书记 {secretary}" if secretary else "社区党组织"
    return f"{community_label}党组织（盖章） {who} {on.year} 年 {on.month} 月 {on.day} 日确认"


class SheetState(StrEnum):
    """Where a sheet stands: filled (draft), confirmed and locked, delivered to the ledger."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"

    @property
    def label(self) -> str:
        """The Chinese word operators see."""
        return {"draft": "待确认", "confirmed": "已盖章确认", "delivered": "已交单位台帐"}[
            self.value
        ]


@attrs.frozen
class SheetInfo:
    """A stored feedback sheet with its member, community and totals (the activities come
    separately when printed)."""

    number: str
    member_id: int
    name: str
    unit_code: str
    year: int
    community_id: int | None
    community: str
    state: SheetState
    hours: float = 0.0
    activities: int = 0
    confirmed_by: str = ""
    confirmed_on: date | None = None
    stamp: str = ""
    delivered_on: date | None = None
    reopened_reason: str = ""


# -- aggregation ------------------------------------------------------------------------------


class SummaryBy(StrEnum):
    """What ``feedback summary`` groups by."""

    MEMBER = "member"
    COMMUNITY = "community"
    UNIT = "unit"
    DISTRICT = "district"
    POST = "post"
    MONTH = "month"


class SummaryRow(NamedTuple):
    """Confirmed service of one group: hours, activities, ratings; ``members`` counts the
    members of the group (in scope), ``idle`` those with no activity in the year yet
    (``None`` where the grouping has no members of its own: by post and by month).

    A named tuple, not an attrs class: a city's summary by member is 100,000 of them, and
    building them must cost next to nothing beside the ``GROUP BY`` (decision 0048)."""

    key: str
    label: str
    hours: float
    activities: int
    excellent: int
    good: int
    fair: int
    members: int | None = None
    idle: int | None = None


def post_of(group_post: str | None, assigned_post: str | None, first_claim: str | None) -> str:
    """The post an activity counts under: its group's post if it was recorded for a group,
    else the member's assignment for that year, else the member's first claimed post."""
    return group_post or assigned_post or first_claim or ""


# service tiers ------------------------------------------------------------------------------

#: Cumulative hours for each star level (national volunteer service records).
TIER_HOURS: tuple[int, ...] = (100, 300, 600, 1000, 1500)
TIER_LABELS: tuple[str, ...] = ("一星", "二星", "三星", "四星", "五星")


def service_tier(hours: float) -> int:
    """The star level (0–5) reached with ``hours`` of service across the years."""
    return sum(1 for threshold in TIER_HOURS if hours >= threshold)


def tier_label(tier: int) -> str:
    """``三星`` for 3; ``未达星级`` for 0."""
    return TIER_LABELS[tier - 1] if tier else "未达星级"


def next_tier_gap(hours: float) -> float | None:
    """Hours still needed for the next star level (``None`` at five stars)."""
    for threshold in TIER_HOURS:
        if hours < threshold:  # rounded up to the hundredth: the gap always reaches the tier
            return math.ceil(round((threshold - hours) * 100, 6)) / 100
    return None


# rankings -----------------------------------------------------------------------------------


@attrs.frozen
class RankingWeights:
    """How a member's and a community's year is scored (configurable: settings key
    ``ranking_weights``; the defaults favour hours, then well-rated activities).

    member score = hours × ``hours`` + activities × ``activity``
                   + 优 × ``excellent`` + 良 × ``good`` + 一般 × ``fair``
    community score = hours per member × ``hours``
                      + share of its members with any activity (0–100) × ``participation``
                      + share of 优 among its activities (0–100) × ``excellence``
    """

    hours: float = 1.0
    activity: float = 0.5
    excellent: float = 2.0
    good: float = 1.0
    fair: float = 0.0
    participation: float = 0.5
    excellence: float = 0.2

    @classmethod
    def from_setting(cls, value: Mapping[str, Any] | None) -> RankingWeights:
        """Weights from the settings value (missing keys keep their defaults)."""
        if not value:
            return cls()
        fields = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(value) - fields)
        if unknown:
            raise ValidationError(
                "ranking.weights",
                f"排名权重中有未知的项 {'、'.join(unknown)}：可用的有 {'、'.join(sorted(fields))}。",
            )
        try:
            return cls(**{k: float(v) for k, v in value.items()})
        except (TypeError, ValueError):
            raise ValidationError("ranking.weights", "排名权重须为数字。") from None

    def member_score(self, row: SummaryRow) -> float:
        """A member's score for the year."""
        return round(
            row.hours * self.hours
            + row.activities * self.activity
            + row.excellent * self.excellent
            + row.good * self.good
            + row.fair * self.fair,
            4,
        )

    def community_score(self, row: SummaryRow) -> float:
        """A community's score for the year (see the class docstring)."""
        members = row.members or 0
        per_member = row.hours / members if members else 0.0
        participation = 100.0 * (members - (row.idle or 0)) / members if members else 0.0
        excellence = 100.0 * row.excellent / row.activities if row.activities else 0.0
        return round(
            per_member * self.hours
            + participation * self.participation
            + excellence * self.excellence,
            4,
        )


@attrs.frozen
class Ranked:
    """One place in a ranking."""

    rank: int
    row: SummaryRow
    score: float


def rank(rows: Iterable[SummaryRow], score: Any, top: int | None = None) -> list[Ranked]:
    """Rows by descending score (ties share a rank; then by key, for a stable order)."""
    scored = sorted(((score(r), r) for r in rows), key=lambda p: (-p[0], p[1].key))
    out: list[Ranked] = []
    for i, (value, row) in enumerate(scored):
        place = out[-1].rank if out and out[-1].score == value else i + 1
        out.append(Ranked(place, row, value))
    return out[:top] if top is not None else out


# pairing ------------------------------------------------------------------------------------


@attrs.frozen
class Pairing:
    """A pairing suggestion (结对共建): a unit and a community where many of its members
    report in, with how many and what share of the unit's routed members."""

    unit_code: str
    community_id: int
    community: str
    members: int
    share: float


def suggest_pairings(
    counts: Iterable[tuple[str, int, int]],
    labels: Mapping[int, str],
    *,
    per_unit: int = 3,
    minimum: int = 1,
) -> list[Pairing]:
    """For each unit, the communities where most of its members report: ``counts`` holds
    ``(unit_code, community_id, members)``; up to ``per_unit`` per unit, each with at least
    ``minimum`` members, by descending count then community id."""
    by_unit: dict[str, list[tuple[int, int]]] = {}
    for unit, community, n in counts:
        by_unit.setdefault(unit, []).append((community, n))
    out: list[Pairing] = []
    for unit in sorted(by_unit):
        entries = by_unit[unit]
        total = sum(n for _c, n in entries)
        chosen = sorted(entries, key=lambda e: (-e[1], e[0]))
        for community, n in chosen[:per_unit]:
            if n >= minimum:
                share = round(n / total, 4) if total else 0.0
                out.append(
                    Pairing(unit, community, labels.get(community, str(community)), n, share)
                )
    return out


# ledger and tiers ---------------------------------------------------------------------------


@attrs.frozen
class LedgerLine:
    """One member's line of a unit's ledger (台帐) for a year: the service and the sheet."""

    member_id: int
    name: str
    unit_code: str
    community: str
    hours: float
    activities: int
    excellent: int
    good: int
    fair: int
    number: str = ""
    state: str = ""
    confirmed_by: str = ""
    confirmed_on: date | None = None
    delivered_on: date | None = None
    #: the member's points balance of the year (:mod:`partyreg_core.points`)
    points: float = 0.0


def ledger_lines(
    by_member: Iterable[SummaryRow],
    sheets: Iterable[SheetInfo],
    units: Mapping[int, str],
) -> list[LedgerLine]:
    """Join a year's per-member totals with the stored sheets: one line per member of the
    unit (``units``: member id → unit code), members without service included, by unit then
    name."""
    totals = {int(r.key): r for r in by_member if r.key}
    by_sheet = {s.member_id: s for s in sheets}
    lines = []
    for member_id, unit in units.items():
        row = totals.get(member_id)
        sheet = by_sheet.get(member_id)
        lines.append(
            LedgerLine(
                member_id=member_id,
                name=row.label if row is not None else (sheet.name if sheet else ""),
                unit_code=unit,
                community=sheet.community if sheet is not None else "",
                hours=row.hours if row is not None else 0.0,
                activities=row.activities if row is not None else 0,
                excellent=row.excellent if row is not None else 0,
                good=row.good if row is not None else 0,
                fair=row.fair if row is not None else 0,
                number=sheet.number if sheet is not None else "",
                state=sheet.state.label if sheet is not None else "",
                confirmed_by=sheet.confirmed_by if sheet is not None else "",
                confirmed_on=sheet.confirmed_on if sheet is not None else None,
                delivered_on=sheet.delivered_on if sheet is not None else None,
            )
        )
    return sorted(lines, key=lambda line: (line.unit_code, line.name, line.member_id))


@attrs.frozen
class TierLine:
    """A member's cumulative service across the years and the star level it reaches."""

    member_id: int
    name: str
    hours: float
    tier: int
    label: str
    to_next: float | None


def tier_lines(cumulative: Iterable[SummaryRow], *, minimum: int = 0) -> list[TierLine]:
    """Star levels from per-member totals over all years (``minimum``: only members at or
    above that level), highest hours first."""
    lines = []
    for row in cumulative:
        if not row.key:
            continue
        tier = service_tier(row.hours)
        if tier >= minimum:
            lines.append(
                TierLine(
                    int(row.key),
                    row.label,
                    row.hours,
                    tier,
                    tier_label(tier),
                    next_tier_gap(row.hours),
                )
            )
    return sorted(lines, key=lambda line: (-line.hours, line.member_id))
