"""Masking personal data for circulars and for roles that do not need it in full."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str) -> str:
    """Hide the middle of a phone number: ``13812345678`` → ``138****5678``,
    ``0517-83601234`` → ``0517-****1234``. Anything else keeps only its last four characters."""
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
