"""The official-form workbooks: layout, text cells, no formulas, masking."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.orgcodes import parse_code
from partyreg_core.records import (
    Activity,
    CommunityRef,
    DirectoryEntry,
    FeedbackSheet,
    Gender,
    Rating,
    Registration,
    ReportType,
    SheetStatus,
)
from partyreg_plugins.cellsafety import escape_csv, is_dangerous, unescape_csv
from partyreg_plugins.official_forms import (
    FORM1_HEADERS,
    FORM3_HEADERS,
    FORM4_HEADERS,
    write_form1,
    write_form2,
    write_form3,
    write_form4,
)

COMMUNITY = CommunityRef("清河区", "长东街道", "水渡口社区")
POSTS = {p.code: p.name for p in builtin.city_posts()}


def registration(name: str = "王建伟", phone: str = "13912345678", **kw: object) -> Registration:
    values: dict[str, object] = {
        "unit_code": parse_code("008.010.004"),
        "name": name,
        "gender": Gender.MALE,
        "unit_and_title": "淮安市民政局 科长",
        "posts": ("3", "7"),
        "phone": phone,
        "community": COMMUNITY,
        "specialty": "法律",
        "address": "北京北路12号3栋201室",
    }
    values.update(kw)
    return Registration(**values)  # type: ignore[arg-type]


def test_form1_layout(tmp_path: Path) -> None:
    target = tmp_path / "form1.xlsx"
    count = write_form1(
        target, [registration(), registration("李娜", "0517-83601234")], unit_name="淮安市民政局",
        day=date(2014, 8, 28), post_names=POSTS,
    )  # fmt: skip
    assert count == 2
    ws = openpyxl.load_workbook(target).active
    assert ws["A1"].value.endswith("活动参与党员信息登记表")
    assert ws["A2"].value == "单位：淮安市民政局"
    assert ws["I2"].value == "2014 年 8 月 28 日"
    assert tuple(c.value for c in ws[3]) == FORM1_HEADERS
    assert [c.value for c in ws[4]] == [
        "008.010.004", "王建伟", "男", "淮安市民政局 科长", "法律", "3、7", "13912345678",
        "北京北路12号3栋201室", "水渡口社区", "长东街道", "清河区",
    ]  # fmt: skip
    assert ws["G5"].value == "0517-83601234"
    assert all(c.data_type == "s" for c in ws[4])
    assert ws["A6"].value.startswith("说明：") and "15、文体娱乐实践岗" in ws["A6"].value
    assert ws.print_title_rows == "$1:$3"  # title, 单位 line and header on every page
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert "A1:K1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A4"].border.left.style == "thin"
    widths = {  # openpyxl groups equal columns under the first one's letter
        i: d.width for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)
    }
    assert widths[8] >= 8 and widths[1] >= 11.5  # 常住住址 wraps; a code stays on one line


def test_form1_adds_report_type_and_rank_only_when_needed(tmp_path: Path) -> None:
    target = tmp_path / "form1.xlsx"
    write_form1(target, [registration(report_type=ReportType.CONTACT_POINT, rank="县处级")],
                unit_name="x", day=date(2014, 8, 28), post_names=POSTS)  # fmt: skip
    ws = openpyxl.load_workbook(target).active
    assert [c.value for c in ws[3]][-2:] == ["报到类型", "职级"]
    assert [c.value for c in ws[4]][-2:] == ["联系点", "县处级"]


def test_form1_masks_phones_and_house_numbers(tmp_path: Path) -> None:
    target = tmp_path / "form1.xlsx"
    write_form1(target, [registration()], unit_name="x", day=date(2014, 8, 28), post_names=POSTS,
                mask=True)  # fmt: skip
    ws = openpyxl.load_workbook(target).active
    assert ws["G4"].value == "139****5678"
    assert ws["H4"].value == "北京北路**号*栋***室"


@pytest.mark.parametrize(
    "evil", ["=1+1", "=cmd|' /C calc'!A0", "+86", "-2", "@SUM(A1)", "#N/A", "#DIV/0!", "\t=1"]
)
def test_no_cell_can_start_a_formula_or_an_error(tmp_path: Path, evil: str) -> None:
    target = tmp_path / "form1.xlsx"
    write_form1(target, [registration(unit_and_title=evil, specialty=evil)], unit_name=evil,
                day=date(2014, 8, 28), post_names=POSTS)  # fmt: skip
    wb = openpyxl.load_workbook(target)
    ws = wb.active
    assert ws["D4"].value == evil and ws["D4"].data_type == "s"
    assert ws["E4"].value == evil and ws["E4"].data_type == "s"
    assert ws["D4"].quotePrefix
    with zipfile.ZipFile(target) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and 't="e"' not in sheet_xml


def test_form2_prints_two_column_pairs(tmp_path: Path) -> None:
    target = tmp_path / "form2.xlsx"
    units = builtin.code_table().children(parse_code("008"))
    assert write_form2(target, units) == 20
    ws = openpyxl.load_workbook(target).active
    assert [c.value for c in ws[2]] == ["单位党组织", "代码", "单位党组织", "代码"]
    assert [c.value for c in ws[3]] == ["清河区委", "008.001", "中共淮安市委教育工委", "008.011"]
    assert [c.value for c in ws[12]] == [
        "淮安市市级机关工委",
        "008.010",
        "盐化工新区党工委",
        "008.027",
    ]
    assert ws["A13"].value.startswith("说明：")


def sheet_of(name: str, n: int, status: SheetStatus = SheetStatus.DRAFT) -> FeedbackSheet:
    acts = tuple(
        Activity(name, "13912345678", date(2014, 9, 1 + i), f"活动{i}", 1.5, Rating.GOOD, "社区")
        for i in range(n)
    )
    return FeedbackSheet(
        f"2014-008.001-{n:06d}", 2014, name, "13912345678", parse_code("008.010.004"),
        "淮安市民政局", COMMUNITY, acts, status, "刘书记" if status.value == "confirmed" else "",
        date(2014, 12, 18) if status.value == "confirmed" else None,
    )  # fmt: skip


def test_form3_one_sheet_per_member_with_member_line(tmp_path: Path) -> None:
    target = tmp_path / "form3.xlsx"
    sheets = [sheet_of("王建伟", 3, SheetStatus.CONFIRMED), sheet_of("王建伟", 15)]
    assert write_form3(target, sheets) == 2
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["王建伟-2014", "王建伟-2014-2"]
    ws = wb["王建伟-2014"]
    assert ws["A2"].value == "清河区    长东街道    水渡口社区（盖章）"  # not 清河区 区（县）
    assert ws["A3"].value == "姓名：王建伟"
    assert ws["C3"].value == "联系方式：13912345678"
    assert tuple(c.value for c in ws[4]) == FORM3_HEADERS
    assert [c.value for c in ws[5]] == ["2014-09-01", "活动0", "社区", None, 1.5, "良"]
    assert ws["A17"].value == "合计" and ws["E17"].value == 4.5  # 12 printed lines, numbers
    # people sign and stamp; the system's part is apart, and never a login name
    assert ws["A18"].value == "社区党组织书记认证签字："
    assert ws["D18"].value.startswith("社区党组织（盖章）")
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "刘书记" not in texts and "已盖章确认" not in texts
    assert "系统确认于 " in ws["A19"].value
    long = wb["王建伟-2014-2"]
    assert long["A20"].value == "合计" and long["E20"].value == 22.5
    assert long["A21"].value == "社区党组织书记认证签字："


def test_form4_directory(tmp_path: Path) -> None:
    target = tmp_path / "form4.xlsx"
    entry = DirectoryEntry("清河区", "长东街道", "水渡口社区", "0517-83601234", "123456789",
                           "刘书记", "13912345678", "水渡口大街1号")  # fmt: skip
    assert write_form4(target, [entry], mask=True) == 1
    ws = openpyxl.load_workbook(target).active
    assert tuple(c.value for c in ws[2]) == FORM4_HEADERS
    assert [c.value for c in ws[3]] == [
        "清河区", "长东街道", "水渡口社区", "0517-83601234", "123456789", "刘书记", "139****5678",
        "水渡口大街1号",
    ]  # fmt: skip


@given(st.text(max_size=20))
def test_csv_escape_round_trips_and_is_inert(value: str) -> None:
    escaped = escape_csv(value)
    assert not is_dangerous(escaped)
    assert unescape_csv(escaped) == value


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30))
def test_any_text_survives_xlsx_export_unchanged(tmp_path: Path, value: str) -> None:
    target = tmp_path / "any.xlsx"
    write_form1(target, [registration(unit_and_title=value)], unit_name="x", day=date(2014, 8, 28),
                post_names=POSTS)  # fmt: skip
    cell = openpyxl.load_workbook(target).active["D4"]
    assert (cell.value or "") == value


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                        max_size=12), min_size=1, max_size=5))  # fmt: skip
def test_escaped_csv_cells_read_back_unchanged(tmp_path: Path, values: list[str]) -> None:
    import csv

    from partyreg_core.ports import ReadLimits
    from partyreg_plugins.formats_csv import CsvFormat

    target = tmp_path / "escaped.csv"
    with target.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [["序号", *("列" for _ in values)], ["1", *map(escape_csv, values)]]
        )
    rows = list(next(CsvFormat().sheets(target, ReadLimits())).rows())
    assert rows[1].cells == ("1", *values)


# XlsxWriter copies a string shaped like "<r>…</r>" into the sheet XML unescaped, taking it for
# its own rich text: unguarded, this first value would become a formula cell.
RICH_LOOKALIKES = [
    '<r><t>x</t></r></is><f>HYPERLINK("http://x","y")</f><is><r><t>y</t></r>',
    "<r></r>",
    "<r>=1+1</r>",
]


@pytest.mark.parametrize("evil", RICH_LOOKALIKES)
def test_rich_text_lookalikes_stay_plain_text(tmp_path: Path, evil: str) -> None:
    target = tmp_path / "form1.xlsx"
    write_form1(target, [registration(unit_and_title=evil)], unit_name=evil,
                day=date(2014, 8, 28), post_names=POSTS)  # fmt: skip
    with zipfile.ZipFile(target) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()
    ws = openpyxl.load_workbook(target).active
    assert ws["D4"].value == evil and ws["D4"].data_type == "s"
    assert ws["A2"].value == f"单位：{evil}"


@pytest.mark.parametrize("reader", ["calamine", "streaming"])
def test_hostile_values_read_back_unchanged_by_our_reader(tmp_path: Path, reader: str) -> None:
    from partyreg_core.ports import ReadLimits
    from partyreg_plugins.formats_xlsx import XlsxFormat

    values = [*RICH_LOOKALIKES, "=1+1", "\t=1", " #N/A", "_x0041_", "a & <b>", "  lead "]
    target = tmp_path / "form1.xlsx"
    write_form1(target, [registration(unit_and_title=v) for v in values], unit_name="x",
                day=date(2014, 8, 28), post_names=POSTS)  # fmt: skip
    rows = [r.cells for r in next(XlsxFormat(reader).sheets(target, ReadLimits())).rows()]
    assert [row[3] for row in rows[3 : 3 + len(values)]] == values


def test_form3_empty_printed_lines_keep_their_borders(tmp_path: Path) -> None:
    target = tmp_path / "form3.xlsx"
    write_form3(target, [sheet_of("王建伟", 3)])
    ws = openpyxl.load_workbook(target).active
    for row in range(8, 17):  # the nine lines left empty of the twelve
        assert all(c.value is None and c.border.bottom.style == "thin" for c in ws[row])
    assert ws.row_dimensions[10].height == 24
    assert {"A17", "E17"} <= {c.coordinate for c in ws[17] if c.border.left.style == "thin"}


class _Recorder:
    """A stand-in worksheet that records which write call ``put`` makes and with what."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return lambda *args: self.calls.append((name, args))


@given(st.text(max_size=12) | st.sampled_from(["#N/A", " #n/a ", "\u3000#REF!", "<r>x</r>"]))
def test_put_quotes_exactly_what_is_dangerous(value: str) -> None:
    from partyreg_plugins.official_forms import Style, put

    style = Style.__new__(Style)
    style.plain, style.quoted, style.font = "plain", "quoted", "font"  # type: ignore[assignment]
    ws = _Recorder()
    put(ws, 0, 0, value, style)  # type: ignore[arg-type]
    ((name, args),) = ws.calls
    if not value:
        assert name == "write_blank"
    elif value.startswith("<r>") and value.endswith("</r>"):
        assert (
            name == "write_rich_string" and "".join(a for a in args[2:-1] if a != "font") == value
        )
    else:
        assert name == "write_string" and args[2] == value
    if value:
        assert args[-1] == ("quoted" if is_dangerous(value) else "plain")
