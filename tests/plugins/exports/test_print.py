"""The forms as printed: LibreOffice renders them to PDF (one run for every file), and the
pages, the footer, the repeated header, the font sizes and the text that must not be cut are
read back with poppler (decision 0067)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import attrs
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.orgcodes import OrgUnit, parse_code
from partyreg_core.records import Activity, Rating, SheetStatus
from partyreg_plugins import pagesetup
from partyreg_plugins.official_forms import ServiceColumns, write_form1, write_form3
from partyreg_plugins.templates import write_form1_template
from tests.plugins.exports.test_official_forms import POSTS, registration, sheet_of

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are needed to render the forms",
)

NAMES = [f"党员{i:03d}" for i in range(60)]
LONG = "入户走访困难家庭并协助办理低保申请材料，" * 4 + "完毕"


def _pdfs(files: list[Path], outdir: Path) -> dict[str, Path]:
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{outdir / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return {f.stem: outdir / f"{f.stem}.pdf" for f in files}


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    return out.stdout


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("print")
    form1 = tmp / "form1.xlsx"
    write_form1(
        form1, [registration(name, f"139{i:08d}") for i, name in enumerate(NAMES)],
        unit_name="淮安市民政局", day=date(2014, 8, 30), post_names=POSTS,
    )  # fmt: skip
    form3 = tmp / "form3.xlsx"
    sheet = sheet_of("王建伟", 2, SheetStatus.CONFIRMED)
    long = Activity("王建伟", "13912345678", date(2014, 10, 1), LONG, 3, Rating.EXCELLENT, "社区")
    write_form3(form3, [attrs.evolve(sheet, activities=(*sheet.activities, long))])
    template = tmp / "template.xlsx"
    unit = OrgUnit(parse_code("008.010.004"), "淮安市民政局")
    write_form1_template(
        template,
        unit=unit,
        unit_codes=["008.010.004"],
        posts=builtin.city_posts(),
        districts=["清河区"],
    )
    # the unit fills 40 members into the blank template, as in Excel
    wb = openpyxl.load_workbook(template)
    ws = wb["附表1"]
    for i, name in enumerate(NAMES[:40]):
        ws.cell(4 + i, 1, "008.010.004")
        ws.cell(4 + i, 2, name)
    filled = tmp / "filled.xlsx"
    wb.save(filled)
    wide = tmp / "wide.xlsx"
    write_form1(
        wide, [registration(name, f"139{i:08d}") for i, name in enumerate(NAMES[:5])],
        unit_name="淮安市民政局", day=date(2014, 12, 20), post_names=POSTS,
        service=ServiceColumns(2014, {}),
    )  # fmt: skip
    return _pdfs([form1, form3, template, filled, wide], tmp)


def _smallest_pt(pdf: Path) -> float:
    """The smallest printed size of Chinese text on the pages (points per character of every
    word made of Chinese characters only)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True)
    sizes = [
        (float(b) - float(a)) / len(word)
        for a, b, word in re.findall(
            r'xMin="([\d.]+)"[^>]*xMax="([\d.]+)"[^>]*>([\u4e00-\u9fff]{2,})</word>', out.stdout
        )
    ]
    assert sizes
    return min(sizes)


@pytest.mark.parametrize("form", ["form1", "wide", "form3", "filled"])
def test_nothing_prints_below_9_pt(printed: dict[str, Path], form: str) -> None:
    assert _smallest_pt(printed[form]) >= pagesetup.MIN_PRINT_PT - 0.2


def test_a_long_form_prints_every_member_with_header_and_page_numbers(
    printed: dict[str, Path],
) -> None:
    pdf = printed["form1"]
    pages = _pages(pdf)
    assert pages >= 2  # the pages follow the data
    text = _text(pdf)
    assert all(name in text for name in NAMES)
    flat = "".join(text.split())
    assert f"第1页共{pages}页" in flat and f"第{pages}页共{pages}页" in flat
    assert text.count("单位代码") >= pages  # the header on every page
    assert "15、文体娱乐实践岗" in text  # the 说明 is not cut


def test_a_filled_template_prints_every_member(printed: dict[str, Path]) -> None:
    text = _text(printed["filled"])
    assert all(name in text for name in NAMES[:40])
    assert _pages(printed["filled"]) > _pages(printed["template"]) >= 1


def test_long_feedback_contents_wrap_and_nothing_is_cut(printed: dict[str, Path]) -> None:
    flat = "".join(_text(printed["form3"]).split())
    assert flat.count("入户走访") == 4 and "完毕" in flat  # the whole content, wrapped
    assert "社区党组织书记认证签字" in flat and "系统确认于2014-12-18" in flat


def test_fonts_are_readable_and_the_columns_fit_without_shrinking(tmp_path: Path) -> None:
    from partyreg_plugins.official_forms import FORM1_WIDTHS, ServiceColumns

    target = tmp_path / "wide.xlsx"
    write_form1(
        target, [registration()], unit_name="淮安市民政局", day=date(2014, 12, 20),
        post_names=POSTS, service=ServiceColumns(2014, {}),
    )  # fmt: skip
    ws = openpyxl.load_workbook(target).active
    sizes = {c.font.sz for row in ws.iter_rows() for c in row if c.value is not None}
    assert min(sizes) >= pagesetup.MIN_PRINT_PT
    # XlsxWriter stores a width with 0.71 of padding
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    # XlsxWriter stores a width with 0.71 of padding; openpyxl groups equal columns
    widths = [
        d.width - 0.71 for d in ws.column_dimensions.values() for _ in range(d.min, d.max + 1)
    ]
    assert len(widths) == len([c for c in ws[3] if c.value]) > len(FORM1_WIDTHS)
    # fitted to the width at 100 %: fit-to-page never scales the text below MIN_PRINT_PT
    assert pagesetup.width_px(widths) <= pagesetup.printable_px(landscape=True) * 1.02


@given(
    st.lists(st.floats(1, 60), min_size=1, max_size=24),
    st.lists(st.floats(1, 14), max_size=24),
    st.booleans(),
)
def test_fitted_widths_fit_the_page_and_keep_what_they_can(
    widths: list[float], minimums: list[float], landscape: bool
) -> None:
    fitted = pagesetup.fit_widths(widths, landscape=landscape, minimums=minimums)
    room = pagesetup.printable_px(landscape=landscape)
    assert len(fitted) == len(widths)
    if pagesetup.width_px(widths) <= room:
        assert fitted == tuple(widths)
        return
    assert pagesetup.width_px(fitted) <= room + 1
    assert all(f <= w + 0.01 for f, w in zip(fitted, widths, strict=True))
