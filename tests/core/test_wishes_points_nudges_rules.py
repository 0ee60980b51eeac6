"""The pure rules of wishes, points and nudges: the verdict parser, the points rule syntax and
its pricing with caps, the nudge settings syntax, quiet hours — properties over many inputs
(hypothesis) and the cases operators type."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.errors import PartyregError, ValidationError
from partyreg_core.nudges.rules import (
    DEFAULT_SETTINGS,
    ZONE,
    due_every,
    format_items,
    in_quiet,
    parse_setting_items,
    send_time,
)
from partyreg_core.orgcodes import OrgCode
from partyreg_core.points.model import Earning, PointsSource
from partyreg_core.points.rules import (
    Earned,
    RuleVersion,
    merged,
    parse_rule_items,
    price,
    rules_dict,
    rules_from,
    rules_on,
)
from partyreg_core.points.rules import (
    format_items as format_rules,
)
from partyreg_core.wishes.model import Verdict
from partyreg_core.wishes.rules import check_resident_name, check_title, parse_verdict

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


# -- the verdict ---------------------------------------------------------------------------


@given(
    st.sampled_from(list(Verdict)),
    st.lists(st.sampled_from([" ", "\u3000", "\t"]), max_size=4),
    st.integers(min_value=0, max_value=4),
)
def test_a_verdict_parses_with_spaces_anywhere(
    verdict: Verdict, spaces: list[str], at: int
) -> None:
    text = verdict.value
    cut = min(at, len(text))
    typed = "".join(spaces) + text[:cut] + "".join(spaces) + text[cut:] + " "
    assert parse_verdict(typed) is verdict


@given(st.text(max_size=12))
def test_anything_else_is_refused_with_the_three_words(text: str) -> None:
    if "".join(text.split()) in {v.value for v in Verdict}:
        return
    try:
        parse_verdict(text)
    except ValidationError as exc:
        assert exc.code == "wish.rating" and "满意、基本满意 或 不满意" in exc.message
    else:  # NFKC made it one of the three
        assert parse_verdict(text).value in {v.value for v in Verdict}


@given(st.text(max_size=300))
def test_titles_and_names_are_cleaned_or_refused_never_crash(text: str) -> None:
    for check in (check_title, check_resident_name):
        try:
            value = check(text)
        except PartyregError:
            continue
        assert value == value.strip() and all(ch.isprintable() for ch in value)


# -- points rules --------------------------------------------------------------------------

NUMBERS = st.integers(min_value=0, max_value=500).map(lambda n: n / 2)
KINDS = st.sampled_from(["党员奉献日", "党员示范岗", "日常服务"])
rule_dicts = st.fixed_dictionaries(
    {},
    optional={
        "per_hour": NUMBERS,
        "wish": NUMBERS,
        "event": NUMBERS,
        "per_kind": st.dictionaries(KINDS, NUMBERS, max_size=2),
        "per_post": st.dictionaries(st.sampled_from(["1", "8", "15"]), NUMBERS, max_size=2),
        "rating": st.dictionaries(st.sampled_from(["满意", "基本满意", "不满意"]), NUMBERS),
        "day_cap": st.one_of(st.none(), NUMBERS.filter(bool)),
        "year_cap": st.one_of(st.none(), NUMBERS.filter(bool)),
        "districts": st.booleans(),
    },
).filter(lambda d: any(d.get(k) for k in d) or any(k in d for k in ("per_hour", "day_cap")))


@given(rule_dicts)
def test_rule_items_round_trip(data: dict[str, object]) -> None:
    items = format_rules(data)
    if not items:
        return
    parsed = parse_rule_items(items)
    assert rules_from(merged(rules_dict(rules_from({})), parsed)) == rules_from(
        merged(rules_dict(rules_from({})), data)
    )


@given(rule_dicts)
def test_rule_items_typed_full_width_parse_the_same(data: dict[str, object]) -> None:
    items = format_rules(data)
    if not items:
        return
    typed = [i.translate(FULL_WIDTH) for i in items]
    assert parse_rule_items(typed) == parse_rule_items(items)


@given(st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_rule_garbage_is_a_chinese_refusal(items: list[str]) -> None:
    try:
        parse_rule_items(items)
    except ValidationError as exc:
        assert exc.code.startswith("points.") and exc.message
    # a random item can be valid (``wish=1``): then it parsed


@pytest.mark.parametrize(
    ("items", "said"),
    [
        (["per_hour"], "键=值"),
        (["per_hour=-1"], "负"),
        (["rating.很好=3"], "满意"),
        (["cap.day=0"], "none"),
        (["per_hour=1", "per_hour=2"], "两次"),
        (["speed=3"], "没有"),
    ],
)
def test_rule_mistakes_say_what_to_fix(items: list[str], said: str) -> None:
    with pytest.raises(ValidationError, match=said):
        parse_rule_items(items)


def test_districts_may_set_nothing_at_city_level_only() -> None:
    with pytest.raises(ValidationError, match="市级"):
        parse_rule_items(["districts=yes"], city=False)


hours = st.integers(min_value=1, max_value=48).map(lambda n: n / 2)


@given(
    st.lists(st.tuples(st.integers(0, 20), hours), min_size=1, max_size=30),
    st.one_of(st.none(), st.integers(1, 30)),
    st.one_of(st.none(), st.integers(1, 200)),
)
def test_caps_are_never_exceeded_and_points_never_negative(
    days: list[tuple[int, float]], day_cap: int | None, year_cap: int | None
) -> None:
    values = {"per_hour": 2.0, "day_cap": day_cap, "year_cap": year_cap}
    versions = [RuleVersion(1, None, date(2014, 1, 1), values)]
    earnings = [
        Earning(7, date(2014, 3, 1) + timedelta(days=d), PointsSource.ACTIVITY, i, hours=h)
        for i, (d, h) in enumerate(days)
    ]
    awards = price(earnings, versions, {7: None}, Earned())
    assert all(a.points >= 0 for a in awards)
    by_day: dict[date, float] = {}
    for a in awards:
        by_day[a.earning.day] = by_day.get(a.earning.day, 0) + a.points
    if day_cap is not None:
        assert all(v <= day_cap + 1e-9 for v in by_day.values())
    if year_cap is not None:
        assert sum(a.points for a in awards) <= year_cap + 1e-9
    if day_cap is None and year_cap is None:
        assert sum(a.points for a in awards) == pytest.approx(sum(h * 2 for _d, h in days))


def test_a_rule_applies_from_its_date_and_a_district_only_where_allowed() -> None:
    district = OrgCode(("008", "003"))
    versions = [
        RuleVersion(1, None, date(2014, 1, 1), {"per_hour": 1.0}),
        RuleVersion(2, district, date(2014, 6, 1), {"per_hour": 3.0}),
        RuleVersion(3, None, date(2014, 9, 1), {"per_hour": 2.0, "districts": True}),
    ]
    assert rules_on(versions, date(2013, 12, 31), district).rules.per_hour == 1.0  # defaults
    assert rules_on(versions, date(2014, 7, 1), district).rules.per_hour == 1.0  # not allowed yet
    effect = rules_on(versions, date(2014, 9, 2), district)
    assert (effect.rules.per_hour, effect.rule_id) == (3.0, 2)
    assert rules_on(versions, date(2014, 9, 2), OrgCode(("008", "001"))).rules.per_hour == 2.0


# -- nudge settings and quiet hours ----------------------------------------------------------

settings_items = st.fixed_dictionaries(
    {},
    optional={
        "no_service_days": st.integers(1, 365).map(str),
        "wish_days": st.integers(1, 60).map(str),
        "cap": st.integers(1, 20).map(str),
        "digest": st.sampled_from(["周一", "周三", "周日", "5"]),
        "quiet": st.sampled_from(["21:00-08:00", "22:30-07:00", "none", "12:00-13:30"]),
        "sheet_days": st.lists(st.integers(1, 30), min_size=1, max_size=3).map(
            lambda d: ",".join(map(str, d))
        ),
        "off": st.sampled_from(["none", "digest", "no_service,digest"]),
    },
).filter(bool)


@given(settings_items)
def test_nudge_settings_round_trip(values: dict[str, str]) -> None:
    chosen = parse_setting_items([f"{k}={v}" for k, v in values.items()])
    assert parse_setting_items(format_items(chosen)) == chosen


@given(st.lists(st.text(max_size=20), min_size=1, max_size=3))
def test_nudge_setting_garbage_is_a_chinese_refusal(items: list[str]) -> None:
    try:
        parse_setting_items(items)
    except ValidationError as exc:
        assert exc.code.startswith("nudge.") and exc.message


@given(
    st.datetimes(min_value=datetime(2014, 1, 1), max_value=datetime(2030, 1, 1)),
    st.sampled_from([(time(21), time(8)), (time(12), time(13, 30)), (time(0), time(0))]),
)
def test_a_message_is_never_sent_in_quiet_hours_nor_before_it_was_planned(
    moment: datetime, quiet: tuple[time, time]
) -> None:
    at = moment.replace(tzinfo=UTC)
    when = send_time(at, quiet)
    assert when >= at
    assert not in_quiet(when.astimezone(ZONE).time(), quiet)
    assert when - at <= timedelta(hours=24)


@given(st.integers(0, 400), st.integers(1, 60))
def test_a_lasting_condition_nudges_once_per_period(days: int, every: int) -> None:
    window = [d for d in range(days, days + every) if due_every(d, every)]
    assert len(window) == (1 if days + every - 1 >= every else 0)


def test_default_settings_are_what_the_guide_says() -> None:
    assert format_items(DEFAULT_SETTINGS) == [
        "no_service_days=30", "wish_days=3", "self_report_days=2", "sheet_days=10,3,1",
        "digest=周一", "quiet=21:00-08:00", "cap=2", "send_time=09:00", "off=none",
    ]  # fmt: skip
