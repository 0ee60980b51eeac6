"""What a format plugin reads a file into: its sheets and their rows as text, and the limits
that refuse a hostile file before it is parsed (the values of ``TableFormat``, in
:mod:`partyreg_core.ports`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs


@attrs.frozen
class ReadLimits:
    """Limits that refuse hostile files before they are parsed (DESIGN.md §9 defaults), and
    the size above which a workbook is read by the slower streaming reader.

    ``max_uncompressed_bytes`` bounds the parts of a zip package together and each on its own;
    ``max_ratio`` bounds the compression ratio of any part over 1 MiB and of the whole file.
    ``streaming_threshold_bytes`` is compared with the uncompressed size of a workbook's sheets
    and shared strings: the fast reader holds a whole sheet in memory (about 1.7 times its XML),
    the streaming reader a row at a time.

    ``max_rows`` and ``max_columns`` bound where a sheet's last cell with content may be (its
    real extent, scanned from the sheet's XML, not what its ``<dimension>`` claims): rows up to
    Excel's own 1,048,576, columns up to 256 (IV; the forms have under 30) — a cell beyond is a
    note typed far away and the sheet is refused, naming it (decision 0065).
    """

    max_file_bytes: int = 1_000_000_000
    max_uncompressed_bytes: int = 2_000_000_000
    max_ratio: float = 100.0
    streaming_threshold_bytes: int = 128 * 1024 * 1024
    max_rows: int = 1_048_576
    max_columns: int = 256


@attrs.frozen
class RawRow:
    """One row of a sheet: its number as the spreadsheet (or a CSV record count) shows it, and
    its cells as text (numbers as the digits they show, formulas by their cached value).

    ``cells[i]`` is column ``i + 1`` (A is ``cells[0]``, also when the data starts further
    right); trailing empty cells are dropped, and a row whose cells are all empty is not
    yielded at all, so ``number`` may jump."""

    number: int
    cells: tuple[str, ...]


@attrs.frozen
class RawSheet:
    """A visible sheet of a file: its name and a way to iterate its rows.

    Each call of ``rows()`` reads the sheet again from the file, lazily, in row order; a reader
    holds at most one sheet (the fast xlsx reader) or one row (CSV, streaming xlsx) in memory.
    Reading may still raise :class:`partyreg_core.errors.ValidationError` (``file.*``) for a
    fault only found mid-file, such as an unclosed quote in a CSV."""

    name: str
    rows: Callable[[], Iterator[RawRow]]
    last_row: Callable[[], int | None] | None = None
    """The number of the sheet's last row, when the format can tell without reading the rows
    (an xlsx sheet's ``<dimension>``, a CSV file's line count); an estimate that only drives
    a progress bar. ``None`` (or a call returning ``None``) when unknown."""
