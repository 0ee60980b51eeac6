"""The demo's routing and report-in steps (DESIGN.md §3 steps 3–4), run by ``demo.py``.

A city work committee routes its units' members to the districts they live in (a cross-district
route), the districts route their own, a community written in a way the directory does not know
waits in 淮安区's queue until the district resolves it, a 县区 the 2014 code table does not know
waits at the city work committee, and a community confirms its members' report-in.
"""

from __future__ import annotations

from typing import Any

import democity

QUEUED = "/".join(democity.QUEUED_COMMUNITY)
UNKNOWN = "/".join(democity.UNKNOWN_DISTRICT)
WENQU = "淮安区/淮城街道/文渠社区"


def run(demo: Any) -> None:
    demo.step("分流 1. 县区维护社区通讯录和指导员")
    demo.cli("operator", "add", "shiji_gw", "--role", "district", "--scope", "008.010")
    demo.cli("--as", "huaian_zzb", "community", "edit", WENQU, "--phone", "0517-85912345")
    demo.cli("--as", "huaian_zzb", "instructor", "add", "王芳", "--phone", "13905171234",
             "--community", WENQU, "--community", "淮安区/淮城街道/河下社区")  # fmt: skip
    demo.cli("--as", "huaian_zzb", "community", "show", WENQU)

    demo.step("分流 2. 市级机关工委分流本系统党员：住在哪个县区，就经哪个县区分到社区")
    demo.cli("--as", "shiji_gw", "route", "--yes", "--on", "2014-09-05")
    seen = demo.json("--as", "huaian_zzb", "members", "list")
    city_level = [m for m in seen if m["unit_code"].startswith("008.010.")]
    print(
        f"  淮安区委组织部现在可见 {len(seen)} 人，其中市直单位、住在本区的党员 {len(city_level)} 人"
        f"（如 {city_level[0]['name']}，单位 {city_level[0]['unit_code']}，"
        f"报到 {city_level[0]['community']}）。"
    )

    demo.step("分流 3. 各县区分流本县区单位的党员（含住在其他县区的）")
    demo.cli("--as", "huaian_zzb", "route", "--yes", "--on", "2014-09-06")
    totals = demo.json("route", "--yes", "--on", "2014-09-08")
    print(f"  市级操作员分流其余：{totals['routed']} 人到社区，"
          f"{totals['queued']} 人在县区待认定队列，{totals['waiting']} 人县区不明。")  # fmt: skip

    demo.step("分流 4. 待认定队列：通讯录里找不到的社区不丢，等县区认定")
    demo.cli("--as", "huaian_zzb", "route", "queue")
    demo.cli("--as", "huaian_zzb", "route", "resolve", QUEUED, "--to", WENQU, "--on", "2014-09-09")
    demo.cli("route", "queue")
    # 清江浦区 was made from 清河区 in 2016; until the code table has it, the city resolves it.
    demo.cli("route", "resolve", UNKNOWN, "--to", "清河区/长东街道/文渠社区", "--on", "2014-09-09")
    demo.cli("route", "queue")

    demo.step("分流 5. 社区确认报到（只能确认分流到本社区的党员）")
    demo.cli("operator", "add", "wenqu_sq", "--role", "community", "--scope", WENQU)
    listed = demo.json("--as", "wenqu_sq", "report-in", "list")
    ids = [str(m["id"]) for m in listed]
    demo.cli("--as", "wenqu_sq", "report-in", "confirm", "--community", WENQU, "--all", "--yes",
             "--except", ids[0], "--on", "2014-09-15")  # fmt: skip
    demo.cli("--as", "wenqu_sq", "report-in", "confirm", ids[0], "--on", "2014-09-19")
    other = demo.json("--as", "huaian_zzb", "report-in", "list", "--status", "routed")
    stranger = next(m for m in other if m["community_id"] != listed[0]["community_id"])
    # another community's member is not in 文渠社区's scope: refused, nothing written
    demo.cli("--as", "wenqu_sq", "report-in", "confirm", str(stranger["id"]), expect=1)
    demo.cli("--as", "wenqu_sq", "report-in", "list", "--status", "reported_in")
