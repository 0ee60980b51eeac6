"""The rules of events and check-in, each with its one Chinese message (decision 0125).

- an event lies within one day: ``start`` before ``end``, both typed ``HH:MM``;
- check-in opens :data:`CHECK_IN_OPENS` before the start and closes at the end; a second
  entry of the code is the check-out, from the start until :data:`CHECK_OUT_CLOSES` after
  the end;
- the code is six digits; only a member routed to the event's community, in current work,
  checks in;
- the hours credited are the event's length, or the time between check-in and check-out
  (within the event's hours) when both exist, in half hours, at least half an hour.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta, tzinfo

from partyreg_core.errors import ConflictError, NotPermittedError, ValidationError
from partyreg_core.events.model import Attendance, Event, EventStatus

#: How long before the start a member may check in.
CHECK_IN_OPENS = timedelta(minutes=30)
#: How long after the end a member may still check out.
CHECK_OUT_CLOSES = timedelta(minutes=30)
#: Digits of a check-in code.
CODE_DIGITS = 6
#: Longest text of an event's content or place.
MAX_TEXT = 200

_CLOCK = re.compile(r"(\d{1,2})[:：.点时](\d{2})分?")


def parse_clock(text: str, *, field: str = "--start") -> time:
    """A time of day as typed: ``9:30``, ``09:30``, ``０９：３０``, ``9点30``; raise
    :class:`ValidationError` naming ``field`` otherwise."""
    plain = unicodedata.normalize("NFKC", text).strip()
    match = _CLOCK.fullmatch(plain)
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValidationError(
        "event.time", f"{field} 的时间“{text}”无效：请写成 时:分（24 小时制），如 09:30。"
    )


def check_event(event: Event) -> None:
    """Refuse an event that breaks a rule of its own (times, texts)."""
    if event.end <= event.start:
        raise ValidationError(
            "event.window",
            f"结束时间 {event.end:%H:%M} 不晚于开始时间 {event.start:%H:%M}："
            "活动须在同一天内，--end 晚于 --start。",
        )
    if not event.content.strip():
        raise ValidationError("event.content", "活动内容不能为空：请用 --content 写明做什么。")
    for label, text in (("活动内容", event.content), ("活动地点", event.place)):
        if len(text) > MAX_TEXT:
            raise ValidationError(
                "event.text", f"{label}过长（{len(text)} 字）：请不超过 {MAX_TEXT} 字。"
            )


def normalise_code(text: str) -> str:
    """A check-in code as someone types it (full-width digits, spaces, dashes) as six digits,
    or ``""`` when it cannot be one."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum())
    if len(plain) != CODE_DIGITS or not plain.isascii() or not plain.isdigit():
        return ""
    return plain


def refuse_wrong_code(text: str) -> None:
    """The message for a code that is not one of the community's open events."""
    raise ValidationError(
        "event.code",
        f"签到码“{text.strip()[:20]}”不正确：请核对现场公布的 {CODE_DIGITS} 位数字签到码"
        "（只能签到本人所在社区的活动）。",
    )


def refuse_not_member(name: str) -> None:
    """The message for a member who is not (or no longer) serving in a community."""
    raise NotPermittedError(
        "event.not_member",
        f"{name} 还没有分流到社区或已不在本次活动中：只能签到本人报到社区的活动；"
        "服务社区有变化请向单位党组织申请变更。",
    )


def _at(day: date, clock: time, zone: tzinfo | None) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def check_kind_at(event: Event, attendance: Attendance | None, now: datetime) -> bool:
    """Whether entering the code at ``now`` (aware, in the event's zone) checks out (``True``)
    or in (``False``); raise with the window's message when it does neither."""
    if event.status is EventStatus.CLOSED:
        raise ConflictError(
            "event.closed", f"活动“{event.content}”（{event.window}）已结束，不能再签到。"
        )
    zone = now.tzinfo
    start, end = _at(event.day, event.start, zone), _at(event.day, event.end, zone)
    if attendance is None:
        if now < start - CHECK_IN_OPENS:
            opens = start - CHECK_IN_OPENS
            raise ValidationError(
                "event.too_early",
                f"还没到签到时间：活动“{event.content}”{event.window}，{opens:%H:%M} 起可以签到。",
            )
        if now > end:
            raise ValidationError(
                "event.too_late",
                f"签到已截止：活动“{event.content}”已于 {event.end:%H:%M} 结束。",
            )
        return False
    if now < start:
        raise ConflictError(
            "event.already_in",
            f"你已于 {attendance.checked_in_at.astimezone(zone):%H:%M} 签到；"
            f"活动 {event.start:%H:%M} 开始后再输入签到码即为签退。",
        )
    if now > end + CHECK_OUT_CLOSES:
        raise ValidationError(
            "event.too_late",
            f"签退已截止：活动“{event.content}”已于 {event.end:%H:%M} 结束。",
        )
    return True


def half_hours(minutes: float) -> float:
    """``minutes`` as hours in half hours (rounded half up), at least half an hour."""
    return max(0.5, math.floor(minutes / 30 + 0.5) / 2)


def event_hours(event: Event) -> float:
    """The hours the event lasts."""
    minutes = (event.end.hour * 60 + event.end.minute) - (
        event.start.hour * 60 + event.start.minute
    )
    return half_hours(minutes)


def attended_hours(event: Event, attendance: Attendance, zone: tzinfo) -> float:
    """The hours credited to a member: the time between check-in and check-out within the
    event's hours (local time in ``zone``) when both exist, else the event's length."""
    if attendance.checked_out_at is None:
        return event_hours(event)
    start, end = _at(event.day, event.start, zone), _at(event.day, event.end, zone)
    begin = max(start, attendance.checked_in_at.astimezone(zone))
    finish = min(end, attendance.checked_out_at.astimezone(zone))
    return half_hours(max(0.0, (finish - begin).total_seconds() / 60))


def refuse_early_close(event: Event, now: datetime) -> None:
    """An event is closed once it has ended (its activities cannot lie in the future)."""
    if event.status is EventStatus.CLOSED:
        raise ConflictError(
            "event.closed", f"活动 {event.id} 已于 {event.closed_on} 结束并记录，不用重复操作。"
        )
    if now < _at(event.day, event.end, now.tzinfo):
        raise ValidationError(
            "event.not_over",
            f"活动 {event.id}（{event.window}）还没结束：结束后再用 event close 记录活动。",
        )


def check_in_url(base_url: str, code: str) -> str:
    """What the event's QR code holds: the members' site's check-in page (at its public
    address, the setting ``web.base_url``) with the code filled in."""
    return f"{base_url.rstrip('/')}/checkin?code={code}"
