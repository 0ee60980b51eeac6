"""Member search and counts in SQL: ``MemberQuery.text`` and ``Store.count_members``.

The rules are the core's (:mod:`partyreg_core.search`); here they become conditions that SQLite
and PostgreSQL both run. Pinyin initials need no column: the characters whose readings start
with a letter come from the core's table, and a name's first characters are tested against them
(``substr(name, i, 1) IN (…)``) — a scan, which at 100,000 members takes a few tens of
milliseconds in SQLite, fast enough for search as you type; no migration, nothing to keep in
step when a name changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from partyreg_core.operators.model import Scope
from partyreg_core.search import (
    MAX_INITIALS,
    SearchTerm,
    TermKind,
    initial_chars,
    parse_search,
    pinyin_splits,
    syllable_chars,
)
from partyreg_plugins.sqlstore.schema import members

Condition = ColumnElement[bool]

#: Digits a masked phone shows at its end (``139****5678``).
VISIBLE_PHONE_DIGITS = 4


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: sa.ColumnElement[str], text: str) -> Condition:
    return column.like(f"%{_like_escape(text)}%", escape="\\")


def _starts(column: sa.ColumnElement[str], text: str) -> Condition:
    return column.like(f"{_like_escape(text)}%", escape="\\")


def _initials(term: SearchTerm) -> Condition | None:
    """The name's first characters have the term's letters as pinyin initials."""
    letters = term.text[:MAX_INITIALS] if len(term.text) <= MAX_INITIALS else ""
    if not letters:
        return None
    parts: list[Condition] = []
    for position, letter in enumerate(letters, start=1):
        chars = initial_chars(letter)
        if not chars:
            return None
        parts.append(sa.func.substr(members.c.name, position, 1).in_(sorted(chars)))
    return sa.and_(*parts)


def _full_pinyin(term: SearchTerm) -> Condition | None:
    """The name's first characters are spelt by the term in full pinyin, whole syllables and
    initials mixed (``zhangwei``, ``wangjw``): one condition per reading of the letters."""
    readings: list[Condition] = []
    for pieces in pinyin_splits(term.text):
        parts = [
            sa.func.substr(members.c.name, position, 1).in_(sorted(syllable_chars(piece)))
            for position, piece in enumerate(pieces, start=1)
        ]
        readings.append(sa.and_(*parts))
    return sa.or_(*readings) if readings else None


#: The largest member number a search term of digits is also read as.
MAX_MEMBER_ID = 2**31 - 1


def _phone(term: SearchTerm, scope: Scope) -> Condition | None:
    """The phone holds the digits — as far as the scope sees the phone: roles that see phones
    masked match only the digits they are shown at the end, so a search never reveals more."""
    phone = members.c.phone  # as stored: 11 digits, or AREA-LOCAL (the term keeps its hyphen)
    if scope.sees_full_phone:
        return _contains(phone, term.text)
    size = len(term.text)
    if size > VISIBLE_PHONE_DIGITS:
        return None
    # within the last four digits: followed by 0..(4 - size) more characters (portable SQL;
    # SQLite's substr(x, -4) means something else in PostgreSQL)
    escaped = _like_escape(term.text)
    return sa.or_(
        *(
            phone.like(f"%{escaped}{'_' * after}", escape="\\")
            for after in range(VISIBLE_PHONE_DIGITS - size + 1)
        )
    )


def _case_free_contains(column: sa.ColumnElement[str], text: str, dialect: str) -> Condition:
    # SQLite's LIKE already ignores ASCII case (and lower() on every row costs a third of a
    # scan); PostgreSQL's does not, ILIKE does.
    pattern = f"%{_like_escape(text)}%"
    if dialect == "postgresql":
        return column.ilike(pattern, escape="\\")
    return column.like(pattern, escape="\\")


def term_condition(term: SearchTerm, scope: Scope, dialect: str = "sqlite") -> Condition:
    """The condition one search term puts on the members table (``dialect``: the database's
    name, as SQLAlchemy spells it)."""
    c = members.c
    if term.kind is TermKind.NAME:
        return _contains(c.name, term.text)
    if term.kind is TermKind.CODE:
        return _starts(c.unit_code, term.text)
    if term.kind is TermKind.DIGITS:
        parts = [_starts(c.unit_code, term.text)]
        if term.text.isdigit() and int(term.text) <= MAX_MEMBER_ID:
            parts.append(c.id == int(term.text))  # the member's number
        phone = _phone(term, scope)
        if phone is not None:
            parts.append(phone)
        return sa.or_(*parts)
    # letters: pinyin initials, or a Latin name containing them in any case
    parts = [_case_free_contains(c.name, term.text, dialect)]
    initials = _initials(term)
    if initials is not None:
        parts.append(initials)
    spelt = _full_pinyin(term)
    if spelt is not None:
        parts.append(spelt)
    return sa.or_(*parts)


def text_condition(text: str, scope: Scope, dialect: str = "sqlite") -> Condition | None:
    """Every term of ``text`` must match (``None``: nothing typed)."""
    terms = parse_search(text)
    if not terms:
        return None
    return sa.and_(*(term_condition(t, scope, dialect) for t in terms))


def scan_order(text: str | None) -> list[sa.ColumnElement[object]]:
    """The listing order (unit code, id) for a query. With search text the database scans the
    table anyway; ordering by an expression of the unit code keeps SQLite from walking the
    unit-code index and fetching rows one by one for a rare match (80 ms → 45 ms at 100,000
    members). Same order, either way."""
    if text and parse_search(text):
        return [members.c.unit_code.concat(""), members.c.id]
    return [members.c.unit_code, members.c.id]


def unit_prefix(depth: int, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """A unit code ``column`` cut to ``depth`` segments (codes are 3-digit segments joined by
    dots, so ``depth`` segments are the first ``4 * depth - 1`` characters)."""
    return sa.func.substr(column, 1, 4 * depth - 1)
