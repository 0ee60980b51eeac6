"""Masking personal data for circulars and for roles that do not need it in full."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str) -> str:
    """Hide the middle of a phone number: ``13812345678`` → ``138****5678``,
    ``0517-83601234`` → ``0517-****1234``. Anything else keeps only its last four characters."""
    if "*" in phone:  # already masked
        return phone
    if re.fullmatch(r"1\d{10}", phone):
        return f"{phone[:3]}****{phone[-4:]}"
    if "-" in phone:
        area, _, local = phone.partition("-")
        return f"{area}-{'*' * max(len(local) - 4, 0)}{local[-4:]}"
    if len(phone) <= 4:
        return "*" * len(phone)
    return "*" * (len(phone) - 4) + phone[-4:]


def mask_address(address: str) -> str:
    """Hide house, building and room numbers: every digit becomes ``*``
    (``北京路12号3栋201室`` → ``北京路**号*栋***室``)."""
    return _DIGITS.sub("*", address)


PHONE_KEYS = frozenset({"phone", "mobile"})
ADDRESS_KEYS = frozenset({"address"})


def mask_fields(data: Any, phone: Callable[[str], str], address: Callable[[str], str]) -> Any:
    """``data`` (plain JSON data, such as an audit entry's before/after) with every string under
    a phone key passed through ``phone`` and every one under an address key through
    ``address``, at any depth."""
    if isinstance(data, dict):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            if isinstance(value, str) and key in PHONE_KEYS:
                out[key] = phone(value)
            elif isinstance(value, str) and key in ADDRESS_KEYS:
                out[key] = address(value)
            elif isinstance(value, list) and key in PHONE_KEYS | ADDRESS_KEYS:
                fn = phone if key in PHONE_KEYS else address
                out[key] = [fn(v) if isinstance(v, str) else v for v in value]
            else:
                out[key] = mask_fields(value, phone, address)
        return out
    if isinstance(data, list):
        return [mask_fields(item, phone, address) for item in data]
    return data
