"""Showing stored values on screen: literally, measured in terminal cells.

Every value that comes from the store or a file — a name, an address, a file name — reaches a
widget through :func:`literal` (a :class:`rich.text.Text`, never markup), so ``[bold]x[/]`` shows
those characters and a control character cannot drive the terminal (DESIGN.md §8). Widths are
cells: a Chinese character is two (``rich.cells``), so columns line up and truncation never cuts
a character in half.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from partyreg_core.members.model import MemberStatus
from partyreg_core.workspace import LOCAL_ZONE

ELLIPSIS = "…"
WEEKDAYS = "一二三四五六日"

#: The bar characters by status: shape, not only colour, tells them apart (16-colour terminals,
#: colour-blind operators, a monochrome screenshot pasted into a report).
BAR_CHARS = {
    MemberStatus.REPORTED_IN: "█",
    MemberStatus.ROUTED: "▓",
    MemberStatus.REGISTERED: "░",
}
BAR_STYLES = {
    MemberStatus.REPORTED_IN: "green",
    MemberStatus.ROUTED: "yellow",
    MemberStatus.REGISTERED: "",
}


def printable(value: object) -> str:
    """``value`` as text with control characters shown as escapes (``\\x1b``), never sent to
    the terminal."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def literal(value: object, style: str = "") -> Text:
    """``value`` as a Text shown exactly as stored (no markup, no escapes)."""
    return Text(printable(value), style=style, no_wrap=True, end="")


def fit(value: object, width: int) -> str:
    """``value`` cut to at most ``width`` cells, with an ellipsis when cut (never half a
    double-width character)."""
    text = printable(value)
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    cut = set_cell_size(text, width - 1).rstrip()
    while cell_len(cut) > width - 1:  # set_cell_size pads a split wide character with a space
        cut = cut[:-1]
    return cut + ELLIPSIS


def fit_end(value: object, width: int) -> str:
    """``value`` cut from the front to at most ``width`` cells (``…第1街道/第012社区``): for a
    path whose last part says the most."""
    text = printable(value)
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    while text and cell_len(text) > width - 1:
        text = text[1:]
    return ELLIPSIS + text


def pad(value: object, width: int) -> str:
    """``value`` fitted to exactly ``width`` cells (cut with an ellipsis, or padded)."""
    text = fit(value, width)
    return text + " " * (width - cell_len(text))


def number(value: int) -> str:
    """``12345`` → ``12,345``."""
    return f"{value:,}"


def day_text(day: date) -> str:
    """``2014-08-28（周四）``."""
    return f"{day.isoformat()}（周{WEEKDAYS[day.weekday()]}）"


def local_time(at: datetime) -> str:
    """A stored UTC time as operators read it (Asia/Shanghai)."""
    return f"{at.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}"


def status_bar(counts: dict[MemberStatus, int], scale: int, width: int) -> Text:
    """A bar of ``width`` cells for ``counts`` against ``scale`` (the largest total shown):
    reported-in first, then routed, then registered, each its own character and colour."""
    total = sum(counts.values())
    filled = 0 if scale <= 0 else round(width * total / scale)
    if total and not filled:
        filled = 1  # a unit with members never shows an empty bar
    bar = Text(no_wrap=True, end="")
    used = 0
    order = (MemberStatus.REPORTED_IN, MemberStatus.ROUTED, MemberStatus.REGISTERED)
    for index, status in enumerate(order):
        count = counts.get(status, 0)
        if not count:
            continue
        rest = [s for s in order[index + 1 :] if counts.get(s, 0)]
        size = filled - used if not rest else max(1, round(filled * count / total))
        size = min(size, filled - used)
        bar.append(BAR_CHARS[status] * size, style=BAR_STYLES[status])
        used += size
    bar.append(" " * (width - used))
    return bar


def legend() -> Text:
    """The key to :func:`status_bar`'s characters."""
    text = Text(no_wrap=True, end="")
    for index, status in enumerate(
        (MemberStatus.REPORTED_IN, MemberStatus.ROUTED, MemberStatus.REGISTERED)
    ):
        if index:
            text.append("  ")
        text.append(BAR_CHARS[status] * 2, style=BAR_STYLES[status])
        text.append(f" {status.label}")
    return text


def joined(values: Sequence[object], separator: str = "、") -> str:
    """Values joined for one cell."""
    return separator.join(printable(v) for v in values)
