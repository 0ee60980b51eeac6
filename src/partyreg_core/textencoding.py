"""The one encoding detector for every text file partyreg reads (CSV imports, change files).

Excel and WPS on Chinese Windows save text in one of a few encodings, and the whole file is
looked at, never a sample:

1. a byte-order mark: UTF-8 (Excel's "CSV UTF-8"), UTF-16 LE/BE (Excel's "Unicode 文本");
   the rest of the file must then decode strictly in it;
2. strict UTF-8 over the whole file (no BOM);
3. GB18030, the superset of GBK (Excel's and WPS's plain "CSV (逗号分隔)").

A file that fails UTF-8 is looked at line by line before it is read as GB18030: a line that is
valid UTF-8 *and* reads as Chinese in it (three or more CJK ideographs, nothing but CJK and its
punctuation beyond ASCII) is a UTF-8 line, one that fails UTF-8 is a GB18030 line, and shorter
valid UTF-8 Chinese (张三) could be either and decides nothing. Only a file holding both kinds really switches encoding
part-way (two files pasted together) and is refused, naming the line where it switches: GB18030
would read its UTF-8 part as mojibake. A GBK file whose first line is the form's title
(“附表1”，…) holds GB18030 lines only and is read as GB18030.

No statistical detector is consulted (decision 0063): GB18030 decodes nearly every byte string,
so a guess beyond it would only turn a clear refusal into mojibake.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator

import attrs

from partyreg_core.errors import ValidationError

_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
# (mark, codec to read the file with, codec to check the rest with, name)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be", "UTF-16"),
)
GB18030_NAME = "GB18030/GBK"
# A line is UTF-8 Chinese when it holds at least this many CJK ideographs and no non-ASCII
# character outside the ranges Chinese text uses: GBK bytes that happen to be valid UTF-8 read
# as Latin, Greek, Cyrillic or Arabic letters, hardly ever as a run of ideographs.
_MIN_IDEOGRAPHS = 3


@attrs.frozen
class TextEncoding:
    """How a text file is encoded: the Python codec to read it with (a BOM included, so
    ``utf-8-sig`` and ``utf-16`` skip it) and a name for messages."""

    codec: str
    name: str


Chunks = Callable[[], Iterable[bytes]]


def _ideograph(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x3FFFF


def _chinese(ch: str) -> bool:
    o = ord(ch)
    return (
        _ideograph(ch)
        or 0x2000 <= o <= 0x206F  # general punctuation: “” ‘’ — …
        or 0x3000 <= o <= 0x303F  # CJK punctuation: 。、《》【】
        or 0xFF00 <= o <= 0xFFEF  # full-width forms: ，（）：１２３
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or o in (0xB7, 0xD7)  # · ×
    )


def _utf8_ideographs(line: bytes) -> int | None:
    """How many ideographs ``line`` holds read as UTF-8, when it is valid UTF-8 whose
    non-ASCII characters are all Chinese text (CJK and its punctuation); else ``None``."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    wide = [ch for ch in text if ord(ch) > 0x7F]
    return sum(map(_ideograph, wide)) if all(map(_chinese, wide)) else None


def reads_as_utf8_chinese(line: bytes) -> bool:
    """Whether ``line`` is surely UTF-8 Chinese text: valid UTF-8, at least three ideographs
    and nothing outside CJK and its punctuation."""
    return (_utf8_ideographs(line) or 0) >= _MIN_IDEOGRAPHS


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of the byte stream, newline kept (neither UTF-8 nor GB18030 ever has the
    byte 0x0A inside a character, so splitting the bytes splits the text)."""
    rest = b""
    for chunk in chunks:
        pieces = (rest + chunk).split(b"\n")
        rest = pieces.pop()
        for piece in pieces:
            yield piece + b"\n"
    if rest:
        yield rest


def _strict(chunks: Iterable[bytes], codec: str, skip: int = 0) -> int | None:
    """Decode the stream strictly in ``codec`` after ``skip`` bytes: ``None`` when it all
    decodes, else the byte offset of the first byte that does not."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    offset = 0
    try:
        for chunk in chunks:
            piece = chunk
            if offset < skip:
                piece = chunk[skip - offset :]
            before = offset + len(chunk) - len(piece)
            offset += len(chunk)
            # The decoder may hold back a few bytes of the previous chunk; the error's offset
            # counts them.
            held = len(decoder.getstate()[0])
            try:
                decoder.decode(piece)
            except UnicodeDecodeError as exc:
                return max(before - held + exc.start, 0)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def line_at(chunks: Iterable[bytes], offset: int) -> int:
    """The 1-based line number holding byte ``offset`` of the stream."""
    line, done = 1, 0
    for chunk in chunks:
        if done + len(chunk) > offset:
            return line + chunk.count(b"\n", 0, max(offset - done, 0))
        line += chunk.count(b"\n")
        done += len(chunk)
    return line


def _undecodable(name: str, tried: str, line: int) -> ValidationError:
    return ValidationError(
        "file.encoding",
        f"文件 {name} 第 {line} 行无法按 {tried} 编码读取："
        "请在 Excel/WPS 中打开，另存为“CSV UTF-8（逗号分隔）”后再导入。",
    )


def _joined(name: str, first: str, then: str, line: int) -> ValidationError:
    return ValidationError(
        "file.encoding",
        f"文件 {name} 前面是 {first} 编码，第 {line} 行起却是 {then}：像是两个文件拼在一起。"
        "请在 Excel/WPS 中打开，检查这一行后，另存为“CSV UTF-8”再导入。",
    )


def _mixed(chunks: Chunks, name: str, skip: int) -> TextEncoding:
    """A file that is not UTF-8 throughout: GB18030, unless it switches from UTF-8 Chinese
    to GB18030 (or back) part-way."""
    first: str | None = None  # the kind of the first line with non-ASCII text
    number = 0
    at = 0
    for number, line in enumerate(_lines(chunks()), start=1):
        part = line[skip - at :] if at < skip else line
        at += len(line)
        if part.isascii():
            continue
        ideographs = _utf8_ideographs(part)
        if ideographs is not None and ideographs >= _MIN_IDEOGRAPHS:
            kind = "UTF-8"
        elif ideographs is not None and first != GB18030_NAME:
            # Short Chinese that is valid UTF-8 (张三): could be either; it neither starts a
            # kind nor switches one. (After GB18030 lines it is read as GB18030 like them.)
            continue
        else:
            try:
                part.decode("gb18030")
            except UnicodeDecodeError:
                raise _undecodable(
                    name, "UTF-8" if first == "UTF-8" else "UTF-8 或 GBK/GB18030", number
                ) from None
            kind = GB18030_NAME
        if first is None:
            first = kind
        elif kind != first:
            raise _joined(name, first, kind, number)
    if first == "UTF-8":  # pragma: no cover - a UTF-8 file decodes as a whole first
        return TextEncoding("utf-8-sig" if skip else "utf-8", "UTF-8")
    if skip:
        # A UTF-8 BOM in front of GBK text: the file is not what its mark says.
        raise _undecodable(name, "UTF-8", 1)
    return TextEncoding("gb18030", GB18030_NAME)


def detect_encoding(chunks: Chunks, name: str) -> TextEncoding:
    """The encoding of the text whose bytes ``chunks()`` yields (called again for each pass
    over the file); ``name`` names the file in messages.

    Raises :class:`ValidationError` ``file.encoding`` for UTF-32, for text that does not
    decode (naming the line) and for a file that switches encoding part-way.
    """
    head = b""
    for chunk in chunks():
        head = chunk[:4]
        break
    if head.startswith(_UTF32_BOMS):
        raise ValidationError(
            "file.encoding",
            f"文件 {name} 是 UTF-32 编码，不受支持：请用 Excel/WPS 另存为“CSV UTF-8”后再导入。",
        )
    for bom, codec, check, label in _BOMS:
        if head.startswith(bom):
            bad = _strict(chunks(), check, len(bom))
            if bad is None:
                return TextEncoding(codec, label)
            if label == "UTF-8":
                return _mixed(chunks, name, len(bom))
            raise _undecodable(name, label, line_at(chunks(), bad))
    if _strict(chunks(), "utf-8") is None:
        return TextEncoding("utf-8", "UTF-8")
    return _mixed(chunks, name, 0)


def decode_text(data: bytes, name: str) -> str:
    """``data`` (a small text file held whole) decoded with :func:`detect_encoding`."""
    found = detect_encoding(lambda: [data], name)
    return data.decode(found.codec)
