"""Files refused before any parser sees them (DESIGN.md §7): each with its ``file.*`` code and a
Chinese message that says what to do."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.ports import ReadLimits
from partyreg_plugins import filesafety
from partyreg_plugins.formats_csv import CsvFormat
from partyreg_plugins.formats_xlsx import XlsxFormat

from .builders import (
    Raw,
    Sheet,
    column_letter,
    far_cell_workbook,
    form1_rows,
    inline_cell,
    replace_part,
    write_xlsx,
)

DATA = Path(__file__).parent / "data"
LIMITS = ReadLimits()
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def refused(
    fmt: XlsxFormat | CsvFormat, path: Path, limits: ReadLimits = LIMITS
) -> ValidationError:
    """The error ``fmt`` refuses ``path`` with, from sniff() and again from sheets()."""
    with pytest.raises(ValidationError) as sniffed:
        fmt.sniff(path, limits)
    with pytest.raises(ValidationError) as listed:
        type(fmt)().sheets(path, limits)
    assert listed.value.code == sniffed.value.code
    assert sniffed.value.message  # Chinese text saying how to fix
    return sniffed.value


def small_workbook(path: Path, **kwargs: object) -> Path:
    return write_xlsx(path, [Sheet("附表1", [(1, ["姓名"]), (2, ["张三"])])], **kwargs)  # type: ignore[arg-type]


def test_a_good_workbook_passes(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "ok.xlsx")
    XlsxFormat().sniff(path, LIMITS)
    summary = filesafety.check_zip(path, LIMITS, ("xl/workbook.xml",), "xlsx")
    assert "xl/worksheets/sheet1.xml" in summary.members


# ---------------------------------------------------------------------------------------------
# Any file
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [XlsxFormat, CsvFormat])
def test_empty_file(tmp_path: Path, fmt: type) -> None:
    path = tmp_path / ("empty.xlsx" if fmt is XlsxFormat else "empty.csv")
    path.write_bytes(b"")
    error = refused(fmt(), path)
    assert error.code == "file.empty"
    assert "空的" in error.message


@pytest.mark.parametrize("fmt", [XlsxFormat, CsvFormat])
def test_missing_file(tmp_path: Path, fmt: type) -> None:
    error = refused(fmt(), tmp_path / "nope.xlsx")
    assert error.code == "file.unreadable"


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "big.xlsx")
    error = refused(XlsxFormat(), path, ReadLimits(max_file_bytes=100))
    assert error.code == "file.too_large"
    assert "拆分" in error.message


# ---------------------------------------------------------------------------------------------
# Content that is not what the extension says
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [XlsxFormat, CsvFormat])
def test_old_xls_renamed(tmp_path: Path, fmt: type) -> None:
    path = tmp_path / "old.xlsx"
    # An OLE2 compound file (Excel 97-2003) with a Workbook stream, no EncryptedPackage.
    path.write_bytes(OLE2 + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000))
    error = refused(fmt(), path)
    assert error.code == "file.xls_legacy"
    assert ".xlsx" in error.message and "另存为" in error.message


@pytest.mark.parametrize("fmt", [XlsxFormat, CsvFormat])
def test_password_protected_workbook(fmt: type) -> None:
    # A real encrypted workbook (see data/README.md): Office wraps it in an OLE2 file.
    error = refused(fmt(), DATA / "encrypted.xlsx")
    assert error.code == "file.encrypted"
    assert "密码" in error.message


def test_csv_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xlsx"
    path.write_text("姓名,联系方式\n张三,13912345678\n", encoding="utf-8")
    error = refused(XlsxFormat(), path)
    assert error.code == "file.not_xlsx"
    assert ".csv" in error.message


def test_gbk_text_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xlsx"
    path.write_bytes("姓名\t联系方式\r\n张三\t13912345678\r\n".encode("gbk"))
    assert refused(XlsxFormat(), path).code == "file.not_xlsx"


def test_binary_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "image.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    assert refused(XlsxFormat(), path).code == "file.not_xlsx"


@pytest.mark.parametrize("missing", ["[Content_Types].xml", "xl/workbook.xml"])
def test_zip_that_is_not_a_workbook(tmp_path: Path, missing: str) -> None:
    path = small_workbook(tmp_path / "a.xlsx", omit=(missing,))
    error = refused(XlsxFormat(), path)
    assert error.code == "file.not_xlsx"
    assert missing in error.message


def test_any_zip_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("报表/说明.txt", "不是工作簿")
    assert refused(XlsxFormat(), path).code == "file.not_xlsx"


def test_truncated_workbook(tmp_path: Path) -> None:
    good = small_workbook(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    assert refused(XlsxFormat(), path).code == "file.corrupt"


def test_workbook_renamed_csv(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_bytes(small_workbook(tmp_path / "a.xlsx").read_bytes())
    error = refused(CsvFormat(), path)
    assert error.code == "file.not_csv"
    assert ".xlsx" in error.message


# ---------------------------------------------------------------------------------------------
# Zip bombs
# ---------------------------------------------------------------------------------------------


def test_ratio_over_100_to_1(tmp_path: Path) -> None:
    # 20 MB of one repeated empty row deflates about 1000:1.
    body = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 400_000
    sheet = b'<?xml version="1.0"?><worksheet><sheetData>' + body + b"</sheetData></worksheet>"
    path = replace_part(small_workbook(tmp_path / "bomb.xlsx"), "xl/worksheets/sheet1.xml", sheet)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size / info.compress_size > 100
    error = refused(XlsxFormat(), path)
    assert error.code == "file.zip_bomb"
    assert "压缩比" in error.message
    assert "sheet1.xml" in error.message


def test_whole_file_ratio(tmp_path: Path) -> None:
    # Many small parts, none over 1 MiB on its own, together 200:1.
    path = small_workbook(tmp_path / "many.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        for n in range(8):
            zf.writestr(f"xl/media/pad{n}.xml", b" " * 900_000)
    error = refused(XlsxFormat(), path)
    assert error.code == "file.zip_bomb"
    assert "整体压缩比" in error.message


def test_realistic_form_is_within_the_default_ratio(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "form.xlsx", [Sheet("附表1", form1_rows(20_000))])
    XlsxFormat().sniff(path, LIMITS)


def test_declared_total_over_the_limit(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "form.xlsx", [Sheet("附表1", form1_rows(5_000))])
    error = refused(XlsxFormat(), path, ReadLimits(max_uncompressed_bytes=1_000_000))
    assert error.code == "file.zip_bomb"
    assert "解压后" in error.message


def _lie_about_size(path: Path, member: str, declared: int) -> None:
    """Rewrite ``member``'s uncompressed size in both zip headers to ``declared``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    # local header: uncompressed size at offset 22
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    # central directory entry (found by its name): uncompressed size at offset 24
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_len]) == name:
            struct.pack_into("<I", data, at + 24, declared)
            break
        at = data.find(b"PK\x01\x02", at + 4)
    else:  # pragma: no cover - the builder always writes the member
        raise AssertionError(member)
    path.write_bytes(bytes(data))


def test_member_inflating_past_its_declared_size(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "liar.xlsx",
        [Sheet("附表1", form1_rows(2_000))],
        compression=zipfile.ZIP_DEFLATED,
    )
    _lie_about_size(path, "xl/worksheets/sheet1.xml", 1_000)
    error = refused(XlsxFormat(), path)
    assert error.code == "file.zip_bomb"
    assert "实际大小" in error.message


def test_inflate_stops_after_the_limit_not_at_the_end(tmp_path: Path) -> None:
    # A member of 50 MB zeros that claims 1 KB: the scan must stop within a chunk or two.
    path = tmp_path / "zeros.zip"
    payload = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = payload.compress(bytes(50_000_000)) + payload.flush()
    seen: list[int] = []
    with path.open("wb") as f:
        # one hand-built member: local header, the deflate stream, central directory, end record
        name = b"sheet.xml"
        f.write(
            struct.pack(
                "<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(body), 1_000, len(name), 0
            )
            + name
        )
        f.write(body)
        cd_at = f.tell()
        f.write(
            struct.pack(
                "<4s6H3I5H2I",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                0,
                len(body),
                1_000,
                len(name),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + name
        )
        cd_size = f.tell() - cd_at
        f.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, cd_size, cd_at, 0))
    with zipfile.ZipFile(path) as zf, path.open("rb") as raw:
        for piece in filesafety._inflate(path, raw, zf.getinfo("sheet.xml")):
            seen.append(len(piece))
            if sum(seen) > 1_000:
                break
    assert sum(seen) <= 2 * (1 << 20)
    with pytest.raises(ValidationError) as info:
        filesafety.check_zip(path, LIMITS, (), "xlsx")
    assert info.value.code == "file.zip_bomb"


# ---------------------------------------------------------------------------------------------
# DTDs and entities
# ---------------------------------------------------------------------------------------------


def test_billion_laughs_in_the_workbook_part(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "a.xlsx", workbook_doctype=BILLION_LAUGHS)
    error = refused(XlsxFormat(), path)
    assert error.code == "file.xml_entities"
    assert "xl/workbook.xml" in error.message


def test_billion_laughs_in_shared_strings(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "a.xlsx", shared_strings_doctype=BILLION_LAUGHS)
    error = refused(XlsxFormat(), path)
    assert error.code == "file.xml_entities"
    assert "sharedStrings" in error.message


def test_external_entity_in_a_sheet(tmp_path: Path) -> None:
    doctype = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("S", [(1, ["x"])], doctype=doctype)])
    error = refused(XlsxFormat(), path)
    assert error.code == "file.xml_entities"
    assert "sheet1.xml" in error.message


def test_doctype_in_a_utf16_part(tmp_path: Path) -> None:
    path = small_workbook(tmp_path / "a.xlsx")
    rebuilt = tmp_path / "b.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/styles.xml":
                text = data.decode().replace("?>", '?><!DOCTYPE s [<!ENTITY a "b">]>', 1)
                data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
            out.writestr(info.filename, data)
    assert refused(XlsxFormat(), rebuilt).code == "file.xml_entities"


@pytest.mark.parametrize("reader", ["calamine", "streaming"])
def test_comments_and_cdata_are_not_declarations(tmp_path: Path, reader: str) -> None:
    cdata = Raw(' t="inlineStr"', "<is><t><![CDATA[a<b & c]]></t></is>")
    path = write_xlsx(
        tmp_path / "a.xlsx", [Sheet("S", [(1, ["x", cdata])], doctype="<!-- made by hand -->")]
    )
    fmt = XlsxFormat(reader)  # type: ignore[arg-type]
    fmt.sniff(path, LIMITS)
    (sheet,) = fmt.sheets(path, LIMITS)
    assert [r.cells for r in sheet.rows()] == [("x", "a<b & c")]


def test_declaration_scanner_across_chunk_boundaries() -> None:
    scanner = filesafety._DeclarationScanner()
    assert not scanner.feed(b"<?xml version='1.0'?><a><!")
    assert not scanner.feed(b"-- comment split at the boundary --><!")
    assert not scanner.feed(b"[CDATA[x]]>")
    assert filesafety._DeclarationScanner().feed(b"<a/><!DOCTYPE")
    split = filesafety._DeclarationScanner()
    assert not split.feed(b"<a/><")
    assert split.feed(b"!ENTITY e 'x'>")


def test_too_many_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filesafety, "MAX_ZIP_ENTRIES", 20)
    path = small_workbook(tmp_path / "many.xlsx")
    with zipfile.ZipFile(path, "a") as zf:
        for n in range(30):
            zf.writestr(f"xl/media/empty{n}.png", b"")
    assert filesafety.zip_entry_count(path) == 37
    error = refused(XlsxFormat(), path)
    assert error.code == "file.zip_bomb"
    assert "37 个内部文件" in error.message


def test_entry_count_of_a_zip64_archive(tmp_path: Path) -> None:
    path = tmp_path / "z64.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for n in range(70_000):  # more than a 16-bit count: zip64 end records
            zf.writestr(f"{n}", b"")
    assert filesafety.zip_entry_count(path) == 70_000


# ---------------------------------------------------------------------------------------------
# A stray cell far away: the real extent is checked before a reader sees the sheet
# ---------------------------------------------------------------------------------------------

FAR_ROWS = [(1, ["姓名", "电话"]), (2, ["张三", "13912345678"])]


def empty_styled_rows(first: int, last: int) -> Iterator[str]:
    for number in range(first, last + 1):
        yield f'<row r="{number}" s="1" customFormat="1" ht="15" customHeight="1"/>'


@pytest.mark.parametrize("reader", ["auto", "calamine", "streaming"])
@pytest.mark.parametrize(
    ("extra", "cell"),
    [
        (['<row r="1048576">' + inline_cell("XFD1048576", "备注") + "</row>"], "XFD1048576"),
        (['<row r="2">' + inline_cell("XFD2", "x") + "</row>"], "XFD2"),
        (['<row r="30">' + inline_cell("IW30", "x") + "</row>"], "IW30"),
    ],
    ids=["corner", "far-right", "just-past-IV"],
)
def test_a_cell_beyond_the_column_limit_is_refused(
    tmp_path: Path, reader: str, extra: list[str], cell: str
) -> None:
    path = far_cell_workbook(tmp_path / "far.xlsx", FAR_ROWS, extra)
    error = refused_sheets(XlsxFormat(reader), path)  # type: ignore[arg-type]
    assert error.code == "file.sheet_too_wide"
    assert cell in error.message and "Ctrl+End" in error.message and "256 列" in error.message


def refused_sheets(fmt: XlsxFormat, path: Path) -> ValidationError:
    fmt.sniff(path, LIMITS)  # the package itself is sound
    with pytest.raises(ValidationError) as caught:
        fmt.sheets(path, LIMITS)
    return caught.value


def test_a_row_beyond_excels_last_row_is_refused(tmp_path: Path) -> None:
    extra = ['<row r="2000000">' + inline_cell("A2000000", "x") + "</row>"]
    path = far_cell_workbook(tmp_path / "long.xlsx", FAR_ROWS, extra)
    error = refused_sheets(XlsxFormat(), path)
    assert error.code == "file.sheet_too_long" and "A2000000" in error.message


def read_all(fmt: XlsxFormat, path: Path) -> list[tuple[int, tuple[str, ...]]]:
    (sheet,) = fmt.sheets(path, LIMITS)
    return [(r.number, r.cells) for r in sheet.rows()]


@pytest.mark.parametrize("reader", ["auto", "calamine", "streaming"])
@pytest.mark.parametrize(
    "case", ["huge-dimension", "styled-empty-corner", "million-styled-rows", "note-far-down"]
)
def test_harmless_far_things_read_only_the_real_cells(
    tmp_path: Path, reader: str, case: str
) -> None:
    expected = [(1, ("姓名", "电话")), (2, ("张三", "13912345678"))]
    dimension = None
    extra: Iterable[str] = ()
    if case == "huge-dimension":
        dimension = "A1:XFD1048576"
    elif case == "styled-empty-corner":
        extra = ['<row r="1048576"><c r="XFD1048576" s="1"/></row>']
    elif case == "million-styled-rows":
        extra = empty_styled_rows(3, 1_000_002)
    else:  # a note at the bottom: within the limits, read sparse (not a million-row rectangle)
        extra = ['<row r="1048576">' + inline_cell("K1048576", "注：办公室填") + "</row>"]
        expected.append((1048576, ("",) * 10 + ("注：办公室填",)))
    path = far_cell_workbook(tmp_path / f"{case}.xlsx", FAR_ROWS, extra, dimension=dimension)
    fmt = XlsxFormat(reader)  # type: ignore[arg-type]
    assert read_all(fmt, path) == expected
    if case == "huge-dimension":  # the progress estimate does not believe <dimension> either
        (sheet,) = fmt.sheets(path, LIMITS)
        assert sheet.last_row is not None and sheet.last_row() == 2


def test_the_extent_scanner_across_chunk_boundaries() -> None:
    xml = (
        '<row r="1">' + inline_cell("A1", "x") + '<c r="ZZZ1" s="2"/>' + inline_cell("AC7", "y")
        + '<x:row spans="1:3"\nr="9">' + '<c\tr="IW1234567" t="s"><v>1</v></c></x:row>'
    )  # fmt: skip
    data = xml.encode()
    for size in (1, 2, 3, 5, 8, 13, len(data)):
        scanner = filesafety.ExtentScanner()
        for i in range(0, len(data), size):
            scanner.feed(data[i : i + size])
        extent = scanner.extent()
        assert (extent.cells, extent.max_row, extent.max_column) == (3, 1234567, 257)
        assert (extent.far_column, extent.far_row) == ("IW1234567", "IW1234567")


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=16384),
            st.integers(min_value=1, max_value=2_000_000),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    ),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_the_extent_scanner_finds_every_far_cell_with_content(
    cells: list[tuple[int, int, bool]], chunk: int
) -> None:
    """Whatever the cells and however the XML is cut into chunks: the first cell with content
    past 256 columns or 1,048,576 rows is named, empty styled cells never are, and the highest
    row element is the last row."""
    xml = "".join(
        f'<row r="{row}">'
        + (
            f'<c r="{column_letter(col - 1)}{row}" s="1"/>'
            if empty
            else inline_cell(f"{column_letter(col - 1)}{row}", "x")
        )
        + "</row>"
        for col, row, empty in cells
    ).encode()
    scanner = filesafety.ExtentScanner()
    for i in range(0, len(xml), chunk):
        scanner.feed(xml[i : i + chunk])
    extent = scanner.extent()
    full = [(col, row) for col, row, empty in cells if not empty]
    wide = [f"{column_letter(c - 1)}{r}" for c, r in full if c > 256]
    deep = [f"{column_letter(c - 1)}{r}" for c, r in full if r > 1_048_576]
    assert extent.far_column == (wide[0] if wide else None)
    assert extent.far_row == (deep[0] if deep else None)
    assert extent.cells == len(full)
    assert extent.max_row == max(row for _c, row, _e in cells)
    assert extent.rectangle >= max((c * r for c, r in full), default=0)
