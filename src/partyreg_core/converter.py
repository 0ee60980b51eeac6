"""The one cattrs converter for partyreg's values, and helpers around it.

Every (un)structuring of core values (JSON output, storage rows, plugin payloads) goes through
:data:`converter`, so an org code is always its dotted string, a date ISO 8601, an enum its value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import cattrs

from partyreg_core.errors import ValidationError
from partyreg_core.members.fields import member_json
from partyreg_core.members.model import Member
from partyreg_core.operators.model import Operator, operator_json
from partyreg_core.orgcodes import OrgCode, parse_code

T = TypeVar("T")


def register_hooks(conv: cattrs.Converter) -> None:
    """Teach ``conv`` partyreg's scalar types."""
    conv.register_unstructure_hook(OrgCode, str)
    conv.register_structure_hook(OrgCode, lambda value, _t: parse_code(str(value)))
    # a time is ISO 8601 in Beijing time with its offset (stored times are UTC); registered
    # before ``date``, of which ``datetime`` is a subclass, so that it keeps its time of day
    conv.register_unstructure_hook(datetime, _beijing_time)
    conv.register_structure_hook(
        datetime,
        lambda value, _t: value if isinstance(value, datetime) else datetime.fromisoformat(value),
    )
    conv.register_unstructure_hook(date, date.isoformat)
    # a member by 附表1's field table: the keys DESIGN.md §5 pins, in the form's order
    conv.register_unstructure_hook(Member, member_json)
    conv.register_unstructure_hook(Operator, operator_json)
    conv.register_structure_hook(
        date, lambda value, _t: value if isinstance(value, date) else date.fromisoformat(value)
    )


BEIJING = ZoneInfo("Asia/Shanghai")


def _beijing_time(value: datetime) -> str:
    return (value.astimezone(BEIJING) if value.tzinfo is not None else value).isoformat()


converter = cattrs.Converter()
register_hooks(converter)


def unstructure(value: Any) -> Any:
    """Turn a core value into plain JSON-ready data."""
    return converter.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from plain data; raise :class:`ValidationError` naming each bad field."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            detail = "; ".join(cattrs.transform_error(exc))
        else:
            detail = str(exc)
        raise ValidationError("data.invalid", f"数据格式不对：{detail}") from exc
