"""Checks that run on an input file before any parser touches it (DESIGN.md §7, §9).

A file is refused, with a :class:`~partyreg_core.errors.ValidationError` whose code starts with
``file.`` and whose Chinese message says what is wrong and how to fix it, when it is empty or too
big, when its content is not what its extension says (an old .xls or a text file renamed .xlsx, a
workbook renamed .csv), when it is encrypted, when it is a zip bomb, or when an XML part carries a
DTD (the door to "billion laughs" entity expansion and external entities).

The zip checks do not trust the archive's directory: every XML part is inflated here, in bounded
chunks, counting the bytes that actually come out, before calamine or openpyxl reads it.
"""

from __future__ import annotations

import codecs
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.ports import ReadLimits

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# An OLE2 file holding this stream is an Office document encrypted with a password
# (MS-OFFCRYPTO); directory entry names are UTF-16LE.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")

_CHUNK = 1 << 20
# Members that are never XML and never reach the XML parsers: their declared sizes still count
# against the limits, but they are not inflated here.
_BINARY_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".bmp",
    ".emf",
    ".wmf",
    ".tif",
    ".tiff",
    ".bin",
    ".wdp",
    ".ico",
)
# The ratio limit is for parts big enough to hurt; a few kilobytes of repetitive XML compress
# far past 100:1 without being a threat.
RATIO_MIN_BYTES = 1 << 20
# A workbook holds tens of parts; zipfile builds an object per member before anything can be
# checked, so millions of empty members would exhaust memory on their own.
MAX_ZIP_ENTRIES = 10_000
# Inside XML, "<!" may only open a comment ("<!--") or a CDATA section ("<![CDATA["); anything
# else is a declaration: <!DOCTYPE, <!ENTITY, <!ELEMENT, …
# (The character after "<!" is required, so a "<!--" split across two chunks is not a match.)
_DECLARATION = re.compile(rb"<![^-\[]")
_DECLARATION_TEXT = re.compile(r"<![^-\[]")


def refuse(code: str, message: str) -> ValidationError:
    """The error a refused file raises (``code`` without the ``file.`` prefix)."""
    return ValidationError(f"file.{code}", message)


# ---------------------------------------------------------------------------------------------
# Any file
# ---------------------------------------------------------------------------------------------


def check_size(path: Path, limits: ReadLimits) -> int:
    """The size of ``path`` in bytes; refuse a missing, empty or oversized file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise refuse(
            "unreadable", f"无法读取文件 {path.name}：{exc.strerror or exc}。请检查路径和权限。"
        ) from exc
    if not path.is_file():
        raise refuse("unreadable", f"{path.name} 不是普通文件：请指定要导入的表格文件。")
    if size == 0:
        raise refuse("empty", f"文件 {path.name} 是空的（0 字节）：请确认已保存了内容后再导入。")
    if size > limits.max_file_bytes:
        raise refuse(
            "too_large",
            f"文件 {path.name} 有 {_mb(size)}，超过上限 {_mb(limits.max_file_bytes)}："
            "请按单位拆分成几个文件分别导入。",
        )
    return size


def read_head(path: Path, size: int = 8) -> bytes:
    """The first ``size`` bytes of ``path``."""
    with path.open("rb") as f:
        return f.read(size)


def is_encrypted_ole2(path: Path) -> bool:
    """Whether an OLE2 file is a password-protected Office document (its directory names an
    ``EncryptedPackage`` stream). Read in chunks: the directory may lie anywhere."""
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if _ENCRYPTED_STREAM in tail + chunk:
                return True
            tail = chunk[-len(_ENCRYPTED_STREAM) :]
    return False


def refuse_ole2(path: Path, expected: str) -> ValidationError:
    """The error for an OLE2 file where ``expected`` (``"xlsx"``, ``"CSV"``) was expected."""
    if is_encrypted_ole2(path):
        return refuse(
            "encrypted",
            f"文件 {path.name} 设置了打开密码（已加密），无法读取：请在 Excel/WPS 中打开，"
            "在“文件→信息→保护工作簿”（WPS：“文件→文档加密”）中清除密码，另存后再导入。",
        )
    return refuse(
        "xls_legacy",
        f"文件 {path.name} 实际是旧版 Excel 97-2003 (.xls) 格式，不是 {expected}："
        "请在 Excel/WPS 中打开，“另存为”Excel 工作簿 (.xlsx) 后再导入。",
    )


def looks_like_text(head: bytes) -> bool:
    """Whether ``head`` looks like text (a BOM, or no NUL byte and mostly printable)."""
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    return controls <= len(head) // 100


# ---------------------------------------------------------------------------------------------
# Zip packages (xlsx)
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class SheetExtent:
    """How far a worksheet's XML reaches, found cheaply while the package is inflated (the
    ``<dimension>`` element is not trusted).

    ``max_row`` is the highest ``<row r=…>`` (an empty styled row counts: an overestimate,
    which only ever sends a sheet to the sparse reader); ``cells`` counts the values
    (``<v>``, inline ``<is>``). ``far_column`` and ``far_row`` name the first cell *with
    content* beyond ``max_columns`` columns or ``max_rows`` rows (empty styled cells such as
    ``<c r="XFD9" s="1"/>`` are harmless and skipped), with how far it is. Cells written
    without a reference are not counted: a reader places them one after another, so they
    cannot reach further than the XML is long."""

    cells: int = 0
    max_row: int = 0
    max_column: int = 0
    far_column: str | None = None
    far_row: str | None = None
    scanned: bool = True  # False: the part is UTF-16 and its extent is not known

    @property
    def rectangle(self) -> int:
        """The cells of the rectangle from A1 to the furthest row and column (an upper bound
        of what a dense reader holds)."""
        return self.max_row * max(self.max_column, 1)


# Rare matches only, so a million-row sheet is scanned at the speed of the regex engine: row
# elements, references of two or more letters (column AA and beyond), references of seven or
# more digits (row 1,000,000 and beyond). Group 3 is "/" for an empty (self-closing) cell.
_ROW = re.compile(rb"row\s[^>]*?\br=[\"']([0-9]+)")
_WIDE_REF = re.compile(rb"r=[\"']([A-Za-z]{2,})([0-9]+)[\"'][^>]*?(/?)>")
_DEEP_REF = re.compile(rb"r=[\"']([A-Za-z]+)([0-9]{7,})[\"'][^>]*?(/?)>")
_SPACE = b" \t\r\n"
# Where a chunk may be cut inside a tag: only the text after the last "<" is carried over.
_TAG_TAIL = 4096


def _references(view: bytes, pattern: re.Pattern[bytes]) -> Iterator[tuple[str, str]]:
    """(letters, digits) of the cells with content whose ``r`` attribute ``pattern`` finds
    (the attribute really is ``r``: whitespace before it)."""
    for match in pattern.finditer(view):
        at = match.start()
        if at and view[at - 1] in _SPACE and not match.group(3):
            yield match.group(1).decode(), match.group(2).decode()


def column_number(letters: str) -> int:
    """A = 1, Z = 26, AA = 27, XFD = 16384."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


class ExtentScanner:
    """Finds a worksheet's extent while its XML is inflated, chunk by chunk; ``max_rows`` and
    ``max_columns`` say which cells are "far"."""

    def __init__(self, max_rows: int = 1_048_576, max_columns: int = 256) -> None:
        self._limits = (max_rows, max_columns)
        self._tail = b""
        self._started = False
        self.scanned = True
        self.cells = 0
        self.max_row = 0
        self.max_column = 0
        self.far_column: str | None = None
        self.far_row: str | None = None

    def feed(self, data: bytes) -> None:
        if not self.scanned:
            return
        if not self._started and data:
            self._started = True
            if b"\x00" in data[:4] or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                # UTF-16 XML: not scanned here; the sheet goes to the streaming reader,
                # which reads sparse cells.
                self.scanned = False
                return
        buffer = self._tail + data
        cut = buffer.rfind(b"<")
        if cut < 0 or buffer.find(b">", cut) >= 0 or len(buffer) - cut > _TAG_TAIL:
            cut = len(buffer)
        self._tail = buffer[cut:]
        view = buffer[:cut]
        self.cells += view.count(b"<v>") + view.count(b"<is>") + view.count(b":v>")
        rows = _ROW.findall(view)
        if rows:
            self.max_row = max(self.max_row, max(map(int, rows)))
        max_rows, max_columns = self._limits
        for letters, digits in _references(view, _WIDE_REF):
            column = column_number(letters) if len(letters) < 8 else 10**12
            self.max_column = max(self.max_column, column)
            if column > max_columns and self.far_column is None:
                self.far_column = letters + digits
        for letters, digits in _references(view, _DEEP_REF):
            if int(digits) > max_rows and self.far_row is None:
                self.far_row = letters + digits
            self.max_row = max(self.max_row, int(digits))

    def extent(self) -> SheetExtent:
        self.feed(b"")
        # Without a reference of two or more letters, the cells are within A–Z.
        self.max_column = max(self.max_column, 26 if self.cells else 0)
        return SheetExtent(
            self.cells,
            self.max_row,
            self.max_column,
            self.far_column,
            self.far_row,
            self.scanned,
        )


@attrs.frozen
class ZipSummary:
    """What the pre-parse scan learnt about a zip package: its members, their sizes, and the
    real extent of every worksheet part (``xl/worksheets/*.xml``)."""

    members: tuple[str, ...]
    uncompressed_bytes: dict[str, int]
    total_uncompressed: int
    extents: dict[str, SheetExtent] = attrs.field(factory=dict)


def zip_entry_count(path: Path) -> int | None:
    """How many members the zip at ``path`` declares in its end record, read before zipfile
    builds an object per member (``None`` when there is no readable end record)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        tail_at = max(0, size - (1 << 16) - 22)
        f.seek(tail_at)
        tail = f.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or end + 22 > len(tail):
            return None
        (count,) = struct.unpack_from("<H", tail, end + 10)
        locator = end - 20
        if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
            # Zip64: the real count is in the zip64 end record the locator points to.
            (record_at,) = struct.unpack_from("<Q", tail, locator + 8)
            f.seek(record_at)
            record = f.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                (count,) = struct.unpack_from("<Q", record, 32)
        return count


def check_zip(path: Path, limits: ReadLimits, required: tuple[str, ...], kind: str) -> ZipSummary:
    """Check a zip package before parsing: it is a readable zip holding ``required`` parts
    (else it is not a ``kind``), with no more than :data:`MAX_ZIP_ENTRIES` members, none
    encrypted, the declared sizes and ratios within ``limits``, and every XML part inflating to
    no more than it declares and carrying no DTD."""
    count = zip_entry_count(path)
    if count is not None and count > MAX_ZIP_ENTRIES:
        raise _bomb(path, f"含有 {count:,} 个内部文件（正常的工作簿只有几十个）")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise refuse(
            "corrupt",
            f"文件 {path.name} 已损坏或不完整，无法作为 {kind} 打开：请重新从 Excel/WPS 保存一份再导入。",
        ) from exc
    with zf, path.open("rb") as raw:
        infos = zf.infolist()
        names = {info.filename for info in infos}
        missing = [name for name in required if name not in names]
        if missing:
            raise refuse(
                "not_xlsx",
                f"文件 {path.name} 是 zip 压缩包，但不是 {kind}（缺少 {'、'.join(missing)}）："
                "请在 Excel/WPS 中打开原表格，另存为 Excel 工作簿 (.xlsx) 后再导入。",
            )
        total = 0
        sizes: dict[str, int] = {}
        for info in infos:
            if info.flag_bits & 0x1:
                raise refuse(
                    "encrypted",
                    f"文件 {path.name} 内容被加密，无法读取：请清除密码后另存为 .xlsx 再导入。",
                )
            _check_declared(path, info, limits)
            total += info.file_size
            if total > limits.max_uncompressed_bytes:
                raise _bomb(path, f"解压后超过 {_mb(limits.max_uncompressed_bytes)}")
            sizes[info.filename] = info.file_size
        compressed = path.stat().st_size
        if total >= RATIO_MIN_BYTES and total / max(compressed, 1) > limits.max_ratio:
            raise _bomb(path, f"整体压缩比达 {total / max(compressed, 1):.0f}:1")
        scanned = 0
        extents: dict[str, SheetExtent] = {}
        for info in infos:
            if info.is_dir() or info.filename.lower().endswith(_BINARY_SUFFIXES):
                continue
            extent = _is_worksheet(info.filename)
            scanner = ExtentScanner(limits.max_rows, limits.max_columns) if extent else None
            scanned += _scan_member(
                path, raw, info, limits, limits.max_uncompressed_bytes - scanned, scanner
            )
            if scanner is not None:
                extents[info.filename] = scanner.extent()
    return ZipSummary(tuple(i.filename for i in infos), sizes, total, extents)


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.count("/") == 2 and name.endswith(".xml")


def _check_declared(path: Path, info: zipfile.ZipInfo, limits: ReadLimits) -> None:
    if info.file_size > limits.max_uncompressed_bytes:
        raise _bomb(path, f"其中 {info.filename} 解压后有 {_mb(info.file_size)}")
    if info.file_size >= RATIO_MIN_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise _bomb(path, f"其中 {info.filename} 的压缩比达 {ratio:.0f}:1")


def _scan_member(
    path: Path,
    raw: BinaryIO,
    info: zipfile.ZipInfo,
    limits: ReadLimits,
    budget: int,
    extent: ExtentScanner | None = None,
) -> int:
    """Inflate one member in bounded chunks; refuse a size lie, a ratio or total over the
    limits, or a declaration (DTD, entity) in it; feed ``extent`` (a worksheet's) as it goes.
    Returns the bytes that came out."""
    produced = 0
    scanner = _DeclarationScanner()
    for piece in _inflate(path, raw, info):
        produced += len(piece)
        if produced > info.file_size:
            raise _bomb(path, f"其中 {info.filename} 解压后的实际大小超过了它声明的大小")
        if produced > budget:
            raise _bomb(path, f"解压后超过 {_mb(limits.max_uncompressed_bytes)}")
        if scanner.feed(piece):
            raise refuse(
                "xml_entities",
                f"文件 {path.name} 的 {info.filename} 含有 DTD/实体声明（<!DOCTYPE 或 <!ENTITY），"
                "这种写法可被用来攻击程序，已拒绝读取：请在 Excel/WPS 中打开后另存为新的 .xlsx 再导入。",
            )
        if extent is not None:
            extent.feed(piece)
    return produced


def _inflate(path: Path, raw: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The decompressed bytes of ``info``, read from its raw data, never more than
    ``_CHUNK`` at a time (so a bomb is stopped after one chunk past the limit)."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) != 30 or header[:4] != ZIP_MAGIC:
        raise refuse(
            "corrupt",
            f"文件 {path.name} 已损坏（{info.filename} 的位置不对）：请重新保存后再导入。",
        )
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            data = raw.read(min(_CHUNK, left))
            if not data:
                break
            left -= len(data)
            yield data
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise refuse(
            "not_xlsx",
            f"文件 {path.name} 的 {info.filename} 使用了 Excel 不会使用的压缩方式："
            "请在 Excel/WPS 中另存为 .xlsx 后再导入。",
        )
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while left > 0 and not inflater.eof:
            data = raw.read(min(_CHUNK // 4, left))
            if not data:
                break
            left -= len(data)
            out = inflater.decompress(data, _CHUNK)
            yield out
            # A small compressed piece may hold far more than one chunk: drain it in steps.
            while inflater.unconsumed_tail and not inflater.eof:
                yield inflater.decompress(inflater.unconsumed_tail, _CHUNK)
        if not inflater.eof:
            # Trailing bytes may still be buffered; flush in bounded steps.
            while piece := inflater.decompress(b"", _CHUNK):
                yield piece
    except zlib.error as exc:
        raise refuse(
            "corrupt", f"文件 {path.name} 已损坏（{info.filename} 无法解压）：请重新保存后再导入。"
        ) from exc


class _DeclarationScanner:
    """Finds "<!" followed by anything but "-" or "[" across chunk boundaries, in UTF-8 or
    (when the part starts with a UTF-16 BOM or a NUL-padded "<") in UTF-16."""

    def __init__(self) -> None:
        self._tail: bytes | str = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._started = False

    def feed(self, data: bytes) -> bool:
        if not self._started and data:
            self._started = True
            head = data[:4]
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
                len(head) >= 2 and 0 in head[:2]
            ):
                self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
                if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    le = head[1] == 0
                    self._decoder = codecs.getincrementaldecoder(
                        "utf-16-le" if le else "utf-16-be"
                    )(errors="replace")
                self._tail = ""
        if self._decoder is not None:
            text = str(self._tail) + self._decoder.decode(data)
            found = _DECLARATION_TEXT.search(text) is not None
            self._tail = text[-2:]
            return found
        buffer = bytes(self._tail) + data
        found = _DECLARATION.search(buffer) is not None
        self._tail = buffer[-2:]
        return found


def _bomb(path: Path, what: str) -> ValidationError:
    return refuse(
        "zip_bomb",
        f"文件 {path.name} {what}，超出安全上限，可能是“压缩炸弹”，已拒绝读取："
        "正常的表格不会这样；如确是正常数据，请拆分成几个文件分别导入。",
    )


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB" if size >= 1_000_000 else f"{size:,} 字节"
