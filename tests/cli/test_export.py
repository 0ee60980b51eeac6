"""``partyreg export``: the official forms from a real store, and their way back in."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.workspace import Workspace
from tests.cli.test_import import Cli, registered


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return registered(tmp_path, capsys)


def route_everyone(cli: Cli) -> None:
    # Routing (issue: workflow) is not a command yet; an embedder routes through the facade.
    ws = Workspace(cli.db)
    routes = [
        Route(m.id, m.district_code, m.community_id)  # type: ignore[arg-type]
        for m in ws.members.iter(MemberQuery())
        if m.community_id is not None
    ]
    assert ws.routing.assign(routes) == 3
    ws.close()


def write_activities(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["姓名", "联系方式", "年月日", "服务（活动）内容", "服务地点", "参加人员",
                         "服务时间（小时）", "评价（优/良/一般）"])  # fmt: skip
        writer.writerows(rows)
    return path


def test_form1_exports_the_scope_and_imports_back_unchanged(cli: Cli) -> None:
    target = cli.tmp / "form1.xlsx"
    code, result = cli.json("export", "form1", "-o", str(target), "--scope", "008.010",
                            "--date", "2014-08-30", "--full", "--reason", "退回单位核对")  # fmt: skip
    assert code == 0 and result["records"] == 3
    ws = openpyxl.load_workbook(target).active
    assert ws["A2"].value == "单位：淮安市市级机关工委"
    assert ws["I2"].value == "2014 年 8 月 30 日"
    phones = {r[6] for r in ws.iter_rows(min_row=4, max_row=6, values_only=True)}
    assert phones == {"13912345678", "13912345679", "0517-83601234"}  # in full: the form's purpose
    code, report = cli.json("import", str(target))
    assert code == 0
    assert (report["rows_new"], report["rows_changed"], report["rows_unchanged"]) == (0, 0, 3)
    assert not list(cli.tmp.glob(".*partial*"))


def test_mask_hides_phone_digits_and_house_numbers(cli: Cli) -> None:
    target = cli.tmp / "masked.xlsx"
    assert cli.json("export", "form1", "-o", str(target), "--mask")[0] == 0
    rows = list(
        openpyxl.load_workbook(target).active.iter_rows(min_row=4, max_row=6, values_only=True)
    )
    assert {r[6] for r in rows} == {"139****5678", "139****5679", "0517-****1234"}
    assert {r[7] for r in rows} == {"河下古镇*号", "承德路*号"}


def test_every_export_is_in_the_audit_log(cli: Cli) -> None:
    assert cli.json("export", "form4", "-o", str(cli.tmp / "dir-out.xlsx"), "--mask")[0] == 0
    code, entries = cli.json("audit", "--action", "export")
    assert code == 0
    assert [(e["action"], e["subject"]) for e in entries] == [("export.form4", "dir-out.xlsx")]


def test_form2_and_form4(cli: Cli) -> None:
    code, result = cli.json("export", "form2", "-o", str(cli.tmp / "codes.xlsx"))
    assert (code, result["records"]) == (0, 20)
    code, result = cli.json(
        "export", "form4", "-o", str(cli.tmp / "dir.xlsx"), "--scope", "008.003", "--force"
    )
    assert (code, result["records"]) == (0, 1)
    code, report = cli.json("import", str(cli.tmp / "dir.xlsx"))
    assert code == 0 and report["rows_unchanged"] == 1


def test_form3_is_filled_from_the_activities_and_reimports_as_duplicates(cli: Cli) -> None:
    route_everyone(cli)
    acts = write_activities(cli.tmp / "acts.csv", [
        ["王建伟", "13912345678", "2014-09-25", "社区法律咨询", "河下社区活动室", "社区党员", "2", "优"],
        ["王建伟", "13912345678", "2014-10-12", "党员奉献日", "河下古镇", "", "3.5", "良"],
        ["赵六", "0517-83601234", "2014-10-01", "走访困难家庭", "承德路社区", "", "1.5", "一般"],
    ])  # fmt: skip
    code, report = cli.json("import", str(acts), "--date", "2014-12-15")
    assert code == 0 and report["rows_written"] == 3, report["errors"]
    target = cli.tmp / "form3.xlsx"
    code, result = cli.json("export", "form3", "-o", str(target), "--year", "2014",
                            "--community", "淮安区/淮城街道/河下社区")  # fmt: skip
    assert code == 0 and result["records"] == 2  # 王建伟 and 李娜 report at 河下社区
    wb = openpyxl.load_workbook(target)
    sheet = next(ws for ws in wb.worksheets if ws["A3"].value == "姓名：王建伟")
    assert sheet["A2"].value.startswith("淮安区")
    assert [c.value for c in sheet[5]][:6] == ["2014-09-25", "社区法律咨询", "河下社区活动室",
                                                "社区党员", 2, "优"]  # fmt: skip
    assert sheet["A17"].value == "合计" and sheet["E17"].value == 5.5
    # the exported sheet goes back in as activity rows: the same activities, stored once
    code, again = cli.json("import", str(target), "--sheet", sheet.title, "--date", "2014-12-15")
    assert code == 0, again["errors"]
    assert (again["kind"], again["rows_total"], again["rows_written"]) == ("activities", 2, 0)


def test_unknown_export_and_wrong_suffix_exit_2(cli: Cli) -> None:
    code, out, err = cli("export", "form9", "-o", str(cli.tmp / "x.xlsx"))
    assert code == 2 and "form9" in err and out == ""
    code, out, err = cli("export", "form1", "-o", str(cli.tmp / "x.csv"))
    assert code == 2 and ".xlsx" in err
    assert not (cli.tmp / "x.csv").exists()


def test_the_audit_log_masks_what_the_role_sees_masked(cli: Cli) -> None:
    assert cli("operator", "add", "quxian", "--role", "district", "--scope", "008.010")[0] == 0
    assert cli("operator", "add", "danwei", "--role", "unit", "--scope", "008.010")[0] == 0
    member = next(m for m in cli.json("members", "list")[1] if m["name"] == "王建伟")
    assert (
        cli("--as", "danwei", "members", "edit", str(member["id"]), "--phone", "13800001111")[0]
        == 0
    )
    _, full = cli.json("--as", "danwei", "audit", "--action", "member.edit")
    assert full[-1]["after"]["phone"] == "13800001111"  # the unit sees its members' phones
    _, masked = cli.json("--as", "quxian", "audit", "--action", "member.edit")
    assert masked and "13800001111" not in str(masked) and "138****1111" in str(masked)


ACTIVITY_HEADER = ["姓名", "联系方式", "年月日", "服务（活动）内容", "服务地点", "参加人员",
                   "服务时间（小时）", "评价（优/良/一般）"]  # fmt: skip


def test_every_visible_sheet_of_a_form3_workbook_imports(cli: Cli) -> None:
    """A community's 附表3 workbook, one sheet per member: every visible activity sheet is read
    into one batch; a hidden sheet is skipped and the report says so; a bad row is named by
    its sheet and its row as that sheet shows it; a sheet of notes is not an activity table."""
    route_everyone(cli)
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "王建伟"
    first.append(["“在职党员回社区 亮明身份作表率”活动实绩反馈单"])
    first.append(ACTIVITY_HEADER)
    first.append(["王建伟", "13912345678", "2014-09-25", "社区法律咨询", "河下社区", "", "2", "优"])
    second = wb.create_sheet("赵六")
    second.append(ACTIVITY_HEADER)
    second.append(
        ["赵六", "0517-83601234", "2014/10/1", "走访困难家庭", "承德路社区", "", "1.5", "一般"]
    )
    second.append(["赵六", "0517-83601234", "2014-13-40", "清扫楼道", "承德路社区", "", "1", "良"])
    hidden = wb.create_sheet("草稿")
    hidden.append(ACTIVITY_HEADER)
    hidden.append(["王建伟", "13912345678", "2014-10-02", "不该导入", "河下社区", "", "9", "优"])
    hidden.sheet_state = "hidden"
    notes = wb.create_sheet("填表说明")
    notes.append(["说明：每名党员一张反馈单，由社区党组织盖章确认。"])
    path = cli.tmp / "附表3-河下社区.xlsx"
    wb.save(path)

    code, report = cli.json("import", str(path), "--date", "2014-12-15", "--skip-invalid")
    assert code == 1  # one bad row, the good ones written
    assert report["kind"] == "activities"
    assert report["sheets"] == ["王建伟", "赵六"] and report["hidden_sheets"] == ["草稿"]
    assert (report["rows_total"], report["rows_written"]) == (3, 2)
    (error,) = report["errors"]
    assert (error["sheet"], error["row"], error["code"]) == ("赵六", 3, "date.invalid")
    code, out, _err = cli("import", str(path), "--date", "2014-12-15", "--dry-run")
    assert "工作表“王建伟”“赵六”共 2 个" in out and "已跳过隐藏的工作表“草稿”" in out
    assert "工作表  行" in out and "赵六    3   年月日" in out  # the error table names the sheet


def test_a_named_sheet_reads_that_sheet_only(cli: Cli) -> None:
    route_everyone(cli)
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.append(ACTIVITY_HEADER)
    first.append(["王建伟", "13912345678", "2014-09-25", "社区法律咨询", "河下社区", "", "2", "优"])
    second = wb.create_sheet("赵六")
    second.append(ACTIVITY_HEADER)
    second.append(
        ["赵六", "0517-83601234", "2014-10-01", "走访困难家庭", "承德路社区", "", "1", "良"]
    )
    path = cli.tmp / "acts.xlsx"
    wb.save(path)
    code, report = cli.json("import", str(path), "--sheet", "赵六", "--date", "2014-12-15")
    assert code == 0 and report["sheets"] == ["赵六"] and report["rows_written"] == 1


def test_form2_on_a_date_is_the_code_table_of_that_day(cli: Cli) -> None:
    change = cli.tmp / "rename.csv"
    change.write_text(
        "生效日期,调整,代码,名称,上级,类别,原因\n2016-10-01,更名,008.006,洪泽区委,,,区划调整\n",
        encoding="utf-8",
    )
    assert cli("codes", "apply", str(change))[0] == 0

    def names(*args: str) -> set[str]:
        target = cli.tmp / f"form2-{'-'.join(args) or 'now'}.xlsx"
        target.unlink(missing_ok=True)
        assert cli.json("export", "form2", "-o", str(target), *args)[0] == 0
        ws = openpyxl.load_workbook(target).active
        return {str(c) for row in ws.iter_rows(min_row=3, values_only=True) for c in row if c}

    then = names("--on", "2014-09-01")
    assert "洪泽县委" in then and "洪泽区委" not in then
    assert "洪泽区委" in names()


def test_form4_masked_keeps_the_public_report_in_phone(cli: Cli) -> None:
    target = cli.tmp / "form4.xlsx"
    assert cli.json("export", "form4", "-o", str(target), "--mask")[0] == 0
    ws = openpyxl.load_workbook(target).active
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0]]
    assert rows and all("****" not in (r[3] or "") for r in rows)  # 接收报到电话: public
    assert all("****" in r[6] for r in rows if r[6])  # the secretary's mobile: masked
