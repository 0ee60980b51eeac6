"""The one date parser: what operators type, Excel serials in sheet cells, and a refusal that
says how to write the date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.dates import parse_date
from partyreg_core.errors import ValidationError
from tests.strategies import fullwidth

PATTERNS = [
    "{y}-{m}-{d}",
    "{y}-{m:02d}-{d:02d}",
    "{y}/{m}/{d}",
    "{y}.{m}.{d}",
    "{y}。{m}。{d}",
    "{y}年{m}月{d}日",
    "{y}年{m:02d}月{d:02d}号",
    "{y} 年 {m} 月 {d} 日",
    "{y}{m:02d}{d:02d}",
    "{y}-{m:02d}-{d:02d} 00:00:00",
    "{y}-{m:02d}-{d:02d}T08:30",
]


@pytest.mark.parametrize(
    "typed",
    ["2014-9-15", "2014/9/15", "2014.9.15", "2014年9月15日", "20140915", "２０１４／９／１５",
     "２０１４年９月１５日", " 2014-09-15 "],
)  # fmt: skip
def test_the_forms_of_the_issue(typed: str) -> None:
    assert parse_date(typed) == date(2014, 9, 15)


@given(
    st.dates(min_value=date(1000, 1, 1), max_value=date(9998, 12, 31)),  # the years it reads
    st.sampled_from(PATTERNS),
    st.booleans(),
)
def test_every_form_reads_back_the_day(day: date, pattern: str, wide: bool) -> None:
    typed = pattern.format(y=day.year, m=day.month, d=day.day)
    assert parse_date(fullwidth(typed) if wide else typed) == day


@given(st.dates(min_value=date(1927, 5, 18), max_value=date(2173, 10, 14)))
def test_excel_serials_read_in_sheet_cells_only(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(str(serial), serial=True) == day
    assert parse_date(f"{serial}.25", serial=True) == day  # a time of day is dropped
    with pytest.raises(ValidationError, match="Excel 的日期序号"):
        parse_date(str(serial))  # an option is typed, never a serial


def test_a_known_serial() -> None:
    assert parse_date("41897", serial=True) == date(2014, 9, 15)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("2014-13-40", "没有 13 月"),
        ("2014-2-30", "2014 年 2 月没有 30 日（这个月只有 28 天）"),
        ("2016/2/30", "这个月只有 29 天"),
        ("2014-12-32", "这个月只有 31 天"),
        ("0000-01-01", "年份 0 不对"),
        ("明天", "无法识别"),
        ("14-9-15", "无法识别"),
        ("2014-9/15", "无法识别"),
    ],
)
def test_refusals_say_what_is_wrong_and_how_to_write_it(typed: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_date(typed, what="--on 的日期")
    assert caught.value.code == "date.invalid"
    assert says in caught.value.message and "2014-09-15" in caught.value.message
    assert caught.value.message.startswith("--on 的日期")


def test_an_empty_date_is_missing() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_date("  ")
    assert caught.value.code == "date.missing"


@given(st.text(max_size=30), st.booleans())
def test_any_text_is_a_date_or_a_chinese_refusal(text: str, serial: bool) -> None:
    try:
        day = parse_date(text, serial=serial)
    except ValidationError as exc:
        assert exc.code in ("date.missing", "date.invalid") and "请" in exc.message
    else:
        assert parse_date(day.isoformat()) == day


@given(
    st.dates(min_value=date(1000, 1, 1)),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=13, max_value=99),
)
def test_impossible_months_are_refused(day: date, d: int, month: int) -> None:
    with pytest.raises(ValidationError, match=f"没有 {month} 月"):
        parse_date(f"{day.year}-{month}-{d}")


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9998, 12, 31)))
def test_the_day_after_a_months_last_is_refused(day: date) -> None:
    last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
    with pytest.raises(ValidationError, match=f"只有 {last} 天"):
        parse_date(f"{day.year}-{day.month}-{last + 1}")
