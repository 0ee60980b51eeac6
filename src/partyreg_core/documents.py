"""Issued documents and their check codes: what the system itself vouches for on paper.

A printed form such as 附表3 is signed and stamped by people; the system's part is printed
separately — the document's serial, the day the system recorded it, and a short check code.
The code is an HMAC of the serial and the document's canonical content under a secret key kept
in the store (created when the store is made, never exported), so whoever holds the paper can
have it verified (``partyreg verify SERIAL CODE``, later the members' site) and a changed
number of hours or a made-up sheet does not verify (decision 0068).

This module is pure: the store keeps the key and the issued documents
(:class:`IssuedDocument`), the workspace issues and verifies through it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import date

import attrs

from partyreg_core.records import FeedbackSheet

#: Bytes of a new secret key.
KEY_BYTES = 32
#: The check code's alphabet: 32 symbols, without 0/O and 1/I that read like each other.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: Symbols of a check code (5 bits each: 40 bits), printed as two groups of four.
CODE_LENGTH = 8


def new_key() -> bytes:
    """A fresh secret key."""
    return secrets.token_bytes(KEY_BYTES)


def canonical(content: Mapping[str, object]) -> str:
    """``content`` as one canonical text: JSON, keys sorted, no spaces, Chinese as is. The same
    content always gives the same text, whatever order it was built in."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def check_code(key: bytes, serial: str, content: str) -> str:
    """The check code of the document ``serial`` with canonical ``content``: ``ABCD-EFGH``."""
    digest = hmac.new(key, f"{serial}\n{content}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")  # 40 bits
    symbols = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, 32)
        symbols.append(ALPHABET[index])
    text = "".join(reversed(symbols))
    return f"{text[:4]}-{text[4:]}"


def normalise_code(text: str) -> str:
    """A check code as someone types it (lower case, spaces, full-width, with or without the
    dash) in its printed form, or ``""`` when it cannot be one."""
    plain = unicodedata.normalize("NFKC", text).upper()
    plain = "".join(ch for ch in plain if ch.isalnum())
    if len(plain) != CODE_LENGTH or any(ch not in ALPHABET for ch in plain):
        return ""
    return f"{plain[:4]}-{plain[4:]}"


@attrs.frozen
class IssuedDocument:
    """A document the system issued: its serial, kind (``form3`` …), the day the system
    recorded what it certifies, the canonical content, and a one-line summary of it."""

    serial: str
    kind: str
    issued_on: date
    content: str
    summary: str

    def code(self, key: bytes) -> str:
        """The document's check code under ``key``."""
        return check_code(key, self.serial, self.content)


def verify(key: bytes, document: IssuedDocument | None, code: str) -> bool:
    """Whether ``code`` is the check code of ``document`` (``False`` when there is none)."""
    wanted = normalise_code(code)
    if document is None or not wanted:
        return False
    return hmac.compare_digest(document.code(key), wanted)


# -- the documents partyreg issues -------------------------------------------------------------

FEEDBACK_KIND = "form3"


def feedback_document(sheet: FeedbackSheet) -> IssuedDocument:
    """A confirmed 附表3 as an issued document: what the check code certifies is the sheet's
    serial, year, member, unit, community, its activities (day, content, place, hours, rating)
    and the day the system recorded the confirmation. Not the phone: the paper shows it, but a
    member's changed number must not void the sheet."""
    if not sheet.number or sheet.confirmed_on is None:
        raise ValueError("only a numbered, confirmed sheet is issued")
    community = sheet.community
    content = canonical(
        {
            "kind": FEEDBACK_KIND,
            "serial": sheet.number,
            "year": sheet.year,
            "name": sheet.name,
            "unit": str(sheet.unit_code),
            "community": [community.district, community.street, community.community],
            "confirmed_on": sheet.confirmed_on.isoformat(),
            "activities": [
                [a.day.isoformat(), a.content, a.place, f"{a.hours:g}", a.rating.value]
                for a in sheet.activities
            ],
            "hours": f"{sheet.total_hours:g}",
        }
    )
    summary = (
        f"{sheet.year} 年度实绩反馈单 {sheet.number}：{sheet.name}（{sheet.unit_name}），"
        f"{community.district}{community.street}{community.community}，"
        f"共 {len(sheet.activities)} 次活动、{sheet.total_hours:g} 小时，"
        f"系统确认于 {sheet.confirmed_on.isoformat()}"
    )
    return IssuedDocument(sheet.number, FEEDBACK_KIND, sheet.confirmed_on, content, summary)
