"""The fast 附表1 validation gives exactly what the plain one gave.

The validation of 附表1 rows remembers, within one run, what it found for cells that repeat
(units, communities, post cells …) and takes fast paths for cells already in their stored form
(bench/validate_bench.py, DESIGN.md §6). These tests hold it to the code it replaced, kept here
as the reference: the reading of data rows, the row validation and the whole-file duplicate
rules as they were, calling the full normalisers (no fast path) with every cache of the
catalog and the directory cleared before each row. The rows are the benchmark's realistic
sheet with a large share of bad rows of every kind.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import attrs
import pytest
from bench.validate_bench import BAD_CELLS, SheetMaker, World
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core import directory, forms, normalize, orgcodes
from partyreg_core.activities import (
    ActivityContext,
    ActivityResult,
    KnownMember,
    MemberIndex,
    check_activity_totals,
    validate_activities,
    validate_activity,
)
from partyreg_core.directory import CommunityResolution, DirectoryIndex
from partyreg_core.errors import PartyregError, ValidationError
from partyreg_core.forms import (
    DataRow,
    Form,
    FormKind,
    HeaderMap,
    RowChecker,
    data_rows,
    find_header,
    is_blank,
    is_note,
    match_key,
)
from partyreg_core.normalize import (
    MAX_PLACE_NAME,
    MAX_TEXT,
    Rank,
    _normalize_gender,
    _normalize_name,
    _normalize_phone,
    _normalize_rank,
    _normalize_report_type,
    _normalize_text,
    normalize_date,
    normalize_flag,
    normalize_hours,
)
from partyreg_core.orgcodes import OrgCode, _parse_code, parse_code
from partyreg_core.ports import RawRow
from partyreg_core.posts import (
    _SEPARATORS,
    ClaimProblem,
    ClaimResult,
    PostCatalog,
    _post_order,
)
from partyreg_core.records import (
    Activity,
    CommunityRef,
    Registration,
    ReportType,
    RowIssue,
    Severity,
)
from partyreg_core.registrations import (
    RegistrationContext,
    RegistrationResult,
    _RowJudge,
    check_duplicates,
    validate_registration,
    validate_registrations,
)
from partyreg_core.text import clean, remove_whitespace

# ---------------------------------------------------------------------------------------------
# The reference: the code the fast validation replaced
# ---------------------------------------------------------------------------------------------


def _full_text(text: str) -> str:
    return _normalize_text(text, MAX_TEXT)


def _full_place_name(text: str) -> str:
    return _normalize_text(text, MAX_PLACE_NAME)


def _ref_is_blank(cells: Iterable[str]) -> bool:
    return not any(clean(c) for c in cells)


def _ref_is_note(cells: Iterable[str], form: Form) -> bool:
    for cell in cells:
        text = clean(cell)
        if text:
            return text.startswith(form.note_prefixes)
    return False


def _ref_keys(cells: Sequence[str]) -> list[str]:
    keys = [match_key(c) for c in cells]
    while keys and not keys[-1]:
        keys.pop()
    return keys


def reference_data_rows(rows: Iterable[RawRow], header: HeaderMap) -> Iterator[DataRow]:
    """forms.data_rows as it was."""
    form = header.form
    header_keys = _ref_keys(header.headers)
    written = tuple(
        {key: header.headers[index].strip() for key, index in group.items()}
        for group in header.groups
    )
    for raw in rows:
        if raw.number <= header.row or _ref_is_blank(raw.cells) or _ref_is_note(raw.cells, form):
            continue
        if _ref_keys(raw.cells) == header_keys:
            continue
        cells = raw.cells
        for group, names in zip(header.groups, written, strict=True):
            values = {
                key: cells[index] if index < len(cells) else "" for key, index in group.items()
            }
            if form.paired and _ref_is_blank(values.values()):
                continue
            for key, value in header.defaults.items():
                values.setdefault(key, value)
            yield DataRow(raw.number, values, form.kind, names)


def reference_parse_claims(
    catalog: PostCatalog, cell: str, district: OrgCode | None
) -> ClaimResult:
    """PostCatalog.parse_claims as it was: the district's posts sorted afresh, every token
    resolved afresh."""
    text = clean(cell)
    if not text:
        return ClaimResult(
            (),
            (
                ClaimProblem(
                    "posts.missing",
                    cell,
                    "认领岗位为空：至少填写一个岗位代码，如 3 或 3、8。",
                ),
            ),
        )
    available = [p for p in sorted(catalog._posts, key=_post_order) if p.applies_to(district)]
    by_code = {p.code: p for p in available}
    by_name = {remove_whitespace(p.name): p for p in available}
    codes: list[str] = []
    problems: list[ClaimProblem] = []
    for token in (t for t in _SEPARATORS.split(text) if t):
        post, problem = catalog._resolve(token, by_code, by_name, district)
        if problem is not None:
            problems.append(problem)
        elif post is not None and post.code not in codes:
            codes.append(post.code)
    if not codes and not problems:
        problems.append(
            ClaimProblem("posts.missing", cell, "认领岗位为空：至少填写一个岗位代码，如 3。")
        )
    return ClaimResult(tuple(codes), tuple(problems))


def _ref_unit_code(check: RowChecker, ctx: RegistrationContext) -> OrgCode | None:
    code = check.cell("unit_code", _parse_code)
    if code is None:
        return None
    if ctx.scope is not None and not any(code.is_within(s) for s in ctx.scope):
        check.add(
            "unit_code",
            "scope.denied",
            f"单位代码 {code} 不在您的管理范围内：只能导入本单位及下级单位的党员，"
            "其他单位的党员请由其上级党组织导入。",
        )
        return None
    unit = ctx.tree.find(code)
    if unit is None:
        check.add(
            "unit_code",
            "code.unknown",
            f"单位代码 {code} 不在单位党组织代码表中：请核对代码，"
            "新单位请先由上级组织部门在代码表中编码。",
        )
        return None
    if not unit.active_on(ctx.today):
        check.add(
            "unit_code",
            "code.retired",
            f"单位代码 {code}（{unit.name}）已停用：请改用该单位现在的代码。",
        )
        return None
    return code


def _ref_community(
    check: RowChecker, ctx: RegistrationContext
) -> tuple[CommunityRef | None, CommunityResolution | None]:
    district = check.required(
        "district",
        _full_place_name,
        "所属县区为空：请填写报到社区所属的县区，写法与社区通讯录一致，如 清江浦区。",
    )
    street = check.required(
        "street",
        _full_place_name,
        "社区所属街道、乡镇为空：请填写报到社区所属的街道或乡镇，如 清河街道。",
    )
    community = check.required(
        "community", _full_place_name, "报到社区为空：请填写报到社区的名称。"
    )
    if district is None or street is None or community is None:
        return None, None
    ref = CommunityRef(district, street, community)
    resolution = ctx.directory.resolve(ref)
    if resolution.entry is not None:
        return resolution.entry.ref, resolution
    close = "、".join(r.label for r in resolution.close_matches)
    hint = f"相近的有：{close}；" if close else ""
    check.add(
        "community",
        "community.unresolved",
        f"报到社区“{ref.label}”不在社区通讯录中（{hint}请核对县区、街道、社区三列与通讯录是否一致）："
        "已接收，待所属县区确认；确认前只能认领全市通用岗位 1–15。",
        Severity.WARNING,
        value=ref.label,
    )
    return ref, resolution


def _ref_posts(
    check: RowChecker, ctx: RegistrationContext, district: OrgCode | None, resolved: bool
) -> tuple[str, ...] | None:
    claims = reference_parse_claims(ctx.posts, check.row.get("posts"), district)
    set_aside = [p for p in claims.problems if p.code == "posts.not_local" and not resolved]
    for problem in claims.problems:
        if problem in set_aside:
            # Not the member's mistake: the district that would allow the post is not known
            # until the community is resolved. The claim is set aside, not the row.
            check.add(
                "posts",
                "posts.not_counted",
                f"岗位“{problem.value}”是地方岗位，报到社区确认前不计入："
                "社区确认后可在报到时再认领。",
                Severity.WARNING,
            )
        else:
            check.add("posts", problem.code, problem.message)
    if set_aside and not claims.codes and len(set_aside) == len(claims.problems):
        check.add(
            "posts",
            "posts.missing",
            "报到社区确认前只能认领全市通用岗位：请至少填写一个 1–15 的岗位代码。",
        )
    return claims.codes or None


def _ref_report_type(check: RowChecker) -> tuple[ReportType | None, Rank | None]:
    report_type = check.cell("report_type", _normalize_report_type)
    rank_ok = True
    try:
        rank = _normalize_rank(check.row.get("rank"))
    except ValidationError as exc:
        check.add("rank", exc.code, exc.message)
        rank, rank_ok = None, False
    if (
        report_type is ReportType.CONTACT_POINT
        and rank_ok
        and (rank is None or not rank.at_least_county)
    ):
        has_rank = f"职级“{rank}”" if rank is not None else "未填写职级"
        check.add(
            "report_type",
            "report_type.rank",
            f"报到类型“联系点”只适用于县处级以上领导干部（{has_rank}）："
            "请在“职级”列填写县处级以上的职级，或把报到类型改为居住地、工作地或其他。",
        )
        report_type = None
    return report_type, rank


def reference_validate_registration(row: DataRow, ctx: RegistrationContext) -> RegistrationResult:
    """Validate one 附表1 row into a :class:`Registration`, reporting every issue of the row
    (errors reject it; warnings accept it and tell the operator)."""
    check = RowChecker(row)
    unit_code = _ref_unit_code(check, ctx)
    name = check.cell("name", _normalize_name)
    gender = check.cell("gender", _normalize_gender)
    unit_and_title = check.required(
        "unit_and_title",
        _full_text,
        "单位及职务为空：请填写党员的工作单位和职务，如 市民政局 科员。",
    )
    specialty = check.cell("specialty", _full_text)
    phone = check.cell("phone", _normalize_phone)
    address = check.cell("address", _full_text)
    community, resolution = _ref_community(check, ctx)
    district = resolution.district_code if resolution is not None else None
    resolved = district is not None
    posts = _ref_posts(check, ctx, district, resolved)
    report_type, rank = _ref_report_type(check)
    person = (name, phone) if name is not None and phone is not None else None
    if (
        check.has_errors
        or unit_code is None
        or name is None
        or gender is None
        or unit_and_title is None
        or phone is None
        or community is None
        or posts is None
        or report_type is None
    ):
        return RegistrationResult(
            row.number, None, tuple(check.issues), person, district, row.column("phone")
        )
    record = Registration(
        unit_code=unit_code,
        name=name,
        gender=gender,
        unit_and_title=unit_and_title,
        posts=posts,
        phone=phone,
        community=community,
        specialty=specialty or "",
        address=address or "",
        report_type=report_type,
        rank=rank.value if rank is not None else "",
    )
    return RegistrationResult(
        row.number, record, tuple(check.issues), person, district, row.column("phone")
    )


def reference_check_duplicates(
    results: Iterable[RegistrationResult],
) -> Iterator[RegistrationResult]:
    """Judge a whole file's rows together, in file order (streaming).

    A person is name + phone: the later of two rows for the same person is rejected with
    ``row.duplicate`` naming the earlier row (rejected rows count too: the operator keeps one
    of the two). The same phone under a different name is accepted with a ``phone.shared``
    warning naming the earlier row.
    """
    people: dict[tuple[str, str], int] = {}
    phones: dict[str, tuple[str, int]] = {}
    for result in results:
        if result.person is None:
            yield result
            continue
        name, phone = result.person
        earlier = people.get(result.person)
        if earlier is not None:
            issue = RowIssue(
                result.row,
                None,
                f"{name} {phone}",
                "row.duplicate",
                f"与第 {earlier} 行是同一人（姓名和联系方式相同）：每人只填一行，"
                "请删除这一行，或把两行合并后重新导入。",
            )
            yield attrs.evolve(result, record=None, issues=(*result.issues, issue))
            continue
        people[result.person] = result.row
        other = phones.get(phone)
        if other is None:
            phones[phone] = (name, result.row)
            yield result
            continue
        other_name, other_row = other
        issue = RowIssue(
            result.row,
            result.phone_column,
            phone,
            "phone.shared",
            f"联系方式 {phone} 与第 {other_row} 行的“{other_name}”相同：已接收；"
            "如是同一人请统一姓名，如是共用号码可不处理。",
            Severity.WARNING,
        )
        yield attrs.evolve(result, issues=(*result.issues, issue))


# ---------------------------------------------------------------------------------------------
# The sheet and the contexts
# ---------------------------------------------------------------------------------------------

SEED = 20240601
WORLD = World(random.Random(SEED))


def _sheet(count: int = 3000) -> list[RawRow]:
    """The benchmark's sheet with 40% bad rows, plus lines that test the reading of rows: the
    header repeated, blank lines of spaces and invisible characters, notes, full-width and
    empty first cells, lines longer than the header."""
    rows = SheetMaker(WORLD, SEED).rows(count, bad_share=0.4)
    header = rows[2].cells
    member = rows[10].cells
    odd = [
        header,
        ("", "\u200b", " "),
        ("\u3000",),
        ("注：", "认领岗位填写代码"),
        ("  说明：本表", "x"),
        ("联系电话：0517-83601234",),
        ("社区党组织书记签字",),
        (fullwidth := "００８．０１０．００１", *member[1:]),
        ("", *member[1:]),
        (*member, "多出来的一列", "又一列"),
        member[:4],
        ("单位代码", "姓名"),
        (" 单位代码", *header[1:]),
        ("\u200b008.010.001", *member[1:]),
        ("注意事项不是注释吗", *member[1:]),
        ("e\u0301", *member[1:]),
    ]
    assert fullwidth
    rng = random.Random(SEED)
    for cells in odd:
        at = rng.randrange(4, len(rows) - 2)
        rows.insert(at, RawRow(rows[at].number, tuple(cells)))
    # Keep the row numbers increasing, as a reader gives them.
    return [RawRow(n, r.cells) for n, r in enumerate(rows, start=1)]


SHEET = _sheet()
# The same sheet as a unit that leaves out the optional 报到类型 and 职级 columns writes it.
SHEET_11 = [RawRow(r.number, r.cells[:11]) for r in SHEET]


def contexts() -> dict[str, RegistrationContext]:
    """A plain city context, one scoped to 市级机关工委, one with no import date."""
    plain = WORLD.context()
    return {
        "city": plain,
        "scoped": attrs.evolve(
            WORLD.context(), scope=(parse_code("008.010"), parse_code("008.003"))
        ),
        "undated": attrs.evolve(WORLD.context(), today=None),
    }


def clear_caches(ctx: RegistrationContext) -> None:
    """Forget all the catalog and the directory worked out, as fresh ones would not know it."""
    ctx.posts._sorted = None
    ctx.posts._available.clear()
    assert isinstance(ctx.directory, DirectoryIndex)
    ctx.directory._cores.clear()
    directory._place_key.cache_clear()


def reference(rows: Iterable[DataRow], ctx: RegistrationContext) -> list[RegistrationResult]:
    """The results the replaced code gave, every row judged with every cache cleared."""

    def judged() -> Iterator[RegistrationResult]:
        for row in rows:
            clear_caches(ctx)
            yield reference_validate_registration(row, ctx)

    return list(reference_check_duplicates(judged()))


def fast(rows: Iterable[RawRow], ctx: RegistrationContext) -> list[RegistrationResult]:
    it = iter(rows)
    return list(validate_registrations(data_rows(it, find_header(it)), ctx))


def reference_rows(rows: Iterable[RawRow]) -> list[DataRow]:
    it = iter(rows)
    return list(reference_data_rows(it, find_header(it)))


REFERENCE_ROWS = reference_rows(SHEET)


# ---------------------------------------------------------------------------------------------
# Whole sheets
# ---------------------------------------------------------------------------------------------


def test_the_sheet_holds_every_kind_of_bad_row() -> None:
    results = fast(SHEET, contexts()["city"])
    codes = {i.code for r in results for i in r.issues}
    assert codes >= {
        "code.invalid", "code.missing", "code.numeric", "code.retired", "code.unknown",
        "name.invalid", "name.missing", "gender.invalid", "gender.missing",
        "unit_and_title.missing", "text.too_long", "posts.missing", "posts.unknown",
        "posts.not_local", "posts.not_counted", "phone.invalid", "phone.extension",
        "phone.numeric", "phone.missing", "phone.shared", "community.unresolved",
        "community.missing", "street.missing", "district.missing", "report_type.invalid",
        "rank.invalid", "report_type.rank", "row.duplicate",
    }  # fmt: skip
    assert {cell for _, cell in BAD_CELLS} <= {v for r in REFERENCE_ROWS for v in r.values.values()}


def test_data_rows_are_read_as_before() -> None:
    it = iter(SHEET)
    got = list(data_rows(it, find_header(it)))
    assert [(r.number, list(r.values.items()), r.kind, dict(r.headers)) for r in got] == [
        (r.number, list(r.values.items()), r.kind, dict(r.headers)) for r in REFERENCE_ROWS
    ]


@pytest.mark.parametrize(
    ("name", "sheet"),
    [("city", SHEET), ("scoped", SHEET), ("undated", SHEET), ("city", SHEET_11)],
    ids=["city", "scoped", "undated", "eleven-columns"],
)
def test_results_are_identical_to_the_reference(name: str, sheet: list[RawRow]) -> None:
    ctx = contexts()[name]
    expected = reference(reference_rows(sheet), contexts()[name])
    got = fast(sheet, ctx)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert a == b
        assert repr(a) == repr(b)  # the same types too (an OrgCode, not a str that prints alike)
    if name == "scoped":
        assert any(i.code == "scope.denied" for r in got for i in r.issues)


def test_a_second_run_and_single_rows_give_the_same() -> None:
    ctx = contexts()["city"]
    first = fast(SHEET, ctx)
    assert fast(SHEET, ctx) == first
    singles = list(check_duplicates(validate_registration(row, ctx) for row in REFERENCE_ROWS))
    assert singles == first


def test_results_do_not_depend_on_the_order_of_rows() -> None:
    ctx = contexts()["city"]
    forward = [_RowJudge(ctx).judge(row) for row in REFERENCE_ROWS]  # a fresh judge per row
    judge = _RowJudge(ctx)
    backward = [judge.judge(row) for row in reversed(REFERENCE_ROWS)]
    shuffled = REFERENCE_ROWS[:]
    random.Random(1).shuffle(shuffled)
    judge = _RowJudge(ctx)
    by_row = {id(row): judge.judge(row) for row in shuffled}
    assert backward[::-1] == forward
    assert [by_row[id(row)] for row in REFERENCE_ROWS] == forward


def test_memos_off_or_overflowing_give_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = contexts()["city"]
    expected = fast(SHEET, ctx)
    off = _RowJudge(ctx, memo=False)
    assert list(check_duplicates(map(off.judge, REFERENCE_ROWS))) == expected
    assert not off._units and not off._places and not off._claims
    monkeypatch.setattr("partyreg_core.registrations.MEMO_LIMIT", 7)
    small = _RowJudge(ctx)
    assert list(check_duplicates(map(small.judge, REFERENCE_ROWS))) == expected
    assert len(small._texts) <= 7 and len(small._claims) <= 7


def test_changes_to_the_context_are_seen_by_the_next_run() -> None:
    ctx = contexts()["city"]
    rows = REFERENCE_ROWS[:400]
    before = list(validate_registrations(rows, ctx))
    unresolved = next(r for r in before if not r.community_resolved and r.record is not None)
    unit = next(r for r in before if any(i.code == "code.unknown" for i in r.issues))
    row = {r.number: r for r in rows}[unresolved.row]
    ref = unresolved.record.community
    district = {e.district: e.district_code for e in WORLD.communities}[
        row.values["district"].strip()
    ]
    ctx.directory.add(
        directory.DirectoryEntry(ref.district, ref.street, ref.community, district_code=district)
    )
    code = parse_code({r.number: r for r in rows}[unit.row].values["unit_code"])
    ctx.tree.add(orgcodes.OrgUnit(code, "新单位"))
    after = {r.row: r for r in validate_registrations(rows, ctx)}
    assert after[unresolved.row].community_resolved
    assert not any(i.code == "code.unknown" for i in after[unit.row].issues)
    assert [after[r.row] for r in before] == reference(rows, ctx)


def test_contexts_do_not_share_what_they_learnt() -> None:
    city, scoped = contexts()["city"], contexts()["scoped"]
    rows = REFERENCE_ROWS[:600]
    a, b = validate_registrations(rows, city), validate_registrations(rows, scoped)
    interleaved = [(x, y) for x, y in zip(a, b, strict=True)]
    assert [x for x, _ in interleaved] == reference(rows, contexts()["city"])
    assert [y for _, y in interleaved] == reference(rows, contexts()["scoped"])


# ---------------------------------------------------------------------------------------------
# Fast paths against the full normalisers
# ---------------------------------------------------------------------------------------------


def outcome(fn: Callable[[str], Any], text: str) -> tuple[str, object]:
    """What ``fn`` makes of ``text``: its value, or its error's code and message."""
    try:
        return ("value", fn(text))
    except PartyregError as exc:
        return ("error", (type(exc).__name__, exc.code, exc.message))


PAIRS: list[tuple[Callable[[str], Any], Callable[[str], Any]]] = [
    (normalize.normalize_name, _normalize_name),
    (normalize.normalize_phone, _normalize_phone),
    (normalize.normalize_text, _full_text),
    (normalize.normalize_place_name, _full_place_name),
    (lambda t: normalize.normalize_text(t, max_length=3), lambda t: _normalize_text(t, 3)),
    (lambda t: t if normalize.is_normal_text(t) else _full_text(t), _full_text),
    (
        lambda t: t if normalize.is_normal_text(t, 5) else _normalize_text(t, 5),
        lambda t: _normalize_text(t, 5),
    ),
    (normalize.normalize_gender, _normalize_gender),
    (normalize.normalize_report_type, _normalize_report_type),
    (normalize.normalize_rank, _normalize_rank),
    (normalize.normalize_rating, normalize._normalize_rating),
    (parse_code, _parse_code),
    (lambda t: is_blank((t, t)), lambda t: _ref_is_blank((t, t))),
    (
        lambda t: is_note((t, "x"), forms.ACTIVITY_FORM),
        lambda t: _ref_is_note((t, "x"), forms.ACTIVITY_FORM),
    ),
]
NEAR_CELLS = st.text(
    st.sampled_from(
        "张三王丰阿卜杜·•・‧ \u3000\t\n0123456789１２３-－—+()（）.。、,，;/"
        "男女优良一般联系点正处居住地注说明xX#转e\u0301\u200b\x00\ufeff\U00020000"
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(NEAR_CELLS, st.text(max_size=40)))
def test_fast_paths_give_what_the_full_normalisers_give(text: str) -> None:
    for fast_fn, full_fn in PAIRS:
        assert outcome(fast_fn, text) == outcome(full_fn, text), (fast_fn, text)


def test_fast_paths_on_every_cell_of_the_sheet() -> None:
    cells = {cell for row in SHEET for cell in row.cells}
    for fast_fn, full_fn in PAIRS:
        for cell in cells:
            assert outcome(fast_fn, cell) == outcome(full_fn, cell), (fast_fn, cell)
    for key in (*normalize._GENDERS, *normalize._REPORT_TYPES, *normalize._RANKS):
        for fast_fn, full_fn in PAIRS:
            assert outcome(fast_fn, key) == outcome(full_fn, key)


def test_the_characters_fast_paths_admit_need_no_normalising() -> None:
    admitted = re.compile(f"[{normalize._STABLE}]")
    for code in range(0x110000):
        ch = chr(code)
        if admitted.fullmatch(ch):
            assert unicodedata.normalize("NFKC", ch) == ch
            assert unicodedata.category(ch) not in ("Cc", "Cf")
            assert not ch.isspace()


def reference_validate_activity(row: DataRow, ctx: ActivityContext) -> ActivityResult:
    """Validate one activity row into an :class:`Activity`, reporting every issue."""
    check = RowChecker(row)
    name = check.cell("name", _normalize_name)
    phone = check.cell("phone", _normalize_phone)
    day = check.cell(
        "day", lambda text: normalize_date(text, today=ctx.today, earliest=ctx.earliest)
    )
    content = check.required(
        "content", _full_text, "服务（活动）内容为空：请简要填写做了什么，如 入户走访困难家庭。"
    )
    place = check.cell("place", _full_text)
    participants = check.cell("participants", _full_text)
    hours = check.cell("hours", normalize_hours)
    rating = check.cell("rating", normalize._normalize_rating)
    kind = check.cell("kind", _full_text)
    self_reported = check.cell("self_reported", normalize_flag)
    if name is not None and phone is not None:
        member = ctx.members.find_member(name, phone)
        if member is None:
            check.add(
                None,
                "member.unknown",
                f"没有找到姓名为“{name}”、联系方式为 {phone} 的登记党员："
                "请核对姓名和联系方式是否与党员信息登记表一致。",
                value=f"{name} {phone}",
            )
        elif day is not None and day.year in member.locked_years:
            check.add(
                "day",
                "activity.locked",
                f"{name} {day.year} 年的实绩反馈单已盖章确认，不能再添加该年的活动："
                "如确需补录，请社区先退回该反馈单。",
            )
    headers = row.column("hours")
    if (
        check.has_errors
        or name is None
        or phone is None
        or day is None
        or content is None
        or hours is None
        or rating is None
    ):
        return ActivityResult(row.number, None, tuple(check.issues), headers)
    record = Activity(
        name=name,
        phone=phone,
        day=day,
        content=content,
        hours=hours,
        rating=rating,
        place=place or "",
        participants=participants or "",
        kind=kind or "",
        self_reported=bool(self_reported),
    )
    return ActivityResult(row.number, record, tuple(check.issues), headers)


# ---------------------------------------------------------------------------------------------
# Activities
# ---------------------------------------------------------------------------------------------

MEMBERS = [
    KnownMember("张三", "13912345678", frozenset({2023})),
    KnownMember("李四", "0517-83601234"),
    KnownMember("阿卜杜·热合曼", "13800000001"),
    *(KnownMember(f"王{c}", f"1370000{i:04d}") for i, c in enumerate("一二三四五六七八九十")),
]
DAYS = (
    "2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "２０２４－０３－０５", "2023-11-11",
    "2024-03-05 00:00:00", "2024-5-31", "20240301", "45000", "2024-02-30", "2030-01-01",
    "2013-12-31", "", "三月五日", "2023年1月2号",
)  # fmt: skip
HOURS = ("2", "1.5", "1.5小时", "2h", "０.５", "3 ", "0", "25", "abc", "", "12", "24")
RATINGS = ("优", "良", "一般", "优秀", "良好", " 优 ", "差", "")
CONTENTS = ("入户走访困难家庭", "清理小区楼道杂物", "政策宣讲", "", "活" * 201, "义诊　服务")
FLAGS = ("", "是", "否", "Y", "n", "也许")


def activity_rows(count: int, seed: int = 5) -> list[DataRow]:
    rng = random.Random(seed)
    rows = []
    for number in range(2, count + 2):
        member = rng.choice(MEMBERS)
        name = member.name if rng.random() < 0.9 else rng.choice(("赵六", "张3", ""))
        phone = member.phone if rng.random() < 0.9 else rng.choice(("13911112222", "12345"))
        if rng.random() < 0.1:
            name = name[:1] + " " + name[1:]
        values = {
            "name": name,
            "phone": phone,
            "day": rng.choice(DAYS),
            "content": rng.choice(CONTENTS),
            "place": rng.choice(("河下社区", "", "社区活动室")),
            "participants": rng.choice(("", "张三、李四", "社区志愿者")),
            "hours": rng.choice(HOURS),
            "rating": rng.choice(RATINGS),
        }
        if rng.random() < 0.5:
            values["kind"] = rng.choice(("", "党员奉献日", "结对帮扶"))
            values["self_reported"] = rng.choice(FLAGS)
        rows.append(DataRow.of(FormKind.ACTIVITIES, number, values))
    return rows


def test_activities_are_identical_to_the_reference() -> None:
    rows = activity_rows(3000)
    ctx = ActivityContext(MemberIndex(MEMBERS), date(2024, 6, 1))
    got = list(validate_activities(rows, ctx))
    expected = list(check_activity_totals(reference_validate_activity(row, ctx) for row in rows))
    assert got == expected
    assert [repr(r) for r in got] == [repr(r) for r in expected]
    assert [validate_activity(row, ctx) for row in rows] == [
        reference_validate_activity(row, ctx) for row in rows
    ]
    codes = {i.code for r in got for i in r.issues}
    assert codes >= {
        "date.invalid", "date.future", "date.too_early", "date.missing", "hours.invalid",
        "hours.missing", "rating.invalid", "rating.missing", "member.unknown", "activity.locked",
        "text.too_long", "content.missing", "flag.invalid", "row.duplicate", "hours.day_total",
    }  # fmt: skip


def test_activity_memos_overflowing_give_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = activity_rows(500, seed=9)
    ctx = ActivityContext(MemberIndex(MEMBERS), date(2024, 6, 1))
    expected = list(validate_activities(rows, ctx))
    monkeypatch.setattr("partyreg_core.activities.MEMO_LIMIT", 3)
    assert list(validate_activities(rows, ctx)) == expected


def test_people_sharing_a_phone_and_their_repeats() -> None:
    good = REFERENCE_ROWS[0].values
    people = [
        ("张三", "13912345678"),
        ("李四", "13912345678"),  # shares 张三's phone
        ("李四", "13912345678"),  # 李四 again
        ("王五", "13912345678"),
        ("张三", "139-1234-5678"),  # 张三 again, written otherwise
        ("王五", "13912345678"),
        ("赵六", "13800000000"),
        ("赵六", "13800000000"),
        ("李四", "13800000000"),
    ]
    rows = [
        DataRow.of(FormKind.REGISTRATIONS, n, {**good, "name": name, "phone": phone})
        for n, (name, phone) in enumerate(people, start=4)
    ]
    # 李四 first on a row rejected for its gender: rejected rows count for duplicates too.
    rows.insert(1, attrs.evolve(rows[1], number=3, values={**rows[1].values, "gender": "?"}))
    ctx = contexts()["city"]
    got = list(validate_registrations(rows, ctx))
    assert got == reference(rows, ctx)
    found = [[i.code for i in r.issues if i.code in ("row.duplicate", "phone.shared")] for r in got]
    assert found == [
        [],
        ["phone.shared"],
        ["row.duplicate"],
        ["row.duplicate"],
        ["phone.shared"],
        ["row.duplicate"],
        ["row.duplicate"],
        [],
        ["row.duplicate"],
        ["phone.shared"],
    ]
