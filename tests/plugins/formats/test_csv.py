"""The CSV reader: encodings Excel and WPS write on Chinese Windows, delimiters, record numbers."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.ports import RawRow, ReadLimits, TableFormat
from partyreg_plugins import formats_csv
from partyreg_plugins.cellsafety import unescape_csv
from partyreg_plugins.formats_csv import CsvDialect, CsvFormat, detect_delimiter, read_rows

LIMITS = ReadLimits()
FORM = [
    ["单位代码", "姓 名", "性别", "认领岗位", "联系方式", "常住住址"],
    ["008.010.004", "张三", "男", "1、3", "13912345678", "清江浦区健康西路1号\n3幢201室"],
    ["008.010.004", "欧阳·娜娜", "女", "2,5", "0517-83601234", '他说"到了"'],
]


def encode(text: str, encoding: str) -> bytes:
    """``text`` as a file in ``encoding``; the ``-bom`` variants add the byte-order mark."""
    if encoding == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if encoding == "utf-16-le-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)


def to_csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def read(path: Path) -> list[RawRow]:
    fmt = CsvFormat()
    fmt.sniff(path, LIMITS)
    (sheet,) = fmt.sheets(path, LIMITS)
    assert sheet.name == path.stem
    return list(sheet.rows())


def refused(path: Path) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        CsvFormat().sniff(path, LIMITS)
    return info.value


def test_is_a_table_format() -> None:
    fmt = CsvFormat()
    assert isinstance(fmt, TableFormat)
    assert fmt.extensions == (".csv", ".txt", ".tsv")


# ---------------------------------------------------------------------------------------------
# Encodings and delimiters
# ---------------------------------------------------------------------------------------------

EXPECTED = [
    RawRow(1, tuple(FORM[0])),
    RawRow(2, tuple(FORM[1])),
    RawRow(3, tuple(FORM[2])),
]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "UTF-8"),
        ("utf-8-bom", "UTF-8"),
        ("gbk", "GB18030/GBK"),
        ("gb18030", "GB18030/GBK"),
        ("utf-16-le-bom", "UTF-16"),
        ("utf-16-be-bom", "UTF-16"),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, name: str) -> None:
    path = tmp_path / "form.csv"
    path.write_bytes(encode(to_csv(FORM), encoding))
    assert CsvFormat().dialect(path, LIMITS).encoding_name == name
    assert read(path) == EXPECTED


def test_excel_unicode_text_is_tab_separated_utf16(tmp_path: Path) -> None:
    # Excel's "Unicode 文本 (*.txt)": UTF-16 LE with BOM, tabs, CRLF.
    path = tmp_path / "附表1.txt"
    path.write_bytes(encode(to_csv(FORM, "\t"), "utf-16-le-bom"))
    assert CsvFormat().dialect(path, LIMITS) == CsvDialect("utf-16", "UTF-16", "\t")
    assert read(path) == EXPECTED


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "form.csv"
    path.write_text(to_csv(FORM, delimiter), encoding="utf-8")
    assert CsvFormat().dialect(path, LIMITS).delimiter == delimiter
    assert read(path) == EXPECTED


def test_a_column_full_of_semicolons_does_not_fool_the_delimiter() -> None:
    sample = "姓名,认领岗位,电话\n张三,1;3,139\n李四,2;4,138\n王五,5;6,137\n"
    assert detect_delimiter(sample) == ","


def test_single_column_has_the_default_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("姓名\n张三\n李四\n", encoding="utf-8")
    assert CsvFormat().dialect(path, LIMITS).delimiter == ","
    assert read(path) == [RawRow(1, ("姓名",)), RawRow(2, ("张三",)), RawRow(3, ("李四",))]


# ---------------------------------------------------------------------------------------------
# Records and row numbers
# ---------------------------------------------------------------------------------------------


def test_record_numbers_count_records_not_lines(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text(
        '姓名,住址\r\n张三,"第一行\r\n第二行"\r\n\r\n李四,x\r\n,,\r\n王五,y,,\r\n"多\n行\n字段",z\r\n',
        encoding="utf-8",
    )
    assert read(path) == [
        RawRow(1, ("姓名", "住址")),
        RawRow(2, ("张三", "第一行\r\n第二行")),
        # 3 is a blank line, 5 a record of empty fields: both skipped, and counted
        RawRow(4, ("李四", "x")),
        RawRow(6, ("王五", "y")),
        RawRow(7, ("多\n行\n字段", "z")),
    ]


def test_cells_are_not_trimmed_or_normalised(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text(" 张三 ,１３９,=1+1\n", encoding="utf-8")
    assert read(path) == [RawRow(1, (" 张三 ", "１３９", "=1+1"))]


def test_lone_cr_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes("姓名,电话\r张三,139\r".encode())
    assert read(path) == [RawRow(1, ("姓名", "电话")), RawRow(2, ("张三", "139"))]


def test_unclosed_quote_beyond_the_field_limit_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('姓名,住址\n张三,"没有闭合\n' + ("地址\n" * 70_000), encoding="utf-8")
    (sheet,) = CsvFormat().sheets(path, LIMITS)
    rows = sheet.rows()
    assert next(rows) == RawRow(1, ("姓名", "住址"))
    with pytest.raises(ValidationError) as info:
        next(rows)
    assert info.value.code == "file.csv_malformed"
    assert "第 2 行" in info.value.message


# ---------------------------------------------------------------------------------------------
# Refused
# ---------------------------------------------------------------------------------------------


def test_nul_bytes_are_not_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n\x00\x01\x02\x03,c\n")
    error = refused(path)
    assert error.code == "file.not_csv"
    assert "NUL" in error.message


def test_nul_far_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n" * 100_000 + b"c,\x00\n")
    assert refused(path).code == "file.not_csv"


def test_binary_is_not_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(bytes(range(1, 32)) * 50)
    assert refused(path).code == "file.not_csv"


def test_overlong_line_is_not_csv(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n" + b"x" * (formats_csv.MAX_LINE_BYTES + 10) + b"\n")
    assert refused(path).code == "file.not_csv"


def test_undecodable_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"name,phone\nabc,1\n\xff\xfe\xfd,2\n")
    error = refused(path)
    assert error.code == "file.encoding"
    assert "第 3 行" in error.message
    assert "CSV UTF-8" in error.message


def test_utf8_then_gbk_is_refused_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("姓名,电话\n张三,139\n".encode() + "李四,138\n".encode("gbk"))
    error = refused(path)
    assert error.code == "file.encoding"
    assert "第 3 行" in error.message


def test_utf32_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("姓名\n".encode("utf-32"))
    assert refused(path).code == "file.encoding"


def test_undecodable_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "姓名\t".encode("utf-16-le") + b"\x00\xdc")
    assert refused(path).code == "file.encoding"


# ---------------------------------------------------------------------------------------------
# Fuzzing: any table written in any supported encoding reads back identical
# ---------------------------------------------------------------------------------------------

# Cell text: Chinese, quotes and newlines; not NUL and other control characters (refused as
# binary), not lone surrogates (unencodable).
_ALPHABET = st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc")),
    st.sampled_from("张三李四淮安区，、；\"'\n\r "),
)


def _expected(rows: list[list[str]]) -> list[RawRow]:
    # what the reader gives back: every cell as written, except that the ``'`` partyreg's own
    # CSV exports put before a formula-like value is taken off again (cellsafety.unescape_csv),
    # so a cell written as ``'=`` reads as ``=``
    out = []
    for number, row in enumerate(rows, start=1):
        cells = [unescape_csv(c) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            out.append(RawRow(number, tuple(cells)))
    return out


def _write(path: Path, text: str, encoding: str) -> None:
    data = encode(text, encoding)
    if encoding == "gb18030":
        # Rare GB18030 byte strings are valid UTF-8 too; such a file is read as UTF-8 by
        # design (strict UTF-8 goes first), so it is not a counterexample.
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            assume(text.isascii())
    path.write_bytes(data)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(st.text(_ALPHABET, max_size=10), min_size=1, max_size=5), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-bom", "gb18030", "utf-16-le-bom", "utf-16-be-bom"]),
    delimiter=st.sampled_from([",", "\t", ";", "|"]),
)
@example(rows=[["'=", "'+1", "''=x"]], encoding="utf-8", delimiter=",")
def test_reader_reads_back_any_table(
    tmp_path: Path, rows: list[list[str]], encoding: str, delimiter: str
) -> None:
    """Given the dialect, every table comes back cell for cell, in every encoding."""
    path = tmp_path / "fuzz.csv"
    _write(path, to_csv(rows, delimiter), encoding)
    codec = {"utf-8-bom": "utf-8-sig", "utf-16-le-bom": "utf-16", "utf-16-be-bom": "utf-16"}
    dialect = CsvDialect(codec.get(encoding, encoding), encoding, delimiter)
    assert list(read_rows(path, dialect)) == _expected(rows)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    width=st.integers(min_value=2, max_value=6),
    encoding=st.sampled_from(["utf-8", "utf-8-bom", "gb18030", "utf-16-le-bom", "utf-16-be-bom"]),
    delimiter=st.sampled_from([",", "\t", ";", "|"]),
)
def test_detection_then_reading_reads_back_any_table(
    tmp_path: Path, data: st.DataObject, width: int, encoding: str, delimiter: str
) -> None:
    """End to end: encoding and delimiter detected, then the table read back. Cells may hold
    the delimiter itself (quoted), quotes and newlines, but not the other candidate
    delimiters (with those, a table can be honestly ambiguous)."""
    others = "".join(d for d in ",\t;|" if d != delimiter)
    alphabet = st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=others),
        st.sampled_from(f'张三李四，、"\n {delimiter}'),
    )
    row = st.lists(st.text(alphabet, max_size=8), min_size=width, max_size=width)
    header = [f"列{i}" for i in range(width)]
    rows = [header, *data.draw(st.lists(row, max_size=6))]
    path = tmp_path / "fuzz.csv"
    _write(path, to_csv(rows, delimiter), encoding)
    assert CsvFormat().dialect(path, LIMITS).delimiter == delimiter
    assert read(path) == _expected(rows)


def test_hostile_sample_does_not_stall_delimiter_detection() -> None:
    # csv.Sniffer alone needs about 18 s on this; detection must stay well under a second.
    import time

    started = time.perf_counter()
    assert detect_delimiter(',"a' * 21_000) == ","
    assert time.perf_counter() - started < 2
