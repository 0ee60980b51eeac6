"""Validating 附表1 (参与党员信息登记表): raw rows into :class:`Registration` records.

Every cell of a row is judged on its own and every issue reported (DESIGN.md §6, §9):

- 单位代码 must parse (an Excel number such as ``8.001`` gets the hint to format the column as
  text), lie within the operator's scope when one is given (``scope.denied``, checked first so
  nothing is revealed about codes outside it), exist in the org tree and be in use;
- 姓名, 性别, 联系方式 are normalised (:mod:`partyreg_core.normalize`); 单位及职务 is required
  free text, 特长 and 常住住址 optional free text, each at most 200 characters;
- 所属, 社区所属街道、乡镇 and 报到社区 together name the community; one the directory does not
  know is accepted with a ``community.unresolved`` warning listing close matches;
- 认领岗位 is parsed against the posts of the district of the report-in community; while the
  community is unresolved only the city-wide posts count: a local post is dropped with a
  ``posts.not_counted`` warning (the member can claim it at report-in once the district
  resolves the community), and at least one city-wide post must remain;
- 报到类型 ``联系点`` is only for 职级 县处级 and above (``report_type.rank``).

Across a file (:func:`check_duplicates`), a person is name + phone: the later of two rows for
the same person is rejected naming the earlier one; the same phone under another name is
accepted with a warning.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

import attrs

from partyreg_core.directory import DirectoryLookup
from partyreg_core.errors import ValidationError
from partyreg_core.forms import DataRow
from partyreg_core.members.fields import MEMBER_FIELDS
from partyreg_core.normalize import (
    Rank,
    is_normal_text,
    normalize_gender,
    normalize_name,
    normalize_phone,
    normalize_place_name,
    normalize_rank,
    normalize_report_type,
    normalize_text,
)
from partyreg_core.orgcodes import OrgCode, OrgTree, parse_code
from partyreg_core.posts import ClaimResult, PostCatalog
from partyreg_core.records import (
    CommunityRef,
    Gender,
    Registration,
    ReportType,
    RowIssue,
    Severity,
)

_K = TypeVar("_K")
_V = TypeVar("_V")


@attrs.frozen(eq=False)
class RegistrationContext:
    """What judging a 附表1 row needs besides the row.

    ``tree`` the org tree (单位代码 must exist in it); ``posts`` the post catalog; ``directory``
    the community lookup; ``today`` the import date (a unit retired by then is refused;
    ``None`` refuses only retired units); ``scope`` the org codes the acting operator may
    write under (``None``: no restriction).
    """

    tree: OrgTree
    posts: PostCatalog
    directory: DirectoryLookup
    today: date | None = None
    scope: Sequence[OrgCode] | None = None


@attrs.frozen
class RegistrationResult:
    """The outcome of one 附表1 row.

    ``record`` is ``None`` when an error rejects the row; ``issues`` holds every error and
    warning. ``person`` is the normalised (name, phone) whenever both cells are valid, even if
    other cells are not, so duplicates are found among rejected rows too. ``district`` is the
    aggregator of the resolved report-in community (``None`` while unresolved);
    ``phone_column`` the 联系方式 header as written, for issues found across the file.
    """

    row: int
    record: Registration | None
    issues: tuple[RowIssue, ...] = ()
    person: tuple[str, str] | None = None
    district: OrgCode | None = None
    phone_column: str = "联系方式"

    @property
    def ok(self) -> bool:
        """Whether the row is accepted (warnings allowed)."""
        return self.record is not None

    @property
    def community_resolved(self) -> bool:
        """Whether the report-in community was found in the directory."""
        return not any(i.code == "community.unresolved" for i in self.issues)

    @property
    def errors(self) -> tuple[RowIssue, ...]:
        """The issues that reject the row."""
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[RowIssue, ...]:
        """The issues that only tell the operator."""
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)


# ---------------------------------------------------------------------------------------------
# Judging rows
# ---------------------------------------------------------------------------------------------

MEMO_LIMIT = 50_000
"""The most outcomes each memo of a validation run holds; a full memo starts afresh. An
outcome is a pure function of its cells and the run's context, so forgetting one costs only
time, never a different result."""


@attrs.frozen
class _Problem:
    """A cell's value could not be used: the issue's code and message."""

    code: str
    message: str


# An issue found once for some cells and reported on every row holding them: the column key
# (``None``: the row as a whole), code, message, severity, and the issue's value when it is not
# the cell as written.
_Spec = tuple[str | None, str, str, Severity, str | None]


@attrs.frozen
class _Place:
    """What 所属, 社区所属街道、乡镇 and 报到社区 together give: the community (``None`` when a
    cell is unusable), the district deciding local posts, and the issues."""

    community: CommunityRef | None
    district: OrgCode | None
    issues: tuple[_Spec, ...]


@attrs.frozen
class _Claims:
    """What a 认领岗位 cell gives for a district: the posts (``None``: none) and the issues."""

    posts: tuple[str, ...] | None
    issues: tuple[_Spec, ...]


@attrs.frozen
class _Kind:
    """What 报到类型 and 职级 together give."""

    report_type: ReportType | None
    rank: Rank | None
    issues: tuple[_Spec, ...]
    stored_rank: str = ""
    """职级 as a record stores it (``""`` when none)."""


_BY_DISTRICT = _Claims(None, ())
"""In the memo of cells read alike everywhere: this cell is read by district."""


class _RowJudge:
    """Judges 附表1 rows against one context.

    Within one validation run the judge remembers what it found for cells that repeat from row
    to row: a unit code (parse, tree lookup, scope, date), a 单位及职务 or 特长 text, a
    community's three names (and the directory's answer), a 认领岗位 cell for a district, a
    报到类型 with its 职级. Each memo belongs to this judge, so to one context, and lives no
    longer than the run: a tree, catalog or directory changed between runs is always seen.
    Each outcome depends on nothing but its cells and the context, never on earlier rows, so
    results are the same whatever the order of the rows (``memo=False`` judges every cell
    afresh: the reference the tests compare against).
    """

    def __init__(self, ctx: RegistrationContext, *, memo: bool = True) -> None:
        self.ctx = ctx
        self.memo = memo
        self._units: dict[str, OrgCode | _Problem] = {}
        self._texts: dict[str, str | _Problem] = {}
        self._places: dict[tuple[str, str, str], _Place] = {}
        # 认领岗位 cells read alike in every district (city-wide post codes), and the others by
        # district: keyed by the district's segments (hashed in C, unlike an OrgCode).
        self._claims_anywhere_memo: dict[str, _Claims] = {}
        self._claims: dict[tuple[str, tuple[str, ...] | None], _Claims] = {}
        self._kinds: dict[tuple[str, str], _Kind] = {}
        self._all_columns = True

    # -- outcomes of single cells or groups of cells, memoised per run ------------------------

    def _keep(self, memo: dict[_K, _V], key: _K, outcome: _V) -> _V:
        if self.memo:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = outcome
        return outcome

    # Each ``_x`` works an outcome out and keeps it; :meth:`judge` looks in the memo first.

    def _unit(self, cell: str) -> OrgCode | _Problem:
        return self._keep(self._units, cell, self._judge_unit(cell))

    def _judge_unit(self, cell: str) -> OrgCode | _Problem:
        """单位代码: parsed, within the scope (checked first, so nothing is revealed about
        codes outside it), in the tree and in use."""
        try:
            code = parse_code(cell)
        except ValidationError as exc:
            return _Problem(exc.code, exc.message)
        ctx = self.ctx
        if ctx.scope is not None and not any(code.is_within(s) for s in ctx.scope):
            return _Problem(
                "scope.denied",
                f"单位代码 {code} 不在您的管理范围内：只能导入本单位及下级单位的党员，"
                "其他单位的党员请由其上级党组织导入。",
            )
        unit = ctx.tree.find(code)
        if unit is None:
            return _Problem(
                "code.unknown",
                f"单位代码 {code} 不在单位党组织代码表中：请核对代码，"
                "新单位请先由上级组织部门在代码表中编码。",
            )
        if not unit.active_on(ctx.today):
            if unit.moved_to is not None:
                try:
                    ctx.tree.resolve(code, ctx.today)
                except ValidationError as exc:  # code.moved names the code to use instead
                    return _Problem(exc.code, exc.message)
            return _Problem(
                "code.retired",
                f"单位代码 {code}（{unit.name}）已停用：请改用该单位现在的代码。",
            )
        return code

    def _free_text(self, cell: str) -> str | _Problem:
        """A free-text cell (单位及职务, 特长): as it is when already in stored form, else
        normalised once per distinct value."""
        if is_normal_text(cell):
            return cell
        memo = self._texts.get(cell)
        return memo if memo is not None else self._text(cell)

    def _text(self, cell: str) -> str | _Problem:
        """A free-text cell that repeats (单位及职务, 特长) and is not already in its stored
        form (those are taken as they are, without the memo)."""
        try:
            value: str | _Problem = normalize_text(cell)
        except ValidationError as exc:
            value = _Problem(exc.code, exc.message)
        return self._keep(self._texts, cell, value)

    def _place(self, key: tuple[str, str, str]) -> _Place:
        return self._keep(self._places, key, self._judge_place(*key))

    def _judge_place(self, district_cell: str, street_cell: str, community_cell: str) -> _Place:
        """The community named by 所属, 社区所属街道、乡镇 and 报到社区."""
        issues: list[_Spec] = []
        names: list[str | None] = []
        for key, cell, missing in (
            (
                "district",
                district_cell,
                "所属县区为空：请填写报到社区所属的县区，写法与社区通讯录一致，如 清江浦区。",
            ),
            (
                "street",
                street_cell,
                "社区所属街道、乡镇为空：请填写报到社区所属的街道或乡镇，如 清河街道。",
            ),
            ("community", community_cell, "报到社区为空：请填写报到社区的名称。"),
        ):
            try:
                name: str | None = normalize_place_name(cell)
            except ValidationError as exc:
                issues.append((key, exc.code, exc.message, Severity.ERROR, None))
                name = None
            if name == "":
                issues.append((key, f"{key}.missing", missing, Severity.ERROR, None))
                name = None
            names.append(name)
        district, street, community = names
        if district is None or street is None or community is None:
            return _Place(None, None, tuple(issues))
        ref = CommunityRef(district, street, community)
        resolution = self.ctx.directory.resolve(ref)
        if resolution.entry is not None:
            return _Place(resolution.entry.ref, resolution.district_code, tuple(issues))
        close = "、".join(r.label for r in resolution.close_matches)
        hint = f"相近的有：{close}；" if close else ""
        issues.append(
            (
                "community",
                "community.unresolved",
                f"报到社区“{ref.label}”不在社区通讯录中（{hint}请核对县区、街道、社区三列与通讯录是否一致）："
                "已接收，待所属县区确认；确认前只能认领全市通用岗位 1–15。",
                Severity.WARNING,
                ref.label,
            )
        )
        return _Place(ref, resolution.district_code, tuple(issues))

    def _claims_anywhere(self, cell: str) -> _Claims:
        claims = self.ctx.posts.claims_anywhere(cell)
        outcome = _BY_DISTRICT if claims is None else self._judge_claims(claims, resolved=False)
        return self._keep(self._claims_anywhere_memo, cell, outcome)

    def _claims_of(self, cell: str, district: OrgCode | None) -> _Claims:
        key = (cell, district.segments if district is not None else None)
        claims = self.ctx.posts.parse_claims(cell, district)
        return self._keep(self._claims, key, self._judge_claims(claims, district is not None))

    def _judge_claims(self, claims: ClaimResult, resolved: bool) -> _Claims:
        """认领岗位 as the catalog reads it for the member's district; ``resolved`` whether
        that district is known (the report-in community is resolved)."""
        set_aside = [p for p in claims.problems if p.code == "posts.not_local" and not resolved]
        issues: list[_Spec] = []
        for problem in claims.problems:
            if problem in set_aside:
                # Not the member's mistake: the district that would allow the post is not
                # known until the community is resolved. The claim is set aside, not the row.
                issues.append(
                    (
                        "posts",
                        "posts.not_counted",
                        f"岗位“{problem.value}”是地方岗位，报到社区确认前不计入："
                        "社区确认后可在报到时再认领。",
                        Severity.WARNING,
                        None,
                    )
                )
            else:
                issues.append(("posts", problem.code, problem.message, Severity.ERROR, None))
        if set_aside and not claims.codes and len(set_aside) == len(claims.problems):
            issues.append(
                (
                    "posts",
                    "posts.missing",
                    "报到社区确认前只能认领全市通用岗位：请至少填写一个 1–15 的岗位代码。",
                    Severity.ERROR,
                    None,
                )
            )
        return _Claims(claims.codes or None, tuple(issues))

    def _kind(self, key: tuple[str, str]) -> _Kind:
        return self._keep(self._kinds, key, self._judge_kind(*key))

    def _judge_kind(self, report_type_cell: str, rank_cell: str) -> _Kind:
        """报到类型 and 职级: ``联系点`` only for 县处级 and above."""
        issues: list[_Spec] = []
        report_type: ReportType | None
        try:
            report_type = normalize_report_type(report_type_cell)
        except ValidationError as exc:
            issues.append(("report_type", exc.code, exc.message, Severity.ERROR, None))
            report_type = None
        rank_ok = True
        rank: Rank | None
        try:
            rank = normalize_rank(rank_cell)
        except ValidationError as exc:
            issues.append(("rank", exc.code, exc.message, Severity.ERROR, None))
            rank, rank_ok = None, False
        if (
            report_type is ReportType.CONTACT_POINT
            and rank_ok
            and (rank is None or not rank.at_least_county)
        ):
            has_rank = f"职级“{rank}”" if rank is not None else "未填写职级"
            issues.append(
                (
                    "report_type",
                    "report_type.rank",
                    f"报到类型“联系点”只适用于县处级以上领导干部（{has_rank}）："
                    "请在“职级”列填写县处级以上的职级，或把报到类型改为居住地、工作地或其他。",
                    Severity.ERROR,
                    None,
                )
            )
            report_type = None
        return _Kind(report_type, rank, tuple(issues), rank.value if rank is not None else "")

    # -- a whole row ---------------------------------------------------------------------------

    def _cells(self, values: Mapping[str, str]) -> tuple[str, ...]:
        """The row's cells in :data:`_COLUMNS` order, ``""`` for an absent column."""
        get = values.get
        return tuple([get(key, "") for key in _COLUMNS])

    def judge(self, row: DataRow) -> RegistrationResult:
        """Validate one row (:func:`validate_registration`)."""
        values = row.values
        try:
            # One call for a row that has every column.
            cells = _take_columns(values) if self._all_columns else self._cells(values)
        except KeyError:
            # A sheet without the optional columns: ask each column from now on (the same
            # cells either way, only sooner).
            self._all_columns = False
            cells = self._cells(values)
        (
            unit_cell,
            name_cell,
            gender_cell,
            title_cell,
            specialty_cell,
            posts_cell,
            phone_cell,
            address_cell,
            community_cell,
            street_cell,
            district_cell,
            report_type_cell,
            rank_cell,
        ) = cells[:13]
        # The 联系方式 header as written (DataRow.column without the call).
        phone_column = row.headers.get("phone") or row.column("phone")
        issues: list[RowIssue] | None = None
        rejected = False

        unit_code: OrgCode | None
        unit_outcome = self._units.get(unit_cell)
        if unit_outcome is None:
            unit_outcome = self._unit(unit_cell)
        if isinstance(unit_outcome, _Problem):
            issues = _add(issues, row, "unit_code", unit_outcome)
            unit_code, rejected = None, True
        else:
            unit_code = unit_outcome

        name: str | None
        try:
            name = normalize_name(name_cell)
        except ValidationError as exc:
            issues = _add(issues, row, "name", exc)
            name, rejected = None, True

        gender: Gender | None
        try:
            gender = normalize_gender(gender_cell)
        except ValidationError as exc:
            issues = _add(issues, row, "gender", exc)
            gender, rejected = None, True

        unit_and_title: str | None
        text = self._free_text(title_cell)
        if isinstance(text, _Problem):
            issues = _add(issues, row, "unit_and_title", text)
            unit_and_title, rejected = None, True
        elif text == "":
            issues = _add(issues, row, "unit_and_title", _UNIT_AND_TITLE_MISSING)
            unit_and_title, rejected = None, True
        else:
            unit_and_title = text

        specialty: str | None
        text = self._free_text(specialty_cell)
        if isinstance(text, _Problem):
            issues = _add(issues, row, "specialty", text)
            specialty, rejected = None, True
        else:
            specialty = text

        phone: str | None
        try:
            phone = normalize_phone(phone_cell)
        except ValidationError as exc:
            issues = _add(issues, row, "phone", exc)
            phone, rejected = None, True

        address: str | None
        try:
            address = normalize_text(address_cell)
        except ValidationError as exc:
            issues = _add(issues, row, "address", exc)
            address, rejected = None, True

        names = (district_cell, street_cell, community_cell)
        place = self._places.get(names)
        if place is None:
            place = self._place(names)
        district = place.district
        claims = self._claims_anywhere_memo.get(posts_cell)
        if claims is None:
            claims = self._claims_anywhere(posts_cell)
        if claims is _BY_DISTRICT:
            segments = district.segments if district is not None else None
            claims = self._claims.get((posts_cell, segments))
            if claims is None:
                claims = self._claims_of(posts_cell, district)
        kinds = (report_type_cell, rank_cell)
        kind = self._kinds.get(kinds)
        if kind is None:
            kind = self._kind(kinds)
        if place.issues or claims.issues or kind.issues:
            for specs in (place.issues, claims.issues, kind.issues):
                issues, errors = _add_specs(issues, row, specs)
                rejected = rejected or errors

        person = (name, phone) if name is not None and phone is not None else None
        found = tuple(issues) if issues is not None else ()
        community, posts, report_type = place.community, claims.posts, kind.report_type
        if (
            rejected
            or unit_code is None
            or name is None
            or gender is None
            or unit_and_title is None
            or phone is None
            or community is None
            or posts is None
            or report_type is None
        ):
            return RegistrationResult(row.number, None, found, person, district, phone_column)
        record = Registration(  # by position: unit_code, name, … rank
            unit_code,
            name,
            gender,
            unit_and_title,
            posts,
            phone,
            community,
            specialty or "",
            address or "",
            report_type,
            kind.stored_rank,
        )
        if _EXTRA_FIELDS:
            record, extra_issues = _with_extra_fields(record, row, cells[13:])
            if extra_issues:
                found = found + extra_issues
                if any(i.severity is Severity.ERROR for i in extra_issues):
                    return RegistrationResult(
                        row.number, None, found, person, district, phone_column
                    )
        return RegistrationResult(row.number, record, found, person, district, phone_column)


#: The columns the row judge reads by name, in the form's order (its own checks below).
_JUDGED = (
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
    "report_type",
    "rank",
)
#: Fields of the table (:mod:`partyreg_core.members.fields`) judged by their own normaliser
#: alone: none of 附表1's own, every field added through the table.
_EXTRA_FIELDS = tuple(f for f in MEMBER_FIELDS if f.key not in _JUDGED)
_COLUMNS = _JUDGED + tuple(f.key for f in _EXTRA_FIELDS)
_take_columns: Callable[[Mapping[str, str]], tuple[str, ...]] = operator.itemgetter(*_COLUMNS)

_UNIT_AND_TITLE_MISSING = _Problem(
    "unit_and_title.missing", "单位及职务为空：请填写党员的工作单位和职务，如 市民政局 科员。"
)


def _with_extra_fields(
    record: Registration, row: DataRow, cells: Sequence[str]
) -> tuple[Registration, tuple[RowIssue, ...]]:
    """``record`` with the table's added fields, each cell judged by its field's normaliser
    (an empty optional cell keeps the attribute's default)."""
    values: dict[str, Any] = {}
    issues: list[RowIssue] | None = None
    for spec, cell in zip(_EXTRA_FIELDS, cells, strict=True):
        if cell == "" and not spec.value_required:
            continue
        try:
            values[spec.key] = spec.normalise(cell) if spec.normalise is not None else cell
        except ValidationError as exc:
            issues = _add(issues, row, spec.key, exc)
    return attrs.evolve(record, **values), tuple(issues or ())


def _add(
    issues: list[RowIssue] | None, row: DataRow, key: str, problem: _Problem | ValidationError
) -> list[RowIssue]:
    """``issues`` (made on the first issue of a row) with an error about column ``key``."""
    issue = RowIssue(row.number, row.column(key), row.get(key), problem.code, problem.message)
    if issues is None:
        return [issue]
    issues.append(issue)
    return issues


def _add_specs(
    issues: list[RowIssue] | None, row: DataRow, specs: tuple[_Spec, ...]
) -> tuple[list[RowIssue], bool]:
    """``issues`` with the issues ``specs`` describe, and whether any of them is an error."""
    if issues is None:
        issues = []
    errors = False
    for key, code, message, severity, value in specs:
        column = row.column(key) if key is not None else None
        if value is None:
            value = row.get(key) if key is not None else ""
        issues.append(RowIssue(row.number, column, value, code, message, severity))
        errors = errors or severity is Severity.ERROR
    return issues, errors


def validate_registration(row: DataRow, ctx: RegistrationContext) -> RegistrationResult:
    """Validate one 附表1 row into a :class:`Registration`, reporting every issue of the row
    (errors reject it; warnings accept it and tell the operator)."""
    return _RowJudge(ctx).judge(row)


def check_duplicates(results: Iterable[RegistrationResult]) -> Iterator[RegistrationResult]:
    """Judge a whole file's rows together, in file order (streaming).

    A person is name + phone: the later of two rows for the same person is rejected with
    ``row.duplicate`` naming the earlier row (rejected rows count too: the operator keeps one
    of the two). The same phone under a different name is accepted with a ``phone.shared``
    warning naming the earlier row.
    """
    # The first person seen with each phone, by phone, packed into ints (:func:`_phone_key`,
    # :func:`_pack_first`): about 105 bytes a row instead of 225 for text keys and values, and
    # never tracked by the garbage collector. Further people sharing a phone (rare) are in
    # ``sharing``.
    firsts: dict[int | str, int | tuple[str, int]] = {}
    sharing: dict[tuple[str, str], int] = {}
    for result in results:
        if result.person is None:
            yield result
            continue
        name, phone = result.person
        key = _phone_key(phone)
        first = firsts.get(key)
        if first is None:  # a phone not seen before: a person not seen before
            firsts[key] = _pack_first(name, result.row)
            yield result
            continue
        other_name, first_row = _unpack_first(first)
        earlier = first_row if other_name == name else sharing.get(result.person)
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
        sharing[result.person] = result.row
        issue = RowIssue(
            result.row,
            result.phone_column,
            phone,
            "phone.shared",
            f"联系方式 {phone} 与第 {first_row} 行的“{other_name}”相同：已接收；"
            "如是同一人请统一姓名，如是共用号码可不处理。",
            Severity.WARNING,
        )
        yield attrs.evolve(result, issues=(*result.issues, issue))


_ROW_BITS = 32


def _phone_key(phone: str) -> int | str:
    """A normalised phone as a dict key: an all-digit phone (a mobile) as the int of ``1`` and
    its digits (exact: the leading ``1`` keeps leading zeros), anything else as itself."""
    if phone.isascii() and phone.isdigit():
        return int("1" + phone)
    return phone


def _pack_first(name: str, row: int) -> int | tuple[str, int]:
    """A name and a row number packed exactly into one int (a 1 byte, then the name's UTF-8
    bytes, above the row's 32 bits: the 1 keeps leading zero bytes); a row number that does
    not fit is kept as a tuple."""
    if 0 <= row < 1 << _ROW_BITS:
        return (int.from_bytes(b"\x01" + name.encode(), "big") << _ROW_BITS) | row
    return (name, row)


def _unpack_first(packed: int | tuple[str, int]) -> tuple[str, int]:
    """The name and row number :func:`_pack_first` packed."""
    if isinstance(packed, tuple):
        return packed
    number = packed >> _ROW_BITS
    name = number.to_bytes((number.bit_length() + 7) // 8, "big")[1:].decode()
    return name, packed & ((1 << _ROW_BITS) - 1)


def validate_registrations(
    rows: Iterable[DataRow], ctx: RegistrationContext
) -> Iterator[RegistrationResult]:
    """Validate every row of a 附表1 sheet (:func:`validate_registration`), then judge the
    file as a whole (:func:`check_duplicates`). Streams: one result per row, in order.

    One judge serves the whole run, so what repeats from row to row (units, communities,
    post cells …) is worked out once per run and context (:class:`_RowJudge`)."""
    return check_duplicates(map(_RowJudge(ctx).judge, rows))
