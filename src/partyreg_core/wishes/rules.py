"""The rules of residents' wishes, each with its Chinese message: what a wish may say, the
resident's verdict, which step may follow which, and the rows of an imported sheet.

Pure: values in, values (or :class:`~partyreg_core.errors.PartyregError`) out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date

import attrs

from partyreg_core.errors import ConflictError, PartyregError, ValidationError
from partyreg_core.forms import DataRow
from partyreg_core.normalize import normalize_date, normalize_phone
from partyreg_core.records import RowIssue
from partyreg_core.text import clean, shown
from partyreg_core.wishes.model import NewWish, Verdict, Wish, WishStatus

TITLE_MAX = 200
RESIDENT_MAX = 30
NOTE_MAX = 500

#: The verdicts as typed: the three words, spaces and full-width forms tolerated.
_VERDICTS = {v.value: v for v in Verdict}


def parse_verdict(text: str) -> Verdict:
    """满意, 基本满意 or 不满意 (NFKC, spaces anywhere ignored); anything else is
    ``wish.rating``."""
    value = "".join(clean(text).split())
    found = _VERDICTS.get(value)
    if found is None:
        raise ValidationError(
            "wish.rating",
            f"评价“{shown(text)}”无效：只能是 满意、基本满意 或 不满意（居民的评价）。",
        )
    return found


def _text(value: str, *, field: str, code: str, limit: int, required: bool) -> str:
    printable = "".join(
        ch if ch.isprintable() else (" " if ch.isspace() else "") for ch in clean(value)
    )
    text = " ".join(printable.split())
    if required and not text:
        raise ValidationError(code, f"{field}为空：请写明{field}。")
    if len(text) > limit:
        raise ValidationError(code, f"{field}太长（{len(text)} 字）：最多 {limit} 字。")
    return text


def check_title(text: str) -> str:
    """The wish itself (心愿内容): 1–200 characters, control characters removed."""
    return _text(text, field="心愿内容", code="wish.title", limit=TITLE_MAX, required=True)


def check_resident_name(text: str) -> str:
    """The resident's name as the community writes it (``王大妈`` is fine): at most 30
    characters, no digits; empty when not given."""
    name = _text(text, field="居民姓名", code="wish.resident", limit=RESIDENT_MAX, required=False)
    if any(ch.isdigit() for ch in name):
        raise ValidationError(
            "wish.resident", f"居民姓名“{shown(name)}”含有数字：电话请写在 --phone 中。"
        )
    return name


def check_resident_phone(text: str) -> str:
    """The resident's phone (a mobile or a landline with area code), or ``""``."""
    if not clean(text):
        return ""
    return normalize_phone(text)


def check_note(text: str, *, field: str, code: str, required: bool) -> str:
    """A free text (completion note, comment, reason): at most 500 characters."""
    return _text(text, field=field, code=code, limit=NOTE_MAX, required=required)


def check_new_wish(wish: NewWish, *, today: date) -> NewWish:
    """``wish`` with its texts cleaned, or :class:`ValidationError` naming the field."""
    if wish.received_on > today:
        raise ValidationError(
            "wish.received_on",
            f"登记日期 {wish.received_on.isoformat()} 在今天之后：请核对日期。",
        )
    if wish.due is not None and wish.due < wish.received_on:
        raise ValidationError(
            "wish.due",
            f"期限 {wish.due.isoformat()} 早于登记日期 {wish.received_on.isoformat()}：请核对期限。",
        )
    return attrs.evolve(
        wish,
        title=check_title(wish.title),
        resident_name=check_resident_name(wish.resident_name),
        resident_phone=check_resident_phone(wish.resident_phone),
        source=_text(wish.source, field="来源", code="wish.source", limit=30, required=False),
    )


# -- the steps of a wish --------------------------------------------------------------------

#: Which states each step starts from.
_FROM: Mapping[str, tuple[WishStatus, ...]] = {
    "claim": (WishStatus.OPEN,),
    "done": (WishStatus.CLAIMED,),
    "rate": (WishStatus.DONE,),
    "cancel": (WishStatus.OPEN, WishStatus.CLAIMED),
    "record": (WishStatus.DONE, WishStatus.RATED),
}
_STEP_NAMES = {
    "claim": "认领",
    "done": "标记完成",
    "rate": "评价",
    "cancel": "取消",
    "record": "记为服务活动",
}
_FIX = {
    WishStatus.OPEN: "请先由党员认领（wishes claim）",
    WishStatus.CLAIMED: "请先标记完成（wishes done）",
    WishStatus.DONE: "",
    WishStatus.RATED: "居民已评价，这一步不能再做",
    WishStatus.CANCELLED: "已取消的心愿不能再处理",
}


def check_step(wish: Wish, step: str) -> None:
    """Refuse ``step`` (claim, done, rate, cancel, record) when ``wish`` is not in a state it
    starts from (``wish.state``), saying what to do first."""
    if wish.status in _FROM[step]:
        if step == "record" and wish.activity_id is not None:
            raise ConflictError(
                "wish.recorded",
                f"心愿 {wish.id} 已记为服务活动（活动编号 {wish.activity_id}）：不用重复记录。",
            )
        return
    fix = _FIX[wish.status] or "请核对心愿编号"
    raise ConflictError(
        "wish.state",
        f"心愿 {wish.id} 现在是“{wish.status.label}”，不能{_STEP_NAMES[step]}：{fix}。",
    )


def check_step_day(wish: Wish, day: date, step: str) -> None:
    """A step is dated on or after the wish was received (and after it was claimed, for done)."""
    earliest = wish.claimed_on if step == "done" and wish.claimed_on else wish.received_on
    if day < earliest:
        raise ValidationError(
            "wish.date",
            f"日期 {day.isoformat()} 早于心愿 {wish.id} 的"
            f"{'认领' if earliest == wish.claimed_on and step == 'done' else '登记'}日期 "
            f"{earliest.isoformat()}：请核对 --date。",
        )


# -- an imported sheet ----------------------------------------------------------------------


@attrs.frozen
class WishRowResult:
    """One row of a wishes sheet: the wish (``None`` when rejected) and every issue."""

    row: int
    record: NewWish | None
    issues: tuple[RowIssue, ...] = ()


@attrs.frozen
class WishContext:
    """What judging a row needs: the community named by ``县区/街道/社区`` (or ``None``), the
    post code a cell names in that community's district (or an error), and today."""

    find_community: Callable[[str, str, str], int | None]
    find_post: Callable[[int, str], str]
    today: date


def validate_wish_row(row: DataRow, ctx: WishContext) -> WishRowResult:
    """Judge one row of a wishes sheet, reporting every issue with its row and column."""
    issues: list[RowIssue] = []

    def fail(key: str, exc: PartyregError) -> None:
        issues.append(RowIssue(row.number, row.column(key), row.get(key), exc.code, exc.message))

    district, street, name = (row.get(k).strip() for k in ("district", "street", "community"))
    community_id = ctx.find_community(district, street, name) if name else None
    if community_id is None:
        where = "/".join(p for p in (district, street, name) if p) or "（空）"
        fail(
            "community",
            ValidationError(
                "wish.community",
                f"社区“{shown(where)}”不在社区通讯录中（或不在你的范围内）："
                "请写全 县区、街道、社区，与通讯录一致。",
            ),
        )
    values: dict[str, object] = {}
    checks: dict[str, Callable[[str], object]] = {
        "title": check_title,
        "resident_name": check_resident_name,
        "resident_phone": check_resident_phone,
    }
    for key, check in checks.items():
        try:
            values[key] = check(row.get(key))
        except PartyregError as exc:
            fail(key, exc)
    dates: dict[str, date | None] = {"received_on": ctx.today, "due": None}
    for key in ("received_on", "due"):
        if row.get(key).strip():
            try:
                dates[key] = normalize_date(
                    row.get(key), today=date.max if key == "due" else ctx.today
                )
            except PartyregError as exc:
                fail(key, exc)
    post = ""
    if row.get("post").strip() and community_id is not None:
        try:
            post = ctx.find_post(community_id, row.get("post"))
        except PartyregError as exc:
            fail("post", exc)
    if issues or community_id is None:
        return WishRowResult(row.number, None, tuple(issues))
    received = dates["received_on"] or ctx.today
    wish = NewWish(
        community_id=community_id,
        title=str(values["title"]),
        received_on=received,
        resident_name=str(values["resident_name"]),
        resident_phone=str(values["resident_phone"]),
        post_code=post,
        due=dates["due"],
        source=row.get("source").strip()[:30],
    )
    try:
        checked = check_new_wish(wish, today=ctx.today)
    except PartyregError as exc:
        fail("due" if exc.code == "wish.due" else "received_on", exc)
        return WishRowResult(row.number, None, tuple(issues))
    return WishRowResult(row.number, checked, ())


def validate_wish_rows(rows: Iterable[DataRow], ctx: WishContext) -> Iterator[WishRowResult]:
    """Judge every row of a wishes sheet (:func:`validate_wish_row`)."""
    for row in rows:
        yield validate_wish_row(row, ctx)
