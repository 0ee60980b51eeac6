"""The .xlsx reader: cells as text, row numbers as Excel shows them, visible sheets only.

Every reading test runs through both readers (calamine and the openpyxl streaming reader),
asserting exact rows, so the two can never drift apart unnoticed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import attrs
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.ports import RawRow, ReadLimits, TableFormat
from partyreg_plugins import formats_xlsx
from partyreg_plugins.formats_xlsx import XlsxFormat, cell_text

from .builders import (
    STYLE_CUSTOM_DATE,
    STYLE_CUSTOM_ELAPSED,
    STYLE_ELAPSED,
    STYLE_LOCALE_DATE,
    STYLE_PERCENT,
    STYLE_TEXT,
    STYLE_TIME,
    Formula,
    Raw,
    Sheet,
    excel_serial,
    replace_part,
    write_xlsx,
)

READERS = ["calamine", "streaming"]
LIMITS = ReadLimits()


def read(path: Path, reader: str) -> dict[str, list[RawRow]]:
    """Every visible sheet of ``path`` with all its rows, through ``reader``."""
    fmt = XlsxFormat(reader)  # type: ignore[arg-type]
    fmt.sniff(path, LIMITS)
    return {sheet.name: list(sheet.rows()) for sheet in fmt.sheets(path, LIMITS)}


def rows_of(path: Path, reader: str) -> list[tuple[int, tuple[str, ...]]]:
    (rows,) = read(path, reader).values()
    return [(row.number, row.cells) for row in rows]


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_is_a_table_format() -> None:
    fmt = XlsxFormat()
    assert isinstance(fmt, TableFormat)
    assert fmt.name == "xlsx"
    assert ".xlsx" in fmt.extensions


# ---------------------------------------------------------------------------------------------
# Row numbers
# ---------------------------------------------------------------------------------------------


def test_row_numbers_when_data_starts_at_row_3_with_blank_rows_between(
    tmp_path: Path, reader: str
) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet(
                "附表1",
                [
                    (3, ["姓 名", "联系方式"]),
                    (4, ["张三", 13912345678]),
                    # rows 5 and 6 absent, row 7 present but empty: all blank
                    (7, [None, ""]),
                    (8, ["李四", 13800000000]),
                    (12, ["注：本表由单位党组织填写"]),
                ],
            )
        ],
    )
    assert rows_of(path, reader) == [
        (3, ("姓 名", "联系方式")),
        (4, ("张三", "13912345678")),
        (8, ("李四", "13800000000")),
        (12, ("注：本表由单位党组织填写",)),
    ]


def test_columns_keep_their_place_when_data_starts_at_column_c(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet(
                "S",
                [(2, [None, None, "姓名", None, "性别"]), (3, [None, None, "王五", None, "男"])],
            )
        ],
    )
    assert rows_of(path, reader) == [
        (2, ("", "", "姓名", "", "性别")),
        (3, ("", "", "王五", "", "男")),
    ]


def test_trailing_empty_cells_are_dropped(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [Sheet("S", [(1, ["a", "b", "c"]), (2, ["x", None, None]), (3, ["y", "", Formula("Z1")])])],
    )
    assert rows_of(path, reader) == [(1, ("a", "b", "c")), (2, ("x",)), (3, ("y",))]


def test_empty_sheet_has_no_rows(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("空表"), Sheet("S", [(1, ["x"])])])
    assert read(path, reader) == {"空表": [], "S": [RawRow(1, ("x",))]}


def test_rows_can_be_read_again(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("S", [(1, ["x"]), (2, ["y"])])])
    (sheet,) = XlsxFormat(reader).sheets(path, LIMITS)  # type: ignore[arg-type]
    assert list(sheet.rows()) == list(sheet.rows()) == [RawRow(1, ("x",)), RawRow(2, ("y",))]


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def test_numbers_are_the_digits_they_show(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet(
                "S",
                [
                    (1, [13912345678, 13912345678.0, 2.5, 0.1 + 0.2, -3, 0, 1e-7]),
                    (2, [Raw("", "<v>8.0010000000000003</v>"), Raw("", "<v>1E+20</v>")]),
                    # a number in a text-formatted column stays a number cell: same digits
                    (3, [Raw(f' s="{STYLE_TEXT}"', "<v>83601234</v>"), Raw("", "<v>-0</v>")]),
                ],
            )
        ],
    )
    assert rows_of(path, reader) == [
        (1, ("13912345678", "13912345678", "2.5", "0.3", "-3", "0", "0.0000001")),
        (2, ("8.001", "100000000000000000000")),
        (3, ("83601234", "0")),
    ]


def test_dates_are_iso(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet(
                "S",
                [
                    (
                        1,
                        [
                            dt.date(2024, 3, 5),
                            dt.datetime(2024, 3, 5),
                            dt.datetime(2024, 3, 5, 14, 30),
                        ],
                    ),
                    (
                        2,
                        [
                            Raw(
                                f' s="{STYLE_CUSTOM_DATE}"',
                                f"<v>{excel_serial(dt.date(2014, 8, 30))}</v>",
                            )
                        ],
                    ),
                    # 0.4375 of a day, the time part of a date-time cell (10:30)
                    (3, [Raw(' s="2"', f"<v>{excel_serial(dt.date(2024, 12, 20)) + 0.4375}</v>")]),
                ],
            )
        ],
    )
    assert rows_of(path, reader) == [
        (1, ("2024-03-05", "2024-03-05", "2024-03-05 14:30:00")),
        (2, ("2014-08-30",)),
        (3, ("2024-12-20 10:30:00",)),
    ]


def test_dates_in_the_1904_system(tmp_path: Path, reader: str) -> None:
    # 1904 system: serial 0 is 1904-01-01, so 2024-03-05 is 43893 (1462 days less).
    serial = excel_serial(dt.date(2024, 3, 5)) - 1462
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [Sheet("S", [(1, [Raw(' s="1"', f"<v>{serial:g}</v>")])])],
        date1904=True,
    )
    assert rows_of(path, reader) == [(1, ("2024-03-05",))]


def test_booleans_errors_and_strings(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet(
                "S",
                [
                    (1, [True, False, Raw(' t="e"', "<v>#N/A</v>"), "#N/A"]),
                    (
                        2,
                        [
                            Raw(' t="inlineStr"', "<is><t>行内</t></is>"),
                            "共享",
                            Raw(' t="str"', "<v>公式文本</v>"),
                        ],
                    ),
                    # Excel writes a carriage return in text as _x000D_
                    (
                        3,
                        [
                            "第一行_x000D_\n第二行",
                            Raw(' t="inlineStr"', "<is><t>a_x000D_b</t></is>"),
                        ],
                    ),
                    (4, ["  前后空格  ", "全角１２３"]),
                ],
            )
        ],
    )
    assert rows_of(path, reader) == [
        (1, ("TRUE", "FALSE", "", "#N/A")),
        (2, ("行内", "共享", "公式文本")),
        (3, ("第一行\r\n第二行", "a\rb")),
        (4, ("  前后空格  ", "全角１２３")),
    ]


def test_rich_text_and_phonetic_runs(tmp_path: Path, reader: str) -> None:
    rich = '<is><r><t>淮安</t></r><r><rPr><b/></rPr><t xml:space="preserve">市 委</t></r><rPh sb="0" eb="2"><t>huaian</t></rPh></is>'
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("S", [(1, [Raw(' t="inlineStr"', rich)])])])
    assert rows_of(path, reader) == [(1, ("淮安市 委",))]


def test_formulas_read_by_cached_value_never_by_text(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet(
                "S",
                [
                    (1, [Formula("13900000000+1", 13900000001.0), Formula('"张"&"三"', "张三")]),
                    (2, [Formula("1=1", True), Formula("DATE(2024,3,5)", 45356.0)]),
                    # never calculated (openpyxl and scripts write these): empty, so the row is blank
                    (3, [Formula("A1*2"), Formula('CONCAT("a","b")')]),
                    (4, [Formula("A1*2"), "after"]),
                ],
            )
        ],
    )
    rows = rows_of(path, reader)
    assert rows == [
        (1, ("13900000001", "张三")),
        (2, ("TRUE", "45356")),
        (4, ("", "after")),
    ]
    assert not any("A1" in cell or "=" in cell for _n, cells in rows for cell in cells)


def test_a_workbook_saved_by_openpyxl(tmp_path: Path, reader: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附表1"
    ws.append(["单位代码", "姓名", "联系方式", "日期"])
    ws.append(["008.010.004", "张三", 13912345678, dt.datetime(2024, 3, 5)])
    ws.append(["008.010.004", "李四", "0517-83601234", dt.date(2024, 3, 6)])
    ws["B6"] = "=B2"  # openpyxl writes no cached value
    hidden = wb.create_sheet("隐藏")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "不应读取"
    path = tmp_path / "openpyxl.xlsx"
    wb.save(path)
    assert read(path, reader) == {
        "附表1": [
            RawRow(1, ("单位代码", "姓名", "联系方式", "日期")),
            RawRow(2, ("008.010.004", "张三", "13912345678", "2024-03-05")),
            RawRow(3, ("008.010.004", "李四", "0517-83601234", "2024-03-06")),
        ]
    }


# ---------------------------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------------------------


def test_hidden_sheets_are_never_yielded(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet("隐藏", [(1, ["h"])], state="hidden"),
            Sheet("附表1", [(1, ["a"])]),
            Sheet("深度隐藏", [(1, ["v"])], state="veryHidden"),
            Sheet("附表4", [(1, ["b"])]),
        ],
    )
    assert read(path, reader) == {"附表1": [RawRow(1, ("a",))], "附表4": [RawRow(1, ("b",))]}
    assert [s.name for s in XlsxFormat(reader).sheets(path, LIMITS)] == ["附表1", "附表4"]  # type: ignore[arg-type]


def test_no_visible_sheet_is_refused(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [Sheet("A", [(1, ["x"])], state="hidden"), Sheet("B", [(1, ["y"])], state="veryHidden")],
    )
    with pytest.raises(ValidationError) as info:
        XlsxFormat(reader).sheets(path, LIMITS)  # type: ignore[arg-type]
    assert info.value.code == "file.no_visible_sheet"
    assert "取消隐藏" in info.value.message


def test_sheets_checks_the_file_even_without_sniff(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(ValidationError) as info:
        XlsxFormat().sheets(path, LIMITS)
    assert info.value.code == "file.xls_legacy"


# ---------------------------------------------------------------------------------------------
# Choosing the reader
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "expected"), [(0, "streaming"), (10**9, "calamine")])
def test_auto_streams_above_the_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int, expected: str
) -> None:
    used: list[str] = []
    real = {"calamine": formats_xlsx.calamine_rows, "streaming": formats_xlsx.streaming_rows}

    def spy(name: str):  # type: ignore[no-untyped-def]
        def rows(path: Path, sheet: str):  # type: ignore[no-untyped-def]
            used.append(name)
            return real[name](path, sheet)

        return rows

    monkeypatch.setattr(formats_xlsx, "calamine_rows", spy("calamine"))
    monkeypatch.setattr(formats_xlsx, "streaming_rows", spy("streaming"))
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("S", [(1, ["x"])])])
    limits = ReadLimits(streaming_threshold_bytes=threshold)
    (sheet,) = XlsxFormat().sheets(path, limits)
    assert list(sheet.rows()) == [RawRow(1, ("x",))]
    assert used == [expected]


# ---------------------------------------------------------------------------------------------
# Cell values as text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("", ""),
        (" 张三 ", " 张三 "),
        (True, "TRUE"),
        (False, "FALSE"),
        (13912345678, "13912345678"),
        (13912345678.0, "13912345678"),
        (2.5, "2.5"),
        (-2.5, "-2.5"),
        (0.30000000000000004, "0.3"),
        (-0.0, "0"),
        (1e-7, "0.0000001"),
        (1.5e20, "150000000000000000000"),
        (1234567890123456, "1234567890123460"),
        (1234567890123456.0, "1234567890123460"),
        (8.001, "8.001"),
        (dt.date(2024, 3, 5), "2024-03-05"),
        (dt.datetime(2024, 3, 5), "2024-03-05"),
        (dt.datetime(2024, 3, 5, 10, 29, 59, 999_999), "2024-03-05 10:30:00"),
        (dt.datetime(2024, 3, 5, 23, 59, 59, 600_000), "2024-03-06"),
        (dt.time(10, 30), "10:30:00"),
        (dt.timedelta(hours=26, minutes=5), "26:05:00"),
        (dt.timedelta(minutes=-90), "-1:30:00"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_text_is_plain_decimal_and_keeps_15_significant_digits(value: float) -> None:
    text = cell_text(value)
    assert "e" not in text.lower()
    assert not text.endswith(".") and not (text.endswith("0") and "." in text)
    assert float(text) == float(f"{value:.15g}")


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_integers_as_ints_and_floats_read_the_same(value: int) -> None:
    assert cell_text(value) == cell_text(float(value)) == str(value)


@given(st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 30)))
def test_datetimes_are_iso_to_the_second(value: dt.datetime) -> None:
    text = cell_text(value)
    parsed = dt.datetime.fromisoformat(text)
    assert abs(parsed - value) <= dt.timedelta(milliseconds=500)
    assert (len(text) == 10) == (parsed.time() == dt.time())


# ---------------------------------------------------------------------------------------------
# Both readers agree on any sheet
# ---------------------------------------------------------------------------------------------

# No control characters (not allowed in XML 1.0, and \r is normalised away by any XML parser)
# and no "_" (an "_x000D_" would be an escape, tested on its own above).
_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="_"), max_size=12
)
_cell = st.one_of(
    st.none(),
    _text,
    st.sampled_from(["张三", "008.010.004", "清江浦区", "1、3", "=SUM(A1)", "  "]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31)),
    st.builds(Formula, st.just("A1"), st.one_of(st.none(), st.integers(0, 10**11), _text)),
)
_grid = st.lists(
    st.tuples(st.integers(min_value=1, max_value=4), st.lists(_cell, max_size=6)),
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(grid=_grid)
def test_both_readers_agree_and_read_what_was_written(tmp_path: Path, grid: list) -> None:  # type: ignore[type-arg]
    rows = []
    number = 0
    for gap, cells in grid:
        number += gap
        rows.append((number, cells))
    path = write_xlsx(tmp_path / "fuzz.xlsx", [Sheet("S", rows)])

    def expected_text(value: object) -> str:
        if isinstance(value, Formula):
            return cell_text(value.cached)
        return cell_text(value)

    expected = []
    for number, cells in rows:
        texts = [expected_text(c) for c in cells]
        while texts and not texts[-1]:
            texts.pop()
        if texts:
            expected.append((number, tuple(texts)))
    assert rows_of(path, "calamine") == expected
    assert rows_of(path, "streaming") == expected


# ---------------------------------------------------------------------------------------------
# Number formats: times, elapsed times, East Asian built-in dates
# ---------------------------------------------------------------------------------------------


def test_times_elapsed_times_and_percentages(tmp_path: Path, reader: str) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [
            Sheet(
                "S",
                [
                    (1, [Raw(f' s="{STYLE_TIME}"', "<v>0.4375</v>")]),
                    (2, [Raw(f' s="{STYLE_ELAPSED}"', "<v>1.5</v>")]),
                    (3, [Raw(f' s="{STYLE_CUSTOM_ELAPSED}"', "<v>0.25</v>")]),
                    (4, [Raw(f' s="{STYLE_PERCENT}"', "<v>0.25</v>")]),
                ],
            )
        ],
    )
    assert rows_of(path, reader) == [
        (1, ("10:30:00",)),
        (2, ("36:00:00",)),
        (3, ("6:00:00",)),
        (4, ("0.25",)),
    ]


def test_east_asian_builtin_date_formats_are_dates(tmp_path: Path, reader: str) -> None:
    # zh-CN Excel saves 2024年3月5日 as numFmtId 31 with no format code in styles.xml.
    cell = Raw(f' s="{STYLE_LOCALE_DATE}"', f"<v>{excel_serial(dt.date(2024, 3, 5)):g}</v>")
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("附表3", [(1, ["年月日"]), (2, [cell])])])
    assert rows_of(path, reader) == [(1, ("年月日",)), (2, ("2024-03-05",))]


def test_shared_strings_rich_text_phonetics_and_escapes(tmp_path: Path, reader: str) -> None:
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">'
        '<si><r><t>淮安</t></r><r><rPr><b/></rPr><t xml:space="preserve">市 委</t></r>'
        '<rPh sb="0" eb="2"><t>huaian</t></rPh></si>'
        "<si><t>第一行_x000D_\n第二行</t></si>"
        "<si><t>c_x005F_x000D_d</t></si>"
        "</sst>"
    )
    cells = [Raw(' t="s"', f"<v>{i}</v>") for i in range(3)]
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("S", [(1, cells)])], inline_strings=False)
    replace_part(path, "xl/sharedStrings.xml", sst.encode())
    assert rows_of(path, reader) == [(1, ("淮安市 委", "第一行\r\n第二行", "c_x000D_d"))]


def test_rows_and_cells_without_references(tmp_path: Path, reader: str) -> None:
    # Some generators omit r="…": rows and cells then follow one another.
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row><c t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><t>b</t></is></c></row>'
        '<row r="3"><c r="B3"><v>2</v></c><c><v>3</v></c></row>'
        '<row><c t="inlineStr"><is><t>d</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    path = write_xlsx(tmp_path / "a.xlsx", [Sheet("S", [(1, ["x"])])])
    replace_part(path, "xl/worksheets/sheet1.xml", sheet.encode())
    assert rows_of(path, reader) == [(1, ("a", "b")), (3, ("", "2", "3")), (4, ("d",))]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("General", formats_xlsx._NUMBER),
        ("0.00", formats_xlsx._NUMBER),
        ("#,##0_);[Red](#,##0)", formats_xlsx._NUMBER),
        ("@", formats_xlsx._NUMBER),
        ('"Y: "0.00"m"', formats_xlsx._NUMBER),
        ("\\Y000000", formats_xlsx._NUMBER),
        ("#,##0*y", formats_xlsx._NUMBER),
        ("[Red]0.00", formats_xlsx._NUMBER),
        ("yyyy-mm-dd", formats_xlsx._DATE),
        ('yyyy"年"m"月"d"日"', formats_xlsx._DATE),
        ('[$-804]yyyy"年"m"月"d"日";@', formats_xlsx._DATE),
        ("[DBNum1][$-804]m月d日", formats_xlsx._DATE),
        ("h:mm AM/PM", formats_xlsx._DATE),
        ("DD/MM/YY", formats_xlsx._DATE),
        ("[h]:mm:ss", formats_xlsx._DURATION),
        ("[mm]:ss", formats_xlsx._DURATION),
        ("[Blue][h]:mm", formats_xlsx._DURATION),
    ],
)
def test_format_kind(code: str, kind: int) -> None:
    assert formats_xlsx.format_kind(code) == kind


# ---------------------------------------------------------------------------------------------
# A workbook written by a real spreadsheet application
# ---------------------------------------------------------------------------------------------

DATA = Path(__file__).parent / "data"
LIBREOFFICE_ROWS = [
    (1, ("在职党员回社区报到登记表",)),
    (3, ("姓 名", "联系方式", "日期", "时长", "合计")),
    (4, ("张三", "13912345678", "2024-03-05", "2.5", "5")),
    # formulas read by what LibreOffice calculated; =1/0 (#DIV/0!) is empty
    (6, ("李四", "13912345679", "2024-03-06", "1")),
]


def test_a_workbook_saved_by_libreoffice(reader: str) -> None:
    assert read(DATA / "libreoffice.xlsx", reader) == {
        "附表1": [RawRow(n, cells) for n, cells in LIBREOFFICE_ROWS]
    }


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_libreoffice_output_today(tmp_path: Path) -> None:
    """The committed fixture is what this machine's LibreOffice makes of the source, too."""
    source = tmp_path / "libreoffice.fods"
    shutil.copy(DATA / "libreoffice.fods", source)
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for reader in READERS:
        assert rows_of(tmp_path / "libreoffice.xlsx", reader) == LIBREOFFICE_ROWS


def test_the_header_search_and_the_import_share_one_read(
    tmp_path: Path, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine loads a whole sheet per read: finding the header must not cost a second one,
    and the rows the search took still reach the import, in order."""
    from partyreg_core.importing import open_table

    from .builders import form1_rows

    path = write_xlsx(tmp_path / "f1.xlsx", [Sheet("登记表", list(form1_rows(5, start_row=3)))])
    fmt = XlsxFormat(reader)  # type: ignore[arg-type]
    reads: list[str] = []
    original = type(fmt).sheets

    def counting(self: XlsxFormat, p: Path, limits: ReadLimits):  # type: ignore[no-untyped-def]
        for sheet in original(self, p, limits):
            opener = sheet.rows

            def rows(opener=opener, name=sheet.name):  # type: ignore[no-untyped-def]
                reads.append(name)
                return opener()

            yield attrs.evolve(sheet, rows=rows)

    monkeypatch.setattr(type(fmt), "sheets", counting)
    table = open_table(path, [fmt], LIMITS)
    numbers = [row.number for row in table.rows()]
    assert reads == ["登记表"]
    assert numbers == [2, 3, 4, 5, 6, 7]
    assert [row.number for row in table.rows()] == numbers  # a later read starts afresh
    assert reads == ["登记表", "登记表"]
