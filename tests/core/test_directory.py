"""附表4 rows into DirectoryEntry: linking each 县区 to an aggregator, contact cells, repeats;
and the in-memory community lookup."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.directory import (
    DirectoryIndex,
    DirectoryResult,
    district_candidates,
    validate_directory,
    validate_directory_entry,
)
from partyreg_core.forms import DataRow, FormKind, data_rows, find_header
from partyreg_core.orgcodes import OrgKind, OrgTree, OrgUnit, parse_code
from partyreg_core.ports import RawRow
from partyreg_core.records import CommunityRef, DirectoryEntry, Severity
from tests.strategies import CORRUPTIONS, fullwidth

GOOD = {
    "district": "淮安区",
    "street": "河下街道",
    "community": "河下社区",
    "phone": "0517-85912345",
    "qq_group": "123456789",
    "secretary": "王芳",
    "mobile": "13912345678",
    "address": "淮安区河下古镇估衣街 1 号",
}


def tree() -> OrgTree:
    return builtin.code_table()


def row(number: int = 4, **changes: str) -> DataRow:
    return DataRow.of(FormKind.DIRECTORY, number, {**GOOD, **changes})


def codes(result: DirectoryResult) -> list[tuple[str, str | None]]:
    return [(i.code, i.column) for i in result.issues]


def test_a_good_row() -> None:
    result = validate_directory_entry(row(), tree())
    assert result.ok and result.issues == ()
    assert result.entry == DirectoryEntry(
        "淮安区",
        "河下街道",
        "河下社区",
        phone="0517-85912345",
        qq_group="123456789",
        secretary="王芳",
        mobile="13912345678",
        address="淮安区河下古镇估衣街 1 号",
        district_code=parse_code("008.003"),
    )


@pytest.mark.parametrize(
    ("district", "code"),
    [
        ("淮安区", "008.003"),
        (
            "淮阴区",
            "008.004",
        ),  # not 淮阴师范学院 / 淮阴工学院党委: institutions hold no communities
        ("涟水县", "008.005"),
        ("淮安经济技术开发区", "008.012"),
        ("生态新城", "008.026"),
        ("淮安 区", "008.003"),
        (fullwidth("淮安区"), "008.003"),
    ],
)
def test_district_linked_by_name(district: str, code: str) -> None:
    result = validate_directory_entry(row(district=district), tree())
    assert result.entry is not None
    assert result.entry.district_code == parse_code(code)


@pytest.mark.parametrize("district", ["清江浦区", "淮安市", "市级机关"])
def test_unknown_district_asks_to_add_it_to_the_code_table_first(district: str) -> None:
    result = validate_directory_entry(row(district=district), tree())
    assert codes(result) == [("district.unknown", "县区")]
    assert "代码表" in result.issues[0].message


def test_ambiguous_district() -> None:
    t = tree()
    t.add(OrgUnit(parse_code("008.028"), "淮安区工业园区党工委", OrgKind.ZONE))
    result = validate_directory_entry(row(), t)
    assert codes(result) == [("district.ambiguous", "县区")]
    assert "008.003" in result.issues[0].message and "008.028" in result.issues[0].message
    fixed = validate_directory_entry(row(district_code="008.028"), t)
    assert fixed.entry is not None and fixed.entry.district_code == parse_code("008.028")


def test_a_retired_district_is_not_linked() -> None:
    t = OrgTree(
        [
            OrgUnit(parse_code("008"), "淮安市", OrgKind.CITY),
            OrgUnit(
                parse_code("008.001"), "清河区委", OrgKind.DISTRICT, retired_on=date(2016, 9, 1)
            ),
            OrgUnit(parse_code("008.028"), "清江浦区委", OrgKind.DISTRICT, date(2016, 9, 1)),
        ]
    )
    today = date(2024, 6, 1)
    assert codes(validate_directory_entry(row(district="清河区"), t, today=today)) == [
        ("district.unknown", "县区")
    ]
    assert validate_directory_entry(row(district="清河区"), t, today=date(2015, 1, 1)).ok
    ok = validate_directory_entry(row(district="清江浦区"), t, today=today)
    assert ok.entry is not None and ok.entry.district_code == parse_code("008.028")
    assert [u.code for u in district_candidates(t, "清", today)] == [parse_code("008.028")]


@pytest.mark.parametrize(
    ("district_code", "expected"),
    [
        ("008.003", []),
        ("００８．００３", []),
        ("008.004", [("district.mismatch", "县区", Severity.WARNING)]),
        ("008.010", [("district_code.invalid", "县区代码", Severity.ERROR)]),
        ("008.018", [("district_code.invalid", "县区代码", Severity.ERROR)]),
        ("008.003.001", [("code.unknown", "县区代码", Severity.ERROR)]),
        ("008.099", [("code.unknown", "县区代码", Severity.ERROR)]),
        ("8.003", [("code.numeric", "县区代码", Severity.ERROR)]),
    ],
)
def test_district_code_column(
    district_code: str, expected: list[tuple[str, str, Severity]]
) -> None:
    result = validate_directory_entry(row(district_code=district_code), tree())
    assert [(i.code, i.column, i.severity) for i in result.issues] == expected


def test_district_code_links_a_new_district_by_code() -> None:
    t = tree()
    t.add(OrgUnit(parse_code("008.028"), "清江浦区委", OrgKind.DISTRICT))
    result = validate_directory_entry(row(district="清江浦", district_code="008.028"), t)
    assert result.entry is not None and result.entry.district_code == parse_code("008.028")


def test_contact_cells() -> None:
    result = validate_directory_entry(
        row(phone="", qq_group="0123", secretary="王3", mobile="0517-83601234", address="址" * 201),
        tree(),
    )
    assert [(i.code, i.column, i.severity) for i in result.issues] == [
        ("phone.missing", "接收报到电话", Severity.WARNING),
        ("qq.invalid", "接收报到QQ群号", Severity.ERROR),
        ("name.invalid", "党组织书记姓名", Severity.ERROR),
        ("mobile.invalid", "手机", Severity.ERROR),
        ("text.too_long", "地址", Severity.ERROR),
    ]


def test_optional_contact_cells_may_be_empty() -> None:
    result = validate_directory_entry(row(qq_group="", secretary="", mobile="", address=""), tree())
    assert result.ok and result.issues == ()


def test_required_cells() -> None:
    result = validate_directory_entry(row(district="", street=" ", community="\u200b"), tree())
    assert codes(result) == [
        ("district.missing", "县区"),
        ("street.missing", "街道"),
        ("community.missing", "社区"),
    ]


def test_repeated_community_names_the_earlier_row() -> None:
    rows = [
        row(3),
        row(4, district="淮阴区", street="王营街道", community="河下社区"),  # names repeat: fine
        row(5, community="河下 社区"),
    ]
    results = list(validate_directory(rows, tree()))
    assert [r.ok for r in results] == [True, True, False]
    assert [(i.code, i.row) for i in results[2].issues] == [("row.duplicate", 5)]
    assert "第 3 行" in results[2].issues[0].message


def test_seed_header_through_the_reader() -> None:
    header = (
        "县区",
        "街道",
        "社区",
        "接收报到\n\n电话",
        "接收报到\n\nQQ群号",
        "党组织书记\n\n姓  名",
        "手机",
        "地   址",
    )
    rows = [
        RawRow(1, ("全市城市社区通讯录",)),
        RawRow(2, header),
        RawRow(3, tuple(GOOD.values())),
        RawRow(4, ("淮安区", "河下街道", "河下社区", "", "", "", "139", "")),
    ]
    found = find_header(rows)
    results = list(validate_directory(data_rows(rows, found), tree()))
    assert results[0].ok
    assert [(i.code, i.column) for i in results[1].issues] == [
        ("phone.missing", "接收报到\n\n电话"),
        ("phone.invalid", "手机"),
    ]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["street", "community", "address", "secretary", "mobile"]), st.data())
def test_corrupting_one_cell_names_that_column(key: str, data: st.DataObject) -> None:
    source = {
        "street": CORRUPTIONS["street"],
        "community": CORRUPTIONS["community"],
        "address": CORRUPTIONS["address"],
        "secretary": CORRUPTIONS["name"].filter(str.strip),
        "mobile": CORRUPTIONS["phone"],
    }[key]
    cell = data.draw(source)
    result = validate_directory_entry(row(**{key: cell}), tree())
    errors = [i for i in result.issues if i.severity is Severity.ERROR]
    assert result.entry is None
    assert {i.column for i in errors} == {DataRow.of(FormKind.DIRECTORY, 0, {}).column(key)}


# ---------------------------------------------------------------------------------------------
# The lookup
# ---------------------------------------------------------------------------------------------

ENTRIES = [
    DirectoryEntry("淮安区", "河下街道", "河下社区", district_code=parse_code("008.003")),
    DirectoryEntry("淮安区", "河下街道", "河西社区", district_code=parse_code("008.003")),
    DirectoryEntry("淮安区", "淮城街道", "新城社区", district_code=parse_code("008.003")),
    DirectoryEntry("淮阴区", "王营街道", "新民社区", district_code=parse_code("008.004")),
    DirectoryEntry("清河区", "长西街道", "新民社区", district_code=parse_code("008.001")),
]


def test_lookup_needs_all_three_names() -> None:
    index = DirectoryIndex(ENTRIES)
    found = index.resolve(CommunityRef("淮阴区", "王营街道", "新民社区"))
    assert found.found and found.district_code == parse_code("008.004")
    elsewhere = index.resolve(CommunityRef("淮安区", "王营街道", "新民社区"))
    assert not elsewhere.found and elsewhere.district_code is None
    # The same name elsewhere comes first, then similar names in the district (新城 ~ 新民).
    assert elsewhere.close_matches == (
        CommunityRef("淮阴区", "王营街道", "新民社区"),
        CommunityRef("清河区", "长西街道", "新民社区"),
        CommunityRef("淮安区", "淮城街道", "新城社区"),
    )


def test_lookup_ignores_spacing_and_width() -> None:
    index = DirectoryIndex(ENTRIES)
    found = index.resolve(CommunityRef(" 淮安区", "河下 街道", fullwidth("河下社区")))
    assert found.entry == ENTRIES[0]


def test_lookup_suggests_similar_names_in_the_district() -> None:
    index = DirectoryIndex(ENTRIES)
    result = index.resolve(CommunityRef("淮安区", "淮城街道", "河下居委会"))
    assert result.close_matches[:2] == (
        CommunityRef("淮安区", "河下街道", "河下社区"),  # same name without 居委会
        CommunityRef("淮安区", "河下街道", "河西社区"),  # similar, same district
    )
    assert len(result.close_matches) <= 5
    assert index.resolve(CommunityRef("金湖县", "某街道", "某社区")).close_matches == ()


def test_lookup_replaces_an_entry_given_again() -> None:
    index = DirectoryIndex(ENTRIES)
    newer = DirectoryEntry("淮安区", "河下街道", "河下社区", phone="0517-1234567")
    index.add(newer)
    assert len(index) == len(ENTRIES)
    assert index.resolve(newer.ref).entry == newer
