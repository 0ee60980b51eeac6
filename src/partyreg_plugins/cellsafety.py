"""Keeping exported cells inert: no cell may start a formula or an error value.

OWASP's CSV-injection rule: a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return can be run as a formula by Excel or WPS. In xlsx the value is written as an explicit
string with the quote-prefix style, so it is shown and re-read unchanged. In CSV, where there are
no types, it is prefixed with ``'`` and the CSV reader strips that prefix again (see
:func:`unescape_csv`), so exporting then importing changes nothing.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ERROR_VALUES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)


def is_dangerous(value: str) -> bool:
    """Whether a spreadsheet could read ``value`` as a formula or an error value."""
    return value.startswith(FORMULA_START) or value.strip().upper() in ERROR_VALUES


def escape_csv(value: str) -> str:
    """Prefix a dangerous value (or one already starting with the escape) with ``'``."""
    if is_dangerous(value) or (value.startswith("'") and is_dangerous(value[1:])):
        return "'" + value
    return value


def unescape_csv(value: str) -> str:
    """Undo :func:`escape_csv`: drop one ``'`` before a value that needed escaping."""
    if value.startswith("'") and (
        is_dangerous(value[1:]) or (value[1:].startswith("'") and is_dangerous(value[2:]))
    ):
        return value[1:]
    return value
