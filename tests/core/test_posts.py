"""The post catalog and the parser for a 认领岗位 cell."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.errors import PluginError
from partyreg_core.orgcodes import parse_code
from partyreg_core.posts import Post, PostCatalog, normalise_post_code

HUAIAN = parse_code("008.003")
HUAIYIN = parse_code("008.004")
SEED_POSTS = [
    ("1", "党建工作指导岗"), ("2", "社会组织服务岗"), ("3", "社情民意收集岗"),
    ("4", "便民服务奉献岗"), ("5", "帮困助残关爱岗"), ("6", "就业援助指导岗"),
    ("7", "法制宣传教育岗"), ("8", "医疗卫生保健岗"), ("9", "环境卫生保洁岗"),
    ("10", "公共设施维护岗"), ("11", "社会治安维护岗"), ("12", "民事纠纷调解岗"),
    ("13", "矫正对象帮教岗"), ("14", "文明新风倡导岗"), ("15", "文体娱乐实践岗"),
]  # fmt: skip


def catalog() -> PostCatalog:
    posts = PostCatalog(builtin.city_posts())
    posts.add(Post("101", "运河文化宣讲岗", HUAIAN, plugin="huaian"))
    return posts


def test_the_fifteen_posts_of_the_seed() -> None:
    assert [(p.code, p.name) for p in builtin.city_posts()] == SEED_POSTS


@pytest.mark.parametrize(
    "cell",
    [
        "3、8",
        "3，8",
        "3 8",
        "3;8",
        "3；8",
        "３、８",
        "3/8",
        "3,8,3",
        " 3 、 8 ",
        "03、08",
        "3.0、8",
    ],
)
def test_separators_and_widths(cell: str) -> None:
    assert catalog().parse_claims(cell, None).codes == ("3", "8")


@pytest.mark.parametrize(
    "cell",
    [
        "社情民意收集岗、医疗卫生保健岗",
        "3、社情民意收集岗；8、医疗卫生保健岗",
        "3社情民意收集岗 8医疗卫生保健岗",
    ],
)
def test_exact_names_and_the_notes_own_style(cell: str) -> None:
    assert catalog().parse_claims(cell, None).codes == ("3", "8")


def test_each_unknown_part_is_reported_on_its_own() -> None:
    result = catalog().parse_claims("3、16、治安岗、8", None)
    assert result.codes == ("3", "8")
    assert [(p.code, p.value) for p in result.problems] == [
        ("posts.unknown", "16"),
        ("posts.unknown", "治安岗"),
    ]
    assert not result.ok


def test_mismatched_code_and_name_is_unknown() -> None:
    result = catalog().parse_claims("3医疗卫生保健岗", None)
    assert [p.code for p in result.problems] == ["posts.unknown"]


@pytest.mark.parametrize("cell", ["", "  ", "、、", "\u200b"])
def test_empty_cell_is_missing(cell: str) -> None:
    result = catalog().parse_claims(cell, None)
    assert result.codes == ()
    assert [p.code for p in result.problems] == ["posts.missing"]


def test_local_posts_only_in_their_district() -> None:
    posts = catalog()
    assert posts.parse_claims("3、101", HUAIAN).codes == ("3", "101")
    assert posts.parse_claims("3、101", parse_code("008.003.002")).codes == ("3", "101")
    elsewhere = posts.parse_claims("3、101", HUAIYIN)
    assert elsewhere.codes == ("3",)
    assert [p.code for p in elsewhere.problems] == ["posts.not_local"]
    assert "008.003" in elsewhere.problems[0].message
    unresolved = posts.parse_claims("运河文化宣讲岗", None)
    assert [p.code for p in unresolved.problems] == ["posts.not_local"]
    assert len(posts.for_district(HUAIAN)) == 16
    assert len(posts.for_district(HUAIYIN)) == 15


def test_a_clash_between_plugins_names_both() -> None:
    posts = catalog()
    with pytest.raises(PluginError) as info:
        posts.add(Post("101", "另一个岗位", HUAIAN, plugin="other-county"))
    assert "huaian" in info.value.message and "other-county" in info.value.message
    with pytest.raises(PluginError):
        posts.add(Post("3", "覆盖全市岗位", HUAIAN, plugin="other-county"))
    with pytest.raises(PluginError):
        posts.add(Post("201", "运河文化宣讲岗", parse_code("008.003.001"), plugin="x"))
    posts.add(Post("101", "淮阴的岗位", HUAIYIN, plugin="huaiyin"))  # other district: fine
    assert posts.get("101", HUAIYIN).name == "淮阴的岗位"  # type: ignore[union-attr]


@given(
    st.lists(st.sampled_from([c for c, _ in SEED_POSTS]), min_size=1, max_size=8),
    st.lists(
        st.sampled_from([",", "，", "、", ";", "；", "/", " ", "　", " 、"]), min_size=8, max_size=8
    ),
    st.booleans(),
)
def test_any_separator_mix_parses_to_the_codes_in_order(
    codes: list[str], seps: list[str], names: bool
) -> None:
    by_code = dict(SEED_POSTS)
    tokens = [by_code[c] if names else c for c in codes]
    cell = tokens[0] + "".join(s + t for s, t in zip(seps, tokens[1:], strict=False))
    expected = tuple(dict.fromkeys(codes))
    assert catalog().parse_claims(cell, None).codes == expected


@given(st.text(max_size=40))
def test_garbage_never_crashes_and_is_always_explained(cell: str) -> None:
    result = catalog().parse_claims(cell, None)
    assert result.codes or result.problems
    for problem in result.problems:
        assert problem.code.startswith("posts.")
        assert problem.message


@given(st.text(max_size=10))
def test_post_code_normalisation_is_idempotent(token: str) -> None:
    once = normalise_post_code(token)
    assert normalise_post_code(once) == once
