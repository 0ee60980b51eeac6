"""Member search terms: how what an operator types is read (hypothesis for the parser)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core.search import (
    SearchTerm,
    TermKind,
    initial_chars,
    initials_of,
    parse_search,
)

FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("王建", [(TermKind.NAME, "王建")]),
        ("WJW", [(TermKind.LETTERS, "wjw")]),
        ("5678", [(TermKind.DIGITS, "5678")]),
        ("0517-8360", [(TermKind.DIGITS, "0517-8360")]),
        ("００８。０１０ wj", [(TermKind.CODE, "008.010"), (TermKind.LETTERS, "wj")]),
        ("欧阳•明", [(TermKind.NAME, "欧阳·明")]),
        ("  wj  wj ", [(TermKind.LETTERS, "wj")]),
        ("", []),
    ],
)
def test_terms_by_shape(typed: str, terms: list[tuple[TermKind, str]]) -> None:
    assert parse_search(typed) == tuple(SearchTerm(k, t) for k, t in terms)


@given(st.text(max_size=30))
def test_parsing_never_crashes_and_is_stable(typed: str) -> None:
    terms = parse_search(typed)
    assert len(set(terms)) == len(terms)
    for term in terms:
        assert term.text and not any(ch.isspace() for ch in term.text)
        if term.kind is TermKind.LETTERS:
            assert term.text == term.text.lower()
    # the normalised terms, typed again, read the same
    assert parse_search(" ".join(t.text for t in terms)) == terms


@given(st.from_regex(r"[0-9]{1,3}(\.[0-9]{3}){0,3}", fullmatch=True))
def test_full_width_digits_read_like_half_width(typed: str) -> None:
    assert parse_search(typed.translate(FULLWIDTH)) == parse_search(typed)


@settings(deadline=None)  # the first call loads pypinyin's 40,000-entry table
@given(
    st.text(
        alphabet="王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗建伟芳娜秀英敏静丽强磊军",
        min_size=2,
        max_size=4,
    )
)
def test_a_names_initials_find_its_characters(name: str) -> None:
    initials = initials_of(name)
    assert len(initials) == len(name)
    for ch, letter in zip(name, initials, strict=True):
        assert ch in initial_chars(letter)


def test_every_reading_counts() -> None:
    assert "单" in initial_chars("s") and "单" in initial_chars("d")
    assert initial_chars("v") == frozenset()


def _spelling(name: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(name, style=Style.NORMAL, v_to_u=False)).replace("ü", "v")


@given(
    st.text(
        alphabet="王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗建伟芳娜秀英敏静丽强磊军",
        min_size=1,
        max_size=3,
    )
)
def test_a_names_full_pinyin_reads_back_to_its_characters(name: str) -> None:
    from partyreg_core.search import pinyin_splits, syllable_chars

    spelt = _spelling(name)
    readings = pinyin_splits(spelt, limit=1000)
    assert any(
        len(pieces) == len(name)
        and all(ch in syllable_chars(p) for ch, p in zip(name, pieces, strict=True))
        for pieces in readings
    ), (name, spelt, readings[:5])


@given(st.text(max_size=20))
def test_splitting_letters_never_crashes_and_keeps_the_text(typed: str) -> None:
    from partyreg_core.search import MAX_INITIALS, pinyin_splits

    for pieces in pinyin_splits(typed):
        assert "".join(pieces) == typed.lower()
        assert len(pieces) <= MAX_INITIALS and any(len(p) > 1 for p in pieces)


def test_whole_syllables_and_initials_mix() -> None:
    from partyreg_core.search import pinyin_splits, syllable_chars

    assert ("zhang", "wei") in pinyin_splits("zhangwei")
    assert ("wang", "j", "w") in pinyin_splits("wangjw")
    assert pinyin_splits("wjw") == []  # all initials: the initials search
    assert "吕" in syllable_chars("lv") and "吕" in syllable_chars("lu")
