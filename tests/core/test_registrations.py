"""附表1 rows into Registration records: every issue of a row, exact codes and columns, the
community and post rules, and the whole-file duplicate rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from partyreg_core.forms import DataRow, FormKind, data_rows, find_header
from partyreg_core.orgcodes import OrgCode, OrgUnit, parse_code
from partyreg_core.ports import RawRow
from partyreg_core.records import CommunityRef, Gender, Registration, ReportType, Severity
from partyreg_core.registrations import (
    RegistrationResult,
    _pack_first,
    _phone_key,
    _unpack_first,
    check_duplicates,
    validate_registration,
    validate_registrations,
)
from tests.strategies import (
    CORRUPTIONS,
    TODAY,
    GeneratedRow,
    World,
    corrupt,
    registration_rows,
    world,
)

GOOD: dict[str, str] = {
    "unit_code": "008.010.001",
    "name": "张三",
    "gender": "男",
    "unit_and_title": "市民政局 科员",
    "specialty": "书法",
    "posts": "3、8",
    "phone": "13912345678",
    "address": "河下古镇1号",
    "community": "河下社区",
    "street": "河下街道",
    "district": "淮安区",
}


def row(number: int = 5, **changes: str) -> DataRow:
    return DataRow.of(FormKind.REGISTRATIONS, number, {**GOOD, **changes})


def judge(values: DataRow, w: World | None = None, **ctx: object) -> RegistrationResult:
    return validate_registration(values, (w or world()).context(**ctx))


def issues(result: RegistrationResult) -> list[tuple[str, str | None, Severity]]:
    return [(i.code, i.column, i.severity) for i in result.issues]


def test_a_good_row_is_stored_normalised() -> None:
    result = judge(
        row(name="张 三", phone="139-1234-5678", posts="３、8、3", community=" 河下 社区")
    )
    assert result.ok and result.issues == ()
    assert result.record == Registration(
        unit_code=parse_code("008.010.001"),
        name="张三",
        gender=Gender.MALE,
        unit_and_title="市民政局 科员",
        posts=("3", "8"),
        phone="13912345678",
        community=CommunityRef("淮安区", "河下街道", "河下社区"),
        specialty="书法",
        address="河下古镇1号",
        report_type=ReportType.RESIDENCE,
        rank="",
    )
    assert result.person == ("张三", "13912345678")
    assert result.district == parse_code("008.003")
    assert result.community_resolved


def test_every_issue_of_a_row_is_reported() -> None:
    result = judge(
        row(
            unit_code="8.001",
            name="张3",
            gender="未知",
            phone="12345",
            posts="3、99",
            specialty="字" * 201,
        )
    )
    assert not result.ok
    assert issues(result) == [
        ("code.numeric", "单位代码", Severity.ERROR),
        ("name.invalid", "姓名", Severity.ERROR),
        ("gender.invalid", "性别", Severity.ERROR),
        ("text.too_long", "特长", Severity.ERROR),
        ("phone.invalid", "联系方式", Severity.ERROR),
        ("posts.unknown", "认领岗位", Severity.ERROR),
    ]
    values = [i.value for i in result.issues]
    assert values == ["8.001", "张3", "未知", "字" * 201, "12345", "3、99"]
    assert all(i.row == 5 for i in result.issues)
    assert "文本" in result.issues[0].message  # the hint to format the column as text
    assert result.person is None


def test_a_half_filled_row_is_reported_not_dropped() -> None:
    values = {key: "" for key in GOOD} | {"name": "王五"}
    result = judge(DataRow.of(FormKind.REGISTRATIONS, 9, values))
    assert [c for c, _, _ in issues(result)] == [
        "code.missing",
        "gender.missing",
        "unit_and_title.missing",
        "phone.missing",
        "district.missing",
        "street.missing",
        "community.missing",
        "posts.missing",
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("008.099", "code.unknown"),
        ("008.010.099", "code.unknown"),
        ("8.01", "code.numeric"),
        ("8", "code.numeric"),
        ("008-010", "code.invalid"),
        ("００８．０１０．００１", None),
        ("008。010。001", None),
    ],
)
def test_unit_codes(code: str, expected: str | None) -> None:
    result = judge(row(unit_code=code))
    assert [c for c, _, _ in issues(result)] == ([expected] if expected else [])
    if expected is None:
        assert result.record is not None
        assert result.record.unit_code == OrgCode(("008", "010", "001"))


def test_retired_unit_is_refused() -> None:
    w = world()
    w.tree.add(OrgUnit(parse_code("008.010.003"), "旧单位", retired_on=date(2020, 1, 1)))
    assert [c for c, _, _ in issues(judge(row(unit_code="008.010.003"), w))] == ["code.retired"]


def test_scope_is_checked_before_existence() -> None:
    scope = (parse_code("008.003"),)
    outside_known = judge(row(unit_code="008.010.001"), scope=scope)
    outside_unknown = judge(row(unit_code="008.099"), scope=scope)
    assert [c for c, _, _ in issues(outside_known)] == ["scope.denied"]
    assert [c for c, _, _ in issues(outside_unknown)] == ["scope.denied"]
    assert outside_known.issues[0].message.replace("008.010.001", "X") == (
        outside_unknown.issues[0].message.replace("008.099", "X")
    )
    assert judge(row(unit_code="008.003.001.001"), scope=scope).ok


# ---------------------------------------------------------------------------------------------
# Communities and posts
# ---------------------------------------------------------------------------------------------


def test_names_repeating_across_districts_resolve_by_all_three() -> None:
    a = judge(row(district="淮阴区", street="王营街道", community="新民社区"))
    b = judge(row(district="清河区", street="长西街道", community="新民社区"))
    assert a.district == parse_code("008.004")
    assert b.district == parse_code("008.001")


def test_unresolved_community_is_a_warning_with_close_matches() -> None:
    result = judge(row(district="淮安区", street="淮城街道", community="河下社区"))
    assert result.ok
    assert issues(result) == [("community.unresolved", "报到社区", Severity.WARNING)]
    issue = result.issues[0]
    assert issue.value == "淮安区/淮城街道/河下社区"
    assert "淮安区/河下街道/河下社区" in issue.message  # same name under another street
    assert result.district is None
    assert not result.community_resolved
    assert result.record is not None
    assert result.record.community == CommunityRef("淮安区", "淮城街道", "河下社区")


def test_close_matches_suggest_similar_names() -> None:
    result = judge(row(community="河下"))
    assert "淮安区/河下街道/河下社区" in result.issues[0].message


def test_local_posts_count_in_their_district() -> None:
    result = judge(row(posts="101、3"))
    assert result.record is not None
    assert result.record.posts == ("101", "3")


def test_local_posts_are_refused_in_another_district() -> None:
    result = judge(row(posts="101、3", district="淮阴区", street="王营街道", community="新民社区"))
    assert issues(result) == [("posts.not_local", "认领岗位", Severity.ERROR)]


def test_only_city_posts_count_while_the_community_is_unresolved() -> None:
    result = judge(row(posts="101、3", community="新社区"))
    assert result.record is not None
    assert result.record.posts == ("3",)
    assert [c for c, _, _ in issues(result)] == ["community.unresolved", "posts.not_counted"]
    assert all(s is Severity.WARNING for _, _, s in issues(result))


def test_only_a_local_post_while_unresolved_leaves_no_post() -> None:
    result = judge(row(posts="101", community="新社区"))
    assert [c for c, _, _ in issues(result)] == [
        "community.unresolved",
        "posts.not_counted",
        "posts.missing",
    ]
    assert not result.ok


# ---------------------------------------------------------------------------------------------
# Report type and rank
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report_type", "rank", "codes", "stored"),
    [
        ("联系点", "正处", [], (ReportType.CONTACT_POINT, "县处级正职")),
        ("工作联系点", "副县级", [], (ReportType.CONTACT_POINT, "县处级副职")),
        ("联系点", "科员", ["report_type.rank"], None),
        ("联系点", "", ["report_type.rank"], None),
        ("联系点", "处长级别", ["rank.invalid"], None),
        ("", "科员", [], (ReportType.RESIDENCE, "县处级以下")),
        ("工作地", "", [], (ReportType.WORKPLACE, "")),
        ("出差地", "", ["report_type.invalid"], None),
    ],
)
def test_contact_point_is_for_county_rank_and_above(
    report_type: str, rank: str, codes: list[str], stored: tuple[ReportType, str] | None
) -> None:
    result = judge(row(report_type=report_type, rank=rank))
    assert [c for c, _, _ in issues(result)] == codes
    if stored is None:
        assert result.record is None
    else:
        assert result.record is not None
        assert (result.record.report_type, result.record.rank) == stored
    if codes == ["report_type.rank"]:
        assert result.issues[0].column == "报到类型"


# ---------------------------------------------------------------------------------------------
# The whole file
# ---------------------------------------------------------------------------------------------


def validate_all(*rows: DataRow) -> list[RegistrationResult]:
    return list(validate_registrations(rows, world().context()))


def test_the_later_row_for_the_same_person_is_rejected_naming_the_earlier() -> None:
    first, second, third = validate_all(
        row(3),
        row(4, name="李四", phone="13812345678"),
        row(7, name="张 三", phone="+86 139 1234 5678"),
    )
    assert first.ok and second.ok
    assert not third.ok
    assert [(i.code, i.column, i.row) for i in third.issues] == [("row.duplicate", None, 7)]
    assert "第 3 行" in third.issues[0].message


def test_duplicates_of_rejected_rows_are_found_too() -> None:
    first, second = validate_all(row(3, gender="?"), row(4))
    assert not first.ok
    assert [i.code for i in second.issues] == ["row.duplicate"]


def test_same_phone_under_another_name_is_a_warning() -> None:
    first, second = validate_all(row(3), row(4, name="张三丰"))
    assert first.ok and second.ok
    assert [(i.code, i.column, i.severity) for i in second.issues] == [
        ("phone.shared", "联系方式", Severity.WARNING)
    ]
    assert "第 3 行" in second.issues[0].message and "张三" in second.issues[0].message


def test_check_duplicates_streams() -> None:
    results = (validate_registration(row(n), world().context()) for n in range(3, 6))
    out = check_duplicates(results)
    assert next(out).ok
    assert [i.code for i in next(out).issues] == ["row.duplicate"]


def _reference_verdicts(people: list[tuple[str, str]]) -> list[tuple[str, int] | None]:
    """check_duplicates' rule written plainly: per row, the issue code and the earlier row."""
    first_by_phone: dict[str, tuple[str, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    verdicts: list[tuple[str, int] | None] = []
    for number, person in enumerate(people, start=3):
        name, phone = person
        if person in seen:
            verdicts.append(("row.duplicate", seen[person]))
            continue
        seen[person] = number
        first = first_by_phone.setdefault(phone, (name, number))
        verdicts.append(None if first == (name, number) else ("phone.shared", first[1]))
    return verdicts


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["张三", "李四", "欧阳建国", "王𠮷", "A"]),
            st.sampled_from(["13912345678", "0517-83601234", "01234", "13800000000", "1"]),
        ),
        max_size=30,
    )
)
def test_check_duplicates_matches_the_plain_rule(people: list[tuple[str, str]]) -> None:
    results = (
        RegistrationResult(number, None, person=person)
        for number, person in enumerate(people, start=3)
    )
    got = []
    for result in check_duplicates(results):
        found = [i for i in result.issues if i.code in ("row.duplicate", "phone.shared")]
        if not found:
            got.append(None)
            continue
        (issue,) = found
        earlier = int(issue.message.split("第 ")[1].split(" 行")[0])
        got.append((issue.code, earlier))
    assert got == _reference_verdicts(people)


@given(st.text(max_size=12), st.integers(min_value=0, max_value=2**40))
@example("\x00张", 7)
@example("", 2**32)
def test_a_first_person_packs_and_unpacks_exactly(name: str, row: int) -> None:
    assert _unpack_first(_pack_first(name, row)) == (name, row)


@given(st.text(alphabet="0123456789-", min_size=1, max_size=15), st.text(max_size=15))
def test_phone_keys_are_exact(phone: str, other: str) -> None:
    assert (_phone_key(phone) == _phone_key(other)) == (phone == other)


def test_a_seed_sheet_from_title_to_notes() -> None:
    header = (
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
    member = tuple(GOOD[k] for k in GOOD)
    unresolved = (*member[:8], "不存在社区", *member[9:])
    rows = [
        RawRow(1, ("全市“在职党员回社区，亮明身份作表率”活动参与党员信息登记表",)),
        RawRow(2, ("单位：市民政局", "", "2024 年 8 月 1 日")),
        RawRow(3, header),
        RawRow(4, member),
        RawRow(5, ()),
        RawRow(6, (*unresolved[:1], "李四", *unresolved[2:6], "13812345678", *unresolved[7:])),
        RawRow(7, ("说明：1、本表WORD版仅用于文件印刷",)),
    ]
    found = find_header(rows)
    results = list(validate_registrations(data_rows(rows, found), world().context()))
    assert [r.row for r in results] == [4, 6]
    assert all(r.ok for r in results)
    assert [(i.code, i.column, i.row) for i in results[1].issues] == [
        ("community.unresolved", "报到\n社区", 6)
    ]


# ---------------------------------------------------------------------------------------------
# Properties over generated rows
# ---------------------------------------------------------------------------------------------

ROW_SETTINGS = settings(
    max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None
)
WORLD = world()


@ROW_SETTINGS
@given(registration_rows())
def test_a_valid_generated_row_validates(generated: GeneratedRow) -> None:
    result = validate_registration(generated.row, WORLD.context())
    assert [i for i in result.issues if i.severity is Severity.ERROR] == []
    assert result.record is not None
    record = result.record
    assert record.name == generated.name
    assert record.phone == generated.phone
    assert record.posts == generated.posts
    assert record.community == generated.community.ref
    assert result.district == generated.community.district_code
    # Re-validating the stored values gives the same record (a re-import changes nothing).
    again = validate_registration(stored_row(record, generated.row.number), WORLD.context())
    assert again.record == record


def stored_row(record: Registration, number: int) -> DataRow:
    values: Mapping[str, str] = {
        "unit_code": str(record.unit_code),
        "name": record.name,
        "gender": record.gender.value,
        "unit_and_title": record.unit_and_title,
        "specialty": record.specialty,
        "posts": "、".join(record.posts),
        "phone": record.phone,
        "address": record.address,
        "community": record.community.community,
        "street": record.community.street,
        "district": record.community.district,
        "report_type": record.report_type.value,
        "rank": record.rank,
    }
    return DataRow.of(FormKind.REGISTRATIONS, number, values)


@ROW_SETTINGS
@given(registration_rows(), st.sampled_from(sorted(CORRUPTIONS)), st.data())
def test_corrupting_one_cell_names_exactly_that_column(
    generated: GeneratedRow, key: str, data: st.DataObject
) -> None:
    cell = data.draw(CORRUPTIONS[key])
    broken = corrupt(generated.row, key, cell)
    result = validate_registration(broken, WORLD.context())
    errors = [i for i in result.issues if i.severity is Severity.ERROR]
    assert result.record is None
    assert errors, f"{key}={cell!r} was accepted"
    assert {i.column for i in errors} == {broken.column(key)}
    assert {i.value for i in errors} == {cell}
    assert all(i.row == generated.row.number for i in result.issues)


@settings(max_examples=20, deadline=None)
@given(st.lists(registration_rows(), min_size=2, max_size=6))
def test_a_file_of_distinct_people_has_no_duplicates(generated: list[GeneratedRow]) -> None:
    people = {(g.name, g.phone) for g in generated}
    rows = [attrs.evolve(g.row, number=n) for n, g in enumerate(generated, start=2)]
    results = list(validate_registrations(rows, WORLD.context()))
    rejected = [r for r in results if not r.ok]
    assert len(rejected) == len(generated) - len(people)
    assert all([i.code for i in r.errors] == ["row.duplicate"] for r in rejected)


def test_today_defaults_in_the_world() -> None:
    assert world().context().today == TODAY
