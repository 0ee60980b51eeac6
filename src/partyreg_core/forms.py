"""The input forms: which columns each kind of sheet has, and how a sheet's rows are read.

Four kinds of sheet come in (DESIGN.md §6, §9):

- ``registrations`` — 附表1 参与党员信息登记表: the 11 columns of the form, plus the optional
  ``报到类型`` and ``职级``;
- ``codes`` — 附表2 单位党组织代码表: one or more (单位党组织, 代码) column pairs side by side;
- ``directory`` — 附表4 全市城市社区通讯录, plus the optional ``县区代码``;
- ``activities`` — the rows of 附表3 实绩反馈单, plus ``姓名`` and ``联系方式`` (who).

Headers are matched by :func:`match_key` (NFKC, whitespace removed, case folded), never by
position: the form itself writes ``姓 名`` and ``报到\\n社区``. :func:`find_header` finds the
header row below any title rows and tells the kind from it; :func:`data_rows` then yields the
rows below it as :class:`DataRow` values (canonical column -> cell text as written), skipping
blank rows and note rows but never a half-filled row.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.ledger import SERVICE_HEADERS
from partyreg_core.members.fields import MEMBER_FIELDS
from partyreg_core.records import RowIssue, Severity
from partyreg_core.sheets import RawRow
from partyreg_core.text import clean, header_key

T = TypeVar("T")


class FormKind(StrEnum):
    """The kinds of input sheet (``partyreg import --kind``)."""

    REGISTRATIONS = "registrations"
    CODES = "codes"
    DIRECTORY = "directory"
    ACTIVITIES = "activities"
    WISHES = "wishes"

    @property
    def label(self) -> str:
        """The form's Chinese name, as messages show it."""
        return FORMS[self].title


def match_key(text: str) -> str:
    """The key a header is matched by: :func:`~partyreg_core.text.header_key` (NFKC, all
    whitespace and invisibles removed), case folded so ``qq群号`` matches ``QQ群号``."""
    return header_key(text).casefold()


@attrs.frozen
class Column:
    """One column of a form.

    ``key`` is the canonical name code uses (``phone``); ``label`` the header the official form
    prints (``联系方式``); ``variants`` other headers recognised for it. ``required`` says whether
    the header must be present (whether the *cell* may be empty is for the validators to say).
    """

    key: str
    label: str
    variants: tuple[str, ...] = ()
    required: bool = True

    @property
    def match_keys(self) -> frozenset[str]:
        """Every header key that names this column."""
        return frozenset(match_key(h) for h in (self.label, *self.variants))


@attrs.frozen
class Form:
    """A kind of input sheet: its title, columns, and the first words that mark a note row.

    ``paired`` forms (附表2) repeat their columns side by side: each repetition is a record.
    """

    kind: FormKind
    title: str
    columns: tuple[Column, ...]
    note_prefixes: tuple[str, ...] = ("注", "说明", "填表人", "审核人", "联系电话")
    paired: bool = False

    @property
    def required(self) -> tuple[Column, ...]:
        """The columns whose header must be present."""
        return tuple(c for c in self.columns if c.required)

    def column(self, key: str) -> Column:
        """The column with canonical name ``key``."""
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def label(self, key: str) -> str:
        """The header the official form prints for column ``key``."""
        return self.column(key).label

    def lookup(self) -> dict[str, Column]:
        """Header key -> column, for matching a header row."""
        return {k: c for c in self.columns for k in c.match_keys}


# Canonical column names are shared across forms where the meaning is the same, so the
# validators can use one normaliser per key (``phone`` is a phone wherever it appears).
REGISTRATION_FORM = Form(
    FormKind.REGISTRATIONS,
    "参与党员信息登记表",
    tuple(Column(f.key, f.label, f.aliases, f.header_required) for f in MEMBER_FIELDS),
)

CODES_FORM = Form(
    FormKind.CODES,
    "单位党组织代码表",
    (
        Column("name", "单位党组织", ("单位党组织名称", "名称")),
        Column("code", "代码", ("单位代码",)),
    ),
    paired=True,
)

DIRECTORY_FORM = Form(
    FormKind.DIRECTORY,
    "全市城市社区通讯录",
    (
        Column("district", "县区"),
        Column("street", "街道"),
        Column("community", "社区"),
        Column("phone", "接收报到电话"),
        Column("qq_group", "接收报到QQ群号"),
        Column("secretary", "党组织书记姓名"),
        Column("mobile", "手机"),
        Column("address", "地址"),
        Column("district_code", "县区代码", required=False),
    ),
)

ACTIVITY_FORM = Form(
    FormKind.ACTIVITIES,
    "实绩反馈单",
    (
        Column("name", "姓名"),
        Column("phone", "联系方式", ("联系电话", "手机", "手机号码")),
        Column("day", "年月日", ("日期", "活动日期")),
        Column("content", "服务（活动）内容", ("服务内容", "活动内容")),
        Column("place", "服务地点"),
        Column("participants", "参加人员", ("参与人员",)),
        Column("hours", "服务时间（小时）", ("服务时长（小时）", "时长")),
        Column("rating", "评价（优/良/一般）", ("评价",)),
        Column("kind", "活动类型", required=False),
        Column("self_reported", "自报", ("是否自报",), required=False),
        Column("member", "党员编号", required=False),
    ),
    # The printed 附表3 ends with a total line and the secretary's signature line.
    # The system's line under it (decision 0068) starts with the sheet's 编号.
    note_prefixes=(
        "注",
        "说明",
        "填表人",
        "审核人",
        "联系电话",
        "社区党组织书记",
        "合计",
        "编号",
    ),
)

#: Residents' wishes (微心愿) as a community collects them in a sheet (decision 0130).
WISH_FORM = Form(
    FormKind.WISHES,
    "居民微心愿登记表",
    (
        Column("district", "县区", ("所属县区",)),
        Column("street", "街道", ("街道（乡镇）", "社区所属街道、乡镇")),
        Column("community", "社区", ("社区名称",)),
        Column("title", "心愿内容", ("微心愿", "心愿", "需求内容", "群众需求")),
        Column("resident_name", "居民姓名", ("群众姓名",), required=False),
        Column("resident_phone", "居民电话", ("联系电话", "电话"), required=False),
        Column("post", "岗位", ("服务岗位",), required=False),
        Column("received_on", "登记日期", ("日期",), required=False),
        Column("due", "期限", ("完成期限", "希望完成日期"), required=False),
        Column("source", "来源", required=False),
    ),
)

FORMS: Mapping[FormKind, Form] = MappingProxyType(
    {f.kind: f for f in (REGISTRATION_FORM, CODES_FORM, DIRECTORY_FORM, ACTIVITY_FORM, WISH_FORM)}
)

# How many non-blank rows above the header (titles, the 单位：年 月 日 line, a member line) are
# looked through before giving up: the official forms have two or three.
MAX_TITLE_ROWS = 20

# An exported 附表3 names its member on a line above the header (the printed form leaves it to
# handwriting); those values stand in for absent 姓名 / 联系方式 columns.
_MEMBER_LINE_LABELS = {
    "姓名": "name",
    "联系方式": "phone",
    "联系电话": "phone",
    "手机号码": "phone",
    "手机": "phone",
    "单位": "unit",
    "编号": "number",
}
# 编号 (the sheet number partyreg's export prints on the same line) only ends the value before it.
_MEMBER_LINE = re.compile(
    r"(姓名|联系方式|联系电话|手机号码|手机|单位|编号)\s*:\s*(.*?)\s*"
    r"(?=(?:姓名|联系方式|联系电话|手机号码|手机|单位|编号)\s*:|$)"
)


@attrs.frozen
class HeaderMap:
    """Where a sheet's columns are, as found in its header row.

    ``groups`` maps canonical column -> cell index, one mapping per record a line holds (one,
    except for 附表2's side-by-side pairs); ``headers`` is the header row's cells as written;
    ``issues`` the header's problems (missing or doubled columns are errors that refuse the
    file, extra columns warnings); ``defaults`` values that stand in for absent columns (the
    member line above an exported 附表3's header).
    """

    kind: FormKind
    row: int
    groups: tuple[Mapping[str, int], ...]
    headers: tuple[str, ...]
    issues: tuple[RowIssue, ...] = ()
    defaults: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def form(self) -> Form:
        """The form the header belongs to."""
        return FORMS[self.kind]

    @property
    def columns(self) -> Mapping[str, int]:
        """Canonical column -> cell index of the first (usually only) group."""
        return self.groups[0] if self.groups else {}

    @property
    def errors(self) -> tuple[RowIssue, ...]:
        """The issues that refuse the file."""
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[RowIssue, ...]:
        """The issues that only tell the operator (extra columns)."""
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """Whether the file can be read: no missing or doubled column."""
        return not self.errors

    def written(self, key: str, group: int = 0) -> str:
        """The header of column ``key`` as the file writes it (the form's label if absent)."""
        index = self.groups[group].get(key) if group < len(self.groups) else None
        if index is None:
            return self.form.label(key)
        return self.headers[index].strip()


@attrs.frozen
class DataRow:
    """One record of a sheet: its row number as the spreadsheet shows it, and canonical
    column -> cell text as written (``""`` for an empty or absent cell).

    ``headers`` gives, per canonical column, the header as written in the file, which issues
    name; a column with no entry there is named by the form's own label.
    """

    number: int
    values: Mapping[str, str]
    kind: FormKind
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def get(self, key: str) -> str:
        """The cell of column ``key`` as written, ``""`` when empty or absent."""
        return self.values.get(key, "")

    def column(self, key: str) -> str:
        """The header naming column ``key`` in issues: as written, else the form's label."""
        written = self.headers.get(key)
        return written if written else FORMS[self.kind].label(key)

    @classmethod
    def of(cls, kind: FormKind, number: int, values: Mapping[str, str]) -> DataRow:
        """A row built from canonical values (for embedders that have no sheet), its columns
        named by the form's labels."""
        return cls(number, dict(values), kind)


def _solid(ch: str) -> bool:
    # An ASCII digit or a unified CJK ideograph: survives clean() and match_key() unchanged and
    # stays first (NFKC neither maps nor composes it, it is no whitespace or invisible).
    return "0" <= ch <= "9" or "\u4e00" <= ch <= "\u9fff"


def is_blank(cells: Iterable[str]) -> bool:
    """Whether every cell is empty once invisible characters and whitespace are removed."""
    return not any(cell and (_solid(cell[0]) or clean(cell)) for cell in cells)


def is_note(cells: Iterable[str], form: Form = REGISTRATION_FORM) -> bool:
    """Whether a row is a note: its first non-empty cell starts with one of the form's note
    words (注, 说明, 填表人, 审核人, 联系电话; DESIGN.md §9)."""
    for cell in cells:
        if not cell:
            continue
        if _solid(cell[0]) and not cell.startswith(_first_chars(form.note_prefixes)):
            return False  # clean(cell) starts with the same character: no note word
        text = clean(cell)
        if text:
            return text.startswith(form.note_prefixes)
    return False


@functools.lru_cache(maxsize=64)
def _first_chars(prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple({p[:1] for p in prefixes if p})


def _threshold(form: Form) -> int:
    # A header row must name at least half of the form's required columns (and two at least),
    # so a header missing a column is still found and the missing column named, while a title
    # row that happens to contain one header word is not taken for the header.
    return max(2, math.ceil(len(form.required) / 2))


def _score(keys: list[str], form: Form) -> int:
    lookup = form.lookup()
    return len({lookup[k].key for k in keys if k in lookup and lookup[k].required})


def find_header(rows: Iterable[RawRow], kind: FormKind | None = None) -> HeaderMap:
    """Find the header row of a sheet and map its columns.

    Title rows, the ``单位：  年 月 日`` line and blank rows above the header are skipped. Without
    ``kind`` the kind is the form whose required headers the row names best. Consumes ``rows``
    only up to the header row, so the same iterator can be handed to :func:`data_rows`.

    Raise :class:`ValidationError` (``header.not_found``, ``header.ambiguous``) when no row
    within the first :data:`MAX_TITLE_ROWS` non-blank rows is a header; missing and doubled
    columns are reported in :attr:`HeaderMap.issues`, all at once.
    """
    forms = [FORMS[kind]] if kind is not None else list(FORMS.values())
    above: list[RawRow] = []
    best_other: tuple[int, FormKind] | None = None
    for raw in rows:
        if is_blank(raw.cells):
            continue
        keys = [match_key(c) for c in raw.cells]
        scores = sorted(
            ((_score(keys, f) / len(f.required), _score(keys, f), f.kind) for f in forms),
            reverse=True,
        )
        fitting = [s for s in scores if s[1] >= _threshold(FORMS[s[2]])]
        if fitting:
            if len(fitting) > 1 and fitting[0][:2] == fitting[1][:2]:
                names = "，也可能是".join(FORMS[s[2]].title for s in fitting[:2])
                raise ValidationError(
                    "header.ambiguous",
                    f"第 {raw.number} 行的表头可能是{names}：请用 --kind 指明文件类型。",
                )
            return _map_header(raw, FORMS[fitting[0][2]], above)
        if kind is not None:
            other = _best_other_kind(keys, kind)
            if other is not None and (best_other is None or other[0] > best_other[0]):
                best_other = other
        above.append(raw)
        if len(above) >= MAX_TITLE_ROWS:
            break
    raise _not_found(kind, best_other)


def _best_other_kind(keys: list[str], kind: FormKind) -> tuple[int, FormKind] | None:
    best: tuple[int, FormKind] | None = None
    for form in FORMS.values():
        if form.kind is kind:
            continue
        score = _score(keys, form)
        if score >= _threshold(form) and (best is None or score > best[0]):
            best = (score, form.kind)
    return best


def _not_found(kind: FormKind | None, other: tuple[int, FormKind] | None) -> ValidationError:
    if kind is None:
        return ValidationError(
            "header.not_found",
            f"前 {MAX_TITLE_ROWS} 行中没有找到表头：请确认表头行写有登记表（单位代码、姓名、性别……）、"
            "代码表（单位党组织、代码）、社区通讯录（县区、街道、社区……）或活动记录"
            "（姓名、联系方式、年月日……）的列名。",
        )
    form = FORMS[kind]
    expected = "、".join(c.label for c in form.required)
    hint = f"（它看起来是{FORMS[other[1]].title}，请改用 --kind {other[1]}）" if other else ""
    return ValidationError(
        "header.not_found",
        f"没有找到{form.title}的表头{hint}：表头行应写有 {expected}。",
    )


# The two columns partyreg's own error workbook adds (``import --errors-out``): a corrected
# error workbook imports again without a warning about them.
# Columns partyreg itself adds and that are not the form's: the error workbook's, and the
# service (台帐) columns of ``export form1 --with-service`` (partyreg_core.ledger).
AUXILIARY_HEADERS = frozenset(match_key(h) for h in ("原行号", "错误说明", *SERVICE_HEADERS))


def _map_header(raw: RawRow, form: Form, above: list[RawRow]) -> HeaderMap:
    lookup = form.lookup()
    found: dict[str, list[int]] = {}
    issues: list[RowIssue] = []
    for index, cell in enumerate(raw.cells):
        key = match_key(cell)
        if not key or key in AUXILIARY_HEADERS:
            continue
        column = lookup.get(key)
        if column is None:
            issues.append(
                RowIssue(
                    raw.number,
                    cell.strip(),
                    cell,
                    "header.extra",
                    f"列“{cell.strip()}”不是{form.title}的列，已忽略：如需导入请改用表中的列名。",
                    Severity.WARNING,
                )
            )
            continue
        found.setdefault(column.key, []).append(index)
    defaults = _member_line(above) if form.kind is FormKind.ACTIVITIES else {}
    if form.paired:
        groups = _pair_groups(raw, form, found, issues)
    else:
        groups = (_single_group(raw, form, found, defaults, issues),)
    return HeaderMap(
        form.kind,
        raw.number,
        groups,
        tuple(raw.cells),
        tuple(issues),
        MappingProxyType(defaults),
    )


def _single_group(
    raw: RawRow,
    form: Form,
    found: dict[str, list[int]],
    defaults: dict[str, str],
    issues: list[RowIssue],
) -> Mapping[str, int]:
    group: dict[str, int] = {}
    for column in form.columns:
        indices = found.get(column.key, [])
        if len(indices) > 1:
            written = "”“".join(raw.cells[i].strip() for i in indices)
            issues.append(
                RowIssue(
                    raw.number,
                    raw.cells[indices[1]].strip(),
                    raw.cells[indices[1]],
                    "header.duplicate",
                    f"“{column.label}”列出现了 {len(indices)} 次（“{written}”）："
                    "请删除多余的列，只保留一列。",
                )
            )
        elif indices:
            group[column.key] = indices[0]
        elif column.required and column.key not in defaults:
            issues.append(_missing(raw.number, form, column))
    return MappingProxyType(group)


def _pair_groups(
    raw: RawRow, form: Form, found: dict[str, list[int]], issues: list[RowIssue]
) -> tuple[Mapping[str, int], ...]:
    # 附表2 prints (name, code) pairs side by side; the i-th name column goes with the i-th code
    # column. Unequal counts mean a pair lost one of its headers.
    first, second = (c.key for c in form.columns)
    firsts, seconds = found.get(first, []), found.get(second, [])
    if not firsts or not seconds:
        issues.extend(_missing(raw.number, form, c) for c in form.columns if not found.get(c.key))
    elif len(firsts) != len(seconds):
        lacking = form.column(second if len(firsts) > len(seconds) else first)
        issues.append(_missing(raw.number, form, lacking, paired=True))
    return tuple(
        MappingProxyType({first: a, second: b}) for a, b in zip(firsts, seconds, strict=False)
    )


def _missing(row: int, form: Form, column: Column, *, paired: bool = False) -> RowIssue:
    variants = "、".join(f"“{v}”" for v in column.variants)
    also = f"（也可写作{variants}）" if variants else ""
    if paired:
        names = "”和“".join(c.label for c in form.columns)
        message = f"“{names}”列应成对出现，少了一个“{column.label}”列{also}：请在缺的那一组补上。"
    else:
        message = f"表头缺少“{column.label}”列{also}：请按{form.title}补上这一列。"
    return RowIssue(row, None, column.label, "header.missing", message)


def _member_line(above: list[RawRow]) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in above:
        text = " ".join(c for c in (clean(cell) for cell in raw.cells) if c)
        for label, value in _MEMBER_LINE.findall(text):
            key = _MEMBER_LINE_LABELS[label]
            if value and key in ("name", "phone") and key not in values:
                values[key] = value
    return values


def _keys(cells: Sequence[str]) -> list[str]:
    keys = [match_key(c) for c in cells]
    while keys and not keys[-1]:
        keys.pop()
    return keys


def _repeats_header(cells: Sequence[str], header_keys: Sequence[str]) -> bool:
    """``_keys(cells) == header_keys`` (``header_keys`` as :func:`_keys` gives them), computing
    a cell's key only while the row could still be the header."""
    count = len(header_keys)
    if len(cells) < count:
        return False  # fewer keys than the header's, whose last key is not empty
    for index, cell in enumerate(cells):
        expected = header_keys[index] if index < count else ""
        if cell and _solid(cell[0]) and cell[0] != expected[:1]:
            return False  # the cell's key starts with cell[0]
        if match_key(cell) != expected:
            return False
    return True


@attrs.frozen
class _Group:
    """How one record's values are taken from a line's cells (precomputed per sheet)."""

    names: Mapping[str, str]
    keys: tuple[str, ...]
    take: Callable[[tuple[str, ...]], tuple[str, ...]] | None
    width: int

    @classmethod
    def of(cls, columns: Mapping[str, int], names: Mapping[str, str]) -> _Group:
        indices = tuple(columns.values())
        take: Callable[[tuple[str, ...]], tuple[str, ...]] | None
        if indices == tuple(range(len(indices))):
            take = None  # the form's own order from column A: the cells as they are
        elif len(indices) > 1:
            take = operator.itemgetter(*indices)
        else:
            take = _one_cell(indices[0]) if indices else _no_cells
        return cls(names, tuple(columns), take, len(indices) and max(indices) + 1)

    def values(self, cells: tuple[str, ...]) -> dict[str, str]:
        """Canonical column -> cell, ``""`` for a cell beyond the end of the line."""
        if len(cells) < self.width:  # readers drop trailing empty cells
            cells = cells + ("",) * (self.width - len(cells))
        if self.take is None:
            return dict(zip(self.keys, cells, strict=False))  # cells past the form: extra
        return dict(zip(self.keys, self.take(cells), strict=True))


def _one_cell(index: int) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    return lambda cells: (cells[index],)


def _no_cells(cells: tuple[str, ...]) -> tuple[str, ...]:
    return ()


def data_rows(rows: Iterable[RawRow], header: HeaderMap) -> Iterator[DataRow]:
    """Yield the records below ``header``: one per line, or one per filled pair on 附表2.

    Rows at or above the header row are skipped (so the sheet's rows may be given again from
    the top), as are blank rows anywhere, note rows (:func:`is_note`) and repeats of the header
    row (a sheet printed with the header on every page). Every other row is yielded, however
    empty its known columns, so the validators report it instead of dropping it.
    """
    form = header.form
    kind, paired, defaults = form.kind, form.paired, tuple(header.defaults.items())
    header_keys = _keys(header.headers)
    # A line whose first cell starts with a digit or ideograph that neither starts a note word
    # nor the header's first key is a record: is_blank, is_note and the header check all
    # decide on that first cell alone.
    not_records = frozenset(
        (*_first_chars(form.note_prefixes), header_keys[0][:1] if header_keys else "")
    )
    groups = tuple(
        _Group.of(
            group,
            MappingProxyType({key: header.headers[index].strip() for key, index in group.items()}),
        )
        for group in header.groups
    )
    above = header.row
    # The usual sheet: one record per line, columns in the form's order from column A.
    plain = groups[0] if len(groups) == 1 and groups[0].take is None and not defaults else None
    keys, width, names = (plain.keys, plain.width, plain.names) if plain else ((), 0, {})
    pads = [("",) * missing for missing in range(width + 1)]
    for raw in rows:
        number, cells = raw.number, raw.cells
        if number <= above:
            continue
        first = cells[0][:1] if cells else ""
        if not (
            ("0" <= first <= "9" or "\u4e00" <= first <= "\u9fff") and first not in not_records
        ) and (is_blank(cells) or is_note(cells, form) or _repeats_header(cells, header_keys)):
            continue
        if plain is not None:
            if len(cells) < width:  # readers drop trailing empty cells
                cells += pads[width - len(cells)]
            # Cells past the form's columns are extra columns: zip stops at the last key.
            yield DataRow(number, dict(zip(keys, cells)), kind, names)  # noqa: B905
            continue
        for group in groups:
            values = group.values(cells)
            if paired and is_blank(values.values()):
                continue
            for key, value in defaults:
                values.setdefault(key, value)
            yield DataRow(number, values, kind, group.names)


class RowChecker:
    """Collects every issue of one :class:`DataRow` while its cells are normalised.

    Each cell is judged on its own, so a row with three bad cells gets three issues; the
    validators build a record only when :attr:`has_errors` is false.
    """

    def __init__(self, row: DataRow) -> None:
        self.row = row
        self.issues: list[RowIssue] = []

    def cell(self, key: str, normalizer: Callable[[str], T]) -> T | None:
        """Normalise column ``key``; on :class:`ValidationError` record an issue naming the
        column and return ``None``."""
        try:
            return normalizer(self.row.get(key))
        except ValidationError as exc:
            self.add(key, exc.code, exc.message)
            return None

    def required(self, key: str, normalizer: Callable[[str], str], message: str) -> str | None:
        """Normalise a text column that must not be empty; an empty cell is ``<key>.missing``
        with ``message``."""
        value = self.cell(key, normalizer)
        if value == "":
            self.add(key, f"{key}.missing", message)
            return None
        return value

    def add(
        self,
        key: str | None,
        code: str,
        message: str,
        severity: Severity = Severity.ERROR,
        *,
        value: str | None = None,
    ) -> None:
        """Record an issue about column ``key`` (``None``: the row as a whole); ``value``
        defaults to the cell as written."""
        column = self.row.column(key) if key is not None else None
        if value is None:
            value = self.row.get(key) if key is not None else ""
        self.issues.append(RowIssue(self.row.number, column, value, code, message, severity))

    @property
    def has_errors(self) -> bool:
        """Whether any issue rejects the row."""
        return any(i.severity is Severity.ERROR for i in self.issues)
