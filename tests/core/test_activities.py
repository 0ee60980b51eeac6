"""Activity rows into Activity records: member lookup, dates, hours, ratings, locked sheets,
and the per-member per-day limit across a file."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core.activities import (
    ActivityContext,
    ActivityResult,
    KnownMember,
    MemberIndex,
    validate_activities,
    validate_activity,
)
from partyreg_core.forms import DataRow, FormKind, data_rows, find_header
from partyreg_core.ports import RawRow
from partyreg_core.records import Activity, Rating, Severity
from tests.strategies import TODAY, fullwidth

ZHANG = KnownMember("张三", "13912345678", frozenset({2023}))
LI = KnownMember("李四", "0517-83601234")
GOOD = {
    "name": "张三",
    "phone": "13912345678",
    "day": "2024-03-05",
    "content": "入户走访困难家庭",
    "place": "河下社区",
    "participants": "张三、李四",
    "hours": "2",
    "rating": "优",
}


def context(*members: KnownMember) -> ActivityContext:
    return ActivityContext(MemberIndex(members or (ZHANG, LI)), TODAY)


def row(number: int = 5, **changes: str) -> DataRow:
    return DataRow.of(FormKind.ACTIVITIES, number, {**GOOD, **changes})


def codes(result: ActivityResult) -> list[tuple[str, str | None]]:
    return [(i.code, i.column) for i in result.issues]


def test_a_good_row() -> None:
    result = validate_activity(
        row(name="张 三", phone="139-1234-5678", day="2024年3月5日"), context()
    )
    assert result.ok and result.issues == ()
    assert result.record == Activity(
        name="张三",
        phone="13912345678",
        day=date(2024, 3, 5),
        content="入户走访困难家庭",
        hours=2.0,
        rating=Rating.EXCELLENT,
        place="河下社区",
        participants="张三、李四",
    )
    assert result.record.year == 2024


def test_optional_columns() -> None:
    result = validate_activity(
        row(kind="党员奉献日", self_reported="是", place="", participants=""), context()
    )
    assert result.record is not None
    assert (result.record.kind, result.record.self_reported) == ("党员奉献日", True)
    assert (result.record.place, result.record.participants) == ("", "")


def test_every_issue_of_a_row_is_reported() -> None:
    result = validate_activity(
        row(day="2024-02-30", content="", hours="25", rating="差", self_reported="也许"), context()
    )
    assert codes(result) == [
        ("date.invalid", "年月日"),
        ("content.missing", "服务（活动）内容"),
        ("hours.invalid", "服务时间（小时）"),
        ("rating.invalid", "评价（优/良/一般）"),
        ("flag.invalid", "自报"),
    ]
    assert all(i.severity is Severity.ERROR for i in result.issues)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        ("2024-06-02", "date.future"),
        ("2013-12-31", "date.too_early"),
        ("", "date.missing"),
        ("3月5日", "date.invalid"),
    ],
)
def test_dates(day: str, code: str) -> None:
    assert codes(validate_activity(row(day=day), context())) == [(code, "年月日")]


def test_today_is_a_parameter() -> None:
    ctx = attrs.evolve(context(), today=date(2024, 3, 4))
    assert codes(validate_activity(row(), ctx)) == [("date.future", "年月日")]


def test_unknown_member() -> None:
    result = validate_activity(row(name="王五"), context())
    assert [(i.code, i.column, i.value) for i in result.issues] == [
        ("member.unknown", None, "王五 13912345678")
    ]
    assert "登记表" in result.issues[0].message


def test_member_found_by_normalised_phone() -> None:
    result = validate_activity(row(name="李四", phone="(0517)8360 1234"), context())
    assert result.record is not None and result.record.phone == "0517-83601234"


def test_a_confirmed_sheet_takes_no_activities_for_its_year() -> None:
    locked = validate_activity(row(day="2023-12-01"), context())
    assert codes(locked) == [("activity.locked", "年月日")]
    assert "2023" in locked.issues[0].message
    assert validate_activity(row(day="2024-01-02"), context()).ok


def test_bad_name_or_phone_skips_the_lookup() -> None:
    class Exploding:
        def find_member(self, name: str, phone: str) -> KnownMember | None:
            raise AssertionError("looked up")

    ctx = ActivityContext(Exploding(), TODAY)
    assert codes(validate_activity(row(phone="123"), ctx)) == [("phone.invalid", "联系方式")]


# ---------------------------------------------------------------------------------------------
# The whole file
# ---------------------------------------------------------------------------------------------


def test_at_most_24_hours_per_member_per_day() -> None:
    rows = [
        row(3, hours="10", content="一"),
        row(4, hours="10", content="二"),
        row(5, hours="4.5", content="三"),  # 24.5: too many
        row(6, hours="4", content="四"),  # 24: fine
        row(7, hours="10", day="2024-03-06"),  # another day
        row(8, hours="10", name="李四", phone="0517-83601234"),  # another member
    ]
    results = list(validate_activities(rows, context()))
    assert [r.ok for r in results] == [True, True, False, True, True, True]
    assert [(i.code, i.column, i.value) for i in results[2].issues] == [
        ("hours.day_total", "服务时间（小时）", "4.5")
    ]
    assert "第 3、4 行" in results[2].issues[0].message


def test_a_repeated_row_is_rejected_naming_the_earlier() -> None:
    results = list(
        validate_activities([row(3), row(4, hours="2.0", phone="139 1234 5678")], context())
    )
    assert results[0].ok
    assert [(i.code, i.row) for i in results[1].issues] == [("row.duplicate", 4)]
    assert "第 3 行" in results[1].issues[0].message


def test_each_member_is_looked_up_once() -> None:
    asked: list[tuple[str, str]] = []

    class Counting(MemberIndex):
        def find_member(self, name: str, phone: str) -> KnownMember | None:
            asked.append((name, phone))
            return super().find_member(name, phone)

    ctx = ActivityContext(Counting([ZHANG]), TODAY)
    rows = [
        row(n, content=f"第{n}次", name=name)
        for n, name in enumerate(["张三", "张 三", "王五", "王五"], 3)
    ]
    results = list(validate_activities(rows, ctx))
    assert [r.ok for r in results] == [True, True, False, False]
    assert asked == [("张三", "13912345678"), ("王五", "13912345678")]


def test_an_exported_feedback_sheet_reimports() -> None:
    rows = [
        RawRow(1, ("全市“在职党员回社区，亮明身份作表率”实绩反馈单",)),
        RawRow(2, ("姓名：张三", "单位：市民政局", "联系方式：13912345678")),
        RawRow(3, ("淮安区", "区（县）", "河下街道", "街道（乡镇）", "河下社区", "社区（盖章）")),
        RawRow(
            4,
            (
                "年月日",
                "服务（活动）内容",
                "服务地点",
                "参加人员",
                "服务时间（小时）",
                "评价\n\n（优/良/一般）",
            ),
        ),
        RawRow(5, ("2024-03-05", "入户走访", "河下社区", "", "2", "优")),
        RawRow(6, ("2024-03-09", "环境整治", "河下社区", "", "1.5", "良")),
        RawRow(7, ("", "", "", "", "", "")),
        RawRow(8, ("社区党组织书记认证签字：",)),
        RawRow(9, ("说明：社区工作指导员负责本表填写并交社区盖章",)),
    ]
    header = find_header(rows, FormKind.ACTIVITIES)
    results = list(validate_activities(data_rows(rows, header), context()))
    assert [(r.row, r.ok) for r in results] == [(5, True), (6, True)]
    assert [r.record.hours for r in results if r.record] == [2.0, 1.5]


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

activity_days = st.dates(min_value=date(2024, 1, 1), max_value=TODAY)


@settings(max_examples=60, deadline=None)
@given(
    activity_days,
    st.decimals(min_value="0.5", max_value="8", places=1),
    st.sampled_from(["优", "良", "一般", "优秀"]),
    st.booleans(),
)
def test_generated_rows_validate(day: date, hours: object, rating: str, wide: bool) -> None:
    cells = {"day": f"{day.year}/{day.month}/{day.day}", "hours": str(hours), "rating": rating}
    if wide:
        cells = {k: fullwidth(v) for k, v in cells.items()}
    result = validate_activity(row(**cells), context())
    assert result.record is not None
    assert result.record.day == day
    assert result.record.hours == float(str(hours))


CORRUPTIONS = {
    "name": st.sampled_from(["", "张3", "李"]),
    "phone": st.sampled_from(["", "123", "0517-83601234-8"]),
    "day": st.one_of(
        st.dates(min_value=TODAY + timedelta(days=1)).map(date.isoformat),
        st.sampled_from(["", "2024-02-30", "昨天"]),
    ),
    "content": st.sampled_from(["", "内" * 201]),
    "place": st.just("地" * 201),
    "participants": st.just("人" * 201),
    "hours": st.sampled_from(["", "0", "25", "两个", "-2"]),
    "rating": st.sampled_from(["", "差", "A"]),
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(CORRUPTIONS)), st.data())
def test_corrupting_one_cell_names_exactly_that_column(key: str, data: st.DataObject) -> None:
    broken = row(**{key: data.draw(CORRUPTIONS[key])})
    result = validate_activity(broken, context())
    assert result.record is None
    assert {i.column for i in result.issues} == {broken.column(key)}
