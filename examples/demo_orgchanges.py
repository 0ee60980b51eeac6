"""Demo steps for org changes with effective dates and the member lifecycle.

The demo city is coded with the 2014 table (附表2) and registered in August 2014. Here the 2016
change file (``examples/orgchanges/2016-淮安区划调整.csv``: 清河区 and 清浦区 merged into
清江浦区, 洪泽县 became 洪泽区) is checked, applied as one batch, and the member counts are shown
as of the day before and the day of the change, and the 2014 service summary is the same
before and after it (each activity under the codes of its day); then one member moves unit and
one leaves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHANGE_FILE = Path(__file__).resolve().parent / "orgchanges" / "2016-淮安区划调整.csv"


def run(demo: Any) -> None:
    """Run the org-change steps on ``demo`` (the ``Demo`` of demo.py)."""
    demo.step("组织调整：2016 年区划调整（清河区、清浦区并入清江浦区，洪泽县改为洪泽区）")
    demo.cli("members", "count", "--on", "2016-09-30")
    service_2014 = demo.json("feedback", "summary", "--by", "district", "--year", "2014")
    demo.cli("codes", "apply", str(CHANGE_FILE), "--dry-run")
    demo.cli("codes", "apply", str(CHANGE_FILE))
    demo.cli("members", "count", "--on", "2016-10-01")
    demo.cli("members", "count", "--on", "2016-09-30", "--depth", "3", "--under", "008.001")
    demo.cli("codes", "show", "008.001.001")
    demo.cli("codes", "list", "--parent", "008", "--on", "2016-10-01", show=False)
    before = demo.json("members", "count", "--on", "2016-09-30")
    after = demo.json("members", "count", "--on", "2016-10-01")
    old = {u["code"]: u["total"] for u in before["units"]}
    new = {u["code"]: u["total"] for u in after["units"]}
    assert new["008.028"] == old["008.001"] + old["008.002"], (old, new)
    assert new["008.006"] == old["008.006"] and before["total"] == after["total"]
    print(
        f"  清河区 {old['008.001']} 人 + 清浦区 {old['008.002']} 人 = 清江浦区 {new['008.028']} 人；"
        f"洪泽 {new['008.006']} 人，代码不变。"
    )
    # 2014's service, asked after the change: still under 2014's districts and names
    demo.cli("feedback", "summary", "--by", "district", "--year", "2014")
    again = demo.json("feedback", "summary", "--by", "district", "--year", "2014")
    assert again["rows"] == service_2014["rows"], (service_2014, again)
    shown = "、".join(f"{r['label']}（{r['key']}）" for r in again["rows"] if r["key"])
    print(f"  2014 年度的服务汇总在调整后不变：仍按当年的县区统计——{shown}。")

    demo.step("党员变动：转到另一单位、离开（往年统计仍计入）")
    members = demo.json("members", "list", "--unit", "008.006")
    mover, leaver = members[0], members[1]
    demo.cli("members", "transfer", str(mover["id"]), "--to", "008.028.001", "--on", "2017-03-01",
             "--reason", "工作调动")  # fmt: skip
    demo.cli("members", "leave", str(leaver["id"]), "--on", "2017-06-30", "--reason", "调离本市")
    demo.cli("members", "count", "--on", "2017-07-01", "--under", "008.006", "--depth", "3")
    demo.cli("members", "count", "--on", "2016-12-31", "--under", "008.006", "--depth", "3")
