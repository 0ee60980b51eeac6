"""Retention of personal information (个人信息保留期限).

A member who left (``left_on`` set) is kept in full for a configurable period (default three
years, the shared setting ``retention.years``); after it the member is anonymised: name, phone,
address, 单位及职务 and 特长 are replaced, while everything statistics count — the unit, the
community and district, gender, status, the claimed posts, the activities and their hours — stays,
so totals per unit, community and year do not change. The audit log's before/after values about
that member are scrubbed the same way (DESIGN.md §9, decision 0057).

Pure: the rules and the scrubbing of JSON values; the store applies them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

import attrs

from partyreg_core.errors import ValidationError

#: The shared setting holding the retention period in years.
RETENTION_SETTING = "retention.years"
DEFAULT_YEARS = 3

#: What replaces a personal text value.
ANONYMOUS = "（已匿名）"
ANONYMOUS_NAME = "已匿名"

#: The setting holding the key of the erased people's digests (hex; made by the first run).
ERASURE_KEY_SETTING = "retention.erasure_key"


def erased_digest(key: str, name: str, phone: str) -> str:
    """The keyed hash an anonymised person is remembered by (decision 0079): HMAC-SHA256 of
    name + phone under the store's own key, so the digests alone reveal nobody."""
    message = f"{name}\x1f{phone}".encode()
    return hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest()


def erased_message(name: str, phone: str) -> str:
    """The refusal of a registration of a person whose data were erased by retention."""
    return (
        f"{name}（{phone}）离开后已超过保留期限，个人信息已按规定匿名化：不能从旧登记表重新登记。"
        "如该党员确实重新参加活动，请由所在单位核实后联系市级操作员。"
    )


#: The member fields that are personal information (by the names the store and audit use).
PERSONAL_FIELDS = frozenset({"name", "phone", "address", "unit_and_title", "specialty"})


def retention_years(value: Any) -> int:
    """The retention period from the setting's value (``None``: the default of 3 years)."""
    if value is None:
        return DEFAULT_YEARS
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad_years(value)
    try:
        years = int(value)
    except ValueError:
        raise _bad_years(value) from None
    if not 1 <= years <= 100:
        raise _bad_years(value)
    return years


def _bad_years(value: Any) -> ValidationError:
    return ValidationError(
        "retention.years",
        f"保留期限“{value}”不对：请设为 1 到 100 之间的整数年（默认 3）。",
    )


def cutoff(on: date, years: int) -> date:
    """The latest leaving date that is due on ``on``: ``years`` years before ``on`` (29 February
    becomes 28 February in a year without it). A member who left on or before it is due."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


def is_due(left_on: date | None, on: date, years: int) -> bool:
    """Whether a member who left on ``left_on`` is due for anonymisation on ``on``."""
    return left_on is not None and left_on <= cutoff(on, years)


def anonymous_phone(member_id: int) -> str:
    """The phone an anonymised member keeps: unique (a person is name + phone), not a number."""
    return f"anon-{member_id}"


def anonymised_values(member_id: int) -> dict[str, str]:
    """The member's personal fields after anonymisation."""
    return {
        "name": ANONYMOUS_NAME,
        "phone": anonymous_phone(member_id),
        "address": "",
        "unit_and_title": ANONYMOUS,
        "specialty": "",
    }


def _scrub_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in PERSONAL_FIELDS and value not in (None, "", ANONYMOUS):
            out[key] = ANONYMOUS
        elif isinstance(value, Mapping):
            out[key] = _scrub_fields(value)
        elif isinstance(value, list):
            out[key] = [_scrub_fields(v) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out


def _about(data: Mapping[str, Any], ids: Collection[int], id_means_member: bool) -> bool:
    member_id = data.get("member_id")
    if isinstance(member_id, int) and not isinstance(member_id, bool):
        return member_id in ids
    own = data.get("id")
    return id_means_member and isinstance(own, int) and not isinstance(own, bool) and own in ids


def scrub(
    data: Any, ids: Collection[int], *, whole: bool = False, id_means_member: bool = False
) -> Any:
    """``data`` (an audit entry's before or after) with the personal fields of the members in
    ``ids`` replaced by :data:`ANONYMOUS`, at any depth.

    ``whole``: the value is about one of those members entirely (the entry's subject is
    ``member:<id>``), so every personal field in it goes. Otherwise only objects that say they
    are about such a member do: one with ``member_id`` in ``ids``, or — where
    ``id_means_member`` (a registrations import, a member list) — one whose ``id`` is. Data
    that is not about them is returned unchanged (equal), so callers can tell what changed.
    """
    if whole:
        if isinstance(data, Mapping):
            return _scrub_fields(data)
        if isinstance(data, list):
            return [scrub(v, ids, whole=True) for v in data]
        return data
    if isinstance(data, Mapping):
        if _about(data, ids, id_means_member):
            return _scrub_fields(data)
        return {
            k: scrub(v, ids, id_means_member=id_means_member or k == "members")
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [scrub(v, ids, id_means_member=id_means_member) for v in data]
    return data


#: Audit actions whose before/after list members by ``id`` (not ``member_id``).
MEMBER_ID_ACTIONS = frozenset({"import.registrations"})


def member_subject(subject: str) -> int | None:
    """The member id of an audit subject ``member:<id>``, else ``None``."""
    prefix, _, rest = subject.partition(":")
    if prefix == "member" and rest.isdigit():
        return int(rest)
    return None


@attrs.frozen
class RetentionCandidate:
    """A member due for anonymisation (no personal data: ids, codes and dates only)."""

    member_id: int
    unit_code: str
    left_on: date


@attrs.frozen
class RetentionReport:
    """What a retention run did (or, in a dry run, would do): the date it ran for, the period,
    the leaving date up to which members are due, the members anonymised (ids), and the audit
    entries scrubbed (ids)."""

    on: date
    years: int
    cutoff: date
    dry_run: bool
    member_ids: tuple[int, ...]
    audit_entry_ids: tuple[int, ...]
    by_unit: Mapping[str, int] = attrs.field(factory=dict)
    #: residents' wishes closed before the cutoff whose resident's name and phone are (or
    #: would be) blanked (decision 0130)
    wish_ids: tuple[int, ...] = ()

    @property
    def wishes(self) -> int:
        """How many wishes' residents are (or would be) erased."""
        return len(self.wish_ids)

    #: the batch that ``partyreg undo`` takes back (``None``: nothing written)
    batch_id: str | None = None

    @property
    def members(self) -> int:
        """How many members are (or would be) anonymised."""
        return len(self.member_ids)

    @property
    def audit_entries(self) -> int:
        """How many audit entries are (or would be) scrubbed."""
        return len(self.audit_entry_ids)
