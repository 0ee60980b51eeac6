"""The one page set-up of every printed form (附表1–4, the circular, the ledger, the templates).

A form prints on A4 (landscape where the seed's form is wide), fitted to the page's width and
as many pages long as the data needs, with the rows that head the table repeated on every page,
the print area following the data, and ``第 N 页 共 M 页`` in the footer (decision 0067).

Fitting to the width must never shrink the text below :data:`MIN_PRINT_PT`: the columns'
widths are given as the form wants them and :func:`fit_widths` narrows them, where needed, so
that the table fits the printable width at 100 % (wrapped cells then grow their rows). Column
widths are Excel's character units: one unit is 7 px plus 5 px of padding per column, and
LibreOffice prints a pixel as a point (:func:`printable_px`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

#: No form prints below this size (points) on A4.
MIN_PRINT_PT = 9
#: The footer of every form.
FOOTER = "&C第 &P 页 共 &N 页"
#: Margins in inches (left/right, top/bottom) and the header/footer margin.
SIDE_MARGIN = 0.5
TOP_MARGIN = 0.75
FOOTER_MARGIN = 0.3
#: A4 in inches.
A4 = (8.27, 11.69)
#: What is left for the cells of a column besides its width in characters (px).
_PADDING_PX = 5
_CHAR_PX = 7
#: Column pixels to the printed inch (see :func:`printable_px`); a point is one pixel.
_PX_PER_INCH = 72
#: Keep this much of the printable width free: renderers measure columns slightly differently.
_SLACK = 0.96


def printable_px(*, landscape: bool) -> float:
    """The printable width of an A4 page in column units' pixels at 100 %. LibreOffice prints
    a column unit's 7 pixels as 7 points (measured: a table of 985 such pixels prints 985 pt
    wide), so the page is counted at 72 to the inch; Excel's 96 leaves it room to spare."""
    width = A4[1] if landscape else A4[0]
    return (width - 2 * SIDE_MARGIN) * _PX_PER_INCH * _SLACK


def width_px(widths: Sequence[float]) -> float:
    """The printed width of columns of ``widths`` (character units) in pixels."""
    return sum(w * _CHAR_PX + _PADDING_PX for w in widths)


def fit_widths(
    widths: Sequence[float],
    *,
    landscape: bool,
    floor: float = 4,
    minimums: Sequence[float] = (),
) -> tuple[float, ...]:
    """``widths`` narrowed so that they fit the printable width of the page at 100 %;
    unchanged when they already fit. The widest columns give way first (a cap on every
    width, the largest that fits, never below a column's ``minimums`` entry or ``floor``), so
    codes, phones and numbers keep their room while long texts (addresses, titles) wrap; only
    if that is not enough are all columns narrowed in proportion."""
    room = printable_px(landscape=landscape)
    if width_px(widths) <= room:
        return tuple(widths)
    least = [
        min(w, max(floor, minimums[i] if i < len(minimums) else floor))
        for i, w in enumerate(widths)
    ]

    def capped(cap: float) -> list[float]:
        return [max(lo, min(w, cap)) for w, lo in zip(widths, least, strict=True)]

    low, high = 0.0, max(widths)
    if width_px(least) > room:  # every column at its least is still too wide: shrink them all
        fitted = list(least)
        for _ in range(30):
            text_px = sum(w * _CHAR_PX for w in fitted)
            over = width_px(fitted) - room
            if over <= 0 or text_px <= 0:
                break
            factor = max(text_px - over, 0.0) / text_px
            fitted = [min(w, max(1.0, math.floor(w * factor * 10) / 10)) for w in fitted]
        return tuple(fitted)
    for _ in range(40):  # the largest cap that fits
        middle = (low + high) / 2
        if width_px(capped(middle)) <= room:
            low = middle
        else:
            high = middle
    return tuple(min(w, math.floor(c * 10) / 10) for w, c in zip(widths, capped(low), strict=True))


@attrs.frozen
class PageSetup:
    """How one sheet prints: orientation, the rows repeated on every page (0-based, inclusive),
    and the columns' widths as the form wants them."""

    widths: tuple[float, ...]
    landscape: bool
    repeat: tuple[int, int] | None = None
    freeze_row: int | None = None
    #: the narrowest each column may become when the widths are fitted to the page
    minimums: tuple[float, ...] = ()


def apply(
    ws: Worksheet,
    setup: PageSetup,
    *,
    column_formats: Sequence[Format | None] = (),
) -> tuple[float, ...]:
    """Set ``ws``'s columns and page as ``setup`` says; returns the widths used. Call
    :func:`print_area` once the last row is known."""
    widths = fit_widths(setup.widths, landscape=setup.landscape, minimums=setup.minimums)
    for index, width in enumerate(widths):
        fmt = column_formats[index] if index < len(column_formats) else None
        ws.set_column(index, index, width, fmt)
    ws.set_paper(9)  # A4
    if setup.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as long as the data
    ws.center_horizontally()
    ws.set_margins(
        left=SIDE_MARGIN, right=SIDE_MARGIN, top=TOP_MARGIN, bottom=TOP_MARGIN + FOOTER_MARGIN
    )
    ws.set_header("", margin=FOOTER_MARGIN)
    ws.set_footer(FOOTER, margin=FOOTER_MARGIN)
    if setup.repeat is not None:
        ws.repeat_rows(*setup.repeat)
    if setup.freeze_row is not None:
        ws.freeze_panes(setup.freeze_row, 0)
    return widths


def print_area(ws: Worksheet, last_row: int, columns: int) -> None:
    """Print rows 0..``last_row`` (0-based, inclusive) of the first ``columns`` columns: the
    print area follows the data written."""
    ws.print_area(0, 0, max(last_row, 0), max(columns - 1, 0))


def text_height(text: str, widths: Sequence[float], font_pt: float) -> float:
    """The row height (points) a wrapped ``text`` at ``font_pt`` needs across columns of
    ``widths``: renderers size rows of merged cells by hand, not to their text."""
    char_px = font_pt * _PX_PER_INCH / 72  # a Chinese character is one em wide
    room = max(width_px(widths) - 8, char_px)
    per_line = max(int(room // char_px), 1)
    lines = 0
    for part in text.split("\n"):
        lines += max(1, -(-len(part) // per_line))
    return round(lines * font_pt * 1.45 + 6, 1)


def _text_px(text: str, font_pt: float) -> float:
    em = font_pt * _PX_PER_INCH / 72
    return sum(em if ord(ch) > 0x2E7F else em * 0.5 for ch in text)


def row_height(
    values: Sequence[object], widths: Sequence[float], font_pt: float, *, minimum: float = 15
) -> float:
    """The height (points) a row of wrapped cells needs so that nothing is cut: renderers keep
    a row's stored height, so the row grows here (at least ``minimum``)."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        text = "" if value is None else str(value)
        if not text:
            continue
        room = max(width * _CHAR_PX + _PADDING_PX - 3, 1.0)
        needed = sum(max(1, int(-(-_text_px(part, font_pt) // room))) for part in text.split("\n"))
        lines = max(lines, needed)
    return max(minimum, round(lines * font_pt * 1.4 + 4, 1))
