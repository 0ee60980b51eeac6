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
from enum import StrEnum

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


class DocumentStatus(StrEnum):
    """Whether an issued document still holds: a revoked or superseded paper still verifies
    as one the system issued, and says it no longer holds (decision 0127)."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        """The status as people read it."""
        return {"valid": "有效", "revoked": "已作废", "superseded": "已被新版取代"}[self.value]


@attrs.frozen
class IssuedDocument:
    """A document the system issued: its serial, kind (``form3`` …), the day the system
    recorded what it certifies, the canonical content, and a one-line summary of it; whether
    it still holds (``status``, with the serial that replaced it or the day and reason it was
    revoked) and the member it is about, where the kind has one."""

    serial: str
    kind: str
    issued_on: date
    content: str
    summary: str
    status: DocumentStatus = DocumentStatus.VALID
    replaced_by: str | None = None
    revoked_on: date | None = None
    reason: str = ""
    member_id: int | None = None

    @property
    def holds(self) -> bool:
        """Whether the document is still in force."""
        return self.status is DocumentStatus.VALID

    def standing(self) -> str:
        """Why a genuine document no longer holds, in words (``""`` while it does)."""
        if self.status is DocumentStatus.SUPERSEDED:
            return f"该文书已被新版 {self.replaced_by} 取代，请以新版为准"
        if self.status is DocumentStatus.REVOKED:
            why = f"（{self.reason}）" if self.reason else ""
            when = self.revoked_on.isoformat() if self.revoked_on else ""
            return f"该文书已于 {when} 作废{why}"
        return ""

    def facts(self) -> VerifiedFacts:
        """What a public check shows of it: only the name, unit, community and date."""
        data = json.loads(self.content)
        community = data.get("community") or []
        return VerifiedFacts(
            kind=KIND_LABELS.get(self.kind, self.kind),
            name=str(data.get("name", "")),
            unit=str(data.get("unit_name") or data.get("unit", "")),
            community="".join(str(part) for part in community),
            day=self.issued_on,
        )

    def code(self, key: bytes) -> str:
        """The document's check code under ``key``."""
        return check_code(key, self.serial, self.content)


@attrs.frozen
class VerifiedFacts:
    """The little a verification shows to anyone: which kind of document, whose, which unit
    and community, and the day it was issued."""

    kind: str
    name: str
    unit: str
    community: str
    day: date


def verify(key: bytes, document: IssuedDocument | None, code: str) -> bool:
    """Whether ``code`` is the check code of ``document`` (``False`` when there is none)."""
    wanted = normalise_code(code)
    if document is None or not wanted:
        return False
    return hmac.compare_digest(document.code(key), wanted)


# -- the documents partyreg issues -------------------------------------------------------------

FEEDBACK_KIND = "form3"
CERTIFICATE_KIND = "report_in"
#: The kinds as people read them.
KIND_LABELS = {FEEDBACK_KIND: "实绩反馈单（附表3）", CERTIFICATE_KIND: "在职党员到社区报到证"}


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


@attrs.frozen
class ReportInCertificate:
    """The unit's report-in certificate (报到证) for a member routed to a community, with
    the community's receipt (回执) below it: who, from which unit, to which community, for
    which posts, how the member reports in, and when they were routed (and reported in)."""

    member_id: int
    name: str
    gender: str
    unit_and_title: str
    unit_code: str
    unit_name: str
    district: str
    street: str
    community: str
    report_type: str
    posts: tuple[str, ...]
    routed_on: date
    reported_on: date | None = None
    community_phone: str = ""
    community_qq: str = ""
    community_address: str = ""

    @property
    def community_label(self) -> str:
        """The community's full name: 县区街道社区."""
        return f"{self.district}{self.street}{self.community}"


def certificate_serial(member_id: int, year: int, revision: int) -> str:
    """A certificate's serial: ``BD``, the year of its first issue, the member, the
    revision (``BD2014-000012-1``); a changed certificate is issued under the next revision."""
    return f"BD{year}-{member_id:06d}-{revision}"


def certificate_revision(serial: str) -> int:
    """The revision a certificate serial ends in (``0`` for a serial of another form)."""
    tail = serial.rsplit("-", 1)[-1]
    # ASCII digits only: "²".isdigit() holds, but int("²") fails
    return int(tail) if tail.isascii() and tail.isdigit() else 0


def certificate_document(cert: ReportInCertificate, serial: str, issued_on: date) -> IssuedDocument:
    """A report-in certificate as an issued document. The check code certifies the serial,
    the member's name, unit (code and name), the community, the report type, the posts and
    the routing day — not the phone, nor the day it was printed (printing it again the same
    is the same document)."""
    content = canonical(
        {
            "kind": CERTIFICATE_KIND,
            "serial": serial,
            "name": cert.name,
            "unit": cert.unit_code,
            "unit_name": cert.unit_name,
            "community": [cert.district, cert.street, cert.community],
            "report_type": cert.report_type,
            "posts": list(cert.posts),
            "routed_on": cert.routed_on.isoformat(),
        }
    )
    summary = (
        f"在职党员到社区报到证 {serial}：{cert.name}（{cert.unit_name}），"
        f"到{cert.community_label}报到，系统出具于 {issued_on.isoformat()}"
    )
    return IssuedDocument(
        serial, CERTIFICATE_KIND, issued_on, content, summary, member_id=cert.member_id
    )


def same_certificate(old: IssuedDocument, new: IssuedDocument) -> bool:
    """Whether ``new`` certifies what ``old`` does (their contents, serial aside)."""
    a, b = json.loads(old.content), json.loads(new.content)
    a.pop("serial", None)
    b.pop("serial", None)
    return bool(a == b)
