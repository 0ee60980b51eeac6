"""Reading a sheet: finding the header row under titles, telling the kind, mapping columns by
text (never by position), and yielding data rows without blanks and notes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.forms import (
    FORMS,
    MAX_TITLE_ROWS,
    DataRow,
    FormKind,
    data_rows,
    find_header,
    is_note,
    match_key,
)
from partyreg_core.ports import RawRow
from partyreg_core.records import Severity

# 附表1 exactly as the seed prints it: title, the 单位 line, then the header with its
# irregular spacing.
SEED_TITLE = "全市“在职党员回社区，亮明身份作表率”活动参与党员信息登记表"
SEED_HEADER = (
    "单位代码",
    "姓 名",
    "性别",
    "单位及职务",
    "特长",
    "认领岗位",
    "联系方式",
    "常住住址",
    "报到\n社区",
    "社区所属街道、乡镇",
    "所属",
)
KEYS = (
    "unit_code",
    "name",
    "gender",
    "unit_and_title",
    "specialty",
    "posts",
    "phone",
    "address",
    "community",
    "street",
    "district",
)
MEMBER = (
    "008.010.001",
    "张三",
    "男",
    "市民政局 科员",
    "书法",
    "3、8",
    "13912345678",
    "河下古镇1号",
    "河下社区",
    "河下街道",
    "淮安区",
)


def sheet(*rows: Sequence[str], start: int = 1) -> list[RawRow]:
    return [RawRow(start + i, tuple(cells)) for i, cells in enumerate(rows)]


def seed_sheet(*data: Sequence[str]) -> list[RawRow]:
    return sheet(
        (SEED_TITLE,),
        ("单位：", "", "", "", "", "", "", "", "年  月  日"),
        SEED_HEADER,
        *data,
    )


# ---------------------------------------------------------------------------------------------
# Finding the header
# ---------------------------------------------------------------------------------------------


def test_the_seed_form_header_is_found_below_its_titles() -> None:
    header = find_header(seed_sheet(MEMBER))
    assert header.kind is FormKind.REGISTRATIONS
    assert header.row == 3
    assert dict(header.columns) == {key: i for i, key in enumerate(KEYS)}
    assert header.issues == ()
    assert header.ok
    assert header.written("community") == "报到\n社区"
    assert header.written("name") == "姓 名"
    assert header.written("report_type") == "报到类型"  # absent: the form's own label


def test_blank_rows_above_the_header_are_skipped() -> None:
    rows = sheet((), ("", " "), (SEED_TITLE,), (), SEED_HEADER, MEMBER)
    assert find_header(rows).row == 5


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("所属县区", "district"),
        ("县区", "district"),
        ("联系电话", "phone"),
        ("手机", "phone"),
        ("手机号码", "phone"),
        ("街道", "street"),
        ("街道（乡镇）", "street"),
        ("街道(乡镇)", "street"),
        ("报到社区名称", "community"),
        ("报 到 社 区", "community"),
        ("\u3000单位代码\u3000", "unit_code"),
        ("ｓ", None),
    ],
)
def test_header_variants(written: str, key: str | None) -> None:
    header = list(SEED_HEADER)
    target = KEYS.index(key) if key is not None else 0
    header[target] = written
    found = find_header(sheet(header), FormKind.REGISTRATIONS)
    if key is None:
        assert [i.code for i in found.errors] == ["header.missing"]
    else:
        assert found.columns[key] == target
        assert found.ok
        assert found.written(key) == written.strip()


@settings(max_examples=60)
@given(
    st.permutations(range(11)),
    st.lists(st.sampled_from(["", " ", "\n", "\u3000"]), min_size=11, max_size=11),
)
def test_columns_are_matched_by_text_never_by_position(order: list[int], spaces: list[str]) -> None:
    header = [SEED_HEADER[i][:1] + spaces[i] + SEED_HEADER[i][1:] for i in order]
    member = [MEMBER[i] for i in order]
    rows = sheet((SEED_TITLE,), header, member)
    found = find_header(rows)
    assert found.kind is FormKind.REGISTRATIONS
    assert found.ok
    for position, original in enumerate(order):
        assert found.columns[KEYS[original]] == position
    (row,) = data_rows(rows, found)
    assert row.values == dict(zip(KEYS, MEMBER, strict=True))
    assert row.number == 3


def test_a_missing_column_is_named() -> None:
    header = [h for h in SEED_HEADER if h not in ("性别", "所属")]
    found = find_header(sheet(header), FormKind.REGISTRATIONS)
    assert not found.ok
    assert [(i.code, i.column, i.value, i.row) for i in found.errors] == [
        ("header.missing", None, "性别", 1),
        ("header.missing", None, "所属", 1),
    ]
    assert "所属县区" in found.errors[1].message  # tells the variants


def test_a_doubled_column_is_named() -> None:
    found = find_header(sheet([*SEED_HEADER, "手机"]))
    assert [(i.code, i.column, i.severity) for i in found.issues] == [
        ("header.duplicate", "手机", Severity.ERROR)
    ]
    assert "联系方式" in found.issues[0].message


def test_an_extra_column_is_a_warning() -> None:
    found = find_header(sheet([*SEED_HEADER, "备 注", ""]))
    assert found.ok
    assert [(i.code, i.column, i.severity) for i in found.issues] == [
        ("header.extra", "备 注", Severity.WARNING)
    ]
    assert found.warnings == found.issues


def test_optional_columns() -> None:
    found = find_header(sheet(["职级", *SEED_HEADER, "报到类型"]))
    assert found.ok
    assert found.columns["rank"] == 0
    assert found.columns["report_type"] == 12
    assert found.columns["unit_code"] == 1


def test_no_header_is_refused() -> None:
    rows = sheet((SEED_TITLE,), ("单位：", "年 月 日"), MEMBER, MEMBER)
    with pytest.raises(ValidationError) as info:
        find_header(rows)
    assert info.value.code == "header.not_found"


def test_the_header_is_looked_for_only_near_the_top() -> None:
    rows = sheet(*[(f"标题{i}",) for i in range(MAX_TITLE_ROWS)], SEED_HEADER)
    with pytest.raises(ValidationError, match="表头"):
        find_header(rows)


def test_the_wrong_kind_is_named() -> None:
    with pytest.raises(ValidationError) as info:
        find_header(sheet(SEED_HEADER), FormKind.ACTIVITIES)
    assert info.value.code == "header.not_found"
    assert "--kind registrations" in info.value.message


# ---------------------------------------------------------------------------------------------
# The other kinds, detected from their headers as the seed prints them
# ---------------------------------------------------------------------------------------------

DIRECTORY_HEADER = (
    "县区",
    "街道",
    "社区",
    "接收报到\n\n电话",
    "接收报到\n\nQQ群号",
    "党组织书记\n\n姓  名",
    "手机",
    "地   址",
)
ACTIVITY_HEADER = (
    "姓名",
    "联系方式",
    "年月日",
    "服务（活动）内容",
    "服务地点",
    "参加人员",
    "服务时间（小时）",
    "评价\n\n（优/良/一般）",
)


def test_directory_is_detected() -> None:
    found = find_header(sheet(("全市城市社区通讯录",), DIRECTORY_HEADER))
    assert found.kind is FormKind.DIRECTORY
    assert found.ok
    assert list(found.columns) == [c.key for c in FORMS[FormKind.DIRECTORY].required]
    assert found.columns["qq_group"] == 4


def test_directory_with_district_code_and_lower_case_qq() -> None:
    header = [*DIRECTORY_HEADER[:4], "接收报到qq群号", *DIRECTORY_HEADER[5:], "县区代码"]
    found = find_header(sheet(header))
    assert found.kind is FormKind.DIRECTORY
    assert found.columns["qq_group"] == 4
    assert found.columns["district_code"] == 8


def test_activities_are_detected_with_variants() -> None:
    header = ["姓名", "手机号码", "日期", "活动内容", "服务地点", "参与人员", "时长", "评价"]
    found = find_header(sheet(header))
    assert found.kind is FormKind.ACTIVITIES
    assert found.ok
    assert found.columns["day"] == 2


def test_codes_are_detected_in_pairs() -> None:
    rows = sheet(
        ("单位党组织代码表",),
        ("单位党组织", "代码", "单位党组织名称", "代码"),
        ("清河区委", "008.001", "中共淮安市委教育工委", "008.011"),
        ("清浦区委", "008.002", "", ""),
        ("", "", "淮阴师范学院", "008.018"),
        ("说明：各地组织部门……",),
    )
    found = find_header(rows)
    assert found.kind is FormKind.CODES
    assert found.ok
    assert [dict(g) for g in found.groups] == [{"name": 0, "code": 1}, {"name": 2, "code": 3}]
    records = [(r.number, r.values["name"], r.values["code"]) for r in data_rows(rows, found)]
    assert records == [
        (3, "清河区委", "008.001"),
        (3, "中共淮安市委教育工委", "008.011"),
        (4, "清浦区委", "008.002"),
        (5, "淮阴师范学院", "008.018"),
    ]
    second = list(data_rows(rows, found))[1]
    assert second.column("name") == "单位党组织名称"


def test_codes_with_a_pair_missing_its_code() -> None:
    found = find_header(sheet(("单位党组织", "代码", "名称")), FormKind.CODES)
    assert [(i.code, i.value) for i in found.errors] == [("header.missing", "代码")]
    assert len(found.groups) == 1


def test_codes_without_code_column() -> None:
    with pytest.raises(ValidationError):
        find_header(sheet(("单位党组织", "名称")), FormKind.CODES)


# ---------------------------------------------------------------------------------------------
# Data rows
# ---------------------------------------------------------------------------------------------


def test_blank_and_note_rows_are_skipped_everything_else_is_judged() -> None:
    other = ("008.010.002", "李四", *MEMBER[2:])
    half = ("", "王五", "女")
    rows = seed_sheet(
        MEMBER,
        (),
        ("", "", "\u200b", " "),
        other,
        half,
        (*SEED_HEADER, "", ""),  # the header repeated on a second printed page
        (
            "",
            "说明：1、本表WORD版仅用于文件印刷",
        ),
        ("注：认领岗位只需填写代码",),
        ("填表人：赵六", "", "审核人：钱七"),
        ("审核人：钱七",),
        ("联系电话：0517-83601234",),
        ("008.010.001", "孙八", *MEMBER[2:]),  # after the notes: still read
    )
    header = find_header(rows)
    found = list(data_rows(rows, header))
    assert [r.number for r in found] == [4, 7, 8, 15]
    assert found[2].values["name"] == "王五"
    assert found[2].values["phone"] == ""  # short rows read as empty cells
    assert all(isinstance(r, DataRow) and r.kind is FormKind.REGISTRATIONS for r in found)
    assert found[0].column("community") == "报到\n社区"


def test_one_iterator_serves_both_steps() -> None:
    rows = iter(seed_sheet(MEMBER, MEMBER))
    header = find_header(rows)
    assert [r.number for r in data_rows(rows, header)] == [4, 5]


def test_data_rows_skip_everything_down_to_the_header() -> None:
    rows = seed_sheet(MEMBER)
    header = find_header(rows)
    assert [r.number for r in data_rows(rows, header)] == [4]


@pytest.mark.parametrize(
    ("cells", "note"),
    [
        (("注：",), True),
        (("", "说明"), True),
        (("填表人：张三",), True),
        (("审核人",), True),
        (("联系电话：0517-1",), True),
        (("008.001", "注意"), False),
        (("张三",), False),
        (("社区党组织书记认证签字：",), False),
    ],
)
def test_is_note(cells: tuple[str, ...], note: bool) -> None:
    assert is_note(cells) is note


def test_activity_sheet_signature_line_is_a_note() -> None:
    assert is_note(("社区党组织书记认证签字：",), FORMS[FormKind.ACTIVITIES])


def test_exported_feedback_sheet_names_its_member_above_the_header() -> None:
    rows = sheet(
        ("全市“在职党员回社区，亮明身份作表率”实绩反馈单",),
        ("姓名：张三　单位：市民政局　联系方式：139 1234 5678",),
        ("淮安区 区（县） 河下街道 街道（乡镇） 河下社区 社区（盖章）",),
        ACTIVITY_HEADER[2:],
        ("2024-03-05", "入户走访", "河下社区", "张三、李四", "2", "优"),
        ("社区党组织书记认证签字：",),
        ("说明：社区工作指导员负责本表填写",),
    )
    header = find_header(rows, FormKind.ACTIVITIES)
    assert header.ok
    assert dict(header.defaults) == {"name": "张三", "phone": "139 1234 5678"}
    (row,) = data_rows(rows, header)
    assert row.values["name"] == "张三"
    assert row.values["phone"] == "139 1234 5678"
    assert row.values["hours"] == "2"


def test_member_line_in_separate_cells() -> None:
    rows = sheet(("姓名:", "张三", "联系方式:", "0517-83601234"), ACTIVITY_HEADER[2:])
    header = find_header(rows, FormKind.ACTIVITIES)
    assert dict(header.defaults) == {"name": "张三", "phone": "0517-83601234"}


def test_activity_sheet_without_member_is_missing_columns() -> None:
    header = find_header(sheet(ACTIVITY_HEADER[2:]), FormKind.ACTIVITIES)
    assert [i.value for i in header.errors] == ["姓名", "联系方式"]


def test_every_form_has_distinct_header_keys() -> None:
    for form in FORMS.values():
        keys = [k for c in form.columns for k in c.match_keys]
        assert len(keys) == len(set(keys)), form.kind
        assert all(k == match_key(k) for k in keys)
