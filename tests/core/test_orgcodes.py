"""Org codes: parsing as operators type them, tree operations, whole-table checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.orgcodes import (
    OrgCode,
    OrgKind,
    OrgTree,
    OrgUnit,
    check_table,
    normalise_code_text,
    parse_code,
)

segments = st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=6).map(
    lambda xs: tuple(f"{x:03d}" for x in xs)
)
FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


@pytest.mark.parametrize(
    "typed",
    [
        "008.010",
        "００８．０１０",
        "００８。０１０",
        " 008 . 010 ",
        "008｡010",
        "008.010\u200b",
        "\t008.010\n",
    ],
)
def test_typed_variants_parse_to_the_same_code(typed: str) -> None:
    assert parse_code(typed) == OrgCode(("008", "010"))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("8.001", "code.numeric"),
        ("8", "code.numeric"),
        ("08.001", "code.invalid"),
        ("008..001", "code.invalid"),
        ("008.0010", "code.invalid"),
        ("008.a01", "code.invalid"),
        ("", "code.missing"),
        ("   ", "code.missing"),
    ],
)
def test_bad_codes_are_refused_with_their_reason(typed: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_code(typed)
    assert info.value.code == code
    assert "008" in info.value.message  # every message shows the right form


def test_excel_number_hint_says_to_format_as_text() -> None:
    with pytest.raises(ValidationError, match="文本"):
        parse_code("8.001")


@given(segments)
def test_every_valid_code_round_trips(segs: tuple[str, ...]) -> None:
    code = OrgCode(segs)
    assert parse_code(str(code)) == code
    assert parse_code(str(code).translate(FULLWIDTH)) == code
    assert parse_code(str(code).replace(".", "。")) == code


@given(st.text(max_size=30))
def test_normalisation_is_idempotent_and_parse_never_crashes(text: str) -> None:
    once = normalise_code_text(text)
    assert normalise_code_text(once) == once
    try:
        code = parse_code(text)
    except ValidationError as exc:
        assert exc.code.startswith("code.")
    else:
        assert parse_code(str(code)) == code


@given(segments, segments)
def test_ordering_is_by_segment(a: tuple[str, ...], b: tuple[str, ...]) -> None:
    assert (OrgCode(a) < OrgCode(b)) == (
        tuple(map(int, a)) < tuple(map(int, b))
        or (tuple(map(int, a)) == tuple(map(int, b))[: len(a)] and len(a) < len(b))
    )


def test_parent_ancestors_depth_aggregator() -> None:
    code = parse_code("008.010.004.002")
    assert code.depth == 4
    assert str(code.parent) == "008.010.004"
    assert [str(c) for c in code.ancestors] == ["008.010.004", "008.010", "008"]
    assert str(code.aggregator) == "008.010"
    assert OrgCode(("008",)).parent is None
    assert OrgCode(("008",)).aggregator is None
    assert code.is_within(parse_code("008.010"))
    assert not parse_code("008.011").is_within(parse_code("008.010"))


def test_builtin_table_has_the_twenty_entries_of_form_2() -> None:
    tree = builtin.code_table()
    city = tree.get("008")
    assert city.name == "淮安市"
    entries = tree.children(city.code)
    assert len(entries) == 20
    assert [str(u.code) for u in entries][:12] == [f"008.{n:03d}" for n in range(1, 13)]
    assert {str(u.code) for u in entries[12:]} == {
        "008.018",
        "008.019",
        "008.020",
        "008.021",
        "008.022",
        "008.024",
        "008.026",
        "008.027",
    }
    assert tree.get("008.010").name == "淮安市市级机关工委"
    assert tree.get("008.003").kind is OrgKind.DISTRICT
    assert tree.get("008.012").kind is OrgKind.ZONE
    assert check_table((str(u.code), u.name) for u in tree) == []


def test_lookup_by_name_ignores_spaces_and_width() -> None:
    tree = builtin.code_table()
    assert [str(u.code) for u in tree.by_name(" 淮安区委 ")] == ["008.003"]
    assert tree.by_name("不存在的单位") == []


def test_next_child_goes_past_the_highest_code_ever_used() -> None:
    tree = builtin.code_table()
    assert str(tree.next_child(parse_code("008"))) == "008.028"  # 013–017 stay free
    assert str(tree.next_child(parse_code("008.003"))) == "008.003.001"
    tree.add(OrgUnit(parse_code("008.003.005"), "某单位", retired_on=None))
    assert str(tree.next_child(parse_code("008.003"))) == "008.003.006"


def test_retired_codes_are_never_reused() -> None:
    from datetime import date

    tree = builtin.code_table()
    tree.add(OrgUnit(parse_code("008.028"), "已撤销的单位", retired_on=date(2016, 1, 1)))
    assert str(tree.next_child(parse_code("008"))) == "008.029"
    assert "008.028" not in [str(u.code) for u in tree.children(parse_code("008"))]
    with pytest.raises(ValidationError):
        tree.add(OrgUnit(parse_code("008.028"), "新单位"))


def test_unknown_code_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        builtin.code_table().get("008.099")


def test_district_name_links_to_the_one_aggregator_it_starts() -> None:
    tree = builtin.code_table()
    assert [u.name for u in tree.district_for_name("淮安区")] == ["淮安区委"]
    assert [u.name for u in tree.district_for_name("淮安经济技术开发区")] == [
        "淮安经济技术开发区党工委"
    ]
    assert tree.district_for_name("清江浦区") == []  # created in 2016: add it to the table first


def test_check_table_reports_every_problem_not_the_first() -> None:
    rows = [
        ("008", "淮安市"),
        ("008.001", "清河区委"),
        ("008.001", "重复的代码"),
        ("008.002", "清河区委"),
        ("008.005.001", "上级不存在"),
        ("8.003", "Excel 数字"),
        ("008.004", ""),
    ]
    problems = check_table(rows)
    assert [(p.row, p.code) for p in problems] == [
        (3, "code.duplicate"),
        (6, "code.numeric"),
        (7, "name.missing"),
        (4, "name.duplicate"),
        (5, "code.parent_missing"),
    ]


def test_check_table_against_a_known_tree() -> None:
    tree = builtin.code_table()
    problems = check_table(
        [("008.003.001", "区委办党支部"), ("008.003", "淮安区委"), ("008.030.001", "孤儿")],
        known=tree,
    )
    assert [(p.row, p.code) for p in problems] == [
        (2, "code.duplicate"),
        (3, "code.parent_missing"),
    ]


def test_tree_add_needs_the_parent_first() -> None:
    tree = OrgTree([OrgUnit(parse_code("008"), "淮安市", OrgKind.CITY)])
    with pytest.raises(ValidationError) as info:
        tree.add(OrgUnit(parse_code("008.001.001"), "孙级"))
    assert info.value.code == "code.parent_missing"


@given(st.integers(1, 99), st.integers(1, 999))
def test_the_hint_for_a_code_excel_made_a_number_restores_the_code(whole: int, part: int) -> None:
    code = f"{whole:03d}.{part:03d}"
    typed = str(float(code))  # what Excel keeps of it: 8.01 for 008.010
    with pytest.raises(ValidationError) as caught:
        parse_code(typed)
    assert caught.value.code == "code.numeric"
    assert f"应为 {code}，" in caught.value.message
