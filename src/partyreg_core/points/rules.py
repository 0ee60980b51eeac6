"""The points rules: what each kind of service is worth, the caps, who may set them and from
when; the ``key=value`` syntax operators type; and the pricing of earnings.

Rules are versioned by the day they apply from (decision 0133): a change never rewrites the
past, so a total as it stood on any day is the sum of the entries dated up to it, each priced
by the version in effect on its own day. The city's version is complete; a district's holds
only the keys it sets, and counts only while the city's version in effect allows districts.

Pure: values in, values out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.orgcodes import OrgCode
from partyreg_core.points.model import Award, Earning, PointsSource
from partyreg_core.text import clean, shown

#: The largest number of points any one rule, cap or adjustment may name.
MAX_POINTS = 100_000.0
VERDICTS = ("满意", "基本满意", "不满意")


@attrs.frozen
class PointsRules:
    """One complete rule set.

    ``per_hour``: points per hour of confirmed service, unless the activity's type has its
    own rate in ``per_kind``; ``wish``: points for a wish done, plus ``per_post`` for the
    wish's post; ``rating``: points for each verdict of the resident; ``event``: points for an
    event attended; ``day_cap``/``year_cap``: the most a member earns in a day or a year
    (``None``: no cap; hand adjustments are not capped); ``districts``: whether districts may
    set their own values."""

    per_hour: float = 1.0
    per_kind: Mapping[str, float] = attrs.field(factory=dict)
    per_post: Mapping[str, float] = attrs.field(factory=dict)
    wish: float = 5.0
    rating: Mapping[str, float] = attrs.field(
        factory=lambda: {"满意": 3.0, "基本满意": 1.0, "不满意": 0.0}
    )
    event: float = 2.0
    day_cap: float | None = None
    year_cap: float | None = None
    districts: bool = False

    def hour_rate(self, kind: str) -> float:
        """Points per hour for an activity of type ``kind``."""
        return self.per_kind.get(kind, self.per_hour) if kind else self.per_hour


DEFAULT_RULES = PointsRules()

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_YES = {"yes", "true", "allow", "1", "是", "允许", "可以", "on"}
_NO = {"no", "false", "deny", "0", "否", "不允许", "不可以", "off"}
_NONE = {"none", "off", "无", "不限", "-"}

#: Every key the syntax knows, with its Chinese meaning (``points rules`` lists them).
KEYS: Mapping[str, str] = {
    "per_hour": "每服务 1 小时的积分",
    "kind.<活动类型>": "该类型活动每小时的积分（代替 per_hour）",
    "post.<岗位代码>": "完成该岗位微心愿另加的积分",
    "wish": "完成一个微心愿的积分",
    "rating.<满意|基本满意|不满意>": "居民评价的积分",
    "event": "参加一次社区活动的积分",
    "cap.day": "每人每天最多得分（none 为不限）",
    "cap.year": "每人每年最多得分（none 为不限）",
    "districts": "是否允许县区另定规则（yes/no，仅市级）",
}


def _bad(item: str, why: str) -> ValidationError:
    return ValidationError(
        "points.rule",
        f"积分规则“{shown(item)}”无效：{why}。写法如 per_hour=1 kind.党员奉献日=2 wish=5 "
        "rating.满意=3 cap.day=10 cap.year=none（partyreg points rules 查看全部）。",
    )


def parse_number(text: str, *, item: str, allow_negative: bool = False) -> float:
    """A number of points as typed (``2``, ``1.5``, full-width digits too)."""
    value = clean(text)
    if not _NUMBER.fullmatch(value):
        raise _bad(item, f"“{shown(text)}”不是数字")
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_POINTS:
        raise _bad(item, f"分值应在 ±{MAX_POINTS:g} 以内")
    if number < 0 and not allow_negative:
        raise _bad(item, "分值不能为负")
    return round(number, 2)


def parse_rule_items(items: Iterable[str], *, city: bool = True) -> dict[str, Any]:
    """The changes ``key=value`` items ask for, as a partial rule dict (the stored form:
    ``per_kind``/``per_post``/``rating`` as dicts, a cap ``None`` for none). ``city``:
    whether ``districts=`` may be set. Refuses an unknown key, a bad value, a key given
    twice, or nothing at all."""
    changes: dict[str, Any] = {}
    seen: set[str] = set()
    for raw in items:
        item = clean(raw)
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise _bad(raw, "应写成 键=值")
        if key in seen:
            raise _bad(raw, f"“{shown(key)}”写了两次")
        seen.add(key)
        head, dot, tail = key.partition(".")
        if key in ("per_hour", "wish", "event"):
            changes[key] = parse_number(value, item=raw)
        elif head in ("kind", "post") and dot and tail:
            field = "per_kind" if head == "kind" else "per_post"
            changes.setdefault(field, {})[tail] = parse_number(value, item=raw)
        elif head == "rating" and dot:
            verdict = "".join(tail.split())
            if verdict not in VERDICTS:
                raise _bad(raw, "评价只能是 满意、基本满意 或 不满意")
            changes.setdefault("rating", {})[verdict] = parse_number(value, item=raw)
        elif key in ("cap.day", "cap.year"):
            name = "day_cap" if key == "cap.day" else "year_cap"
            changes[name] = None if value.casefold() in _NONE else parse_number(value, item=raw)
            if changes[name] == 0:
                raise _bad(raw, "上限为 0 等于不给分：请写 none（不限）或正数")
        elif key == "districts":
            if not city:
                raise _bad(raw, "是否允许县区另定规则只能由市级设置")
            word = value.casefold()
            if word not in _YES | _NO:
                raise _bad(raw, "应为 yes 或 no")
            changes["districts"] = word in _YES
        else:
            raise _bad(raw, f"没有“{shown(key)}”这一项")
    if not changes:
        raise ValidationError("points.rule_empty", "没有要修改的规则：请给出如 per_hour=1 wish=5。")
    return changes


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (a partial or complete rule dict) with ``changes`` applied; the mapping keys
    merge entry by entry."""
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in base.items()}
    for key, value in changes.items():
        if isinstance(value, Mapping):
            out[key] = {**out.get(key, {}), **value}
        else:
            out[key] = value
    return out


def rules_from(data: Mapping[str, Any]) -> PointsRules:
    """A complete rule set from a stored dict (missing keys take the defaults)."""
    fields = {a.name for a in attrs.fields(PointsRules)}
    unknown = set(data) - fields
    if unknown:
        raise ValidationError(
            "points.rule", f"积分规则中有未知的项：{'、'.join(sorted(unknown))}。"
        )
    values = merged(attrs.asdict(DEFAULT_RULES), data)
    return PointsRules(**values)


def rules_dict(rules: PointsRules) -> dict[str, Any]:
    """The stored form of a complete rule set."""
    return attrs.asdict(rules)


def format_items(data: Mapping[str, Any]) -> list[str]:
    """A partial or complete rule dict as the ``key=value`` items that set it (the inverse of
    :func:`parse_rule_items`)."""
    items: list[str] = []
    for key in ("per_hour", "wish", "event"):
        if key in data:
            items.append(f"{key}={data[key]:g}")
    for field, head in (("per_kind", "kind"), ("per_post", "post"), ("rating", "rating")):
        for name, value in sorted(data.get(field, {}).items()):
            items.append(f"{head}.{name}={value:g}")
    for name, key in (("day_cap", "cap.day"), ("year_cap", "cap.year")):
        if name in data:
            items.append(f"{key}={'none' if data[name] is None else format(data[name], 'g')}")
    if "districts" in data:
        items.append(f"districts={'yes' if data['districts'] else 'no'}")
    return items


@attrs.frozen
class RuleVersion:
    """A version of the rules: the city's (``district`` ``None``, complete) or a district's
    (its own keys only), applying from ``effective_from``."""

    id: int
    district: OrgCode | None
    effective_from: date
    values: Mapping[str, Any]
    set_by: str = ""


@attrs.frozen
class RulesInEffect:
    """The rules for a member of a district on a day, and the versions they came from."""

    rules: PointsRules
    city: RuleVersion | None
    district: RuleVersion | None

    @property
    def rule_id(self) -> int | None:
        """The version that decided (the district's when it applies)."""
        chosen = self.district or self.city
        return chosen.id if chosen is not None else None


def _latest(versions: Iterable[RuleVersion], day: date) -> RuleVersion | None:
    best: RuleVersion | None = None
    for v in versions:
        if v.effective_from <= day and (
            best is None or (v.effective_from, v.id) > (best.effective_from, best.id)
        ):
            best = v
    return best


def rules_on(versions: Sequence[RuleVersion], day: date, district: OrgCode | None) -> RulesInEffect:
    """The rules in effect on ``day`` for a member of ``district``: the city's newest version
    applying by then (the defaults before any), overlaid with the district's newest when the
    city's allows districts."""
    city = _latest((v for v in versions if v.district is None), day)
    rules = rules_from(city.values) if city is not None else DEFAULT_RULES
    local = None
    if rules.districts and district is not None:
        local = _latest((v for v in versions if v.district == district), day)
        if local is not None:
            rules = rules_from(merged(rules_dict(rules), local.values))
    return RulesInEffect(rules, city, local)


def base_points(earning: Earning, rules: PointsRules) -> tuple[float, str]:
    """What an earning is worth before caps, and the reason that says how."""
    source = earning.source
    if source is PointsSource.ACTIVITY:
        rate = rules.hour_rate(earning.kind)
        kind = f"（{earning.kind}）" if earning.kind and earning.kind in rules.per_kind else ""
        what = f"“{earning.what}”" if earning.what else ""
        return (
            round(earning.hours * rate, 2),
            f"服务{what} {earning.hours:g} 小时 × {rate:g} 分/小时{kind}",
        )
    if source is PointsSource.WISH:
        bonus = rules.per_post.get(earning.post_code, 0.0) if earning.post_code else 0.0
        extra = f" + 岗位 {earning.post_code} {bonus:g} 分" if bonus else ""
        return (
            round(rules.wish + bonus, 2),
            f"完成微心愿“{earning.what}” {rules.wish:g} 分{extra}",
        )
    if source is PointsSource.RATING:
        value = rules.rating.get(earning.verdict, 0.0)
        return value, f"微心愿“{earning.what}”居民评价“{earning.verdict}” {value:g} 分"
    if source is PointsSource.EVENT:
        return rules.event, f"参加活动“{earning.what}” {rules.event:g} 分"
    raise ValueError(f"{source} is not earned")


@attrs.frozen
class Earned:
    """What a member has earned (capped sources only) on each day and in each year, before
    the earnings being priced: the caps' starting point."""

    by_day: Mapping[tuple[int, date], float] = attrs.field(factory=dict)
    by_year: Mapping[tuple[int, int], float] = attrs.field(factory=dict)


def price(
    earnings: Sequence[Earning],
    versions: Sequence[RuleVersion],
    districts: Mapping[int, OrgCode | None],
    earned: Earned,
) -> list[Award]:
    """Price each earning under the rules in effect on its day for its member's district,
    in order, applying the daily and yearly caps to what the member has earned so far
    (``earned``, then the earnings before it). An earning a cap cuts says so in its reason."""
    by_day = dict(earned.by_day)
    by_year = dict(earned.by_year)
    awards: list[Award] = []
    for e in earnings:
        effect = rules_on(versions, e.day, districts.get(e.member_id))
        rules = effect.rules
        points, reason = base_points(e, rules)
        day_key, year_key = (e.member_id, e.day), (e.member_id, e.day.year)
        if points > 0:
            for cap, so_far, label in (
                (rules.day_cap, by_day.get(day_key, 0.0), "每日"),
                (rules.year_cap, by_year.get(year_key, 0.0), "每年"),
            ):
                if cap is not None and so_far + points > cap:
                    allowed = round(max(cap - so_far, 0.0), 2)
                    reason += f"；已达{label}上限 {cap:g} 分，计 {allowed:g} 分"
                    points = allowed
        by_day[day_key] = by_day.get(day_key, 0.0) + points
        by_year[year_key] = by_year.get(year_key, 0.0) + points
        awards.append(Award(e, points, reason, effect.rule_id))
    return awards


def check_adjustment(points: float, reason: str) -> tuple[float, str]:
    """A hand adjustment: a non-zero number within ±100,000 and a reason (at most 200
    characters)."""
    if not math.isfinite(points) or points == 0 or abs(points) > MAX_POINTS:
        raise ValidationError(
            "points.adjust",
            f"调整分值 {points:g} 无效：应为非零数，±{MAX_POINTS:g} 以内（扣分写负数，如 -5）。",
        )
    text = " ".join(clean(reason).split())
    if not text:
        raise ValidationError("points.reason", "人工调整积分需要说明原因：--reason “…”。")
    if len(text) > 200:
        raise ValidationError("points.reason", f"原因太长（{len(text)} 字）：最多 200 字。")
    return round(points, 2), text
