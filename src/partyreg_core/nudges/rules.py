"""The nudge settings and their ``key=value`` syntax, the messages each fact calls for, and the
planner that applies quiet hours, the per-person daily cap and opt-outs (decisions 0134, 0135).

Pure: values in, values out; the time of day is a parameter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.notify.model import Target, TargetKind
from partyreg_core.nudges.model import (
    Candidate,
    CommunityFacts,
    EventTomorrow,
    IdleMember,
    NeedTomorrow,
    NudgeKind,
    NudgeStatus,
    PlannedNudge,
    UnclaimedWish,
)
from partyreg_core.text import clean, shown

#: The shared setting holding the nudge settings (changed by city operators, audited).
NUDGES_SETTING = "notify.nudges"
ZONE = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@attrs.frozen
class NudgeSettings:
    """When each nudge is due and how they are held back.

    ``no_service_days``: a member is nudged after this many days without confirmed service
    (and every as many days again); ``wish_days``: a wish waiting unclaimed this long nudges
    its community (and again every as many days); ``self_report_days``: a self-report waiting
    this long; ``sheet_days``: the days before the 附表3 deadline on which communities with
    unconfirmed sheets are reminded; ``digest_weekday``: the weekday of the secretaries'
    digest (0 Monday); ``quiet``: no message between these times (Beijing time) — planned
    ones wait until the end; ``daily_cap``: at most this many nudges per person a day;
    ``send_time``: the time a plan for another day assumes; ``off``: kinds not sent at all."""

    no_service_days: int = 30
    wish_days: int = 3
    self_report_days: int = 2
    sheet_days: tuple[int, ...] = (10, 3, 1)
    digest_weekday: int = 0
    quiet: tuple[time, time] = (time(21, 0), time(8, 0))
    daily_cap: int = 2
    send_time: time = time(9, 0)
    off: frozenset[NudgeKind] = frozenset()


DEFAULT_SETTINGS = NudgeSettings()

_TIME = re.compile(r"([01]?\d|2[0-3])[:：]([0-5]\d)")
_DAY_LIMIT = 3660


def _bad(item: str, why: str) -> ValidationError:
    return ValidationError(
        "nudge.setting",
        f"提醒设置“{shown(item)}”无效：{why}。写法如 no_service_days=30 wish_days=3 "
        "sheet_days=10,3,1 digest=周一 quiet=21:00-08:00 cap=2 off=no_service。",
    )


def _days(value: str, item: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= _DAY_LIMIT:
        raise _bad(item, f"天数应为 1–{_DAY_LIMIT} 的整数")
    return int(value)


def _time(value: str, item: str) -> time:
    match = _TIME.fullmatch(value)
    if match is None:
        raise _bad(item, "时间应写成 时:分，如 21:00")
    return time(int(match.group(1)), int(match.group(2)))


def parse_kinds(value: str, item: str = "") -> frozenset[NudgeKind]:
    """Nudge kinds by code or Chinese name, separated by commas or spaces (``none``: none)."""
    item = item or value
    if value.casefold() in ("", "none", "无"):
        return frozenset()
    found = set()
    for word in re.split(r"[,，、\s]+", value):
        if not word:
            continue
        kind = next((k for k in NudgeKind if word in (k.value, k.label)), None)
        if kind is None:
            known = "、".join(k.value for k in NudgeKind)
            raise _bad(item, f"没有“{shown(word)}”这种提醒（可用：{known}）")
        found.add(kind)
    return frozenset(found)


def parse_setting_items(
    items: Iterable[str], base: NudgeSettings = DEFAULT_SETTINGS
) -> NudgeSettings:
    """``base`` changed by ``key=value`` items (``no_service_days``, ``wish_days``,
    ``self_report_days``, ``sheet_days`` — a list —, ``digest`` — a weekday —, ``quiet`` —
    ``21:00-08:00`` or ``none`` —, ``cap``, ``send_time``, ``off`` — kinds)."""
    changes: dict[str, Any] = {}
    for raw in items:
        item = clean(raw)
        key, sep, value = item.partition("=")
        key, value = key.strip(), "".join(value.split())
        if not sep or not key:
            raise _bad(raw, "应写成 键=值")
        if key in changes:
            raise _bad(raw, f"“{shown(key)}”写了两次")
        if key in ("no_service_days", "wish_days", "self_report_days"):
            changes[key] = _days(value, raw)
        elif key == "sheet_days":
            parts = [p for p in re.split(r"[,，、]", value) if p]
            if not parts:
                raise _bad(raw, "请写出天数，如 10,3,1")
            changes[key] = tuple(sorted({_days(p, raw) for p in parts}, reverse=True))
        elif key == "digest":
            if value not in WEEKDAYS and not (value.isdigit() and 1 <= int(value) <= 7):
                raise _bad(raw, "应为 周一 … 周日（或 1–7）")
            changes["digest_weekday"] = (
                WEEKDAYS.index(value) if value in WEEKDAYS else int(value) - 1
            )
        elif key == "quiet":
            if value.casefold() in ("none", "无", "off"):
                changes[key] = (time(0, 0), time(0, 0))
            else:
                start, dash, end = value.partition("-")
                if not dash:
                    raise _bad(raw, "应写成 开始-结束，如 21:00-08:00（或 none）")
                changes[key] = (_time(start, raw), _time(end, raw))
        elif key == "cap":
            if not value.isdigit() or not 1 <= int(value) <= 20:
                raise _bad(raw, "每人每天上限应为 1–20 的整数")
            changes["daily_cap"] = int(value)
        elif key == "send_time":
            changes[key] = _time(value, raw)
        elif key == "off":
            changes[key] = parse_kinds(value, raw)
        else:
            raise _bad(raw, f"没有“{shown(key)}”这一项")
    if not changes:
        raise ValidationError("nudge.setting_empty", "没有要修改的提醒设置：请给出如 cap=2。")
    return attrs.evolve(base, **changes)


def settings_dict(settings: NudgeSettings) -> dict[str, Any]:
    """The stored form (plain JSON)."""
    return {
        "no_service_days": settings.no_service_days,
        "wish_days": settings.wish_days,
        "self_report_days": settings.self_report_days,
        "sheet_days": list(settings.sheet_days),
        "digest_weekday": settings.digest_weekday,
        "quiet": [settings.quiet[0].strftime("%H:%M"), settings.quiet[1].strftime("%H:%M")],
        "daily_cap": settings.daily_cap,
        "send_time": settings.send_time.strftime("%H:%M"),
        "off": sorted(k.value for k in settings.off),
    }


def settings_from(value: Any) -> NudgeSettings:
    """The settings from the stored form (``None``: the defaults)."""
    if not isinstance(value, Mapping):
        return DEFAULT_SETTINGS
    quiet = value.get("quiet") or ["21:00", "08:00"]
    return NudgeSettings(
        no_service_days=int(value.get("no_service_days", 30)),
        wish_days=int(value.get("wish_days", 3)),
        self_report_days=int(value.get("self_report_days", 2)),
        sheet_days=tuple(int(d) for d in value.get("sheet_days", (10, 3, 1))),
        digest_weekday=int(value.get("digest_weekday", 0)),
        quiet=(time.fromisoformat(quiet[0]), time.fromisoformat(quiet[1])),
        daily_cap=int(value.get("daily_cap", 2)),
        send_time=time.fromisoformat(value.get("send_time", "09:00")),
        off=frozenset(NudgeKind(k) for k in value.get("off", ())),
    )


def format_items(settings: NudgeSettings) -> list[str]:
    """The settings as the ``key=value`` items that set them."""
    start, end = settings.quiet
    quiet = "none" if start == end else f"{start:%H:%M}-{end:%H:%M}"
    return [
        f"no_service_days={settings.no_service_days}",
        f"wish_days={settings.wish_days}",
        f"self_report_days={settings.self_report_days}",
        f"sheet_days={','.join(str(d) for d in settings.sheet_days)}",
        f"digest={WEEKDAYS[settings.digest_weekday]}",
        f"quiet={quiet}",
        f"cap={settings.daily_cap}",
        f"send_time={settings.send_time:%H:%M}",
        f"off={','.join(sorted(k.value for k in settings.off)) or 'none'}",
    ]


# -- when -------------------------------------------------------------------------------------


def in_quiet(moment: time, quiet: tuple[time, time]) -> bool:
    """Whether ``moment`` falls in the quiet hours (which may span midnight; equal ends: none)."""
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def send_time(at: datetime, quiet: tuple[time, time]) -> datetime:
    """When a message planned at ``at`` may go: ``at``, or the end of the quiet hours."""
    local = at.astimezone(ZONE)
    if not in_quiet(local.timetz().replace(tzinfo=None), quiet):
        return at
    end = datetime.combine(local.date(), quiet[1], tzinfo=ZONE)
    if end <= local:
        end += timedelta(days=1)
    return end


def due_every(days_since: int, every: int) -> bool:
    """Whether a condition that has lasted ``days_since`` days nudges today: on the ``every``-th
    day and every ``every`` days after (never twice in one period)."""
    return days_since >= every and (days_since - every) % every == 0


# -- the messages -----------------------------------------------------------------------------


def need_tomorrow(fact: NeedTomorrow) -> Candidate:
    """The day before an assigned need: to the member."""
    what = fact.purpose or f"{fact.post_code} 号岗位服务"
    return Candidate(
        NudgeKind.NEED_TOMORROW,
        Target(TargetKind.MEMBER, id=fact.member_id),
        fact.name,
        f"【明日服务】{fact.community}：{what}",
        f"{fact.name}同志：明天（{fact.start_on:%m月%d日}）{fact.community}有“{what}”的服务，"
        "您认领了这个岗位，请按时参加。如不能参加，请提前告知社区。",
        f"need:{fact.need_id}:{fact.member_id}:{fact.start_on.isoformat()}",
        member_id=fact.member_id,
        community_id=fact.community_id,
        district_code=fact.district_code,
        org_code=fact.unit_code,
    )


def event_tomorrow(fact: EventTomorrow) -> Candidate:
    """The day before a community event: to each member serving in the community."""
    place = f"，地点：{fact.place}" if fact.place else ""
    return Candidate(
        NudgeKind.EVENT_TOMORROW,
        Target(TargetKind.MEMBER, id=fact.member_id),
        fact.name,
        f"【明日活动】{fact.community}：{fact.content[:20]}",
        f"{fact.name}同志：明天（{fact.day:%m月%d日} {fact.start}–{fact.end}）{fact.community}举办"
        f"“{fact.content}”{place}。欢迎参加，到场后请用社区公布的签到码签到。",
        f"event:{fact.event_id}:{fact.member_id}",
        member_id=fact.member_id,
        community_id=fact.community_id,
        district_code=fact.district_code,
        org_code=fact.unit_code,
    )


def no_service(fact: IdleMember, on: date) -> Candidate:
    """Days without confirmed service: to the member."""
    days = (on - fact.since).days
    since = (
        f"上次服务是 {fact.since:%Y年%m月%d日}（已 {days} 天）"
        if fact.served
        else f"到社区报到已 {days} 天，还没有服务记录"
    )
    return Candidate(
        NudgeKind.NO_SERVICE,
        Target(TargetKind.MEMBER, id=fact.member_id),
        fact.name,
        f"【服务提醒】{fact.community}欢迎您参加服务",
        f"{fact.name}同志：您在{fact.community}{since}。社区的需求清单和微心愿等您认领，"
        "欢迎联系社区参加服务。",
        f"idle:{fact.member_id}:{on.isoformat()}",
        member_id=fact.member_id,
        community_id=fact.community_id,
        district_code=fact.district_code,
        org_code=fact.unit_code,
    )


def wish_unclaimed(fact: UnclaimedWish, on: date) -> list[Candidate]:
    """A wish waiting unclaimed: to the community and each of its instructors."""
    days = (on - fact.received_on).days
    subject = f"【微心愿待认领】{fact.title[:20]}"
    body = (
        f"{fact.community}的微心愿“{fact.title}”（编号 {fact.wish_id}，{fact.received_on:%m月%d日}"
        f"登记）已 {days} 天无人认领：请在社区党员群中发布，或安排党员认领"
        f"（partyreg wishes claim {fact.wish_id} --member …）。"
    )
    identity = f"wish:{fact.wish_id}:{on.isoformat()}"
    targets = [Target(TargetKind.COMMUNITY, id=fact.community_id)] + [
        Target(TargetKind.INSTRUCTOR, id=i) for i in fact.instructor_ids
    ]
    return [
        Candidate(
            NudgeKind.WISH_UNCLAIMED,
            t,
            f"{fact.community}" if t.kind is TargetKind.COMMUNITY else f"指导员 {t.id}",
            subject,
            body,
            identity,
            community_id=fact.community_id,
            district_code=fact.district_code,
        )
        for t in targets
    ]


def self_reports(fact: CommunityFacts, on: date) -> Candidate:
    """Self-reports waiting for confirmation: to the community."""
    oldest = fact.oldest_self_report or on
    return Candidate(
        NudgeKind.SELF_REPORT,
        Target(TargetKind.COMMUNITY, id=fact.community_id),
        fact.secretary or fact.community,
        f"【自报活动待确认】{fact.waiting_self_reports} 条",
        f"{fact.community}有 {fact.waiting_self_reports} 条党员自报的服务活动等待确认"
        f"（最早的是 {oldest:%m月%d日}）：请核实后确认或退回（partyreg activity pending）。",
        f"self:{fact.community_id}:{on.isoformat()}",
        community_id=fact.community_id,
        district_code=fact.district_code,
    )


def sheet_deadline(fact: CommunityFacts, deadline: date, on: date) -> Candidate:
    """附表3 not yet confirmed as the deadline nears: to the community."""
    days = (deadline - on).days
    return Candidate(
        NudgeKind.SHEET_DEADLINE,
        Target(TargetKind.COMMUNITY, id=fact.community_id),
        fact.secretary or fact.community,
        f"【反馈单】还有 {days} 天截止，{fact.unconfirmed_sheets} 人未确认",
        f"{fact.community}有 {fact.unconfirmed_sheets} 名党员的{deadline.year}年实绩反馈单（附表3）"
        f"还没有盖章确认，{deadline:%m月%d日}截止（还有 {days} 天）：请填写确认"
        "（partyreg feedback confirm --community … --all）。",
        f"sheets:{fact.community_id}:{on.isoformat()}",
        community_id=fact.community_id,
        district_code=fact.district_code,
    )


def digest(fact: CommunityFacts, on: date, settings: NudgeSettings) -> Candidate:
    """The weekly digest: to the community, addressed to its secretary."""
    who = f"{fact.secretary}书记" if fact.secretary else "社区党组织"
    lines = [
        f"本周新登记微心愿 {fact.new_wishes} 个，待认领 {fact.open_wishes} 个；",
        f"自报活动待确认 {fact.waiting_self_reports} 条；",
        f"{settings.no_service_days} 天以上没有服务的党员 {fact.idle_members} 人；",
        f"{on.year}年实绩反馈单未确认 {fact.unconfirmed_sheets} 人。",
    ]
    return Candidate(
        NudgeKind.DIGEST,
        Target(TargetKind.COMMUNITY, id=fact.community_id),
        who,
        f"【社区周报】{fact.community} {on:%m月%d日}",
        f"{who}：" + "".join(lines),
        f"digest:{fact.community_id}:{on.isoformat()}",
        community_id=fact.community_id,
        district_code=fact.district_code,
    )


# -- the plan ---------------------------------------------------------------------------------


def plan(
    candidates: Sequence[Candidate],
    settings: NudgeSettings,
    at: datetime,
    *,
    queued_today: Mapping[str, Sequence[tuple[str, str]]],
    opted_out: Mapping[int, frozenset[str]],
) -> list[PlannedNudge]:
    """Decide each candidate: opted out (the member refused that kind, or all), already queued
    today (same target, kind and subject), capped (the person already has ``daily_cap``
    nudges today, counting those queued), deferred past the quiet hours, or sent now. The more
    urgent kinds take the cap first; within a kind, the order given."""
    when = send_time(at, settings.quiet)
    counts: dict[str, int] = defaultdict(int)
    for target, rows in queued_today.items():
        counts[target] = len(rows)
    planned: list[PlannedNudge] = []
    ordered = sorted(enumerate(candidates), key=lambda p: (p[1].kind.priority, p[0]))
    for _index, c in ordered:
        key = str(c.target)
        refused = opted_out.get(c.member_id, frozenset()) if c.member_id is not None else set()
        if c.kind in settings.off:
            continue
        if "*" in refused or c.kind.value in refused:
            status = NudgeStatus.OPTED_OUT
        elif (f"nudge.{c.kind.value}", c.subject) in queued_today.get(key, ()):
            status = NudgeStatus.QUEUED
        elif counts[key] >= settings.daily_cap:
            status = NudgeStatus.CAPPED
        else:
            counts[key] += 1
            status = NudgeStatus.DEFERRED if when != at else NudgeStatus.SEND
        planned.append(PlannedNudge(c, status, when))
    return planned
