"""Org codes (单位党组织代码) and the org tree of 附表2.

A code is dotted 3-digit segments: ``008`` is the city, ``008.001`` 清河区委, and each district
codes its own units below its segment. Codes are stable and never reused: the 2014 table skips
013–017 and the gaps stay free, but ``next_child`` always goes past the highest code ever used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.text import clean, compact, header_key

_SEGMENT = re.compile(r"^\d{3}$")
# A code already written the stored way (ASCII digits, dots): no normalising needed.
_PLAIN_CODE = re.compile(r"[0-9]{3}(?:\.[0-9]{3})*")
# NFKC turns "．" into "." but keeps the ideographic full stops; operators type both.
_DOT_VARIANTS = str.maketrans({"。": ".", "｡": ".", "·": ".", "、": "."})


class OrgKind(StrEnum):
    """What an org node is; districts and zones hold communities, committees do not."""

    CITY = "city"
    DISTRICT = "district"
    ZONE = "zone"
    COMMITTEE = "committee"
    INSTITUTION = "institution"
    UNIT = "unit"

    @property
    def has_communities(self) -> bool:
        """Whether communities (社区) belong to an org of this kind (县区 and 功能区 do)."""
        return self in (OrgKind.DISTRICT, OrgKind.ZONE)


@attrs.frozen(order=False, cache_hash=True)  # a dict key of every imported row: hashed once
class OrgCode:
    """A parsed org code; compare and sort by segment (``008.2`` never exists, so string order
    and segment order agree, but segment tuples are what is compared)."""

    segments: tuple[str, ...] = attrs.field()

    @segments.validator
    def _check(self, _attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
        if not value or not all(_SEGMENT.match(s) for s in value):
            raise ValueError(f"not an org code: {'.'.join(value)!r}")

    @classmethod
    def parse(cls, text: str) -> OrgCode:
        """Parse a code as an operator typed it; raise :class:`ValidationError` if it is not one."""
        return parse_code(text)

    def __str__(self) -> str:
        return ".".join(self.segments)

    def __lt__(self, other: OrgCode) -> bool:
        return self.segments < other.segments

    def __le__(self, other: OrgCode) -> bool:
        return self.segments <= other.segments

    def __gt__(self, other: OrgCode) -> bool:
        return self.segments > other.segments

    def __ge__(self, other: OrgCode) -> bool:
        return self.segments >= other.segments

    @property
    def depth(self) -> int:
        """1 for the city, 2 for an aggregator, 3 for its units, …"""
        return len(self.segments)

    @property
    def parent(self) -> OrgCode | None:
        """The code one level up, or ``None`` for the city."""
        return OrgCode(self.segments[:-1]) if len(self.segments) > 1 else None

    @property
    def ancestors(self) -> tuple[OrgCode, ...]:
        """Every code above this one, nearest first."""
        return tuple(OrgCode(self.segments[:i]) for i in range(len(self.segments) - 1, 0, -1))

    @property
    def aggregator(self) -> OrgCode | None:
        """The top-level org under the city this code belongs to (a 县区委 or a 市直党工委).

        ``None`` for the city itself.
        """
        return OrgCode(self.segments[:2]) if len(self.segments) >= 2 else None

    def child(self, number: int) -> OrgCode:
        """The code of this code's ``number``-th child (1–999)."""
        if not 1 <= number <= 999:
            raise ValidationError("code.full", f"{self} 下的代码已用尽（最多 999 个下级）。")
        return OrgCode((*self.segments, f"{number:03d}"))

    def is_within(self, other: OrgCode) -> bool:
        """Whether this code is ``other`` or lies below it."""
        return self.segments[: len(other.segments)] == other.segments


def normalise_code_text(text: str) -> str:
    """Normalise a code as typed: NFKC, ideographic full stops as dots, no whitespace."""
    return compact(clean(text).translate(_DOT_VARIANTS))


def looks_like_excel_number(text: str) -> bool:
    """Whether ``text`` is what Excel makes of a code stored as a number (``8.001``, ``8``)."""
    value = normalise_code_text(text)
    # Excel drops the leading zeros: 008.001 becomes 8.001, 008 becomes 8.
    return bool(re.fullmatch(r"[1-9]\d?(\.\d+)?", value))


def restore_excel_code(value: str) -> str:
    """The code Excel turned into the number ``value``: the zeros before it put back (``8`` →
    ``008``) and those after the decimal point too, which a number drops as well (``8.01`` →
    ``008.010``, ``8.1`` → ``008.100``)."""
    whole, _, fraction = value.partition(".")
    code = whole.zfill(3)
    return f"{code}.{fraction.ljust(3, '0')}" if fraction else code


def parse_code(text: str) -> OrgCode:
    """Parse ``text`` into an :class:`OrgCode`, accepting full-width digits, ``．``/``。`` for the
    dot and stray spaces. Raise :class:`ValidationError` naming the fix otherwise."""
    if _PLAIN_CODE.fullmatch(text):
        return OrgCode(tuple(text.split(".")))
    return _parse_code(text)


def _parse_code(text: str) -> OrgCode:
    """:func:`parse_code` without its fast path."""
    value = normalise_code_text(text)
    if not value:
        raise ValidationError("code.missing", "单位代码为空：请填写形如 008.010.004 的代码。")
    segments = tuple(value.split("."))
    if all(_SEGMENT.match(s) for s in segments):
        return OrgCode(segments)
    if looks_like_excel_number(value):
        restored = restore_excel_code(value)
        raise ValidationError(
            "code.numeric",
            f"单位代码“{text}”像是被 Excel 当成了数字（丢了前导 0）：应为 {restored}，"
            "请把该列设为“文本”格式后重新输入。",
        )
    raise ValidationError(
        "code.invalid",
        f"单位代码“{text}”格式不对：应为以点分隔的三位数字段，如 008.010.004。",
    )


@attrs.frozen
class OrgUnit:
    """A node of the org tree: a code, its name, its kind, and the dates it is in use."""

    code: OrgCode
    name: str
    kind: OrgKind = OrgKind.UNIT
    valid_from: date | None = None
    retired_on: date | None = None
    #: the code this unit went on under, when it was moved or merged (its ``retired_on`` day)
    moved_to: OrgCode | None = None
    #: earlier names, each with the day it stopped being used: ``((until, name), …)``, oldest
    #: first (a rename on ``until`` made the next name, or :attr:`name`, current)
    former_names: tuple[tuple[date, str], ...] = ()

    @property
    def parent(self) -> OrgCode | None:
        """The parent's code (``None`` for the city)."""
        return self.code.parent

    def name_on(self, day: date | None) -> str:
        """The unit's name on ``day`` (``None``: now)."""
        if day is not None:
            for until, name in self.former_names:
                if day < until:
                    return name
        return self.name

    def active_on(self, day: date | None) -> bool:
        """Whether the unit exists on ``day`` (``None`` means "now": not retired)."""
        if day is None:
            return self.retired_on is None
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.retired_on is None or day < self.retired_on


def issuing_body(unit: OrgUnit, day: date | None = None) -> str:
    """The name of the body that issues a form for ``unit``'s scope, as the form's 单位 line
    writes it on ``day``: the city's organisation department (中共淮安市委组织部), a 县区委's
    (淮阴区委组织部), else the unit's own official name (a 市直党工委, a 功能区, a unit)."""
    name = unit.name_on(day)
    if unit.kind is OrgKind.CITY:
        return f"中共{name}委组织部"
    if unit.kind is OrgKind.DISTRICT:
        return f"{name}组织部" if name.endswith("委") else f"{name}委组织部"
    return name


@attrs.frozen
class TableProblem:
    """One inconsistency in a code table, at the given row (1-based, as the table lists it)."""

    row: int
    code: str
    value: str
    message: str


def _name_key(name: str) -> str:
    return header_key(name)


def _name_keys(unit: OrgUnit) -> list[str]:
    """The keys of a unit's name and its former names (an old 县区 name still finds it)."""
    return [_name_key(unit.name), *(_name_key(n) for _, n in unit.former_names)]


class OrgTree:
    """The org tree: lookup by code and by name, children, next free child code.

    Retired units stay in the tree (their codes are never reused) but are skipped by
    :meth:`children` unless asked for.
    """

    def __init__(self, units: Iterable[OrgUnit] = ()) -> None:
        self._units: dict[OrgCode, OrgUnit] = {}
        self._children: dict[OrgCode, list[OrgCode]] = {}
        self._max_child: dict[OrgCode, int] = {}
        for unit in units:
            self.add(unit)

    def add(self, unit: OrgUnit) -> None:
        """Add ``unit``; its parent must already be in the tree (the city needs none)."""
        if unit.code in self._units:
            raise ValidationError("code.duplicate", f"代码 {unit.code} 已存在，不能重复使用。")
        parent = unit.code.parent
        if parent is not None and parent not in self._units:
            raise ValidationError(
                "code.parent_missing", f"代码 {unit.code} 的上级 {parent} 不存在：请先添加上级。"
            )
        self._units[unit.code] = unit
        if parent is not None:
            self._children.setdefault(parent, []).append(unit.code)
            number = int(unit.code.segments[-1])
            self._max_child[parent] = max(self._max_child.get(parent, 0), number)

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __iter__(self) -> Iterator[OrgUnit]:
        return iter(sorted(self._units.values(), key=lambda u: u.code.segments))

    def __len__(self) -> int:
        return len(self._units)

    def get(self, code: OrgCode | str) -> OrgUnit:
        """The unit with ``code``; raise :class:`NotFoundError` if there is none."""
        key = code if isinstance(code, OrgCode) else parse_code(code)
        try:
            return self._units[key]
        except KeyError:
            raise NotFoundError("code.unknown", f"代码 {key} 不在单位党组织代码表中。") from None

    def find(self, code: OrgCode) -> OrgUnit | None:
        """The unit with ``code`` or ``None``."""
        return self._units.get(code)

    def by_name(self, name: str) -> list[OrgUnit]:
        """Units whose name equals ``name`` (ignoring whitespace and full/half width)."""
        key = _name_key(name)
        return [u for u in self if _name_key(u.name) == key]

    def children(self, code: OrgCode, *, include_retired: bool = False) -> list[OrgUnit]:
        """Direct children of ``code``, ordered by code."""
        kids = [self._units[c] for c in self._children.get(code, [])]
        if not include_retired:
            kids = [u for u in kids if u.retired_on is None]
        return sorted(kids, key=lambda u: u.code.segments)

    def subtree(self, code: OrgCode) -> list[OrgUnit]:
        """``code`` and every unit below it, ordered by code."""
        return [u for u in self if u.code.is_within(code)]

    def copy(self) -> OrgTree:
        """A copy to change (plans work on one); codes used so far stay counted."""
        other = OrgTree(self)
        other._max_child = dict(self._max_child)
        return other

    def replace(self, unit: OrgUnit) -> None:
        """Put ``unit`` in place of the unit with the same code (a rename, a retirement)."""
        if unit.code not in self._units:
            raise NotFoundError("code.unknown", f"代码 {unit.code} 不在单位党组织代码表中。")
        self._units[unit.code] = unit

    def as_of(self, day: date) -> OrgTree:
        """The tree as it stood on ``day``: the units in use that day, under the names they had
        then. Codes used later stay counted, so :meth:`next_child` is still never a used one."""
        view = OrgTree()
        for unit in self:
            if unit.active_on(day) and (unit.parent is None or unit.parent in view):
                # as it stood that day: in use, under that day's name (a later retirement or
                # move is not part of that day)
                view.add(attrs.evolve(unit, name=unit.name_on(day), retired_on=None, moved_to=None))
        view._max_child = dict(self._max_child)
        return view

    def resolve(self, code: OrgCode | str, on: date | None = None) -> OrgUnit:
        """The unit with ``code`` in use on ``on`` (``None``: now). A code not in use then is
        refused, naming what to use instead: ``code.moved`` (the code it went on under),
        ``code.retired`` or ``code.not_yet``."""
        unit = self.get(code)
        if unit.active_on(on):
            return unit
        if unit.valid_from is not None and on is not None and on < unit.valid_from:
            raise ValidationError(
                "code.not_yet",
                f"代码 {unit.code}（{unit.name}）自 {unit.valid_from} 起才使用：{on} 时还没有这个代码。",
            )
        if unit.moved_to is not None:
            successor = self.find(unit.moved_to)
            name = f"（{successor.name}）" if successor is not None else ""
            raise ValidationError(
                "code.moved",
                f"代码 {unit.code}（{unit.name_on(None)}）已于 {unit.retired_on} 调整为 "
                f"{unit.moved_to}{name}：请改用 {unit.moved_to}。",
            )
        raise ValidationError(
            "code.retired",
            f"代码 {unit.code}（{unit.name}）已于 {unit.retired_on} 撤销：请改用现在使用的代码。",
        )

    def next_child(self, parent: OrgCode) -> OrgCode:
        """The next free code under ``parent``: one past the highest child ever used there."""
        if parent not in self._units:
            raise NotFoundError("code.unknown", f"上级代码 {parent} 不在代码表中。")
        return parent.child(self._max_child.get(parent, 0) + 1)

    def aggregators(self) -> list[OrgUnit]:
        """The top-level orgs under the city (县区委, 市直党工委, 功能区, 院校)."""
        return [u for u in self if u.code.depth == 2]

    def districts(self) -> list[OrgUnit]:
        """Aggregators that hold communities (县区 and 功能区)."""
        return [u for u in self.aggregators() if u.kind.has_communities]

    def district_for_name(self, name: str) -> list[OrgUnit]:
        """Aggregators a 县区 name as 附表4 writes it may mean: the one whose name starts with it.

        ``淮安区`` → ``淮安区委``; ``淮安经济技术开发区`` → ``淮安经济技术开发区党工委``. A list, so
        the caller can tell "none" from "several".
        """
        key = _name_key(name)
        if not key:
            return []
        exact = [u for u in self.aggregators() if key in _name_keys(u)]
        if exact:
            return self._successors(exact)
        return self._successors(
            [u for u in self.aggregators() if any(n.startswith(key) for n in _name_keys(u))]
        )

    def _successors(self, units: list[OrgUnit]) -> list[OrgUnit]:
        """Each unit, or — when it was moved or merged — the unit it went on as (an old 县区
        name such as ``清河区`` means 清江浦区委 after the 2016 merge)."""
        found: dict[OrgCode, OrgUnit] = {}
        for unit in units:
            for _ in range(len(self._units)):
                if unit.retired_on is None or unit.moved_to not in self._units:
                    break
                unit = self._units[unit.moved_to]
            found[unit.code] = unit
        return sorted(found.values(), key=lambda u: u.code.segments)


def check_table(
    rows: Iterable[tuple[str, str]], *, known: OrgTree | None = None
) -> list[TableProblem]:
    """Check a whole code table given as ``(code, name)`` rows and return every problem.

    Checks that each code parses, that its parent is in ``known`` or appears in the table,
    that no code repeats and that no two units under one parent share a name.
    """
    problems: list[TableProblem] = []
    parsed: list[tuple[int, OrgCode, str]] = []
    seen: dict[OrgCode, int] = {}
    for row, (code_text, name) in enumerate(rows, start=1):
        try:
            code = parse_code(code_text)
        except ValidationError as exc:
            problems.append(TableProblem(row, exc.code, code_text, exc.message))
            continue
        if not clean(name):
            problems.append(
                TableProblem(row, "name.missing", code_text, f"代码 {code} 缺少单位名称。")
            )
        if code in seen:
            problems.append(
                TableProblem(
                    row,
                    "code.duplicate",
                    code_text,
                    f"代码 {code} 与第 {seen[code]} 行重复：每个代码只能用一次。",
                )
            )
            continue
        if known is not None and code in known:
            problems.append(
                TableProblem(row, "code.duplicate", code_text, f"代码 {code} 已在代码表中。")
            )
            continue
        seen[code] = row
        parsed.append((row, code, clean(name)))
    names: dict[tuple[OrgCode | None, str], int] = {}
    if known is not None:
        for unit in known:
            names[(unit.code.parent, _name_key(unit.name))] = 0
    for row, code, name in parsed:
        parent = code.parent
        if parent is not None and parent not in seen and (known is None or parent not in known):
            problems.append(
                TableProblem(
                    row,
                    "code.parent_missing",
                    str(code),
                    f"代码 {code} 的上级 {parent} 不存在：请先在代码表中加入上级。",
                )
            )
        key = (parent, _name_key(name))
        if name and key in names:
            where = f"第 {names[key]} 行" if names[key] else "代码表中已有的单位"
            problems.append(
                TableProblem(
                    row,
                    "name.duplicate",
                    name,
                    f"同一上级下的单位名称“{name}”与{where}重复：请改用能区分的全称。",
                )
            )
        else:
            names[key] = row
    return problems


def tree_from_rows(rows: Iterable[tuple[str, str, str]]) -> OrgTree:
    """Build a tree from ``(code, name, kind)`` rows, parents before children."""
    units = [OrgUnit(parse_code(code), name, OrgKind(kind)) for code, name, kind in rows]
    return OrgTree(sorted(units, key=lambda u: u.code.segments))
