"""Demo steps over the years: a template handed to a unit and to an instructor, Table 1 with the
members' service, the next campaign year, and a retention dry run.

``run(demo)`` is called by ``demo.py``; every command goes through the ``partyreg`` CLI. Two
things happen beside it, as they would beside the CLI: an operator types rows into the handed-out
templates (openpyxl here), and members not yet routed to communities are routed through the
Python API (an embedder's call) so that the instructor has members to record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

UNIT = "008.010.006"  # 市文广新局机关党委 in the demo city
UNIT_OPERATOR = "wenguang_dw"
COMMUNITY_OPERATOR = "zhidaoyuan_demo"


def _type_into(path: Path, sheet: str, rows: list[list[Any]]) -> None:
    """Rows typed into a template from its fourth row, cell by cell, as an operator would."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for r, values in enumerate(rows):
        for c, value in enumerate(values, start=1):
            if value not in (None, ""):
                ws.cell(4 + r, c, value)
    wb.save(path)


def run(demo: Any) -> None:
    """The steps; ``demo`` is demo.py's ``Demo``."""
    out: Path = demo.out / "导出"
    out.mkdir(exist_ok=True)

    demo.step("模板下发：上级把空白登记表（EXCEL版）发给单位，单位按下拉列表和提示填写后导入")
    template = out / "模板-附表1-市文广新局机关党委.xlsx"
    demo.cli("export", "template", "form1", "--unit", UNIT, "-o", str(template))
    communities = demo.json("members", "list", "--unit", "008.010.001")
    assert isinstance(communities, list) and communities
    places = [(m["community_name"], m["street"], m["district"]) for m in communities[:2]]
    _type_into(template, "附表1", [
        [UNIT, "欧阳明", "男", "市文广新局科长", "摄影", "15、文体娱乐实践岗", "13805170001",
         "淮海路1号", *places[0]],
        [UNIT, "司马静", "女", "市文广新局干部", "书法", "14、15", "13805170002", "",
         *places[1]],
    ])  # fmt: skip
    print("  （单位操作员在模板里填了两名党员：认领岗位一个从下拉选，一个按提示输入 14、15）")
    demo.cli("operator", "add", UNIT_OPERATOR, "--role", "unit", "--scope", UNIT, show=False)
    demo.cli("--as", UNIT_OPERATOR, "import", str(template), "--date", "2014-11-03")

    demo.step("指导员的活动记录模板：填好后导入，再导出带服务情况的附表1（台帐）")
    community = communities[0]["community_id"]
    demo.cli("route", "--yes", "--on", "2014-11-05")  # the two members the template brought in
    demo.cli("operator", "add", COMMUNITY_OPERATOR, "--role", "community", "--scope",
             str(community), show=False)  # fmt: skip
    sheet = out / "模板-活动记录.xlsx"
    demo.cli("--as", COMMUNITY_OPERATOR, "export", "template", "activities", "--community",
             str(community), "--year", "2014", "-o", str(sheet))  # fmt: skip
    people = [
        (r[0].value, r[1].value)
        for r in openpyxl.load_workbook(sheet)["本社区党员"].iter_rows(min_row=2, max_row=3)
    ]
    rows: list[list[Any]] = []
    for i, (name, phone) in enumerate(people):
        rows.append([name, phone, f"2014-10-{10 + i:02d}", "党员奉献日 清扫楼道", "本社区",
                     "党员服务小组", 2 + i, "优", "党员奉献日"])  # fmt: skip
        rows.append([name, phone, "2014-11-05", "入户走访困难家庭", "本社区", "", 1.5, "良",
                     "日常服务"])  # fmt: skip
    _type_into(sheet, "附表3", rows)
    demo.cli("--as", COMMUNITY_OPERATOR, "import", str(sheet), "--date", "2014-12-10")
    ledger = out / f"附表1-带服务情况-{UNIT}.xlsx"
    demo.cli("export", "form1", "--with-service", "--year", "2014", "--scope", UNIT,
             "-o", str(ledger), "--date", "2014-12-20", "--full", "--reason", "单位核对服务情况")  # fmt: skip
    served = [
        r for r in openpyxl.load_workbook(ledger).active.iter_rows(min_row=4, values_only=True)
        if len(r) > 6 and r[-4] not in (None, 0)
    ]  # fmt: skip
    for r in served:
        print(f"  {r[0]} {r[1]}：{r[-6]} 年 {r[-5]} 小时，{r[-4]} 次活动"
              f"（优 {r[-3]}、良 {r[-2]}、一般 {r[-1]}）")  # fmt: skip
    demo.cli("import", str(ledger), "--dry-run")

    demo.step("年度切换：开启 2015 年度，2014 年度关闭（只读），各单位确认沿用的登记")
    demo.cli("year", "open", "--yes", "2015", "--date", "2014-12-28")
    demo.cli("--as", UNIT_OPERATOR, "year", "confirm", "--unit", UNIT, "--date", "2015-01-05")
    pending = demo.json("year", "pending")
    assert isinstance(pending, list)
    print(f"  还有 {len(pending)} 个单位待确认（partyreg year pending 列出）。")
    demo.cli("year", "list")
    demo.cli("--as", COMMUNITY_OPERATOR, "import", str(sheet), "--date", "2015-01-10", expect=1,
             show=False)  # fmt: skip
    print("  再导入 2014 年的活动：被拒绝（activity.year_closed，2014 年度已关闭）。")


def retention(demo: Any) -> None:
    """The retention steps, after members have left (the org-changes steps)."""
    demo.step("个人信息保留期限：离开满 3 年的党员匿名化（先试运行），统计数字不变")
    demo.cli("retention", "period")
    demo.cli("retention", "run", "--on", "2020-07-01", "--dry-run")
    demo.cli("retention", "run", "--yes", "--on", "2020-07-01")
    demo.cli("members", "count", "--on", "2016-12-31", "--under", "008.006", "--depth", "3")
