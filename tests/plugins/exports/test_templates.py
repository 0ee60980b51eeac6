"""Templates handed down to units and instructors: their drop-downs and hints, the text-formatted
columns, a template filled as an operator would type it importing with no warning, and what
LibreOffice makes of them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.workspace import Workspace
from partyreg_plugins.templates import (
    ACTIVITY_KINDS,
    ACTIVITY_TEMPLATE_HEADERS,
    FORM1_TEMPLATE_HEADERS,
    LISTS_SHEET,
)
from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, Cli, write_xlsx

LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
NO_LIBREOFFICE = (
    "LibreOffice is not installed (apt-get install --no-install-recommends libreoffice-calc)"
)


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(tmp_path, capsys)
    assert c("init")[0] == 0
    assert c.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)))[0] == 0
    return c


def _validations(ws: Worksheet) -> dict[str, DataValidation]:
    """Data validations by the column letter of their range."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        first = str(dv.sqref).split(":")[0]
        out["".join(ch for ch in first if ch.isalpha())] = dv
    return out


def _list_values(wb: Any, dv: DataValidation) -> list[str]:
    """The choices of a list validation: inline, or the range of the lists sheet it names."""
    formula = dv.formula1
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, _, cells = formula.lstrip("=").partition("!")
    ws = wb[sheet.strip("'")]
    start, end = cells.replace("$", "").split(":")
    return [str(c[0].value) for c in ws[f"{start}:{end}"]]


def _form1_template(cli: Cli, unit: str = "008.003") -> Path:
    target = cli.tmp / "template-form1.xlsx"
    code, result = cli.json("export", "template", "form1", "--unit", unit, "-o", str(target))
    assert code == 0 and result["records"] == 200
    return target


def test_the_form1_template_has_its_drop_downs_hints_and_text_columns(cli: Cli) -> None:
    target = _form1_template(cli)
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[0] == "附表1"
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    assert "填表说明" in wb.sheetnames
    ws = wb["附表1"]
    assert [c.value for c in ws[3]] == list(FORM1_TEMPLATE_HEADERS)
    assert "008.003" in ws["A2"].value and "淮安区委" in ws["A2"].value
    # 单位代码 and 联系方式 are text, in every input row (Excel keeps zeros and long numbers)
    for row in (4, 18):  # the printed empty form's rows; below them the columns are text
        assert ws[f"A{row}"].number_format == "@"
        assert ws[f"G{row}"].number_format == "@"
    formats = {  # openpyxl groups equal columns under the first one's letter
        i: d.number_format for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)
    }
    assert formats[1] == "@" and formats[7] == "@"
    found = _validations(ws)
    # every column says what to type
    assert set(found) == {chr(ord("A") + i) for i in range(len(FORM1_TEMPLATE_HEADERS))}
    for dv in found.values():
        assert dv.showInputMessage and dv.prompt and str(dv.sqref).endswith("203")
    gender = found["C"]
    assert gender.type == "list" and _list_values(wb, gender) == ["男", "女"]
    assert gender.errorStyle in (None, "stop")
    report_type = found["L"]
    assert _list_values(wb, report_type) == ["居住地", "工作地", "其他", "联系点"]
    posts = found["F"]
    # the posts of 淮安区: the 15 city posts and the district's local ones (example plugin)
    ws_posts = Workspace(cli.db)
    expected = [f"{p.code}、{p.name}" for p in ws_posts.posts(district="008.003")]
    ws_posts.close()
    assert _list_values(wb, posts) == expected and len(expected) >= 15
    assert posts.errorStyle == "information"  # several posts may be typed: 3、8
    assert "3、8" in posts.prompt
    assert _list_values(wb, found["A"])[0] == "008.003"
    assert _list_values(wb, found["K"]) == ["淮安区", "淮阴区"]  # the directory's 县区
    guide = wb["填表说明"]
    text = "".join(str(c.value or "") for row in guide.iter_rows() for c in row)
    assert "认领多个岗位" in text and "社情民意收集岗" in text


def _fill(ws: Worksheet, rows: list[list[Any]], first: int = 4) -> None:
    """Type ``rows`` into the template, cell by cell, as an operator would."""
    for r, values in enumerate(rows):
        for c, value in enumerate(values, start=1):
            if value not in (None, ""):
                ws.cell(first + r, c, value)


def test_a_filled_form1_template_imports_with_no_warning(cli: Cli) -> None:
    target = _form1_template(cli, "008.010")
    wb = openpyxl.load_workbook(target)
    ws = wb["附表1"]
    _fill(ws, [
        # 认领岗位 chosen from the drop-down (one post), and typed as the hint says (several)
        ["008.010", "王建伟", "男", "市民政局科长", "法律", "3、社情民意收集岗", "13912345678",
         "河下古镇2号", "河下社区", "淮城街道", "淮安区"],
        ["008.010", "李娜", "女", "市民政局科员", "", "3、8", "13912345679", "",
         "承德路社区", "王营街道", "淮阴区", "工作地"],
        ["008.010", "赵六", "女", "市教育局副局长", "", "5", "0517-83601234", "承德路9号",
         "承德路社区", "王营街道", "淮阴区", "联系点", "县处级"],
    ])  # fmt: skip
    wb.save(target)
    code, report = cli.json("import", str(target))
    assert code == 0, report["errors"]
    assert report["warnings"] == [] and report["errors"] == []
    assert (report["rows_total"], report["rows_written"]) == (3, 3)
    code, people = cli.json("members", "list")
    by_name = {p["name"]: p for p in people}
    assert by_name["王建伟"]["posts"] == ["3"]
    assert by_name["李娜"]["posts"] == ["3", "8"]
    assert by_name["赵六"]["report_type"] == "联系点"


def _route_everyone(cli: Cli) -> None:
    ws = Workspace(cli.db)
    routes = [
        Route(m.id, m.district_code, m.community_id)  # type: ignore[arg-type]
        for m in ws.members.iter(MemberQuery())
        if m.community_id is not None
    ]
    ws.routing.assign(routes)
    ws.close()


def _activity_template(cli: Cli) -> Path:
    assert cli.json("import", str(write_xlsx(cli.tmp / "f1.xlsx", [FORM1_HEADER, *GOOD])))[0] == 0
    _route_everyone(cli)
    assert cli("operator", "add", "hexia", "--role", "community", "--scope",
               "淮安区/淮城街道/河下社区")[0] == 0  # fmt: skip
    target = cli.tmp / "template-activities.xlsx"
    # the community's own operator: it sees its members' phones in full (decision 0014)
    code, result = cli.json("--as", "hexia", "export", "template", "activities", "--community",
                            "淮安区/淮城街道/河下社区", "--year", "2014", "-o", str(target))  # fmt: skip
    assert code == 0, result
    return target


def test_the_activity_template_has_its_drop_downs_and_imports_with_no_warning(cli: Cli) -> None:
    target = _activity_template(cli)
    wb = openpyxl.load_workbook(target)
    ws = wb["附表3"]
    assert [c.value for c in ws[3]] == list(ACTIVITY_TEMPLATE_HEADERS)
    found = _validations(ws)
    assert _list_values(wb, found["H"]) == ["优", "良", "一般"]
    assert _list_values(wb, found["I"]) == list(ACTIVITY_KINDS)
    assert found["I"].errorStyle == "information"  # other themed activities may be typed
    assert found["G"].type == "decimal" and float(found["G"].formula2) == 24
    assert _list_values(wb, found["A"]) == ["王建伟", "李娜"]  # routed to 河下社区
    assert ws["B4"].number_format == "@" and ws["C4"].number_format == "@"
    people = [(r[0].value, r[1].value) for r in wb["本社区党员"].iter_rows(min_row=2)]
    assert people == [("王建伟", "13912345678"), ("李娜", "13912345679")]
    _fill(ws, [
        ["王建伟", "13912345678", "2014-09-25", "社区法律咨询", "河下社区活动室", "社区党员", 2, "优", "党员示范岗"],
        ["李娜", "13912345679", "2014-10-12", "义诊", "河下古镇", "", 1.5, "良", "党员奉献日"],
        ["李娜", "13912345679", "2014-10-13", "入户走访", "", "", 3, "一般", ""],
    ])  # fmt: skip
    wb.save(target)
    code, report = cli.json("--as", "hexia", "import", str(target), "--date", "2014-12-15")
    assert code == 0, report["errors"]
    assert report["kind"] == "activities"
    assert report["warnings"] == [] and report["errors"] == []
    assert report["rows_written"] == 3


def test_the_member_list_is_masked_for_roles_that_see_masked_phones(cli: Cli) -> None:
    _activity_template(cli)
    target = cli.tmp / "city.xlsx"
    assert cli.json("export", "template", "activities", "--community", "1", "-o",
                    str(target))[0] == 0  # fmt: skip
    people = [r[1].value for r in openpyxl.load_workbook(target)["本社区党员"].iter_rows(min_row=2)]
    assert people == ["139****5678", "139****5679"]


def test_template_options_are_checked(cli: Cli) -> None:
    code, _out, err = cli("export", "template", "form1", "-o", str(cli.tmp / "x.xlsx"))
    assert code == 2 and "--unit" in err
    code, _out, err = cli("export", "template", "form9", "-o", str(cli.tmp / "x.xlsx"))
    assert code == 2 and "form1" in err
    code, _out, err = cli("export", "template", "activities", "-o", str(cli.tmp / "x.xlsx"))
    assert code == 2 and "--community" in err
    code, _out, err = cli("export", "form1", "extra", "-o", str(cli.tmp / "x.xlsx"))
    assert code == 2 and "template" in err
    code, listing = cli.json("export", "--list")
    assert "template" in {e["name"] for e in listing}
    code, _out, err = cli("export", "template", "form1", "--unit", "008.999", "-o",
                          str(cli.tmp / "x.xlsx"))  # fmt: skip
    assert code == 2
    assert not (cli.tmp / "x.xlsx").exists()


def _libreoffice(tmp: Path, source: Path, target_format: str, out: Path) -> Path:
    assert LIBREOFFICE is not None
    profile = tmp / "lo-profile"  # its own profile: tests may run side by side
    subprocess.run(
        [LIBREOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", target_format, "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    suffix = target_format.split(":")[0]
    return out / f"{source.stem}.{suffix}"


@pytest.mark.slow
@pytest.mark.skipif(LIBREOFFICE is None, reason=NO_LIBREOFFICE)
def test_libreoffice_opens_the_templates_with_their_drop_downs(cli: Cli) -> None:
    for template in (_form1_template(cli, "008.003"), _activity_template(cli)):
        pdf = _libreoffice(cli.tmp, template, "pdf", cli.tmp / "pdf")
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
        # saved again by LibreOffice: the drop-downs it read are still there
        again = _libreoffice(cli.tmp, template, "xlsx:Calc MS Excel 2007 XML", cli.tmp / "lo")
        original = openpyxl.load_workbook(template)
        resaved = openpyxl.load_workbook(again)
        sheet = original.sheetnames[0]
        before = _validations(original[sheet])
        after = _validations(resaved[sheet])
        lists = [k for k, dv in before.items() if dv.type == "list"]
        assert lists
        for column in lists:
            assert after[column].type == "list", column
            assert _list_values(resaved, after[column]) == _list_values(original, before[column])
            assert after[column].prompt == before[column].prompt


@pytest.mark.parametrize("operator", [None, "hexia"])  # the city sees masked phones
def test_a_template_prefilled_with_the_members_reimports_for_every_role(
    cli: Cli, operator: str | None
) -> None:
    _activity_template(cli)
    target = cli.tmp / "prefilled.xlsx"
    who = ["--as", operator] if operator else []
    assert cli.json(*who, "export", "template", "activities", "--community",
                    "淮安区/淮城街道/河下社区", "--with-members", "-o", str(target))[0] == 0  # fmt: skip
    wb = openpyxl.load_workbook(target)
    ws = wb["附表3"]
    assert ws["J3"].value == "党员编号"
    filled = {ws[f"A{r}"].value: ws[f"J{r}"].value for r in (4, 5)}
    assert set(filled) == {"王建伟", "李娜"} and all(v.isdigit() for v in filled.values())
    # the instructor fills in one member's activity; the other's pre-filled row stays blank
    ws["C4"], ws["D4"], ws["G4"], ws["H4"] = "2014-10-01", "清扫楼道", 2, "良"
    wb.save(target)
    code, report = cli.json(*who, "import", str(target), "--date", "2014-12-15")
    assert code == 0, report["errors"]
    assert report["rows_written"] == 1 and report["errors"] == []
    # a number that does not match the name is refused with the fix
    ws["A4"] = "李娜" if ws["A4"].value == "王建伟" else "王建伟"
    ws["C4"] = "2014-10-02"
    wb.save(target)
    code, report = cli.json(*who, "import", str(target), "--date", "2014-12-15")
    assert code == 1 and report["errors"][0]["code"] == "member.number"
