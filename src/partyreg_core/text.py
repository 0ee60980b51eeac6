"""Text normalisation shared by every parser: NFKC, whitespace, invisible characters."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidi controls survive NFKC and are invisible in Excel; they are never data.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")


def nfkc(value: str) -> str:
    """Return ``value`` in NFKC form: full-width digits, letters and punctuation become half-width."""
    return unicodedata.normalize("NFKC", value)


def strip_invisible(value: str) -> str:
    """Remove zero-width and bidi control characters."""
    return _INVISIBLE.sub("", value)


def has_invisible(value: str) -> bool:
    """Whether ``value`` holds zero-width or bidi control characters."""
    return _INVISIBLE.search(value) is not None


def strip_controls(value: str) -> str:
    """Remove control characters (Unicode category Cc/Cf) other than plain spaces."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf") or ch == " ")


def clean(value: str) -> str:
    """NFKC, drop invisible characters, and trim surrounding whitespace.

    NFKC runs again last: removing a character can bring a base letter next to a combining
    mark, and the result must be stable (``clean(clean(x)) == clean(x)``).
    """
    return nfkc(strip_invisible(nfkc(value)).strip())


def remove_whitespace(value: str) -> str:
    """Remove every whitespace character (used to match headers such as ``姓 名``)."""
    return _WHITESPACE.sub("", value)


def collapse_whitespace(value: str) -> str:
    """Replace each run of whitespace with one space."""
    return _WHITESPACE.sub(" ", value).strip()


def compact(value: str) -> str:
    """:func:`clean`, then every whitespace character removed (NFKC again, for stability)."""
    return nfkc(remove_whitespace(clean(value)))


def header_key(value: str) -> str:
    """The key a header cell is matched by: NFKC with all whitespace and invisibles removed."""
    return compact(value)


def display_width(value: str) -> int:
    """Terminal/spreadsheet width of ``value``: East Asian wide and full-width count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in value)


SHOWN_LIMIT = 40


def shown(value: str, limit: int = SHOWN_LIMIT) -> str:
    """``value`` as a message may echo it back: control characters shown as escapes, and cut
    to ``limit`` characters with the full length said, so that a 100,000-character name typed
    by mistake gives a one-line message rather than a 100 KB one."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（共 {len(value)} 字）"
