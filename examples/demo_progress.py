"""Demo steps: the year's calendar, expected counts, progress before and after a deadline, a
change of community, the progress circular and reminders (``run(demo)``, called by demo.py).

The demo runs on the seed's 2014 calendar: units registered in late August (one batch after
the 08-30 deadline), the routing steps before routed everyone by 09-10, and one community
confirmed report-in; progress is shown before and after the 09-20 report-in deadline.
"""

from __future__ import annotations

from typing import Any

from partyreg_core.members.model import MemberStatus
from partyreg_core.workspace import Workspace

UNIT = "008.010.001"  # 市民政局机关党委, whose operator is minzheng_dw


def run(demo: Any) -> None:
    ws = Workspace(demo.db)
    try:
        _run(demo, ws)
    finally:
        ws.close()


def _run(demo: Any, ws: Workspace) -> None:
    people = list(ws.members.iter())
    year = "2014"

    demo.step("年度日程：默认为通知规定的 8月30日、9月10日、9月20日、12月20日（市级可调整）")
    demo.cli("calendar", "show", "--year", year)

    demo.step("单位申报预计参加人数（县区、市级可为下级单位设置）")
    demo.cli("--as", "minzheng_dw", "progress", "expect", UNIT, "45", "--year", year)
    units = sorted({str(m.unit_code) for m in people if str(m.unit_code) != UNIT})[:3]
    for unit in units:
        count = sum(1 for m in people if str(m.unit_code) == unit)
        demo.cli("progress", "expect", unit, str(count + 5), "--year", year, show=False)
    print(f"  （市级为 {'、'.join(units)} 设置了预计人数）")

    demo.step("进度：报到截止日期（9月20日）之前，未报到的还不算逾期；迟交的登记表计为“迟”")
    demo.cli("progress", "--on", "2014-09-18", "--by", "district", "--year", year)
    demo.step("进度：报到截止日期之后（9月25日），未报到的逾期")
    demo.cli("progress", "--on", "2014-09-25", "--by", "district", "--year", year)
    demo.cli("progress", "--on", "2014-09-25", "--by", "unit", "--year", year)
    overdue = demo.json("progress", "overdue", "--on", "2014-09-25", "--year", year)
    print(f"  逾期名单共 {len(overdue)} 人（partyreg progress overdue 列出姓名、单位和报到社区）。")

    demo.step("变更报到社区：单位为搬家的党员提出申请，单位审批，原社区移交、新社区接收")
    mine = [
        m for m in ws.members.iter()
        if str(m.unit_code) == UNIT and m.status is not MemberStatus.REGISTERED and m.community_id
    ]  # fmt: skip
    if mine:
        member = mine[0]
        target = next(
            c for c in ws.communities(member.district_code) if c.id != member.community_id
        )
        to = f"{target.district} {target.street} {target.name}"
        demo.cli("--as", "minzheng_dw", "change", "request", str(member.id), "--to", to,
                 "--reason", "搬家到新小区", "--date", "2014-09-22")  # fmt: skip
        demo.cli("change", "list", "--status", "pending")
        [filed] = demo.json("change", "list", "--status", "pending")
        demo.cli(
            "--as", "minzheng_dw", "change", "approve", str(filed["id"]), "--date", "2014-09-23"
        )
        demo.cli("--as", "minzheng_dw", "members", "show", str(member.id))
        print("  （原社区的分流记录在审批当天结束，新社区的分流记录开始；以往活动仍记在原社区）")

    demo.step("进度通报：县区、单位按完成率排名，只含人数和组织名称")
    exports = demo.out / "导出"
    exports.mkdir(exist_ok=True)
    demo.cli("export", "circular", "-o", str(exports / "进度通报.xlsx"), "--on", "2014-09-25",
             "--year", year)  # fmt: skip
