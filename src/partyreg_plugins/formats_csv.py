"""The built-in CSV reader (DESIGN.md §6): the text files Excel and WPS save on Chinese Windows.

The encoding is found by the one detector of :mod:`partyreg_core.textencoding` over the whole
file (a BOM, strict UTF-8, GB18030; a file that really switches encoding part-way is refused). The delimiter is one of
``,`` ``\\t`` ``;`` ``|``, chosen from a sample. The row number is the record number as a
spreadsheet shows it: a quoted field with a newline inside is one record.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from partyreg_core import textencoding
from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import RawRow, RawSheet, ReadLimits, TableFormat
from partyreg_plugins import filesafety
from partyreg_plugins.cellsafety import unescape_csv
from partyreg_plugins.filesafety import refuse

DELIMITERS = (",", "\t", ";", "|")
# A 附表1 record is well under 2 KB; a "line" of megabytes is a binary file or a broken quote,
# and it must not be read into memory whole.
MAX_LINE_BYTES = 1 << 20
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_RECORDS = 50
_SNIFFER_CHARS = 4096
_CHUNK = 1 << 20


@attrs.frozen
class CsvDialect:
    """How a CSV file is written: the Python codec to read it with, a human name for the
    encoding (for messages), and the delimiter."""

    encoding: str
    encoding_name: str
    delimiter: str


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------


def _chunks(path: Path, skip: int = 0) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(skip)
        while chunk := f.read(_CHUNK):
            yield chunk


def _not_csv(path: Path, why: str) -> Exception:
    return refuse(
        "not_csv",
        f"文件 {path.name} 不是 CSV 文本文件（{why}）：请在 Excel/WPS 中打开原表格，"
        "“另存为”CSV UTF-8 或 Excel 工作簿 (.xlsx) 后再导入。",
    )


def _check_lines(path: Path, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Pass ``chunks`` through, refusing a line longer than :data:`MAX_LINE_BYTES`."""
    run = 0
    for chunk in chunks:
        first = chunk.find(b"\n")
        if first < 0:
            run += len(chunk)
        else:
            last = chunk.rfind(b"\n")
            inner = max(map(len, chunk[first + 1 : last].split(b"\n"))) if last > first else 0
            longest = max(run + first, inner)
            run = len(chunk) - last - 1
            if longest > MAX_LINE_BYTES:
                break
        if run > MAX_LINE_BYTES:
            break
        yield chunk
    else:
        return
    raise _not_csv(path, f"有一行超过 {MAX_LINE_BYTES // (1 << 20)} MB")


def _text_chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes for the encoding detector, refusing overlong lines and (outside
    UTF-16, where a NUL byte is a NUL character) NUL bytes: binary content."""
    utf16 = filesafety.read_head(path, 2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    for chunk in _check_lines(path, _chunks(path)):
        if not utf16 and b"\x00" in chunk:
            raise _not_csv(path, "含有 NUL 字节，是二进制文件")
        yield chunk


def detect_encoding(path: Path) -> tuple[str, str]:
    """(Python codec, human name) for ``path``, by the one detector
    (:func:`partyreg_core.textencoding.detect_encoding`); refuses binary content first."""
    head = filesafety.read_head(path, 4096)
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if b"\x00" in head:
            raise _not_csv(path, "含有 NUL 字节，是二进制文件")
        if not filesafety.looks_like_text(head):
            raise _not_csv(path, "含有大量控制字符，是二进制文件")
    found = textencoding.detect_encoding(lambda: _text_chunks(path), path.name)
    if found.codec == "utf-16":
        with path.open(encoding="utf-16", errors="strict", newline="") as text:
            while piece := text.read(_CHUNK):
                if "\x00" in piece:
                    raise _not_csv(path, "含有 NUL 字符，是二进制文件")
    return found.codec, found.name


# ---------------------------------------------------------------------------------------------
# Delimiter
# ---------------------------------------------------------------------------------------------


def _sample(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="", errors="replace") as f:
        text = f.read(_SAMPLE_BYTES)
    cut = max(text.rfind("\n"), text.rfind("\r"))
    # Keep whole lines only, unless the sample is the whole (one-line) file.
    return text[: cut + 1] if cut > 0 and len(text) >= _SAMPLE_BYTES else text


def _score(sample: str, delimiter: str) -> tuple[int, int]:
    """(how many sample records have the most common field count, that count) when split by
    ``delimiter``; a delimiter that never splits scores (0, 1)."""
    try:
        widths = [
            len(r)
            for r, _ in zip(
                csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter),
                range(_SAMPLE_RECORDS),
                strict=False,
            )
            if r
        ]
    except csv.Error:
        return 0, 1
    if not widths:
        return 0, 1
    width, count = Counter(widths).most_common(1)[0]
    return (count, width) if width > 1 else (0, 1)


def detect_delimiter(sample: str) -> str:
    """The delimiter of ``sample``, among :data:`DELIMITERS`.

    ``csv.Sniffer`` gives a first guess; it is kept unless counting does better: for each
    candidate, the sample is split with a real CSV parser (quotes respected) and the candidate
    whose records most often share one field count (more than one field) wins, then the one
    with more fields. A file with a single column has no delimiter; ``,`` is returned.
    """
    try:
        # The Sniffer's regular expressions take quadratic time on hostile input (about 18 s on
        # 64 KB of ',"a'): it only sees the first few lines.
        head = sample[:_SNIFFER_CHARS]
        guess: str | None = csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        guess = None
    scores = {d: _score(sample, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])
    if guess in scores and scores[guess] >= scores[best]:
        return guess
    return best if scores[best][1] > 1 else ","


# ---------------------------------------------------------------------------------------------
# The format
# ---------------------------------------------------------------------------------------------


class CsvFormat:
    """CSV and tab-separated text (.csv, .txt as Excel's "Unicode 文本", .tsv)."""

    name = "csv"
    extensions = (".csv", ".txt", ".tsv")

    def __init__(self) -> None:
        # The last file that passed sniff(), so sheets() does not decode it all again.
        self._checked: tuple[tuple[object, ...], CsvDialect] | None = None

    def sniff(self, path: Path, limits: ReadLimits) -> None:
        """Refuse ``path`` unless it is a text file in a known encoding (the whole file is
        decoded once, streaming)."""
        self.dialect(path, limits)

    def dialect(self, path: Path, limits: ReadLimits) -> CsvDialect:
        """The encoding and delimiter of ``path``, after the checks of :meth:`sniff`."""
        size = filesafety.check_size(path, limits)
        key = (str(path.resolve()), size, path.stat().st_mtime_ns, limits)
        if self._checked is not None and self._checked[0] == key:
            return self._checked[1]
        head = filesafety.read_head(path, 8)
        if head.startswith(filesafety.OLE2_MAGIC):
            raise filesafety.refuse_ole2(path, "CSV")
        if head.startswith(filesafety.ZIP_MAGIC):
            raise refuse(
                "not_csv",
                f"文件 {path.name} 的扩展名是 {path.suffix}，内容却是 Excel 工作簿 (.xlsx) 或其他压缩包："
                "请把扩展名改回 .xlsx 再导入。",
            )
        encoding, encoding_name = detect_encoding(path)
        dialect = CsvDialect(encoding, encoding_name, detect_delimiter(_sample(path, encoding)))
        self._checked = (key, dialect)
        return dialect

    def sheets(self, path: Path, limits: ReadLimits) -> Iterator[RawSheet]:
        """The file as one sheet named after it; refuses it (before returning) as :meth:`sniff`."""
        dialect = self.dialect(path, limits)
        return iter(
            [
                RawSheet(
                    path.stem,
                    lambda: read_rows(path, dialect),
                    lambda: count_lines(path, dialect.encoding),
                )
            ]
        )


def count_lines(path: Path, encoding: str) -> int | None:
    """The number of lines of ``path`` (a newline in a quoted cell counts too): an estimate of
    its last record's number for a progress bar. Counted on the bytes, except in UTF-16, whose
    code units may hold a newline byte inside another character."""
    lines, ends_with_newline = 0, True
    try:
        if encoding.lower().startswith("utf-16"):
            with path.open(encoding=encoding, errors="replace", newline="") as text:
                while chunk := text.read(1 << 20):
                    lines += chunk.count("\n")
                    ends_with_newline = chunk.endswith("\n")
        else:
            with path.open("rb") as raw:
                while block := raw.read(1 << 20):
                    lines += block.count(b"\n")
                    ends_with_newline = block.endswith(b"\n")
    except OSError:
        return None
    return lines + (not ends_with_newline)


def read_rows(path: Path, dialect: CsvDialect) -> Iterator[RawRow]:
    """The non-blank records of ``path``, numbered from 1 as a spreadsheet shows them."""
    number = 0
    with path.open(encoding=dialect.encoding, newline="", errors="strict") as f:
        reader = csv.reader(f, delimiter=dialect.delimiter, quotechar='"', doublequote=True)
        try:
            for number, record in enumerate(reader, start=1):
                end = len(record)
                while end and not record[end - 1]:
                    end -= 1
                if end:
                    # Undo the formula-injection escape of partyreg's own CSV exports.
                    yield RawRow(
                        number,
                        tuple(unescape_csv(c) if c[:1] == "'" else c for c in record[:end]),
                    )
        except csv.Error as exc:
            # The only way to get here past sniff() is a field beyond the csv module's limit
            # (128 KiB): in practice an opening quote that is never closed.
            raise refuse(
                "csv_malformed",
                f"文件 {path.name} 第 {number + 1} 行起的内容无法按 CSV 读取（{exc}），"
                "多半是一个引号没有配对：请在 Excel/WPS 中打开检查这一行，另存后再导入。",
            ) from exc


@hookimpl
def partyreg_register_formats(register: Callable[[TableFormat], None]) -> None:
    """Register the CSV reader."""
    register(CsvFormat())
