"""The ports through which the core reaches the outside: stores, file formats, exporters and
notification channels, and the values that cross them. Plugins implement these Protocols; the
core never imports a plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class Store(Protocol):
    """A campaign store. The full contract (members, routes, activities, audit, …) is checked by
    the storage contract suite in ``tests/plugins/storage``; every backend passes it unchanged."""

    url: str

    def close(self) -> None:
        """Release connections."""


StoreOpener = Callable[[str], Store]


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class ReadLimits:
    """Limits that refuse hostile files before they are parsed (DESIGN.md §9 defaults), and
    the size above which a workbook is read by the slower streaming reader.

    ``max_uncompressed_bytes`` bounds the parts of a zip package together and each on its own;
    ``max_ratio`` bounds the compression ratio of any part over 1 MiB and of the whole file.
    ``streaming_threshold_bytes`` is compared with the uncompressed size of a workbook's sheets
    and shared strings: the fast reader holds a whole sheet in memory (about 1.7 times its XML),
    the streaming reader a row at a time.
    """

    max_file_bytes: int = 1_000_000_000
    max_uncompressed_bytes: int = 2_000_000_000
    max_ratio: float = 100.0
    streaming_threshold_bytes: int = 128 * 1024 * 1024


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


@runtime_checkable
class TableFormat(Protocol):
    """A file format partyreg can read."""

    name: str
    extensions: tuple[str, ...]

    def sniff(self, path: Path, limits: ReadLimits) -> None:
        """Check, before parsing, that ``path`` really is of this format and is safe to read;
        raise :class:`partyreg_core.errors.ValidationError` (code ``file.*``) saying why not."""

    def sheets(self, path: Path, limits: ReadLimits) -> Iterator[RawSheet]:
        """The visible sheets of ``path`` in workbook order (a CSV has one)."""


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class Exporter(Protocol):
    """An export (``partyreg export NAME -o FILE``): an official form, a circular, a ledger."""

    name: str
    title: str

    def export(self, workspace: Any, target: Path, options: Mapping[str, Any]) -> int:
        """Write the export to ``target`` and return how many records it holds."""


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class Message:
    """A notification: a Chinese subject and body for the recipients of one channel."""

    subject: str
    body: str
    recipients: tuple[str, ...] = ()


@runtime_checkable
class Notifier(Protocol):
    """A channel that delivers messages; raise on failure so the outbox retries later."""

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise."""


NotifierFactory = Callable[[Mapping[str, str]], Notifier]


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class Change:
    """A committed change, as the audit log records it."""

    actor: str
    at: datetime
    action: str
    subject: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    on_behalf_of: str | None = None


@attrs.frozen
class ImportOutcome:
    """What a committed import wrote."""

    batch_id: str
    file: str
    kind: str
    rows_written: int
