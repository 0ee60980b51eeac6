"""The one page set-up of every printed form (附表1–4, the circular, the ledger, the templates).

A form prints on A4 (landscape where the seed's form is wide), fitted to the page's width and
as many pages long as the data needs, with the rows that head the table repeated on every page,
the print area following the data, and ``第 N 页 共 M 页`` in the footer (decision 0067).

Fitting to the width must never shrink the text below :data:`MIN_PRINT_PT`: the columns'
widths are given as the form wants them and :func:`fit_widths` narrows them, where needed, so
that the table fits the printable width at 100 % (wrapped cells then grow their rows). Column
widths are Excel's character units; at the default font one unit is 7 px plus 5 px of padding
per column, at 96 px to the inch.
"""

from __future__ import annotations

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
#: Keep this much of the printable width free: renderers measure columns slightly differently.
_SLACK = 0.96


def printable_px(*, landscape: bool) -> float:
    """The printable width of an A4 page in pixels (96 dpi) at 100 %."""
    width = A4[1] if landscape else A4[0]
    return (width - 2 * SIDE_MARGIN) * 96 * _SLACK


def width_px(widths: Sequence[float]) -> float:
    """The printed width of columns of ``widths`` (character units) in pixels."""
    return sum(w * _CHAR_PX + _PADDING_PX for w in widths)


def fit_widths(widths: Sequence[float], *, landscape: bool, floor: float = 4) -> tuple[float, ...]:
    """``widths`` narrowed in proportion (none below ``floor``) so that they fit the printable
    width of the page at 100 %; unchanged when they already fit."""
    room = printable_px(landscape=landscape)
    if width_px(widths) <= room:
        return tuple(widths)
    factor = 1.0
    fitted = tuple(widths)
    for _ in range(20):  # the floor takes some room back: a few rounds settle it
        factor *= room / width_px(fitted)
        fitted = tuple(max(floor, round(w * factor, 1)) for w in widths)
        if width_px(fitted) <= room:
            break
    return fitted


@attrs.frozen
class PageSetup:
    """How one sheet prints: orientation, the rows repeated on every page (0-based, inclusive),
    and the columns' widths as the form wants them."""

    widths: tuple[float, ...]
    landscape: bool
    repeat: tuple[int, int] | None = None
    freeze_row: int | None = None


def apply(
    ws: Worksheet,
    setup: PageSetup,
    *,
    column_formats: Sequence[Format | None] = (),
) -> tuple[float, ...]:
    """Set ``ws``'s columns and page as ``setup`` says; returns the widths used. Call
    :func:`print_area` once the last row is known."""
    widths = fit_widths(setup.widths, landscape=setup.landscape)
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
    char_px = font_pt * 96 / 72  # a Chinese character is one em wide
    room = max(width_px(widths) - 8, char_px)
    per_line = max(int(room // char_px), 1)
    lines = 0
    for part in text.split("\n"):
        lines += max(1, -(-len(part) // per_line))
    return round(lines * font_pt * 1.45 + 6, 1)


def _text_px(text: str, font_pt: float) -> float:
    em = font_pt * 96 / 72
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
        lines = max(lines, int(-(-_text_px(text, font_pt) // room)))
    return max(minimum, round(lines * font_pt * 1.4 + 4, 1))
