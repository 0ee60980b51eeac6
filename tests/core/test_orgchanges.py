"""Org changes with effective dates in the core: plans, codes never reused, the change file."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.errors import PartyregError, ValidationError
from partyreg_core.orgchanges import (
    ChangeKind,
    OrgChange,
    parse_change_rows,
    parse_day,
    plan_changes,
)
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgTree, OrgUnit

TODAY = date(2024, 12, 31)
DAY = date(2016, 10, 1)
HEADER = ["生效日期", "调整", "代码", "名称", "上级", "类别", "原因"]


def code(text: str) -> OrgCode:
    return OrgCode(tuple(text.split(".")))


def huaian_2016() -> list[OrgChange]:
    return [
        OrgChange(
            ChangeKind.ADD,
            DAY,
            "设立清江浦区",
            to="008",
            name="清江浦区委",
            org_kind=OrgKind.DISTRICT,
            expected=code("008.028"),
        ),
        OrgChange(ChangeKind.MERGE, DAY, "并入", unit="008.001", to="清江浦区委"),
        OrgChange(ChangeKind.MERGE, DAY, "并入", unit="008.002", to="清江浦区委"),
        OrgChange(ChangeKind.RENAME, DAY, "县改区", unit="008.006", name="洪泽区委"),
    ]


def test_the_2016_huaian_changes_plan() -> None:
    tree = builtin.code_table()
    plan = plan_changes(tree, huaian_2016(), today=TODAY)
    after = plan.tree
    assert after.get("008.028").name == "清江浦区委"
    assert after.get("008.001").moved_to == code("008.028")
    assert after.get("008.002").retired_on == DAY
    assert after.get("008.006").name == "洪泽区委"
    assert after.get("008.006").name_on(date(2016, 9, 30)) == "洪泽县委"
    assert [(str(m.old), str(m.new)) for m in plan.moves] == [
        ("008.001", "008.028"),
        ("008.002", "008.028"),
    ]
    # the tree handed in is unchanged
    assert tree.get("008.001").retired_on is None and "008.028" not in {str(u.code) for u in tree}
    before = {str(u.code): u.name for u in after.as_of(date(2016, 9, 30))}
    since = {str(u.code): u.name for u in after.as_of(DAY)}
    assert before["008.001"] == "清河区委" and "008.028" not in before
    assert "008.001" not in since and since["008.028"] == "清江浦区委"
    assert since["008.006"] == "洪泽区委" and before["008.006"] == "洪泽县委"
    then = [str(u.code) for u in after.as_of(date(2016, 9, 30)).children(code("008"))]
    assert "008.001" in then and "008.002" in then and "008.028" not in then
    assert "008.001" not in [str(u.code) for u in after.children(code("008"))]


def test_a_wrong_expected_code_or_a_future_date_is_refused_naming_the_line() -> None:
    tree = builtin.code_table()
    wrong = OrgChange(ChangeKind.ADD, DAY, "x", to="008", name="新区委",
                      org_kind=OrgKind.DISTRICT, expected=code("008.013"), line=4)  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        plan_changes(tree, [wrong], today=TODAY)
    assert caught.value.code == "orgchange.code" and caught.value.message.startswith("第 4 行")
    assert "008.028" in caught.value.message  # the gap 013–017 stays free
    future = OrgChange(ChangeKind.RENAME, TODAY + timedelta(days=1), "x", unit="008.006", name="y")
    with pytest.raises(ValidationError) as caught:
        plan_changes(tree, [future], today=TODAY)
    assert caught.value.code == "orgchange.future"


def test_a_moved_code_is_refused_after_its_day_naming_the_new_one() -> None:
    plan = plan_changes(builtin.code_table(), huaian_2016(), today=TODAY)
    later = OrgChange(ChangeKind.RENAME, date(2017, 1, 1), "x", unit="008.001", name="y", line=9)
    with pytest.raises(ValidationError) as caught:
        plan_changes(plan.tree, [later], today=TODAY)
    assert caught.value.code == "code.moved"
    assert "008.028" in caught.value.message and caught.value.message.startswith("第 9 行")


def test_retiring_needs_an_empty_unit() -> None:
    tree = OrgTree(
        [
            OrgUnit(code("008"), "市", OrgKind.CITY),
            OrgUnit(code("008.001"), "区委", OrgKind.DISTRICT),
            OrgUnit(code("008.001.001"), "单位"),
        ]
    )
    retire = OrgChange(ChangeKind.RETIRE, DAY, "x", unit="008.001")
    with pytest.raises(ValidationError) as caught:
        plan_changes(tree, [retire], today=TODAY)
    assert caught.value.code == "orgchange.has_units"
    unit = OrgChange(ChangeKind.RETIRE, DAY, "x", unit="008.001.001")
    with pytest.raises(ValidationError) as caught:
        plan_changes(tree, [unit], today=TODAY, members={code("008.001.001"): 2})
    assert caught.value.code == "orgchange.has_members"
    assert plan_changes(tree, [unit], today=TODAY).tree.get("008.001.001").retired_on == DAY


# -- next free code: never a used one, whatever happened before --------------------------------

_KINDS = st.sampled_from([ChangeKind.ADD, ChangeKind.MOVE, ChangeKind.MERGE, ChangeKind.RETIRE,
                          ChangeKind.RENAME])  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_KINDS, st.integers(0, 10**6), st.integers(0, 10**6)), max_size=25))
def test_next_free_code_never_reuses_a_code(steps: list[tuple[ChangeKind, int, int]]) -> None:
    tree = OrgTree(
        [
            OrgUnit(code("008"), "市", OrgKind.CITY),
            OrgUnit(code("008.001"), "甲区委", OrgKind.DISTRICT),
            OrgUnit(code("008.002"), "乙区委", OrgKind.DISTRICT),
        ]
    )
    ever: set[OrgCode] = {u.code for u in tree}
    day = date(2015, 1, 1)
    for n, (kind, x, y) in enumerate(steps):
        day += timedelta(days=1)
        active = [u for u in tree if u.retired_on is None and u.code.depth > 1]
        if not active:
            break
        unit, other = active[x % len(active)], active[y % len(active)]
        change = {
            ChangeKind.ADD: OrgChange(ChangeKind.ADD, day, "r", to=str(unit.code), name=f"新{n}"),
            ChangeKind.MOVE: OrgChange(ChangeKind.MOVE, day, "r", unit=str(unit.code), to=str(other.code)),
            ChangeKind.MERGE: OrgChange(ChangeKind.MERGE, day, "r", unit=str(unit.code), to=str(other.code)),
            ChangeKind.RETIRE: OrgChange(ChangeKind.RETIRE, day, "r", unit=str(unit.code)),
            ChangeKind.RENAME: OrgChange(ChangeKind.RENAME, day, "r", unit=str(unit.code), name=f"改{n}"),
        }[kind]  # fmt: skip
        try:
            plan = plan_changes(tree, [change], today=TODAY)
        except PartyregError:
            continue  # a refused change changes nothing
        for added in plan.added:
            assert added.code not in ever, f"{added.code} was used before"
            ever.add(added.code)
        tree = plan.tree
        # every code ever used is still in the tree; retired ones point at a real code
        assert ever <= {u.code for u in tree}
        for u in tree:
            if u.moved_to is not None:
                assert u.moved_to in tree and u.retired_on is not None and u.retired_on <= day
        for u in tree:  # a unit in use has a parent in use
            if u.retired_on is None and u.parent is not None:
                assert tree.get(u.parent).retired_on is None
        for parent in list(tree):
            nxt = tree.next_child(parent.code) if parent.code.depth < 6 else None
            if nxt is not None:
                assert nxt not in ever


# -- the change file -----------------------------------------------------------------------


def rows(*lines: list[str]) -> list[tuple[int, list[str]]]:
    return list(enumerate([HEADER, *lines], start=1))


def test_the_shipped_example_parses_and_plans() -> None:
    from pathlib import Path

    text = (Path(__file__).parents[2] / "examples/orgchanges/2016-淮安区划调整.csv").read_text(
        "utf-8"
    )
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    changes = parse_change_rows([(reader.line_num, r) for r in reader])
    assert [c.kind for c in changes] == [ChangeKind.ADD, ChangeKind.MERGE, ChangeKind.MERGE,
                                         ChangeKind.RENAME]  # fmt: skip
    assert changes[0].line == 6 and changes[0].expected == code("008.028")
    plan = plan_changes(builtin.code_table(), changes, today=TODAY)
    assert [a.summary for a in plan.changes][1] == "2016-10-01 008.001 清河区委 合并到 008.028"


@pytest.mark.parametrize(
    ("line", "code_", "needle"),
    [
        (["2016-10-01", "拆分", "008.001", "", "", "", "x"], "orgchange.kind", "拆分"),
        (["2016-13-01", "更名", "008.006", "洪泽区委", "", "", "x"], "date.invalid", "2016-13-01"),
        (["2016-10-01", "更名", "008.006", "", "", "", "x"], "orgchange.missing", "名称"),
        (["2016-10-01", "合并", "008.001", "", "", "", "x"], "orgchange.missing", "上级"),
        (["2016-10-01", "更名", "008.006", "洪泽区委", "", "", ""], "orgchange.reason", "原因"),
        (["2016-10-01", "新增", "8.028", "区委", "008", "县区", "x"], "code.numeric", "8.028"),
        (
            ["2016-10-01", "更名", "008.006", "洪泽区委", "", "县区", "x"],
            "orgchange.org_kind",
            "类别",
        ),
    ],
)
def test_a_bad_line_is_named(line: list[str], code_: str, needle: str) -> None:
    good = ["2016-10-01", "更名", "008.006", "洪泽区委", "", "", "县改区"]
    with pytest.raises(ValidationError) as caught:
        parse_change_rows(rows(good, line))
    assert caught.value.code == code_
    assert caught.value.message.startswith("第 3 行") and needle in caught.value.message


def test_header_problems() -> None:
    with pytest.raises(ValidationError, match="缺少：生效日期"):
        parse_change_rows([(1, ["调整", "代码", "原因"]), (2, ["更名", "008.006", "x"])])
    with pytest.raises(ValidationError, match="空"):
        parse_change_rows([(1, ["# 只有注释"]), (2, [])])
    # English headers, columns in any order, blank and comment lines skipped
    changes = parse_change_rows(
        [
            (1, ["reason", "kind", "code", "name", "on"]),
            (2, []),
            (3, ["# note"]),
            (4, ["县改区", "rename", "008.006", "洪泽区委", "2016/10/1"]),
        ]
    )
    assert changes[0].on == DAY and changes[0].line == 4 and changes[0].name == "洪泽区委"


_CELL = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_CELL, max_size=8), max_size=6))
def test_any_file_parses_or_is_refused_naming_a_line(body: list[list[str]]) -> None:
    numbered = rows(*body)
    try:
        changes = parse_change_rows(numbered)
    except ValidationError as exc:
        assert exc.message.startswith("第 ") or "空" in exc.message or "表头" in exc.message
        return
    lines = {n for n, _ in numbered}
    for change in changes:
        assert change.line in lines and change.reason


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(["{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日"]),
    st.booleans(),
)
def test_dates_parse_in_every_written_form(day: date, pattern: str, wide: bool) -> None:
    text = pattern.format(y=day.year, m=day.month, d=day.day)
    if wide:
        text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_day(text) == day


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["更名", "rename", "撤销", "合并", "迁移", "新增"]),
            st.sampled_from(["008.006", "008.003", "008.001"]),
            st.text(alphabet="甲乙丙丁委区", min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_well_formed_rows_keep_their_lines_and_fields(cells: list[tuple[str, str, str]]) -> None:
    body = [["2016-10-01", kind, unit, name, "008", "", f"原因{i}"] for i, (kind, unit, name) in
            enumerate(cells)]  # fmt: skip
    body = [[*row[:5], "县区" if row[1] == "新增" else "", row[6]] for row in body]
    changes = parse_change_rows(rows(*body))
    assert [c.line for c in changes] == list(range(2, 2 + len(cells)))
    assert [c.reason for c in changes] == [f"原因{i}" for i in range(len(cells))]
    for change, (_kind, unit, name) in zip(changes, cells, strict=True):
        if change.kind is ChangeKind.ADD:
            assert change.expected == code(unit) and change.name == name
        else:
            assert change.unit == unit


def test_a_registration_with_a_moved_code_is_refused_naming_the_new_code() -> None:
    from tests.core.test_registrations import issues, judge, row
    from tests.strategies import world

    w = world()
    w.tree.add(OrgUnit(code("008.010.003"), "旧单位", retired_on=date(2020, 1, 1),
                       moved_to=code("008.010.001")))  # fmt: skip
    result = judge(row(unit_code="008.010.003"), w)
    assert [c for c, _, _ in issues(result)] == ["code.moved"]
    assert "008.010.001" in result.issues[0].message


def test_old_district_names_find_the_district_they_became() -> None:
    tree = plan_changes(builtin.code_table(), huaian_2016(), today=TODAY).tree
    assert [str(u.code) for u in tree.district_for_name("清河区")] == ["008.028"]
    assert [str(u.code) for u in tree.district_for_name("清浦区")] == ["008.028"]
    assert [str(u.code) for u in tree.district_for_name("清江浦区")] == ["008.028"]
    assert [str(u.code) for u in tree.district_for_name("洪泽县")] == ["008.006"]
    assert [str(u.code) for u in tree.district_for_name("洪泽区")] == ["008.006"]
    assert [str(u.code) for u in tree.district_for_name("淮安区")] == ["008.003"]
    # the 2014 table is read as before
    before = builtin.code_table()
    assert [str(u.code) for u in before.district_for_name("清河区")] == ["008.001"]
    assert before.district_for_name("清江浦区") == []


def test_a_move_cannot_be_dated_before_a_unit_below_it_began() -> None:
    tree = OrgTree(
        [
            OrgUnit(code("008"), "市", OrgKind.CITY),
            OrgUnit(code("008.001"), "甲区委", OrgKind.DISTRICT),
            OrgUnit(code("008.001.001"), "单位"),
            OrgUnit(code("008.001.001.001"), "新科室", valid_from=date(2020, 5, 1)),
            OrgUnit(code("008.002"), "乙区委", OrgKind.DISTRICT),
        ]
    )
    early = OrgChange(ChangeKind.MOVE, date(2020, 1, 1), "x", unit="008.001.001", to="008.002")
    with pytest.raises(ValidationError) as caught:
        plan_changes(tree, [early], today=TODAY)
    assert caught.value.code == "orgchange.date" and "008.001.001.001" in caught.value.message
    late = attrs.evolve(early, on=date(2020, 6, 1))
    moves = plan_changes(tree, [late], today=TODAY).moves
    assert [str(m.new) for m in moves] == ["008.002.001", "008.002.001.001"]
