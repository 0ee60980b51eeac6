"""Check codes of issued documents (partyreg_core.documents): stable, content-bound, typed as
people type them."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

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
