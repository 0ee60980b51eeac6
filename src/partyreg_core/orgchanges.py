"""Org changes with effective dates (组织调整): new units, renames, moves, retirements, merges.

Districts and units change: in 2016 清河区 and 清浦区 merged into 清江浦区 and 洪泽县 became
洪泽区. A change takes effect on a day; before it the old codes and names hold, from it the new
ones. Codes are never reused: a moved or merged unit keeps its old code (retired, pointing at
the code it went on under) and the units below it get new codes under their new parent.

:func:`plan_changes` checks a list of :class:`OrgChange` against the tree, in order, and says
exactly what they do (:class:`OrgPlan`): the units added, retired and renamed, and the mapping
of every old code to its new one, which a store applies to everything that carries a code.
:func:`parse_change_rows` reads the rows of a change file (CSV, see ``docs/orgchanges.md``).
Pure: no I/O, today's date is a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.dates import parse_date
from partyreg_core.errors import PartyregError, ValidationError
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgTree, OrgUnit, parse_code
from partyreg_core.text import (
    clean,
    collapse_whitespace,
    header_key,
    strip_controls,
    strip_invisible,
)


class ChangeKind(StrEnum):
    """What an org change does. ``recode`` is not typed by operators: it is a unit below a moved
    or merged one, carried along under a new code."""

    ADD = "add"
    RENAME = "rename"
    MOVE = "move"
    RETIRE = "retire"
    MERGE = "merge"
    RECODE = "recode"

    @property
    def label(self) -> str:
        """The kind in Chinese, as the change file and screens write it."""
        return _KIND_LABELS[self.value]


_KIND_LABELS = {
    "add": "新增",
    "rename": "更名",
    "move": "迁移",
    "retire": "撤销",
    "merge": "合并",
    "recode": "随迁",
}
_KIND_WORDS = {
    **{label: ChangeKind(kind) for kind, label in _KIND_LABELS.items() if kind != "recode"},
    **{kind.value: kind for kind in ChangeKind if kind is not ChangeKind.RECODE},
    "改名": ChangeKind.RENAME,
    "调整隶属": ChangeKind.MOVE,
    "划转": ChangeKind.MOVE,
    "并入": ChangeKind.MERGE,
}
_ORG_KIND_WORDS = {
    "县区": OrgKind.DISTRICT,
    "县": OrgKind.DISTRICT,
    "区": OrgKind.DISTRICT,
    "功能区": OrgKind.ZONE,
    "市直党工委": OrgKind.COMMITTEE,
    "党工委": OrgKind.COMMITTEE,
    "院校": OrgKind.INSTITUTION,
    "单位": OrgKind.UNIT,
    **{k.value: k for k in OrgKind if k is not OrgKind.CITY},
}


def parse_change_kind(text: str) -> ChangeKind:
    """A change kind as typed (``合并`` or ``merge``)."""
    found = _KIND_WORDS.get(header_key(text).lower())
    if found is None:
        raise ValidationError(
            "orgchange.kind",
            f"调整类型“{text}”不认识：应为 新增、更名、迁移、撤销、合并 之一。",
        )
    return found


def parse_org_kind(text: str) -> OrgKind:
    """A unit's kind as typed (``县区``, ``功能区``, ``单位`` or the English word)."""
    found = _ORG_KIND_WORDS.get(header_key(text).lower())
    if found is None:
        raise ValidationError(
            "orgchange.org_kind",
            f"类别“{text}”不认识：应为 县区、功能区、市直党工委、院校、单位 之一。",
        )
    return found


@attrs.frozen
class OrgChange:
    """One requested change, effective ``on``, for ``reason`` (required: the audit log's why).

    ``unit`` names the unit changed (a code, or a name in use on ``on``; not used by ``add``);
    ``to`` is the parent of a new unit, the new parent of a moved one, or the unit a merged one
    goes into (code or name); ``name`` is a new unit's name or the new name; ``org_kind`` a new
    unit's kind (default ``unit``; required directly under the city); ``expected`` the code a
    change file says a new unit will get (checked, so a file documents its codes); ``line`` the
    line of the change file it came from.
    """

    kind: ChangeKind
    on: date
    reason: str
    unit: str = ""
    to: str = ""
    name: str = ""
    org_kind: OrgKind | None = None
    expected: OrgCode | None = None
    line: int | None = None


@attrs.frozen
class CodeMove:
    """One old code and the code it goes on under from ``on`` (``kind``: move, merge, or the
    recode of a unit carried along)."""

    old: OrgCode
    new: OrgCode
    on: date
    kind: ChangeKind


@attrs.frozen
class AppliedChange:
    """What one change did: the unit's code (a new unit's new code), its name before and after,
    the units added and the codes moved."""

    change: OrgChange
    code: OrgCode
    name_before: str
    name_after: str
    added: tuple[OrgUnit, ...] = ()
    moves: tuple[CodeMove, ...] = ()

    @property
    def summary(self) -> str:
        """One line in Chinese saying what the change does."""
        c = self.change
        if c.kind is ChangeKind.ADD:
            return f"{c.on} 新增 {self.code} {self.name_after}"
        if c.kind is ChangeKind.RENAME:
            return f"{c.on} {self.code} 更名：{self.name_before} → {self.name_after}"
        if c.kind is ChangeKind.RETIRE:
            return f"{c.on} 撤销 {self.code} {self.name_before}"
        first = self.moves[0]
        carried = len(self.moves) - 1
        more = f"（下级 {carried} 个单位随之改码）" if carried else ""
        verb = "合并到" if c.kind is ChangeKind.MERGE else "迁移为"
        return f"{c.on} {self.code} {self.name_before} {verb} {first.new}{more}"


@attrs.frozen
class OrgPlan:
    """What a list of changes does, in order; ``tree`` is the tree afterwards."""

    changes: tuple[AppliedChange, ...]
    tree: OrgTree = attrs.field(eq=False, repr=False)

    @property
    def moves(self) -> tuple[CodeMove, ...]:
        """Every old code → new code, in the order they must be applied."""
        return tuple(m for c in self.changes for m in c.moves)

    @property
    def added(self) -> tuple[OrgUnit, ...]:
        """Every unit the changes add (new units and the new codes of moved ones)."""
        return tuple(u for c in self.changes for u in c.added)

    @property
    def touched(self) -> tuple[OrgUnit, ...]:
        """The units that existed before and change (renamed or retired), as they end up."""
        added = {u.code for u in self.added}
        codes: dict[OrgCode, None] = {}
        for c in self.changes:
            if c.change.kind is not ChangeKind.ADD:
                codes[c.code] = None
            for m in c.moves:
                codes[m.old] = None
        return tuple(self.tree.get(code) for code in codes if code not in added)


def _where(change: OrgChange) -> str:
    return f"第 {change.line} 行：" if change.line is not None else ""


def _fail(change: OrgChange, code: str, message: str) -> ValidationError:
    return ValidationError(code, _where(change) + message)


def _find(tree: OrgTree, text: str, on: date, change: OrgChange, what: str) -> OrgUnit:
    """The unit ``text`` names (a code or a name) in use on ``on``."""
    value = clean(text)
    if not value:
        raise _fail(change, "orgchange.missing", f"缺少{what}：请填写代码（或名称）。")
    try:
        code = parse_code(value)
    except ValidationError:
        code = None
    if code is not None:
        try:
            return tree.resolve(code, on)
        except PartyregError as exc:
            raise _fail(change, exc.code, exc.message) from None
    found = [u for u in tree.by_name(value) if u.active_on(on)]
    if not found:
        found = [
            u for u in tree if u.active_on(on) and header_key(u.name_on(on)) == header_key(value)
        ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise _fail(
            change,
            "code.name_unknown",
            f"{what}“{value}”在 {on} 不在代码表中：请核对名称或改填代码。",
        )
    codes = "、".join(str(u.code) for u in found)
    raise _fail(
        change, "code.name_ambiguous", f"{what}“{value}”对应多个单位（{codes}）：请改填代码。"
    )


def _check_name(tree: OrgTree, parent: OrgCode, name: str, change: OrgChange) -> str:
    value = clean(name)
    if not value:
        raise _fail(change, "name.missing", "缺少单位名称：请在“名称”一栏填写。")
    if len(value) > 200:
        raise _fail(change, "name.long", "单位名称超过 200 个字符：请改用简短的全称。")
    for sibling in tree.children(parent):
        if header_key(sibling.name) == header_key(value):
            raise _fail(
                change,
                "name.duplicate",
                f"{parent} 下已有名为“{value}”的单位（{sibling.code}）：请改用能区分的全称。",
            )
    return value


def _check_date(unit: OrgUnit, change: OrgChange) -> None:
    last = max((until for until, _ in unit.former_names), default=None)
    if last is not None and change.on < last:
        raise _fail(
            change,
            "orgchange.date",
            f"{unit.code}（{unit.name}）在 {last} 已有调整：新的调整须晚于这一天。",
        )


def _carry(
    tree: OrgTree, root: OrgUnit, new_code: OrgCode, change: OrgChange, kind: ChangeKind
) -> tuple[list[OrgUnit], list[CodeMove]]:
    """Re-code ``root`` and every unit in use below it under ``new_code`` (suffixes kept):
    the old codes retire on the change's day pointing at their new ones."""
    on = change.on
    added: list[OrgUnit] = []
    moves: list[CodeMove] = []
    depth = len(root.code.segments)
    for unit in tree.subtree(root.code):
        if not unit.active_on(on) or unit.retired_on is not None:
            continue
        new = OrgCode((*new_code.segments, *unit.code.segments[depth:]))
        fresh = OrgUnit(new, unit.name, unit.kind, valid_from=on)
        tree.add(fresh)
        tree.replace(attrs.evolve(unit, retired_on=on, moved_to=new))
        added.append(fresh)
        moves.append(CodeMove(unit.code, new, on, kind if unit is root else ChangeKind.RECODE))
    return added, moves


def plan_changes(
    tree: OrgTree,
    changes: Sequence[OrgChange],
    *,
    today: date,
    members: Mapping[OrgCode, int] | None = None,
) -> OrgPlan:
    """Check ``changes`` against ``tree`` in order and say what they do.

    ``members`` counts the current members by exact unit code (a unit with members cannot be
    retired: move them first). The first bad change raises :class:`ValidationError` naming its
    line; nothing is planned then. ``tree`` itself is not changed.
    """
    work = tree.copy()
    counts = dict(members or {})
    applied: list[AppliedChange] = []
    last_day: date | None = None
    for change in changes:
        if change.on > today:
            raise _fail(
                change,
                "orgchange.future",
                f"生效日期 {change.on} 晚于今天（{today}）：调整生效后再登记。",
            )
        if last_day is not None and change.on < last_day:
            raise _fail(
                change,
                "orgchange.order",
                f"生效日期 {change.on} 早于上一项调整（{last_day}）：请按日期先后排列。",
            )
        last_day = change.on
        if not clean(change.reason):
            raise _fail(
                change, "orgchange.reason", "缺少调整原因：请在“原因”一栏写明依据（如批复文号）。"
            )
        applied.append(_apply(work, change, counts))
    return OrgPlan(tuple(applied), work)


def _apply(tree: OrgTree, change: OrgChange, counts: dict[OrgCode, int]) -> AppliedChange:
    on = change.on
    if change.kind is ChangeKind.ADD:
        parent = _find(tree, change.to, on, change, "上级单位")
        name = _check_name(tree, parent.code, change.name, change)
        kind = change.org_kind
        if kind is None:
            if parent.code.depth == 1:
                raise _fail(
                    change,
                    "orgchange.org_kind",
                    "市下直接新增的单位须写明类别：县区、功能区、市直党工委 或 院校。",
                )
            kind = OrgKind.UNIT
        try:
            code = tree.next_child(parent.code)
        except PartyregError as exc:
            raise _fail(change, exc.code, exc.message) from None
        if change.expected is not None and change.expected != code:
            raise _fail(
                change,
                "orgchange.code",
                f"{parent.code} 下新增单位的代码将是 {code}，不是 {change.expected}"
                "（用过的代码不再使用）：请改正代码或留空。",
            )
        unit = OrgUnit(code, name, kind, valid_from=on)
        tree.add(unit)
        return AppliedChange(change, code, "", name, added=(unit,))
    unit = _find(tree, change.unit, on, change, "单位")
    if unit.code.depth == 1:
        raise _fail(change, "orgchange.city", "市本身（008）不能调整。")
    _check_date(unit, change)
    if change.kind in (ChangeKind.MOVE, ChangeKind.MERGE):
        for descendant in tree.subtree(unit.code):
            if descendant.retired_on is None and not descendant.active_on(on):
                raise _fail(
                    change,
                    "orgchange.date",
                    f"下级单位 {descendant.code}（{descendant.name}）自 {descendant.valid_from} 起才使用："
                    f"{change.kind.label}日期不能早于这一天。",
                )
    if change.kind is ChangeKind.RENAME:
        assert unit.parent is not None
        if clean(change.name) == unit.name:
            raise _fail(change, "orgchange.same_name", f"{unit.code} 已经叫“{unit.name}”。")
        name = _check_name(tree, unit.parent, change.name, change)
        renamed = attrs.evolve(unit, name=name, former_names=(*unit.former_names, (on, unit.name)))
        tree.replace(renamed)
        return AppliedChange(change, unit.code, unit.name, name)
    if change.kind is ChangeKind.RETIRE:
        below = tree.children(unit.code)
        if below:
            codes = "、".join(str(u.code) for u in below[:5])
            raise _fail(
                change,
                "orgchange.has_units",
                f"{unit.code}（{unit.name}）下还有 {len(below)} 个单位（{codes}）："
                "请先迁移、合并或撤销它们，或改用“合并”。",
            )
        if counts.get(unit.code, 0):
            raise _fail(
                change,
                "orgchange.has_members",
                f"{unit.code}（{unit.name}）还有 {counts[unit.code]} 名党员："
                "请先把他们转到其他单位（members transfer），或改用“合并”。",
            )
        tree.replace(attrs.evolve(unit, retired_on=on))
        return AppliedChange(change, unit.code, unit.name, unit.name)
    if change.kind is ChangeKind.MOVE:
        parent = _find(tree, change.to, on, change, "新的上级单位")
        if parent.code == unit.parent:
            raise _fail(change, "orgchange.same_parent", f"{unit.code} 已在 {parent.code} 之下。")
        if parent.code.is_within(unit.code):
            raise _fail(
                change,
                "orgchange.cycle",
                f"不能把 {unit.code} 迁移到它自己的下级 {parent.code} 之下。",
            )
        _check_name(tree, parent.code, unit.name, change)
        try:
            new_code = tree.next_child(parent.code)
        except PartyregError as exc:
            raise _fail(change, exc.code, exc.message) from None
        added, moves = _carry(tree, unit, new_code, change, ChangeKind.MOVE)
        _move_counts(counts, moves)
        return AppliedChange(change, unit.code, unit.name, unit.name, tuple(added), tuple(moves))
    # merge
    target = _find(tree, change.to, on, change, "并入的单位")
    if target.code == unit.code or target.code.is_within(unit.code):
        raise _fail(
            change, "orgchange.cycle", f"不能把 {unit.code} 合并到它自己或它的下级 {target.code}。"
        )
    all_added: list[OrgUnit] = []
    all_moves = [CodeMove(unit.code, target.code, on, ChangeKind.MERGE)]
    for child in tree.children(unit.code):
        if not child.active_on(on):
            continue
        try:
            new_code = tree.next_child(target.code)
        except PartyregError as exc:
            raise _fail(change, exc.code, exc.message) from None
        added, moves = _carry(tree, child, new_code, change, ChangeKind.RECODE)
        all_added += added
        all_moves += moves
    tree.replace(attrs.evolve(tree.get(unit.code), retired_on=on, moved_to=target.code))
    _move_counts(counts, all_moves)
    return AppliedChange(
        change, unit.code, unit.name, target.name, tuple(all_added), tuple(all_moves)
    )


def _move_counts(counts: dict[OrgCode, int], moves: Iterable[CodeMove]) -> None:
    for move in moves:
        if move.old in counts:
            counts[move.new] = counts.get(move.new, 0) + counts.pop(move.old)


# ---------------------------------------------------------------------------------------------
# The change file
# ---------------------------------------------------------------------------------------------

#: The change file's columns: key → the headers recognised (after removing whitespace, NFKC).
CHANGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "on": ("生效日期", "日期", "on", "date"),
    "kind": ("调整", "调整类型", "类型", "kind"),
    "unit": ("代码", "单位代码", "单位", "code", "unit"),
    "name": ("名称", "新名称", "单位名称", "name"),
    "to": ("上级", "目标", "并入", "上级或并入", "to", "parent", "into"),
    "org_kind": ("类别", "org_kind"),
    "reason": ("原因", "依据", "reason"),
}
REQUIRED_COLUMNS = ("on", "kind", "unit", "reason")


def _headers(row: Sequence[str], line: int) -> dict[str, int]:
    wanted = {header_key(h).lower(): key for key, names in CHANGE_COLUMNS.items() for h in names}
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = wanted.get(header_key(cell).lower())
        if key is None:
            continue
        if key in found:
            raise ValidationError(
                "orgchange.header", f"第 {line} 行（表头）：“{cell}”一栏重复：每栏只能有一个。"
            )
        found[key] = index
    missing = [CHANGE_COLUMNS[k][0] for k in REQUIRED_COLUMNS if k not in found]
    if missing:
        raise ValidationError(
            "orgchange.header",
            f"第 {line} 行（表头）缺少：{'、'.join(missing)}。表头应为：生效日期,调整,代码,名称,上级,类别,原因。",
        )
    return found


def parse_day(text: str) -> date:
    """A change's 生效日期 as typed, read by the one parser (Excel serials too: it is a sheet
    column)."""
    return parse_date(text, what="生效日期", serial=True)


def parse_change_rows(rows: Iterable[tuple[int, Sequence[str]]]) -> list[OrgChange]:
    """Read a change file's rows — ``(line, cells)``, the header row first; blank rows and rows
    starting with ``#`` are skipped — into changes. A bad row raises :class:`ValidationError`
    naming its line (so the file is refused whole)."""
    columns: dict[str, int] | None = None
    changes: list[OrgChange] = []
    for line, cells in rows:
        texts = [clean(c) for c in cells]
        if not any(texts) or texts[0].startswith("#"):
            continue
        if columns is None:
            columns = _headers(texts, line)
            continue

        # the reason is kept as written (full-width punctuation too), only trimmed
        columns_ = columns
        reason = cells[columns_["reason"]] if columns_["reason"] < len(cells) else ""
        texts.append(collapse_whitespace(strip_invisible(strip_controls(reason))).strip())
        changes.append(_change_row(line, _Cells(texts, {**columns_, "reason": len(texts) - 1})))
    if columns is None:
        raise ValidationError(
            "orgchange.empty",
            "调整文件是空的：第一行应为表头 生效日期,调整,代码,名称,上级,类别,原因。",
        )
    if not changes:
        raise ValidationError("orgchange.empty", "调整文件只有表头，没有任何调整。")
    return changes


@attrs.frozen
class _Cells:
    texts: list[str]
    columns: dict[str, int]

    def __call__(self, key: str) -> str:
        index = self.columns.get(key)
        return self.texts[index] if index is not None and index < len(self.texts) else ""


def _change_row(line: int, get: _Cells) -> OrgChange:
    where = f"第 {line} 行："
    try:
        kind = parse_change_kind(get("kind"))
        on = parse_day(get("on"))
        org_kind = parse_org_kind(get("org_kind")) if get("org_kind") else None
        expected = None
        unit = get("unit")
        if kind is ChangeKind.ADD and unit:
            expected = parse_code(unit)
            unit = ""
    except ValidationError as exc:
        raise ValidationError(exc.code, where + exc.message) from None
    change = OrgChange(
        kind=kind,
        on=on,
        reason=get("reason"),
        unit=unit,
        to=get("to"),
        name=get("name"),
        org_kind=org_kind,
        expected=expected,
        line=line,
    )
    needs = {
        ChangeKind.ADD: (("name", "名称"), ("to", "上级")),
        ChangeKind.RENAME: (("unit", "代码"), ("name", "名称")),
        ChangeKind.MOVE: (("unit", "代码"), ("to", "上级")),
        ChangeKind.RETIRE: (("unit", "代码"),),
        ChangeKind.MERGE: (("unit", "代码"), ("to", "上级（并入的单位）")),
    }[kind]
    for key, label in needs:
        if not getattr(change, key):
            raise ValidationError("orgchange.missing", f"{where}{kind.label}须填写“{label}”一栏。")
    if kind is not ChangeKind.ADD and org_kind is not None:
        raise ValidationError("orgchange.org_kind", f"{where}只有新增单位才填“类别”：请去掉它。")
    if not change.reason:
        raise ValidationError("orgchange.reason", f"{where}缺少调整原因：请在“原因”一栏写明依据。")
    return change


@attrs.frozen
class OrgChangeRecord:
    """A change as the store keeps it (the org's history): one row per code a change touched.

    ``kind`` ``recode`` rows are the units carried along by a move or merge; ``new_code`` is the
    code the unit went on under (moves, merges, recodes)."""

    id: int
    kind: ChangeKind
    code: OrgCode
    on: date
    reason: str
    actor: str
    new_code: OrgCode | None = None
    name_before: str = ""
    name_after: str = ""
    batch_id: str | None = None
    line: int | None = None


class MemberEvent(StrEnum):
    """What happened to a member (the lifecycle commands): transferred to another unit,
    retired (staying on or not), left."""

    TRANSFER = "transfer"
    RETIRE = "retire"
    LEAVE = "leave"

    @property
    def label(self) -> str:
        """The event in Chinese."""
        return {"transfer": "转出", "retire": "退休", "leave": "离开"}[self.value]
