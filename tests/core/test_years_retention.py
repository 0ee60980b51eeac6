"""The pure rules of years and retention: month-days, calendars, due dates, scrubbing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.ledger import SERVICE_HEADERS, MemberService
from partyreg_core.retention import (
    ANONYMOUS,
    DEFAULT_YEARS,
    anonymised_values,
    cutoff,
    is_due,
    member_subject,
    retention_years,
    scrub,
)
from partyreg_core.years import (
    SEED_MONTH_DAYS,
    calendar_for,
    calendar_from_json,
    calendar_json,
    check_year,
    parse_month_day,
)

real_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2000, 12, 31))


@given(real_days, st.sampled_from(["{m:02d}-{d:02d}", "{m}/{d}", "{m}月{d}日", " {m}.{d} "]))
def test_a_month_day_is_read_in_the_shapes_operators_type(day: date, shape: str) -> None:
    assert parse_month_day(shape.format(m=day.month, d=day.day)) == (day.month, day.day)


@given(st.text(max_size=8))
def test_anything_else_is_refused_or_a_real_month_day(text: str) -> None:
    try:
        month, day = parse_month_day(text)
    except ValidationError as exc:
        assert exc.code == "calendar.month_day"
    else:
        date(2000, month, day)


def test_the_seed_calendar_and_configured_ones() -> None:
    seed = calendar_for(2027)
    assert [d.due for d in seed.deadlines] == [
        date(2027, 8, 30), date(2027, 9, 10), date(2027, 9, 20), date(2027, 12, 20),
    ]  # fmt: skip
    assert calendar_for(2027, SEED_MONTH_DAYS) == seed
    moved = calendar_for(2027, {"routing": "9月12日"})
    assert moved.routing_due == date(2027, 9, 12) and moved.registration_due == date(2027, 8, 30)
    with pytest.raises(ValidationError) as order:
        calendar_for(2027, {"registration": "12-30"})
    assert order.value.code == "calendar.order"
    with pytest.raises(ValidationError) as unknown:
        calendar_for(2027, {"closing": "12-30"})
    assert unknown.value.code == "calendar.unknown"
    with pytest.raises(ValidationError):
        check_year(1999)


@given(st.integers(2000, 2200))
def test_a_calendar_survives_storing(year: int) -> None:
    calendar = calendar_for(year, {"registration": "02-29"})
    assert calendar_from_json(year, calendar_json(calendar)) == calendar
    assert calendar.registration_due.month == 2


@given(st.dates(min_value=date(2010, 1, 1), max_value=date(2100, 12, 31)), st.integers(1, 10))
def test_due_exactly_when_the_period_is_over(on: date, years: int) -> None:
    last = cutoff(on, years)
    assert is_due(last, on, years)
    assert not is_due(last + timedelta(days=1), on, years)
    assert not is_due(None, on, years)
    assert (on.year - last.year) == years


def test_the_period_setting() -> None:
    assert retention_years(None) == DEFAULT_YEARS == 3
    assert retention_years("5") == 5
    for bad in (0, 101, "x", True, 2.5):
        with pytest.raises(ValidationError):
            retention_years(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(0, 50) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["id", "member_id", "name", "phone", "address", "posts", "x", "members"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(json_values, st.sets(st.integers(0, 50), max_size=5), st.booleans())
def test_scrubbing_is_idempotent_and_leaves_other_data_alone(
    data: object, ids: set[int], by_id: bool
) -> None:
    once = scrub(data, ids, id_means_member=by_id)
    assert scrub(once, ids, id_means_member=by_id) == once
    assert scrub(data, set(), id_means_member=by_id) == data  # nobody to scrub: unchanged
    whole = scrub(data, ids, whole=True)
    assert scrub(whole, ids, whole=True) == whole


def test_scrubbing_an_import_entry_and_a_member_entry() -> None:
    entry = {
        "new": [1, 2],
        "changed": [
            {"id": 7, "before": {"phone": "13912345678"}, "after": {"phone": "13912345670"}},
            {"id": 8, "before": {"name": "李四"}, "after": {"name": "李 四"}},
        ],
        "members": [{"id": 7, "name": "张三", "unit_code": "008.010"}],
        "change": {"member_id": 7, "name": "张三", "to": "淮安区/淮城街道/河下社区"},
    }
    out = scrub(entry, {7}, id_means_member=True)
    text = json.dumps(out, ensure_ascii=False)
    assert "13912345678" not in text and "张三" not in text
    assert "李四" in text  # member 8 is not anonymised
    assert out["members"][0]["unit_code"] == "008.010"  # not personal: statistics keep it
    assert out["change"]["to"] == "淮安区/淮城街道/河下社区"
    member = {"specialty": "书法", "unit_and_title": "市民政局科长", "posts": ["3"]}
    assert scrub(member, {7}, whole=True) == {
        "specialty": ANONYMOUS,
        "unit_and_title": ANONYMOUS,
        "posts": ["3"],
    }
    assert member_subject("member:7") == 7 and member_subject("batch:7") is None


def test_anonymised_values_keep_people_distinct() -> None:
    assert anonymised_values(1)["phone"] != anonymised_values(2)["phone"]
    assert set(anonymised_values(1)) == {"name", "phone", "address", "unit_and_title", "specialty"}


def test_service_cells_follow_the_headers() -> None:
    s = MemberService(1, "张三", "13912345678", 2014, 3.5, 2, 1, 1, 0)
    assert dict(zip(SERVICE_HEADERS, s.cells(), strict=True)) == {
        "服务年度": "2014", "服务总时长（小时）": "3.5", "活动次数": "2",
        "评价为优": "1", "评价为良": "1", "评价为一般": "0",
    }  # fmt: skip
