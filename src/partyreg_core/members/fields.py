"""附表1's fields, once: the one table every part of partyreg takes a member's fields from.

Each :class:`MemberField` says, for one column of 参与党员信息登记表 (DESIGN.md §6, §9): its
canonical key (what code, the edit commands and the audit log call it), the header the form
names it by and the variants an import recognises, whether the header and the cell are
required, the one-cell normaliser, the printed header and width of the official form, the
label screens show, the command-line option, and the JSON key with its value.

What is derived from :data:`MEMBER_FIELDS` (and nowhere written out again):

- the import form's columns and header matching (:data:`partyreg_core.forms.REGISTRATION_FORM`)
  and the order in which an import judges the cells (:mod:`partyreg_core.registrations`);
- the fields a re-import compares and an edit may change (:data:`REGISTRATION_FIELDS`,
  :data:`FIELD_KEYS`), a member's cells as text (:func:`registration_cells`);
- the official form 1's headers and widths (``partyreg_plugins.official_forms``);
- the command line's options, labels and JSON keys (``partyreg members``), the terminal UI's
  labels (``partyreg_tui.screens.member``);
- a member's JSON through the one converter (:func:`member_json`, registered in
  :mod:`partyreg_core.converter`).

Adding a field of 附表1 is a row here plus the attribute on
:class:`~partyreg_core.records.Registration` and :class:`~partyreg_core.members.model.Member`
(docs/architecture.md, "Adding a member field"). The checks that need more than the cell —
the org tree, the post catalog, the directory — stay in :mod:`partyreg_core.registrations`,
which judges each cell with the normaliser named here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

import attrs

from partyreg_core.normalize import (
    normalize_gender,
    normalize_name,
    normalize_phone,
    normalize_place_name,
    normalize_rank,
    normalize_report_type,
    normalize_text,
)
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_core.records import CommunityRef, Gender, ReportType


class HasRegistration(Protocol):
    """What a field reads its value from: a :class:`~partyreg_core.records.Registration` or a
    :class:`~partyreg_core.members.model.Member` (they share 附表1's attributes)."""

    @property
    def unit_code(self) -> OrgCode: ...
    @property
    def name(self) -> str: ...
    @property
    def gender(self) -> Gender: ...
    @property
    def unit_and_title(self) -> str: ...
    @property
    def posts(self) -> tuple[str, ...]: ...
    @property
    def phone(self) -> str: ...
    @property
    def community(self) -> CommunityRef: ...
    @property
    def specialty(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def report_type(self) -> ReportType: ...
    @property
    def rank(self) -> str: ...


def _text(value: object) -> str:
    """A stored value as the text a cell of 附表1 holds."""
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, (Gender, ReportType)):
        return value.value
    return "" if value is None else str(value)


def _json(value: object) -> object:
    """A stored value as JSON writes it: codes as strings, posts as a list, enums by value."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (Gender, ReportType)):
        return value.value
    if isinstance(value, OrgCode):
        return str(value)
    return value


@attrs.frozen
class MemberField:
    """One column of 附表1.

    :param key: the canonical name (``phone``): the form's column key, an edit's field, the
        audit log's key, the command line's ``--`` option name unless ``option`` says other.
    :param label: the header 附表1 names the column by (``联系方式``); headers match after
        removing whitespace and NFKC (:func:`partyreg_core.forms.match_key`).
    :param aliases: other headers an import recognises for it.
    :param header_required: the header must be in the file (the two optional columns are not).
    :param value_required: a member cannot be registered without a value (``members add``).
    :param get: the field's value on a registration or member.
    :param normalise: the one-cell normaliser an import and an edit apply (``None`` where the
        judgement needs more than the cell: 认领岗位 needs the district's posts).
    :param printed: the header as the official form prints it (``姓 名``); ``None``: ``label``.
    :param width: the column's width in the official form (Excel units); ``minimum`` what it
        keeps when fitted to A4.
    :param official: one of the form's eleven printed columns (``False``: the optional columns
        printed after them on request).
    :param screen: the label screens and the command line show; ``None``: ``label``.
    :param option: the command line's option (``--title``); ``""``: ``--`` + key.
    :param help: the option's help text.
    :param json_name: the key of the field in a member's JSON.
    """

    key: str
    label: str
    get: Callable[[HasRegistration], object]
    aliases: tuple[str, ...] = ()
    header_required: bool = True
    value_required: bool = True
    normalise: Callable[[str], object] | None = None
    printed: str | None = None
    width: float = 12
    minimum: float = 6
    official: bool = True
    screen: str | None = None
    option: str = ""
    help: str = ""
    json_name: str = ""

    @property
    def header(self) -> str:
        """The header the official form prints."""
        return self.printed if self.printed is not None else self.label

    @property
    def shown_as(self) -> str:
        """The label screens show."""
        return self.screen if self.screen is not None else self.label

    @property
    def flag(self) -> str:
        """The command line's option."""
        return self.option or "--" + self.key.replace("_", "-")

    @property
    def json_key(self) -> str:
        """The field's key in JSON."""
        return self.json_name or self.key

    def cell(self, record: HasRegistration) -> str:
        """The field of ``record`` as a cell's text (what an export writes, what an edit
        starts from)."""
        return _text(self.get(record))

    def json(self, record: HasRegistration) -> object:
        """The field of ``record`` as JSON writes it."""
        return _json(self.get(record))


def _free_text(text: str) -> str:
    """A free-text cell (单位及职务, 特长, 常住住址): at most 200 characters."""
    return normalize_text(text)


#: 附表1's columns in the form's order: the eleven printed ones, then 报到类型 and 职级.
MEMBER_FIELDS: tuple[MemberField, ...] = (
    MemberField(
        "unit_code", "单位代码", lambda r: r.unit_code, aliases=("单位党组织代码",),
        normalise=parse_code, width=14, minimum=11.5, option="--unit",
        help="单位代码，如 008.001.003。",
    ),
    MemberField(
        "name", "姓名", lambda r: r.name, normalise=normalize_name, printed="姓 名", width=10,
        minimum=7, help="姓名。",
    ),
    MemberField(
        "gender", "性别", lambda r: r.gender, normalise=normalize_gender, width=6, minimum=4.5,
        help="性别：男 或 女。",
    ),
    MemberField(
        "unit_and_title", "单位及职务", lambda r: r.unit_and_title, normalise=_free_text,
        width=28, minimum=8, option="--title", help="单位及职务，如 市民政局 科员。",
    ),
    MemberField(
        "specialty", "特长", lambda r: r.specialty, value_required=False,
        normalise=_free_text, width=16, minimum=5, help="特长。",
    ),
    MemberField(
        "posts", "认领岗位", lambda r: r.posts, width=14, minimum=5,
        help="认领岗位代码，如 3、8。",
    ),
    MemberField(
        "phone", "联系方式", lambda r: r.phone, aliases=("联系电话", "手机", "手机号码"),
        normalise=normalize_phone, width=16, minimum=12, help="联系方式：手机或带区号的座机。",
    ),
    MemberField(
        "address", "常住住址", lambda r: r.address, value_required=False,
        normalise=_free_text, width=34, minimum=8, help="常住住址。",
    ),
    MemberField(
        "community", "报到社区", lambda r: r.community.community, aliases=("报到社区名称",),
        normalise=normalize_place_name, printed="报到\n社区", width=16, minimum=7,
        help="报到社区（社区名）。", json_name="community_name",
    ),
    MemberField(
        "street", "社区所属街道、乡镇", lambda r: r.community.street,
        aliases=("街道", "街道（乡镇）", "社区所属街道（乡镇）"), normalise=normalize_place_name,
        width=18, minimum=7, help="社区所属街道、乡镇。",
    ),
    MemberField(
        "district", "所属", lambda r: r.community.district, aliases=("所属县区", "县区"),
        normalise=normalize_place_name, width=12, minimum=6, screen="所属县区",
        help="所属县区。",
    ),
    MemberField(
        "report_type", "报到类型", lambda r: r.report_type, header_required=False,
        value_required=False, normalise=normalize_report_type, width=10, official=False,
        help="报到类型：居住地、工作地、其他、联系点。",
    ),
    MemberField(
        "rank", "职级", lambda r: r.rank, header_required=False, value_required=False,
        normalise=normalize_rank, width=12, official=False, help="职级（县处级及以上填写）。",
    ),
)  # fmt: skip

#: The canonical keys of 附表1's columns in the form's order (what ``members add|edit`` type).
FIELD_KEYS: tuple[str, ...] = tuple(f.key for f in MEMBER_FIELDS)

#: The fields of a :class:`~partyreg_core.records.Registration` a re-import compares and an
#: edit may change, in the form's order (the community's three cells are one value there).
REGISTRATION_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys("community" if k in ("street", "district") else k for k in FIELD_KEYS)
)

#: The keys of the three cells that name the community together.
_PLACE_KEYS = frozenset({"community", "street", "district"})


def field(key: str, fields: Sequence[MemberField] = MEMBER_FIELDS) -> MemberField:
    """The field with canonical key ``key``."""
    for candidate in fields:
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def labels(fields: Iterable[MemberField] = MEMBER_FIELDS) -> dict[str, str]:
    """Key → the label screens and the command line show, in the form's order."""
    return {f.key: f.shown_as for f in fields}


def official_fields(
    fields: Iterable[MemberField] = MEMBER_FIELDS, *, extra: bool = False
) -> tuple[MemberField, ...]:
    """The columns the official form prints: the eleven, with ``extra`` 报到类型 and 职级."""
    return tuple(f for f in fields if f.official or extra)


def registration_cells(
    record: HasRegistration, fields: Iterable[MemberField] = MEMBER_FIELDS
) -> dict[str, str]:
    """A registration's or member's 附表1 cells as text by canonical key (what an export
    writes, what an edit starts from)."""
    return {f.key: f.cell(record) for f in fields}


def normalise_cell(key: str, text: str, fields: Sequence[MemberField] = MEMBER_FIELDS) -> object:
    """One cell of column ``key`` normalised as an import and an edit normalise it (raises
    :class:`~partyreg_core.errors.ValidationError` with the Chinese message)."""
    normaliser = field(key, fields).normalise
    return normaliser(text) if normaliser is not None else text


class MemberLike(HasRegistration, Protocol):
    """What :func:`member_json` reads besides 附表1's fields."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> Any: ...
    @property
    def community_id(self) -> int | None: ...
    @property
    def district_code(self) -> OrgCode | None: ...
    @property
    def registered_on(self) -> date | None: ...
    @property
    def routed_on(self) -> date | None: ...
    @property
    def reported_on(self) -> date | None: ...
    @property
    def batch_id(self) -> str | None: ...
    @property
    def retired_on(self) -> date | None: ...
    @property
    def left_on(self) -> date | None: ...
    @property
    def left_reason(self) -> str: ...


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def member_json(
    member: MemberLike, fields: Iterable[MemberField] = MEMBER_FIELDS
) -> dict[str, object]:
    """A member as JSON (``members list/show --json``, the contract of DESIGN.md §5): the id,
    every field of 附表1 by its JSON key — with the community's full ``县区/街道/社区`` name
    as ``community`` just before its three cells — then where the registration stands."""
    data: dict[str, object] = {"id": member.id}
    for f in fields:
        if f.key in _PLACE_KEYS and "community" not in data:
            data["community"] = member.community.label
        data[f.json_key] = f.json(member)
    data.update(
        {
            "status": member.status.value,
            "community_id": member.community_id,
            "district_code": str(member.district_code) if member.district_code else None,
            "registered_on": _day(member.registered_on),
            "routed_on": _day(member.routed_on),
            "reported_on": _day(member.reported_on),
            "batch_id": member.batch_id,
            "retired_on": _day(member.retired_on),
            "left_on": _day(member.left_on),
            "left_reason": member.left_reason or None,
        }
    )
    return data


def field_values(fields: Mapping[str, str | None]) -> dict[str, str]:
    """The fields an operator gave (command-line options, a form), without the absent ones."""
    return {k: v for k, v in fields.items() if v is not None}
