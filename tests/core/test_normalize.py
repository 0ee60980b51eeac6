"""Cell normalisers: exact stored forms, exact error codes, and properties (idempotent, valid
values round-trip, full-width variants agree, garbage always yields a problem)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.normalize import (
    Rank,
    is_mobile,
    normalize_date,
    normalize_flag,
    normalize_gender,
    normalize_hours,
    normalize_name,
    normalize_phone,
    normalize_qq_group,
    normalize_rank,
    normalize_rating,
    normalize_report_type,
    normalize_text,
)
from partyreg_core.records import Gender, Rating, ReportType
from tests.strategies import (
    TODAY,
    fullwidth,
    invalid_names,
    invalid_phones,
    text_strategy,
    typed_latin_names,
    typed_names,
    typed_phones,
)

STORED_PHONE = re.compile(r"1[3-9]\d{9}|0(?:10|2\d|[3-9]\d\d)-[2-9]\d{6,7}")


def code_of(normalizer: Callable[[str], object], text: str) -> str:
    with pytest.raises(ValidationError) as info:
        normalizer(text)
    assert info.value.message, "every problem has a Chinese message"
    return info.value.code


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("+86-13912345678", "13912345678"),
        ("008613912345678", "13912345678"),
        ("8613912345678", "13912345678"),
        ("13912345678.0", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("＋８６　１３９—１２３４—５６７８", "13912345678"),
        ("0517-83601234", "0517-83601234"),
        ("051783601234", "0517-83601234"),
        ("0517 8360 1234", "0517-83601234"),
        ("(0517)83601234", "0517-83601234"),
        ("（0517）83601234", "0517-83601234"),
        ("0517-8360123", "0517-8360123"),
        ("010-62345678", "010-62345678"),
        ("02583601234", "025-83601234"),
        ("+86 517 83601234", "0517-83601234"),
        ("+86 0517 83601234", "0517-83601234"),
        ("０５１７－８３６０１２３４", "0517-83601234"),
        ("\u200b13912345678\u200b", "13912345678"),
    ],
)
def test_phone_stored_forms(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "phone.missing"),
        ("   ", "phone.missing"),
        ("12912345678", "phone.invalid"),
        ("1391234567", "phone.invalid"),
        ("139123456789", "phone.invalid"),
        ("83601234", "phone.invalid"),
        ("无", "phone.invalid"),
        ("13912345678/13812345678", "phone.invalid"),
        ("13912345678，13812345678", "phone.invalid"),
        ("0517-83601234-801", "phone.extension"),
        ("0517-83601234转801", "phone.extension"),
        ("0517-83601234 ext 8", "phone.extension"),
        ("0517-83601234#8", "phone.extension"),
        ("13912345678 x2", "phone.extension"),
        ("51783601234", "phone.numeric"),
        ("1.39123E+10", "phone.numeric"),
        ("400-800-1234", "phone.invalid"),
        ("0000-83601234", "phone.invalid"),
    ],
)
def test_phone_problems(typed: str, code: str) -> None:
    assert code_of(normalize_phone, typed) == code


def test_a_landline_without_area_code_says_how_to_fix() -> None:
    with pytest.raises(ValidationError, match="区号"):
        normalize_phone("83601234")


@given(typed_phones)
def test_valid_phones_store_their_number(case: tuple[str, str]) -> None:
    typed, stored = case
    assert normalize_phone(typed) == stored
    assert normalize_phone(stored) == stored  # idempotent
    assert normalize_phone(fullwidth(typed)) == stored
    assert is_mobile(stored) == ("-" not in stored)


@given(invalid_phones)
def test_invalid_phones_are_refused(typed: str) -> None:
    assert code_of(normalize_phone, typed).startswith("phone.")


@given(text_strategy())
@example("+86")
@example("()")
@example("-")
@example("0")
def test_phone_garbage_never_crashes(text: str) -> None:
    try:
        stored = normalize_phone(text)
    except ValidationError as exc:
        assert exc.code.startswith("phone.")
    else:
        assert STORED_PHONE.fullmatch(stored), stored
        assert normalize_phone(stored) == stored


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("张三", "张三"),
        ("张 三", "张三"),
        (" 张　三 ", "张三"),
        ("欧阳 娜 娜", "欧阳娜娜"),
        ("阿卜杜·热合曼", "阿卜杜·热合曼"),
        ("阿卜杜•热合曼", "阿卜杜·热合曼"),
        ("阿卜杜・热合曼", "阿卜杜·热合曼"),
        ("阿卜杜･热合曼", "阿卜杜·热合曼"),
        ("阿卜杜‧热合曼", "阿卜杜·热合曼"),
        ("阿卜杜 · 热合曼", "阿卜杜·热合曼"),
        ("𠀋𠀍", "𠀋𠀍"),  # Ext B
        ("John Smith", "John Smith"),
        ("John   Smith", "John Smith"),
        ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHN SMITH"),
        ("José Ñúñez", "José Ñúñez"),
        ("李" * 30, "李" * 30),
    ],
)
def test_name_stored_forms(typed: str, stored: str) -> None:
    assert normalize_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "name.missing"),
        ("　", "name.missing"),
        ("李", "name.invalid"),
        ("李" * 31, "name.invalid"),
        ("张3", "name.invalid"),
        ("张三1", "name.invalid"),
        ("张\u200b三", "name.invalid"),
        ("张\u202e三", "name.invalid"),
        ("张\x07三", "name.invalid"),
        ("张三（退休）", "name.invalid"),
        ("张San", "name.invalid"),
        ("阿卜杜.热合曼", "name.invalid"),
        ("·热合曼", "name.invalid"),
        ("阿卜杜··热合曼", "name.invalid"),
        ("John-Smith", "name.invalid"),
        ("John2", "name.invalid"),
        ("Иван", "name.invalid"),
        ("=HYPERLINK(1)", "name.invalid"),
    ],
)
def test_name_problems(typed: str, code: str) -> None:
    assert code_of(normalize_name, typed) == code


@given(typed_names)
def test_valid_names_store_their_form(case: tuple[str, str]) -> None:
    typed, stored = case
    assert normalize_name(typed) == stored
    assert normalize_name(stored) == stored


@given(typed_latin_names())
def test_full_width_latin_names_agree(case: tuple[str, str]) -> None:
    typed, stored = case
    assert normalize_name(fullwidth(typed)) == stored


@given(invalid_names())
def test_poisoned_names_are_refused(typed: str) -> None:
    assert code_of(normalize_name, typed) == "name.invalid"


@given(st.text(max_size=40))
def test_name_garbage_never_crashes(text: str) -> None:
    try:
        stored = normalize_name(text)
    except ValidationError as exc:
        assert exc.code in ("name.invalid", "name.missing")
    else:
        assert 2 <= len(stored) <= 30
        assert normalize_name(stored) == stored
        assert not any(ch.isdigit() for ch in stored)


# ---------------------------------------------------------------------------------------------
# Gender, rating, report type, rank, flags, QQ groups
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("男", Gender.MALE),
        (" 女 ", Gender.FEMALE),
        ("男性", Gender.MALE),
        ("女\u200b", Gender.FEMALE),
    ],
)
def test_gender(typed: str, value: Gender) -> None:
    assert normalize_gender(typed) is value
    assert normalize_gender(value.value) is value


@pytest.mark.parametrize(("typed", "code"), [("", "gender.missing"), ("M", "gender.invalid")])
def test_gender_problems(typed: str, code: str) -> None:
    assert code_of(normalize_gender, typed) == code


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("优", Rating.EXCELLENT),
        ("优秀", Rating.EXCELLENT),
        ("良 ", Rating.GOOD),
        ("一般", Rating.FAIR),
    ],
)
def test_rating(typed: str, value: Rating) -> None:
    assert normalize_rating(typed) is value
    assert normalize_rating(value.value) is value


@pytest.mark.parametrize(("typed", "code"), [("", "rating.missing"), ("差", "rating.invalid")])
def test_rating_problems(typed: str, code: str) -> None:
    assert code_of(normalize_rating, typed) == code


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("", ReportType.RESIDENCE),
        ("居住地", ReportType.RESIDENCE),
        ("工作所在地", ReportType.WORKPLACE),
        ("其它", ReportType.OTHER),
        ("工作联系点", ReportType.CONTACT_POINT),
    ],
)
def test_report_type(typed: str, value: ReportType) -> None:
    assert normalize_report_type(typed) is value
    assert normalize_report_type(value.value) is value


def test_report_type_problem() -> None:
    assert code_of(normalize_report_type, "出差地") == "report_type.invalid"


@pytest.mark.parametrize(
    ("typed", "rank", "county"),
    [
        ("科员", Rank.BELOW_COUNTY, False),
        ("四级主任科员", Rank.BELOW_COUNTY, False),
        ("副县级", Rank.COUNTY_DEPUTY, True),
        ("正处", Rank.COUNTY, True),
        ("二级调研员", Rank.COUNTY, True),
        ("副厅", Rank.BUREAU_DEPUTY, True),
        ("一级巡视员", Rank.BUREAU, True),
        ("省部级", Rank.PROVINCE, True),
    ],
)
def test_rank(typed: str, rank: Rank, county: bool) -> None:
    assert normalize_rank(typed) is rank
    assert normalize_rank(rank.value) is rank
    assert rank.at_least_county is county


def test_rank_empty_and_unknown() -> None:
    assert normalize_rank(" ") is None
    assert code_of(normalize_rank, "处长级别") == "rank.invalid"


@pytest.mark.parametrize(
    ("typed", "value"), [("", False), ("是", True), ("Y", True), ("否", False)]
)
def test_flag(typed: str, value: bool) -> None:
    assert normalize_flag(typed) is value


def test_flag_problem() -> None:
    assert code_of(normalize_flag, "也许") == "flag.invalid"


@pytest.mark.parametrize(
    ("typed", "stored"), [("", ""), ("123456789", "123456789"), ("12345.0", "12345")]
)
def test_qq_group(typed: str, stored: str) -> None:
    assert normalize_qq_group(typed) == stored
    assert normalize_qq_group(stored) == stored


@pytest.mark.parametrize("typed", ["1234", "0123456", "123456789012", "QQ群"])
def test_qq_group_problems(typed: str) -> None:
    assert code_of(normalize_qq_group, typed) == "qq.invalid"


# ---------------------------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  书法  ", "书法"),
        ("书法\n绘画", "书法 绘画"),
        ("书法\r\n\r\n绘画", "书法 绘画"),
        ("书\u200b法\u202e", "书法"),
        ("书法\x00", "书法"),
        ("ＡＢＣ１２３", "ABC123"),
        ("淮安区  河下", "淮安区 河下"),
        ("", ""),
    ],
)
def test_text_stored_forms(typed: str, stored: str) -> None:
    assert normalize_text(typed) == stored


def test_text_length_limit() -> None:
    assert normalize_text("字" * 200) == "字" * 200
    assert code_of(normalize_text, "字" * 201) == "text.too_long"
    assert normalize_text("字" * 200 + "\u200b\u200b ") == "字" * 200


@given(st.text(max_size=250))
def test_text_is_idempotent_and_clean(text: str) -> None:
    try:
        stored = normalize_text(text)
    except ValidationError as exc:
        assert exc.code == "text.too_long"
    else:
        assert normalize_text(stored) == stored
        assert len(stored) <= 200
        assert stored == stored.strip()
        assert not any(ord(ch) < 32 for ch in stored)
        assert normalize_text(fullwidth(text)) == stored


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "2024-03-05",
        "2024-3-5",
        "2024/3/5",
        "2024/03/05",
        "2024.3.5",
        "2024年3月5日",
        "2024年03月05日",
        "2024年3月5号",
        "2024 年 3 月 5 日",
        "２０２４年３月５日",
        "２０２４－０３－０５",
        "2024-03-05 00:00:00",
        "2024-03-05T00:00:00",
        "2024-03-05 14:30",
        "20240305",
        "2024。3。5",
    ],
)
def test_date_formats(typed: str) -> None:
    assert normalize_date(typed, today=TODAY) == date(2024, 3, 5)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "date.missing"),
        ("2024-02-30", "date.invalid"),
        ("2023-02-29", "date.invalid"),
        ("2024-13-01", "date.invalid"),
        ("2024-3/5", "date.invalid"),
        ("24-3-5", "date.invalid"),
        ("12345678", "date.invalid"),
        ("4535", "date.invalid"),
        ("三月五日", "date.invalid"),
        ("2024-06-02", "date.future"),
        ("2025-01-01", "date.future"),
    ],
)
def test_date_problems(typed: str, code: str) -> None:
    assert code_of(lambda t: normalize_date(t, today=TODAY), typed) == code


def test_today_is_allowed_and_earliest_is_enforced() -> None:
    assert normalize_date("2024-06-01", today=TODAY) == TODAY
    assert normalize_date("2024-02-29", today=TODAY) == date(2024, 2, 29)
    early = date(2014, 1, 1)
    assert code_of(lambda t: normalize_date(t, today=TODAY, earliest=early), "2004-3-5") == (
        "date.too_early"
    )


def test_an_excel_serial_in_a_sheet_cell_is_a_date() -> None:
    # A date cell formatted as a number shows its serial: 45356 is 2024-03-05.
    assert normalize_date("45356", today=TODAY) == date(2024, 3, 5)
    assert normalize_date("45356.5", today=TODAY) == date(2024, 3, 5)


days = st.dates(min_value=date(2014, 1, 1), max_value=TODAY)


@given(
    days, st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日"])
)
def test_dates_round_trip_in_every_format(day: date, pattern: str) -> None:
    typed = pattern.format(y=day.year, m=day.month, d=day.day)
    assert normalize_date(typed, today=TODAY) == day
    assert normalize_date(fullwidth(typed), today=TODAY) == day
    assert normalize_date(day.isoformat(), today=TODAY) == day


# the parser takes years up to 9998 (a later one is "invalid", not "future")
@given(st.dates(min_value=TODAY + timedelta(days=1), max_value=date(9998, 12, 31)))
def test_future_dates_are_refused(day: date) -> None:
    assert code_of(lambda t: normalize_date(t, today=TODAY), day.isoformat()) == "date.future"


@given(text_strategy())
def test_date_garbage_never_crashes(text: str) -> None:
    try:
        day = normalize_date(text, today=TODAY)
    except ValidationError as exc:
        assert exc.code in ("date.missing", "date.invalid", "date.future")
    else:
        assert day <= TODAY
        assert normalize_date(day.isoformat(), today=TODAY) == day


# ---------------------------------------------------------------------------------------------
# Hours
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "hours"),
    [
        ("2", 2.0),
        ("1.5", 1.5),
        ("1.5小时", 1.5),
        ("2h", 2.0),
        ("２．５", 2.5),
        ("24", 24.0),
        (".5", 0.5),
        ("2.0", 2.0),
        ("1.333", 1.33),
    ],
)
def test_hours(typed: str, hours: float) -> None:
    assert normalize_hours(typed) == hours


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "hours.missing"),
        ("0", "hours.invalid"),
        ("0.001", "hours.invalid"),
        ("-1", "hours.invalid"),
        ("24.5", "hours.invalid"),
        ("25", "hours.invalid"),
        ("两小时", "hours.invalid"),
        ("nan", "hours.invalid"),
        ("inf", "hours.invalid"),
        ("1e1", "hours.invalid"),
        ("2-3", "hours.invalid"),
    ],
)
def test_hours_problems(typed: str, code: str) -> None:
    assert code_of(normalize_hours, typed) == code


@given(st.decimals(min_value="0.01", max_value="24", places=2))
def test_hours_round_trip(value: object) -> None:
    text = str(value)
    hours = normalize_hours(text)
    assert hours == float(text)
    assert normalize_hours(str(hours)) == hours
    assert normalize_hours(fullwidth(text)) == hours


@given(text_strategy())
def test_hours_garbage_never_crashes(text: str) -> None:
    try:
        hours = normalize_hours(text)
    except ValidationError as exc:
        assert exc.code in ("hours.missing", "hours.invalid")
    else:
        assert 0 < hours <= 24
        assert normalize_hours(str(hours)) == hours


@pytest.mark.parametrize(
    "normalizer",
    [
        normalize_gender,
        normalize_rating,
        normalize_report_type,
        normalize_rank,
        normalize_flag,
        normalize_qq_group,
    ],
)
@given(text=text_strategy())
def test_enum_garbage_never_crashes(normalizer: Callable[[str], object], text: str) -> None:
    try:
        value = normalizer(text)
    except ValidationError as exc:
        assert exc.code.endswith((".invalid", ".missing"))
    else:
        if value is not None and not isinstance(value, bool):
            assert normalizer(str(value)) == value


@pytest.mark.parametrize("typed", ["-1", "1e9", "+30", "-0.5", "2E2"])
def test_hours_that_are_numbers_out_of_range_say_the_range(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_hours(typed)
    assert "应在 0 到 24 小时之间" in caught.value.message
    assert "不是数字" not in caught.value.message


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: not 0 < v <= 24))
def test_any_number_out_of_range_is_refused_with_the_range(value: float) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_hours(repr(value))
    assert caught.value.code == "hours.invalid"
    assert "不是数字" not in caught.value.message
