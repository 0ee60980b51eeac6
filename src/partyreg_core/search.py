"""Finding members as an operator types: by name, pinyin initials, phone or unit code.

:func:`parse_search` splits what was typed into :class:`SearchTerm` values; a member matches
when every term matches (``王 008.010`` — named 王… in a unit under 008.010). What a term
matches is decided by its shape:

- text with a Chinese character (or ``·``): the name contains it (``建伟``);
- ASCII letters: the name's first characters have those pinyin initials, in any of their
  readings (``wjw`` → 王建伟, ``sx`` → 单雪 read shàn or dān), or are spelt by them in full
  pinyin, whole syllables and initials mixed (``wang`` → 王…, ``zhangwei`` → 张伟,
  ``wangjw`` → 王建伟; :func:`pinyin_splits`), or a Latin name contains them (any case);
- digits (``-`` allowed, as in ``0517-8360``): the phone contains them (a phone's last digits
  too), the unit code starts with them, or they are the member's number;
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


def syllable_chars(piece: str) -> frozenset[str]:
    """The characters ``piece`` spells: a single letter as an initial (:func:`initial_chars`),
    a longer piece as a whole toneless syllable (``wei`` → 伟, 为, 魏, …; ``lv`` or ``lu`` for
    ``lü``). Unknown pieces spell nothing."""
    if len(piece) == 1:
        return initial_chars(piece)
    return _by_syllable().get(piece.lower(), frozenset())


def pinyin_splits(letters: str, *, limit: int = 3) -> list[tuple[str, ...]]:
    """The ways ``letters`` read as the pinyin of a name's first characters, one piece per
    character: whole toneless syllables, then (optionally) single initials for the rest, as
    operators type a name (``zhangwei`` → ``("zhang", "wei")``; ``wangjw`` →
    ``("wang", "j", "w")``). At least one whole syllable (all initials is the plain initials
    search), at most :data:`MAX_INITIALS` pieces; the fewest pieces first, at most ``limit``
    readings (each becomes a condition of the query)."""
    text = letters.lower()
    if not (text.isascii() and text.isalpha()):
        return []
    syllables = _by_syllable()
    longest = max((len(k) for k in syllables), default=1)
    found: list[tuple[str, ...]] = []

    def walk(start: int, pieces: tuple[str, ...]) -> None:
        if len(pieces) > MAX_INITIALS:
            return
        if start == len(text):
            if pieces:
                found.append(pieces)
            return
        for end in range(min(len(text), start + longest), start + 1, -1):
            if text[start:end] in syllables:
                walk(end, (*pieces, text[start:end]))
        # the rest as initials, one a character
        rest = text[start:]
        fits = pieces and len(pieces) + len(rest) <= MAX_INITIALS
        if fits and all(initial_chars(ch) for ch in rest):
            found.append((*pieces, *rest))

    walk(0, ())
    unique = sorted(set(found), key=lambda p: (len(p), p))
    return unique[:limit]


def _toneless(reading: str) -> str:
    """``lǘ`` → ``lv``, ``wáng`` → ``wang``."""
    base = unicodedata.normalize("NFKD", reading.strip().lower()).replace("u\u0308", "v")
    return "".join(ch for ch in base if ch.isascii() and ch.isalpha())


@cache
def _by_syllable() -> dict[str, frozenset[str]]:
    """Toneless syllable → the characters with that reading (``lv`` also as ``lu``)."""
    from pypinyin.pinyin_dict import pinyin_dict

    sets: dict[str, set[str]] = {}
    for codepoint, readings in pinyin_dict.items():
        for reading in readings.split(","):
            word = _toneless(reading)
            # syllables without a vowel (ng, hm: interjections) only make spurious readings
            if len(word) > 1 and any(v in word for v in "aeiouv"):
                sets.setdefault(word, set()).add(chr(codepoint))
                if "v" in word:
                    sets.setdefault(word.replace("v", "u"), set()).add(chr(codepoint))
    return {word: frozenset(chars) for word, chars in sets.items()}


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
