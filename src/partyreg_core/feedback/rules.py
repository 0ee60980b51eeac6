"""The rules of community service (pure: no I/O, no clock; today's date is a parameter),
each refusal with its Chinese message. The store keeps the rows, does the SQL aggregation and
keeps only the constraints guarding these rules; it raises the refusals built here.

Rules (DESIGN.md §6, §9; the seed's section on instructors):

- an activity's date lies in the campaign year being recorded and not after today; its hours
  are more than 0 and at most 24, and a member's day holds at most 24 hours with what is
  stored (:func:`over_day_limit`, the one tolerance :data:`DAY_LIMIT`); its rating is 优, 良
  or 一般; its type, when given, is one of the catalog (:func:`activity_kinds`: the seed's
  themed days plus the types a city adds in the settings);
- the year lock (decision 0073): nothing is written dated in a year before the newest opened
  campaign year (:func:`refuse_closed_year`);
- a confirmed sheet locks its member's activities of that year (:func:`sheet_locked`);
- a self-reported activity counts once the instructor confirms it;
- a sheet is numbered ``YEAR-CCCC-NNNN`` (year, community id, sequence within the community
  and year, assigned once and never reused, decision 0045);
- service tiers follow the national volunteer star levels: 100, 300, 600, 1000, 1500 hours.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from partyreg_core.errors import ConflictError, ValidationError
from partyreg_core.feedback.model import (
    LedgerLine,
    Pairing,
    Ranked,
    ServiceEntry,
    SheetInfo,
    SummaryRow,
    TierLine,
)
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

#: What a date after today is told to do, wherever an activity is recorded (the CLI and the
#: members' site refuse it alike with ``date.future``).
ACTIVITY_DATE_FIX = "活动和确认只能在发生后记录，请核对年份"
#: The settings key holding a city's own activity types (a list of names).
KINDS_SETTING = "activity_kinds"
#: The settings key holding the ranking weights (an object, see :class:`RankingWeights`).
WEIGHTS_SETTING = "ranking_weights"

MAX_KIND = 64
MAX_TEXT = 200

#: Cumulative hours for each star level (national volunteer service records).
TIER_HOURS: tuple[int, ...] = (100, 300, 600, 1000, 1500)
TIER_LABELS: tuple[str, ...] = ("一星", "二星", "三星", "四星", "五星")


# -- the 24-hour day and the year lock ------------------------------------------------------

#: A member's day holds at most 24 hours; sums of stored floats get this much slack, once.
DAY_LIMIT = MAX_HOURS + 0.000001


def over_day_limit(total: float) -> bool:
    """Whether ``total`` hours on one member's day break the 24-hour day."""
    return total > DAY_LIMIT


def day_total_exceeded(name: str, day: date, stored: float, hours: float) -> ValidationError:
    """The refusal of an activity that takes a member's day past 24 hours with what is stored."""
    return ValidationError(
        "activity.hours_day",
        f"{name} 在 {day.isoformat()} 已记 {stored:g} 小时，"
        f"再加 {hours:g} 小时超过每天 24 小时：请核对时长和日期。",
    )


def edit_day_total_exceeded(name: str, day: date) -> ValidationError:
    """The refusal of a correction that takes a member's day past 24 hours."""
    return ValidationError(
        "activity.hours_day",
        f"{name} 在 {day} 的服务时间合计将超过 24 小时：请核对时长。",
    )


def sheet_locked(name: str, year: int, number: str | None = None, *, to: str) -> ConflictError:
    """The refusal of a write into a member's year whose sheet is confirmed (``activity.locked``):
    ``to`` is what was tried — ``"add"`` an activity, ``"edit"`` one, ``"decide"`` a
    self-report (the sheet's ``number`` named for the last two)."""
    if to == "add":
        text = (
            f"{name} {year} 年的实绩反馈单已盖章确认，不能再添加该年的活动："
            "如确需补录，请社区先退回该反馈单（feedback reopen）。"
        )
    elif to == "edit":
        text = (
            f"{name} {year} 年的实绩反馈单 {number} 已盖章确认：要改活动，"
            f"请先退回反馈单（partyreg feedback reopen {number} --reason …），改后再确认。"
        )
    else:
        text = f"{name} {year} 年的实绩反馈单 {number} 已盖章确认：请先退回再处理自报活动。"
    return ConflictError("activity.locked", text)


def year_closed_message(name: str | None, year: int) -> str:
    """The rejection text for a write into a closed year (an activity of ``name``, or — without a
    name — anything dated in that year: needs, assignments, groups, corrections)."""
    what = f"{name} 的活动日期在 {year} 年" if name else f"要写入的是 {year} 年度的数据"
    return (
        f"{what}，{year} 年度已关闭（已开启下一年度）：不能再添加或修改该年的活动，"
        "请核对日期；确需补录请联系市级操作员。"
    )


def refuse_closed_year(year: int, newest_opened: int | None, *, name: str | None = None) -> None:
    """The year lock, the one rule every writer calls (decision 0073): a write dated in a year
    before the newest opened one is refused with ``activity.year_closed``; while no year was
    opened nothing is locked."""
    if newest_opened is not None and year < newest_opened:
        raise ValidationError("activity.year_closed", year_closed_message(name, year))


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


_NUMBER = re.compile(r"^(\d{4})-(\d{4,})-(\d{4,})$")


def sheet_number(year: int, community_id: int, sequence: int) -> str:
    """The number of a sheet: ``2014-0012-0003`` (year, community id, sequence within the
    community and year; both padded to four digits and wider when they need it)."""
    return f"{year:04d}-{community_id:04d}-{sequence:04d}"


def parse_sheet_number(text: str) -> tuple[int, int, int]:
    """``(year, community_id, sequence)`` of a sheet number as typed (full-width digits and
    spaces tolerated)."""
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


def post_of(group_post: str | None, assigned_post: str | None, first_claim: str | None) -> str:
    """The post an activity counts under: its group's post if it was recorded for a group,
    else the member's assignment for that year, else the member's first claimed post."""
    return group_post or assigned_post or first_claim or ""


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


def rank(rows: Iterable[SummaryRow], score: Any, top: int | None = None) -> list[Ranked]:
    """Rows by descending score (ties share a rank; then by key, for a stable order)."""
    scored = sorted(((score(r), r) for r in rows), key=lambda p: (-p[0], p[1].key))
    out: list[Ranked] = []
    for i, (value, row) in enumerate(scored):
        place = out[-1].rank if out and out[-1].score == value else i + 1
        out.append(Ranked(place, row, value))
    return out[:top] if top is not None else out


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
