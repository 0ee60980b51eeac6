"""The community directory (附表4 全市城市社区通讯录): validating its rows, and looking up a
community named by (县区, 街道, 社区).

A community is identified by all three names together: names repeat across districts. Each
县区 of the directory is linked to an aggregator of the org tree (its 县区委 or 功能区党工委) by
the optional ``县区代码`` column, else by name (``淮安区`` → ``淮安区委``); that link decides
which district's local posts a member reporting there may claim, and where the member is routed.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Protocol

import attrs

from partyreg_core.forms import DataRow, RowChecker
from partyreg_core.normalize import (
    is_mobile,
    normalize_name,
    normalize_phone,
    normalize_place_name,
    normalize_qq_group,
    normalize_text,
)
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgTree, OrgUnit, parse_code
from partyreg_core.records import CommunityRef, DirectoryEntry, RowIssue, Severity
from partyreg_core.text import header_key

# Aggregators that hold no communities: a 县区 of the directory is never linked to them.
_NOT_DISTRICTS = (OrgKind.COMMITTEE, OrgKind.INSTITUTION)
MAX_CLOSE_MATCHES = 5


# ---------------------------------------------------------------------------------------------
# Looking communities up
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class CommunityResolution:
    """What the directory says about a community as an input names it.

    ``entry`` is the directory's entry when all three names match (its spelling is the one to
    store, its ``district_code`` the district that decides local posts); otherwise ``None`` and
    ``close_matches`` lists known communities the input may have meant, best first.
    """

    entry: DirectoryEntry | None
    close_matches: tuple[CommunityRef, ...] = ()

    @property
    def found(self) -> bool:
        """Whether the community is in the directory under this district and street."""
        return self.entry is not None

    @property
    def district_code(self) -> OrgCode | None:
        """The aggregator the community's 县区 is linked to, ``None`` when unresolved."""
        return self.entry.district_code if self.entry is not None else None


class DirectoryLookup(Protocol):
    """Resolves a community named by (县区, 街道, 社区). The store implements it over the
    directory it holds; :class:`DirectoryIndex` is the in-memory implementation."""

    def resolve(self, ref: CommunityRef) -> CommunityResolution:
        """The entry for ``ref`` when all three names match, else close matches."""
        ...


def place_key(name: str) -> str:
    """The key community, street and district names are compared by: NFKC, no whitespace,
    case folded (so ``清河 街道`` and full-width spellings find ``清河街道``)."""
    return _place_key(name)


@functools.lru_cache(maxsize=8192)
def _place_key(name: str) -> str:
    # A pure function of the name, asked again and again for the same few thousand places.
    return header_key(name).casefold()


# What people add to or leave off a community's name: 河下, 河下社区 and 河下居委会 are one place.
_COMMUNITY_SUFFIXES = (
    "社区居民委员会",
    "社区居委会",
    "居民委员会",
    "居委会",
    "社区",
    "村委会",
    "村",
)


def _core(key: str) -> str:
    for suffix in _COMMUNITY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def _ref_key(ref: CommunityRef) -> tuple[str, str, str]:
    return (place_key(ref.district), place_key(ref.street), place_key(ref.community))


class DirectoryIndex:
    """An in-memory :class:`DirectoryLookup` over directory entries.

    A community that is not found exactly gets close matches: the same name (give or take a
    社区 or 居委会) under another street or district first, the usual mistake; then similar
    names in the same district and street, then in the same district.
    """

    def __init__(self, entries: Iterable[DirectoryEntry] = ()) -> None:
        self._entries: dict[tuple[str, str, str], DirectoryEntry] = {}
        self._by_core: dict[str, list[DirectoryEntry]] = {}
        self._by_district: dict[str, list[DirectoryEntry]] = {}
        # Derived and dropped by add(): per (district) and (district, street) key, each
        # community's name without its 社区 suffix -> its entry, as close matches compare them.
        self._cores: dict[tuple[str, ...], dict[str, DirectoryEntry]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: DirectoryEntry) -> None:
        """Add ``entry`` (a later entry for the same three names replaces the earlier one)."""
        key = _ref_key(entry.ref)
        old = self._entries.get(key)
        if old is not None:
            self._by_core[_core(key[2])].remove(old)
            self._by_district[key[0]].remove(old)
        self._entries[key] = entry
        self._cores.clear()
        self._by_core.setdefault(_core(key[2]), []).append(entry)
        self._by_district.setdefault(key[0], []).append(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[DirectoryEntry]:
        return iter(self._entries.values())

    def resolve(self, ref: CommunityRef) -> CommunityResolution:
        """The entry for ``ref`` when all three names match, else up to five close matches."""
        key = _ref_key(ref)
        entry = self._entries.get(key)
        if entry is not None:
            return CommunityResolution(entry)
        core = _core(key[2])
        close: list[CommunityRef] = [e.ref for e in self._by_core.get(core, [])]
        for pool in (key[:2], key[:1]):  # the same district and street, then the district
            cores = self._cores.get(pool)
            if cores is None:
                cores = self._cores[pool] = self._pool_cores(*pool)
            for name in difflib.get_close_matches(core, list(cores), MAX_CLOSE_MATCHES, 0.5):
                close.append(cores[name].ref)
        unique = tuple(dict.fromkeys(close))[:MAX_CLOSE_MATCHES]
        return CommunityResolution(None, unique)

    def _pool_cores(self, district: str, street: str | None = None) -> dict[str, DirectoryEntry]:
        # Compared without the 社区 suffix, which every name shares and which would make any
        # two names look half alike.
        in_district = self._by_district.get(district, [])
        pool = [e for e in in_district if street is None or place_key(e.street) == street]
        return {_core(place_key(e.community)): e for e in pool}


# ---------------------------------------------------------------------------------------------
# Validating 附表4
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class DirectoryResult:
    """The outcome of one 附表4 row: the entry (``None`` when an error rejects the row) and
    every issue of the row."""

    row: int
    entry: DirectoryEntry | None
    issues: tuple[RowIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the row is accepted (warnings allowed)."""
        return self.entry is not None


def _usable(unit: OrgUnit, today: date | None) -> bool:
    return unit.kind not in _NOT_DISTRICTS and unit.active_on(today)


def district_candidates(tree: OrgTree, name: str, today: date | None = None) -> list[OrgUnit]:
    """The aggregators a 县区 name may be linked to: those whose name is it or starts with it
    (:meth:`OrgTree.district_for_name`), leaving out work committees and institutions (they
    hold no communities) and, given ``today``, aggregators retired by then."""
    return [u for u in tree.district_for_name(name) if _usable(u, today)]


def _link_district(
    check: RowChecker, tree: OrgTree, district: str | None, today: date | None
) -> OrgCode | None:
    code_text = check.row.get("district_code")
    add_first = (
        "请先在单位党组织代码表中加入该县区（如“清江浦区委”），或在“县区代码”列填写它的代码。"
    )
    if code_text.strip():
        code = check.cell("district_code", parse_code)
        if code is None:
            return None
        unit = tree.find(code)
        if unit is None:
            check.add(
                "district_code",
                "code.unknown",
                f"县区代码 {code} 不在单位党组织代码表中：请核对，或先在代码表中加入该县区。",
            )
            return None
        if code.depth != 2 or not _usable(unit, today):
            check.add(
                "district_code",
                "district_code.invalid",
                f"县区代码 {code}（{unit.name}）不是在用的县区委或功能区党工委的代码："
                "请填写县区一级的代码，如 008.003。",
            )
            return None
        if district:
            named = district_candidates(tree, district, today)
            if len(named) == 1 and named[0].code != code:
                check.add(
                    "district",
                    "district.mismatch",
                    f"县区“{district}”按名称对应 {named[0].code}（{named[0].name}），"
                    f"但县区代码填的是 {code}（{unit.name}）：已按县区代码接收，请核对。",
                    Severity.WARNING,
                )
        return code
    if not district:
        return None
    candidates = district_candidates(tree, district, today)
    if not candidates:
        check.add(
            "district",
            "district.unknown",
            f"县区“{district}”在代码表中找不到对应的县区委或功能区党工委：{add_first}",
        )
        return None
    if len(candidates) > 1:
        names = "、".join(f"{u.code} {u.name}" for u in candidates)
        check.add(
            "district",
            "district.ambiguous",
            f"县区“{district}”可能是 {names}：请在“县区代码”列填写它的代码，"
            "或把县区名称写完整；如是新设县区，请先在单位党组织代码表中加入。",
        )
        return None
    return candidates[0].code


def validate_directory_entry(
    row: DataRow, tree: OrgTree, *, today: date | None = None
) -> DirectoryResult:
    """Validate one 附表4 row into a :class:`DirectoryEntry`, reporting every issue.

    县区, 街道 and 社区 are required; the 县区 must link to exactly one aggregator (by
    ``县区代码`` or by name). The contact cells are checked when filled: 接收报到电话 a phone
    (an empty one is a warning: members cannot call), QQ群号 digits, 党组织书记姓名 a name,
    手机 a mobile, 地址 text.
    """
    check = RowChecker(row)
    district = check.required(
        "district", normalize_place_name, "县区为空：请填写社区所属的县区，如 淮安区。"
    )
    street = check.required(
        "street", normalize_place_name, "街道为空：请填写社区所属的街道（乡镇）。"
    )
    community = check.required("community", normalize_place_name, "社区为空：请填写社区名称。")
    district_code = _link_district(check, tree, district, today)
    phone = ""
    if row.get("phone").strip():
        phone = check.cell("phone", normalize_phone) or ""
    else:
        check.add(
            "phone",
            "phone.missing",
            "接收报到电话为空：党员无法电话联系社区报到，请尽快补上。",
            Severity.WARNING,
        )
    qq_group = check.cell("qq_group", normalize_qq_group) or ""
    secretary = ""
    if row.get("secretary").strip():
        secretary = check.cell("secretary", normalize_name) or ""
    mobile = ""
    if row.get("mobile").strip():
        mobile = check.cell("mobile", normalize_phone) or ""
        if mobile and not is_mobile(mobile):
            check.add(
                "mobile",
                "mobile.invalid",
                f"书记手机“{row.get('mobile')}”不是手机号：请填写 1 开头的 11 位手机号，"
                "固定电话请填在“接收报到电话”列。",
            )
            mobile = ""
    address = check.cell("address", normalize_text) or ""
    if check.has_errors or district is None or street is None or community is None:
        return DirectoryResult(row.number, None, tuple(check.issues))
    entry = DirectoryEntry(
        district,
        street,
        community,
        phone=phone,
        qq_group=qq_group,
        secretary=secretary,
        mobile=mobile,
        address=address,
        district_code=district_code,
    )
    return DirectoryResult(row.number, entry, tuple(check.issues))


def check_directory_duplicates(results: Iterable[DirectoryResult]) -> Iterator[DirectoryResult]:
    """Reject the later of two rows naming the same community (same 县区, 街道 and 社区),
    naming the earlier row (``row.duplicate``)."""
    seen: dict[tuple[str, str, str], int] = {}
    for result in results:
        entry = result.entry
        if entry is None:
            yield result
            continue
        key = _ref_key(entry.ref)
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = result.row
            yield result
            continue
        issue = RowIssue(
            result.row,
            None,
            entry.ref.label,
            "row.duplicate",
            f"社区“{entry.ref.label}”与第 {earlier} 行重复：同一社区只能填一行，请删除或合并。",
        )
        yield DirectoryResult(result.row, None, (*result.issues, issue))


def validate_directory(
    rows: Iterable[DataRow], tree: OrgTree, *, today: date | None = None
) -> Iterator[DirectoryResult]:
    """Validate every row of a 附表4 sheet (:func:`validate_directory_entry`), then reject
    repeated communities (:func:`check_directory_duplicates`)."""
    return check_directory_duplicates(
        validate_directory_entry(row, tree, today=today) for row in rows
    )
