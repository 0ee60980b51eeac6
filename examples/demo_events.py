"""The demo's community event and report-in certificate: an event with its check-in code,
members checking in through the same call the members' site makes, closing it into
activities, and a certificate verified (decisions 0125, 0127)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from partyreg_core.workspace import Workspace

YEAR = 2014


def run(demo: Any) -> None:
    """Run the event and certificate steps on ``demo`` (the :class:`Demo` of demo.py)."""
    routed = [m for m in demo.json("members", "list") if m["status"] != "registered"]
    if not routed:
        return
    label, here = (
        routed[0]["community"],
        [m for m in routed if m["community"] == routed[0]["community"]],
    )
    demo.step("社区活动签到：发布活动（签到码和二维码），党员在网站签到，结束后记入服务时长")
    event = demo.json("event", "add", label, "--date", f"{YEAR}-12-10", "--start", "09:00",
                      "--end", "11:30", "--content", "党员奉献日：清理楼道小广告",
                      "--place", "社区活动室")  # fmt: skip
    demo.cli("event", "list", "--community", label)
    if demo.pg_admin is None:  # the site's call, at 09:05 that morning (SQLite demo only)
        site = Workspace(demo.db, clock=lambda: datetime(YEAR, 12, 10, 1, 5, tzinfo=UTC))
        for member in here[:3]:
            site.for_member(member["id"]).events.check_in(member["id"], event["code"])
        site.close()
        print(f"  （{min(3, len(here))} 名党员在网站“签到”页输入了签到码 {event['code']}。）")
    demo.cli("event", "close", str(event["id"]))
    demo.step("报到证和回执（PDF），用编号和校验码核验")
    target = demo.out / "导出" / "报到证.pdf"
    target.parent.mkdir(exist_ok=True)
    cert = demo.json("certificate", str(here[0]["id"]), "-o", str(target), "--force")
    demo.cli("verify", cert["serial"], cert["check_code"])
