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

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

import attrs

from partyreg_core.directory import CommunityResolution, DirectoryLookup
from partyreg_core.errors import ValidationError
from partyreg_core.forms import DataRow, RowChecker
from partyreg_core.normalize import (
    Rank,
    normalize_gender,
    normalize_name,
    normalize_phone,
    normalize_place_name,
    normalize_rank,
    normalize_report_type,
    normalize_text,
)
from partyreg_core.orgcodes import OrgCode, OrgTree, parse_code
from partyreg_core.posts import PostCatalog
from partyreg_core.records import CommunityRef, Registration, ReportType, RowIssue, Severity


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


def _unit_code(check: RowChecker, ctx: RegistrationContext) -> OrgCode | None:
    code = check.cell("unit_code", parse_code)
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


def _community(
    check: RowChecker, ctx: RegistrationContext
) -> tuple[CommunityRef | None, CommunityResolution | None]:
    district = check.required(
        "district",
        normalize_place_name,
        "所属县区为空：请填写报到社区所属的县区，写法与社区通讯录一致，如 清江浦区。",
    )
    street = check.required(
        "street",
        normalize_place_name,
        "社区所属街道、乡镇为空：请填写报到社区所属的街道或乡镇，如 清河街道。",
    )
    community = check.required(
        "community", normalize_place_name, "报到社区为空：请填写报到社区的名称。"
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


def _posts(
    check: RowChecker, ctx: RegistrationContext, district: OrgCode | None, resolved: bool
) -> tuple[str, ...] | None:
    claims = ctx.posts.parse_claims(check.row.get("posts"), district)
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


def _report_type(check: RowChecker) -> tuple[ReportType | None, Rank | None]:
    report_type = check.cell("report_type", normalize_report_type)
    rank_ok = True
    try:
        rank = normalize_rank(check.row.get("rank"))
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


def validate_registration(row: DataRow, ctx: RegistrationContext) -> RegistrationResult:
    """Validate one 附表1 row into a :class:`Registration`, reporting every issue of the row
    (errors reject it; warnings accept it and tell the operator)."""
    check = RowChecker(row)
    unit_code = _unit_code(check, ctx)
    name = check.cell("name", normalize_name)
    gender = check.cell("gender", normalize_gender)
    unit_and_title = check.required(
        "unit_and_title",
        normalize_text,
        "单位及职务为空：请填写党员的工作单位和职务，如 市民政局 科员。",
    )
    specialty = check.cell("specialty", normalize_text)
    phone = check.cell("phone", normalize_phone)
    address = check.cell("address", normalize_text)
    community, resolution = _community(check, ctx)
    district = resolution.district_code if resolution is not None else None
    resolved = district is not None
    posts = _posts(check, ctx, district, resolved)
    report_type, rank = _report_type(check)
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


def check_duplicates(results: Iterable[RegistrationResult]) -> Iterator[RegistrationResult]:
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


def validate_registrations(
    rows: Iterable[DataRow], ctx: RegistrationContext
) -> Iterator[RegistrationResult]:
    """Validate every row of a 附表1 sheet (:func:`validate_registration`), then judge the
    file as a whole (:func:`check_duplicates`). Streams: one result per row, in order."""
    return check_duplicates(validate_registration(row, ctx) for row in rows)
