"""Validating activity rows (附表3 实绩反馈单 plus 姓名 and 联系方式) into :class:`Activity`.

Rules (DESIGN.md §6, §9):

- the member is found by name + phone through a :class:`MemberLookup` (``member.unknown``);
- 年月日 is a real date, not after ``today`` and not before the campaign began; its calendar
  year is the campaign year the activity counts for, and a member whose feedback sheet for
  that year is confirmed takes no new activities for it (``activity.locked``);
- 服务时间（小时） is more than 0 and at most 24; 评价 is 优, 良 or 一般; 服务（活动）内容 is
  required text, 服务地点 and 参加人员 optional text; the optional 活动类型 is text and 自报
  (是/否) marks a self-reported activity;
- across a file (:func:`check_activity_totals`): at most 24 hours per member per day
  (``hours.day_total``), and a row repeating an earlier one (same member, day, content, place
  and hours) is rejected naming it (``row.duplicate``), so hours are never counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Generic, Protocol, TypeVar

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.forms import DataRow, RowChecker
from partyreg_core.normalize import (
    MAX_HOURS,
    normalize_date,
    normalize_flag,
    normalize_hours,
    normalize_name,
    normalize_phone,
    normalize_rating,
    normalize_text,
)
from partyreg_core.records import Activity, RowIssue

T = TypeVar("T")

CAMPAIGN_START = date(2014, 1, 1)
"""No activity predates the campaign (launched in 2014): an earlier date is a typo."""


@attrs.frozen
class KnownMember:
    """What the activity validator needs to know of a registered member: who (name + phone,
    as stored) and the campaign years whose feedback sheet is confirmed (locked)."""

    name: str
    phone: str
    locked_years: frozenset[int] = frozenset()


class MemberLookup(Protocol):
    """Finds a registered member by name + phone (normalised, as stored). The store
    implements it, scoped to the acting operator; :class:`MemberIndex` is the in-memory one."""

    def find_member(self, name: str, phone: str) -> KnownMember | None:
        """The member with this name and phone, or ``None``."""
        ...


class MemberIndex:
    """An in-memory :class:`MemberLookup` over :class:`KnownMember` values."""

    def __init__(self, members: Iterable[KnownMember] = ()) -> None:
        self._members = {(m.name, m.phone): m for m in members}

    def find_member(self, name: str, phone: str) -> KnownMember | None:
        """The member with this name and phone, or ``None``."""
        return self._members.get((name, phone))


@attrs.frozen(eq=False)
class ActivityContext:
    """What judging an activity row needs besides the row: the member lookup, today's date
    (dates after it are refused) and the earliest date accepted."""

    members: MemberLookup
    today: date
    earliest: date = CAMPAIGN_START
    #: members by 党员编号, for sheets that name members by number and name (a pre-filled
    #: activity template: a masked phone would not identify anyone)
    by_number: Mapping[int, KnownMember] = attrs.field(factory=dict)


@attrs.frozen
class ActivityResult:
    """The outcome of one activity row: the activity (``None`` when an error rejects the
    row) and every issue of the row."""

    row: int
    record: Activity | None
    issues: tuple[RowIssue, ...] = ()
    hours_column: str = "服务时间（小时）"

    @property
    def ok(self) -> bool:
        """Whether the row is accepted."""
        return self.record is not None


def validate_activity(row: DataRow, ctx: ActivityContext) -> ActivityResult:
    """Validate one activity row into an :class:`Activity`, reporting every issue."""
    return _validate_activity(row, ctx, _Cells(ctx))


MEMO_LIMIT = 20_000
"""The most outcomes each memo of a validation run holds (a full memo starts afresh)."""


class _Memo(Generic[T]):
    """A normaliser that remembers, for one validation run, what it made of each cell: the
    value, or the code and message of its error (raised anew each time, as the normaliser
    would). The normaliser is a pure function of the cell and the run's context."""

    def __init__(self, normalizer: Callable[[str], T]) -> None:
        self._normalizer = normalizer
        self._outcomes: dict[str, T | _Failure] = {}

    def __call__(self, text: str) -> T:
        outcome: T | _Failure | _Unseen = self._outcomes.get(text, _UNSEEN)
        if isinstance(outcome, _Unseen):
            try:
                outcome = self._normalizer(text)
            except ValidationError as exc:
                outcome = _Failure(exc.code, exc.message)
            if len(self._outcomes) >= MEMO_LIMIT:
                self._outcomes.clear()
            self._outcomes[text] = outcome
        if isinstance(outcome, _Failure):
            raise ValidationError(outcome.code, outcome.message)
        return outcome


@attrs.frozen
class _Failure:
    """A cell a normaliser refused: the error's code and message."""

    code: str
    message: str


class _Unseen:
    """A cell the memo has no outcome for yet."""


_UNSEEN = _Unseen()


class _Cells:
    """The normalisers of the cells that repeat from row to row (dates, hours, ratings, the
    texts of one kind of activity), each remembering its outcomes for one run and context.
    Names and phones, nearly all different, are normalised directly (their fast paths)."""

    def __init__(self, ctx: ActivityContext) -> None:
        today, earliest = ctx.today, ctx.earliest
        self.day = _Memo(lambda text: normalize_date(text, today=today, earliest=earliest))
        self.text = _Memo(normalize_text)
        self.hours = _Memo(normalize_hours)
        self.rating = _Memo(normalize_rating)
        self.flag = _Memo(normalize_flag)


def _validate_activity(row: DataRow, ctx: ActivityContext, cells: _Cells) -> ActivityResult:
    check = RowChecker(row)
    name = check.cell("name", normalize_name)
    number = row.get("member").strip()
    if number:
        # named by 党员编号 and 姓名: the phone is the member's own, whatever the cell shows
        found = ctx.by_number.get(int(number)) if number.isdigit() else None
        phone = found.phone if found is not None and found.name == name else None
        if phone is None:
            check.add(
                "member", "member.number",
                f"党员编号 {number} 与姓名“{name or ''}”不符，或不在你的范围内："
                "请核对编号和姓名（与登记表一致），或删去编号改填联系方式。",
                value=number,
            )  # fmt: skip
    else:
        phone = check.cell("phone", normalize_phone)
    day = check.cell("day", cells.day)
    content = check.required(
        "content", cells.text, "服务（活动）内容为空：请简要填写做了什么，如 入户走访困难家庭。"
    )
    place = check.cell("place", cells.text)
    participants = check.cell("participants", cells.text)
    hours = check.cell("hours", cells.hours)
    rating = check.cell("rating", cells.rating)
    kind = check.cell("kind", cells.text)
    self_reported = check.cell("self_reported", cells.flag)
    if name is not None and phone is not None:
        member = ctx.members.find_member(name, phone)
        if member is None and not number:
            check.add(
                None,
                "member.unknown",
                f"没有找到姓名为“{name}”、联系方式为 {phone} 的登记党员："
                "请核对姓名和联系方式是否与党员信息登记表一致。",
                value=f"{name} {phone}",
            )
        elif member is not None and day is not None and day.year in member.locked_years:
            check.add(
                "day",
                "activity.locked",
                f"{name} {day.year} 年的实绩反馈单已盖章确认，不能再添加该年的活动："
                "如确需补录，请社区先退回该反馈单。",
            )
    headers = row.column("hours")
    if (
        check.has_errors
        or name is None
        or phone is None
        or day is None
        or content is None
        or hours is None
        or rating is None
    ):
        return ActivityResult(row.number, None, tuple(check.issues), headers)
    record = Activity(
        name=name,
        phone=phone,
        day=day,
        content=content,
        hours=hours,
        rating=rating,
        place=place or "",
        participants=participants or "",
        kind=kind or "",
        self_reported=bool(self_reported),
    )
    return ActivityResult(row.number, record, tuple(check.issues), headers)


def check_activity_totals(
    results: Iterable[ActivityResult],
) -> Iterator[ActivityResult]:
    """Judge a whole file's accepted activities together, in file order (streaming).

    A row that brings a member's hours on one day above 24 is rejected (``hours.day_total``)
    naming the rows already counted; a row repeating an earlier one (same member, day,
    content, place and hours) is rejected as ``row.duplicate``.
    """
    totals: dict[tuple[str, str, date], tuple[float, list[int]]] = {}
    seen: dict[tuple[str, str, date, str, str, float], int] = {}
    for result in results:
        activity = result.record
        if activity is None:
            yield result
            continue
        same = (activity.name, activity.phone, activity.day, activity.content, activity.place)
        key = (*same, activity.hours)
        earlier = seen.get(key)
        if earlier is not None:
            issue = RowIssue(
                result.row,
                None,
                f"{activity.name} {activity.day.isoformat()}",
                "row.duplicate",
                f"与第 {earlier} 行重复（同一人、同一天、同样的内容、地点和时长）："
                "请删除这一行；如确是两次活动，请在内容中写明区别。",
            )
            yield attrs.evolve(result, record=None, issues=(*result.issues, issue))
            continue
        day_key = (activity.name, activity.phone, activity.day)
        total, rows = totals.get(day_key, (0.0, []))
        if total + activity.hours > MAX_HOURS:
            listed = "、".join(str(r) for r in rows)
            issue = RowIssue(
                result.row,
                result.hours_column,
                str(activity.hours),
                "hours.day_total",
                f"{activity.name} 在 {activity.day.isoformat()} 已记 {total:g} 小时（第 {listed} 行），"
                f"加上本行的 {activity.hours:g} 小时超过每天 24 小时：请核对各行的时长和日期。",
            )
            yield attrs.evolve(result, record=None, issues=(*result.issues, issue))
            continue
        seen[key] = result.row
        totals[day_key] = (round(total + activity.hours, 2), [*rows, result.row])
        yield result


def validate_activities(rows: Iterable[DataRow], ctx: ActivityContext) -> Iterator[ActivityResult]:
    """Validate every activity row (:func:`validate_activity`), then judge the file as a whole
    (:func:`check_activity_totals`). Each member is looked up once per file."""
    cached = attrs.evolve(ctx, members=_CachedLookup(ctx.members))
    cells = _Cells(cached)
    return check_activity_totals(_validate_activity(row, cached, cells) for row in rows)


class _CachedLookup:
    # A file holds many rows per member; the store is asked once per member.
    def __init__(self, lookup: MemberLookup) -> None:
        self._lookup = lookup
        self._cache: dict[tuple[str, str], KnownMember | None] = {}

    def find_member(self, name: str, phone: str) -> KnownMember | None:
        key = (name, phone)
        if key not in self._cache:
            self._cache[key] = self._lookup.find_member(name, phone)
        return self._cache[key]
