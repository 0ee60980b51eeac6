"""Check codes of issued documents (partyreg_core.documents): stable, content-bound, typed as
people type them."""

from __future__ import annotations

from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from partyreg_core import documents as _docs
from partyreg_core.documents import (
    ALPHABET,
    IssuedDocument,
    canonical,
    check_code,
    new_key,
    normalise_code,
    verify,
)

KEY = bytes(range(32))
contents = st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.integers(), max_size=6)


def doc(content: str = '{"a":1}', serial: str = "2014-0001-0001") -> IssuedDocument:
    return IssuedDocument(serial, "form3", date(2014, 12, 18), content, "…")


@given(contents)
def test_canonical_content_does_not_depend_on_order(content: dict[str, object]) -> None:
    assert canonical(dict(reversed(list(content.items())))) == canonical(content)


@given(st.text(max_size=40), st.text(max_size=200))
def test_a_code_is_eight_symbols_and_verifies_as_typed(serial: str, content: str) -> None:
    code = check_code(KEY, serial, content)
    assert len(code) == 9 and code[4] == "-"
    assert all(ch in ALPHABET for ch in code.replace("-", ""))
    document = IssuedDocument(serial, "form3", date(2014, 12, 18), content, "")
    for typed in (code, code.lower(), code.replace("-", " "), f"  {code}  ", code.replace("-", "")):
        assert verify(KEY, document, typed)
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in code)
    assert verify(KEY, document, full_width)


@given(st.text(max_size=20))
def test_normalise_code_accepts_only_codes(text: str) -> None:
    found = normalise_code(text)
    assert found == "" or (len(found) == 9 and normalise_code(found) == found)


def test_a_changed_content_serial_or_key_does_not_verify() -> None:
    code = doc().code(KEY)
    assert verify(KEY, doc(), code)
    assert not verify(KEY, doc('{"a":2}'), code)  # an hour changed on paper
    assert not verify(KEY, doc(serial="2014-0001-0002"), code)
    assert not verify(new_key(), doc(), code)
    assert not verify(KEY, None, code)
    assert not verify(KEY, doc(), "ABCD")


# -- report-in certificates (decision 0127) -----------------------------------------------------


@given(st.integers(1, 10**9), st.integers(2000, 2100), st.integers(1, 999))
def test_a_certificate_serial_carries_its_revision(member: int, year: int, revision: int) -> None:
    serial = _docs.certificate_serial(member, year, revision)
    assert serial.startswith(f"BD{year}-") and _docs.certificate_revision(serial) == revision


@given(st.text(max_size=20))
@example("BD2014-000012-²")  # a digit to str.isdigit, not to int()
def test_the_revision_of_any_text_is_a_number(text: str) -> None:
    assert _docs.certificate_revision(text) >= 0


def _cert(**changes: object) -> _docs.ReportInCertificate:
    import attrs

    base = _docs.ReportInCertificate(
        member_id=12, name="王建伟", gender="男", unit_and_title="市民政局 科长",
        unit_code="008.010", unit_name="淮安市市级机关工委", district="淮安区", street="淮城街道",
        community="河下社区", report_type="居住地", posts=("社情民意收集岗",),
        routed_on=date(2014, 9, 5), community_phone="0517-85912345",
    )  # fmt: skip
    return attrs.evolve(base, **changes)


def test_a_certificate_certifies_who_where_and_what_not_the_printing_day() -> None:
    first = _docs.certificate_document(_cert(), "BD2014-000012-1", date(2014, 9, 5))
    later = _docs.certificate_document(_cert(), "BD2014-000012-2", date(2014, 10, 1))
    assert _docs.same_certificate(first, later)  # the serial and the day aside, the same
    moved = _docs.certificate_document(_cert(community="承德路社区"), "X-3", date(2014, 10, 1))
    assert not _docs.same_certificate(first, moved)
    assert "0517" not in first.content  # the community's phone is printed, not certified
    facts = first.facts()
    assert (facts.name, facts.unit, facts.community) == (
        "王建伟",
        "淮安市市级机关工委",
        "淮安区淮城街道河下社区",
    )
    assert first.holds and first.standing() == ""
