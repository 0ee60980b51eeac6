"""Finding members as an operator types: by name, pinyin initials, phone or unit code.

:func:`parse_search` splits what was typed into :class:`SearchTerm` values; a member matches
when every term matches (``王 008.010`` — named 王… in a unit under 008.010). What a term
matches is decided by its shape:

- text with a Chinese character (or ``·``): the name contains it (``建伟``);
- ASCII letters: the name's first characters have those pinyin initials, in any of their
  readings (``wjw`` → 王建伟, ``sx`` → 单雪 read shàn or dān), or a Latin name contains them
  (any case);
- digits (``-`` allowed, as in ``0517-8360``): the phone contains them, or the unit code starts
  with them;
- digits with dots (``008.010``; ``。`` and full-width digits count): the unit code starts with them.

Stores implement the matching in their query language (``MemberQuery.text``); this module holds
the rules and the pinyin table they need (:func:`initial_chars`), so every store reads a term
the same way. Pure: the pinyin table is pypinyin's dictionary, loaded on first use.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import cache

import attrs

from partyreg_core.text import clean

#: Longest run of letters read as initials (names are rarely longer; longer text still matches
#: Latin names).
MAX_INITIALS = 8

_NAME_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "．": "·"})
_CODE = re.compile(r"[0-9]+(?:\.[0-9]*)+")
_DIGITS = re.compile(r"[0-9][0-9\-]*")
_LETTERS = re.compile(r"[A-Za-z]+")


class TermKind(StrEnum):
    """How a search term is matched."""

    NAME = "name"  # the name contains the text
    LETTERS = "letters"  # pinyin initials of the name's first characters, or in a Latin name
    DIGITS = "digits"  # the phone contains the digits, or the unit code starts with them
    CODE = "code"  # the unit code starts with the text


@attrs.frozen
class SearchTerm:
    """One word of a search, normalised: ``text`` is NFKC, letters lower-cased, a code with
    dots (``。`` read as ``.``); digits keep their hyphens, as landlines are stored
    (``0517-8360``)."""

    kind: TermKind
    text: str


def parse_search(text: str) -> tuple[SearchTerm, ...]:
    """The terms of what an operator typed (whitespace separates terms; empty: no terms)."""
    terms: list[SearchTerm] = []
    for word in clean(text).replace("。", ".").split():
        term = _term(word)
        if term is not None and term not in terms:
            terms.append(term)
    return tuple(terms)


def _term(word: str) -> SearchTerm | None:
    if _CODE.fullmatch(word):
        return SearchTerm(TermKind.CODE, word)
    if _DIGITS.fullmatch(word):
        return SearchTerm(TermKind.DIGITS, word)
    if _LETTERS.fullmatch(word):
        return SearchTerm(TermKind.LETTERS, word.lower())
    name = word.translate(_NAME_DOTS)
    return SearchTerm(TermKind.NAME, name) if name else None


def initials_of(name: str) -> str:
    """The pinyin initials of ``name`` in its most common readings (``王建伟`` → ``wjw``);
    characters without a reading are kept as they are, lower-cased. For display and tests;
    stores match every reading through :func:`initial_chars`."""
    table = _readings()
    out = []
    for ch in name:
        readings = table.get(ch)
        out.append(readings[0] if readings else ch.lower())
    return "".join(out)


def initial_chars(letter: str) -> frozenset[str]:
    """Every character with a reading whose pinyin starts with ``letter`` (``w`` → 王, 吴, …).

    Several readings count (单: dān, chán, shàn is in ``d``, ``c`` and ``s``); a letter no
    reading starts with (``v``) gives an empty set.
    """
    return _by_initial().get(letter.lower(), frozenset())


@cache
def _readings() -> dict[str, str]:
    """Character → the first letters of its readings, most common first (``单`` → ``dcs``)."""
    from pypinyin.pinyin_dict import pinyin_dict  # 40,000 entries: loaded on first use

    table: dict[str, str] = {}
    for codepoint, readings in pinyin_dict.items():
        letters = []
        for reading in readings.split(","):
            base = unicodedata.normalize("NFKD", reading.strip())[:1].lower()
            if base.isascii() and base.isalpha() and base not in letters:
                letters.append(base)
        if letters:
            table[chr(codepoint)] = "".join(letters)
    return table


@cache
def _by_initial() -> dict[str, frozenset[str]]:
    sets: dict[str, set[str]] = {}
    for ch, letters in _readings().items():
        for letter in letters:
            sets.setdefault(letter, set()).add(ch)
    return {letter: frozenset(chars) for letter, chars in sets.items()}
