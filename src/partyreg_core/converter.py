"""The one cattrs converter for partyreg's values, and helpers around it.

Every (un)structuring of core values (JSON output, storage rows, plugin payloads) goes through
:data:`converter`, so an org code is always its dotted string, a date ISO 8601, an enum its value.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

import cattrs

from partyreg_core.errors import ValidationError
from partyreg_core.orgcodes import OrgCode, parse_code

T = TypeVar("T")


def register_hooks(conv: cattrs.Converter) -> None:
    """Teach ``conv`` partyreg's scalar types."""
    conv.register_unstructure_hook(OrgCode, str)
    conv.register_structure_hook(OrgCode, lambda value, _t: parse_code(str(value)))
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(
        date, lambda value, _t: value if isinstance(value, date) else date.fromisoformat(value)
    )


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
