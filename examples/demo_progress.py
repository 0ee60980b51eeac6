"""Demo steps: the year's calendar, expected counts, progress before and after a deadline, a
change of community, the progress circular and reminders (``run(demo)``, called by demo.py).

The demo city's members are registered on the day the demo runs, so the calendar is set around
that day: registration due that day, routing three days later, report-in six, confirmation
nine (kept inside the year). Members not yet routed are routed here through the facade
(``Workspace.route_members``, by the community they registered), half before the routing
deadline and half after it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from partyreg_core.members import MemberStatus, Route
from partyreg_core.workspace import Workspace

UNIT = "008.010.001"  # 市民政局机关党委, whose operator is minzheng_dw


def run(demo: Any) -> None:
    ws = Workspace(demo.db)
    try:
        _run(demo, ws)
    finally:
        ws.close()


def _run(demo: Any, ws: Workspace) -> None:
    people = list(ws.iter_members())
    registered = min(m.registered_on for m in people if m.registered_on)
    base = min(registered, date(registered.year, 12, 18))
    dues = [base + timedelta(days=n) for n in (0, 3, 6, 9)]
    year = str(base.year)

    def day(n: int) -> str:
        return (base + timedelta(days=n)).isoformat()

    demo.step(
        "年度日程：市级设置本年度的截止日期（默认为通知规定的 8月30日、9月10日、9月20日、12月20日）"
    )
    demo.cli("calendar", "set", "--year", year, "--registration", dues[0].isoformat(),
             "--routing", dues[1].isoformat(), "--report-in", dues[2].isoformat(),
             "--confirmation", dues[3].isoformat())  # fmt: skip

    demo.step("单位申报预计参加人数（县区、市级可为下级单位设置）")
    demo.cli("--as", "minzheng_dw", "progress", "expect", UNIT, "45", "--year", year)
    units = sorted({str(m.unit_code) for m in people if str(m.unit_code) != UNIT})[:3]
    for unit in units:
        count = sum(1 for m in people if str(m.unit_code) == unit)
        demo.cli("progress", "expect", unit, str(count + 5), "--year", year, show=False)
    print(f"  （市级为 {'、'.join(units)} 设置了预计人数）")

    waiting = [m for m in people if m.status is MemberStatus.REGISTERED and m.community_id]
    if waiting:
        half = len(waiting) // 2
        for group, n in ((waiting[:half], 1), (waiting[half:], 4)):
            routes = [
                Route(m.id, m.district_code, m.community_id) for m in group if m.district_code
            ]
            ws.route_members(routes, on=base + timedelta(days=n))
        print(
            f"  （县区分流：{half} 人在 {day(1)} 分流（按时），{len(waiting) - half} 人在 {day(4)}"
            f" 分流（迟于分流截止日期 {day(3)}）；报到社区未匹配的留在县区待处理）"
        )

    demo.step(f"进度：分流截止日期（{day(3)}）之前，没有逾期")
    demo.cli("progress", "--on", day(2), "--by", "district", "--year", year)
    demo.step(f"进度：分流截止日期之后（{day(5)}），未分流的逾期，迟分流的计为“迟”")
    demo.cli("progress", "--on", day(5), "--by", "district", "--year", year)
    demo.cli("progress", "--on", day(5), "--by", "unit", "--year", year)
    overdue = demo.json("progress", "overdue", "--on", day(5), "--year", year)
    print(f"  逾期名单共 {len(overdue)} 人（partyreg progress overdue 列出姓名、单位和报到社区）。")

    demo.step("变更报到社区：单位为搬家的党员提出申请，单位审批，原社区移交、新社区接收")
    mine = [
        m for m in ws.iter_members()
        if str(m.unit_code) == UNIT and m.status is not MemberStatus.REGISTERED and m.community_id
    ]  # fmt: skip
    if mine:
        member = mine[0]
        target = next(
            c for c in ws.communities(member.district_code) if c.id != member.community_id
        )
        to = f"{target.district} {target.street} {target.name}"
        demo.cli("--as", "minzheng_dw", "change", "request", str(member.id), "--to", to,
                 "--reason", "搬家到新小区", "--date", day(5))  # fmt: skip
        demo.cli("change", "list", "--status", "pending")
        [filed] = demo.json("change", "list", "--status", "pending")
        demo.cli("--as", "minzheng_dw", "change", "approve", str(filed["id"]), "--date", day(5))
        demo.cli("--as", "minzheng_dw", "members", "show", str(member.id))
        print("  （原社区的分流记录在审批当天结束，新社区的分流记录开始；以往活动仍记在原社区）")

    demo.step("进度通报：县区、单位按完成率排名，只含人数和组织名称")
    exports = demo.out / "导出"
    exports.mkdir(exist_ok=True)
    demo.cli("export", "circular", "-o", str(exports / "进度通报.xlsx"), "--on", day(5),
             "--year", year)  # fmt: skip

    demo.step(f"催办提醒：报到截止日期（{day(6)}）前 3 天，每个落后的单位和县区一条提醒")
    demo.cli("progress", "remind", "--days", "3", "--on", day(5), "--year", year)
