"""Demo steps for residents' wishes, points and nudges: a community records residents' wishes
(one by one and from a sheet), members claim and do them, residents rate them, a done wish
becomes the member's activity, the counts; the points rules, a member's ledger as it stood on a
day, a hand adjustment; and the day's plan of nudges to individuals, then queued.

Runs after routing and the community's needs (members routed to their communities).
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from typing import Any

YEAR = 2014


def run(demo: Any) -> None:
    """Run the wishes, points and nudges steps on ``demo`` (the :class:`Demo` of demo.py)."""
    demo.step("居民微心愿：社区登记（走访、电话、QQ/微信群），党员认领、完成，居民评价")
    members = demo.json("members", "list")
    routed = [m for m in members if m["status"] != "registered" and m["community_id"]]
    if not routed:
        print("  （还没有党员分流到社区：这一部分跳过。）")
        return
    community_id, _n = Counter(m["community_id"] for m in routed).most_common(1)[0]
    demo.cli("operator", "add", "weixinyuan_sq", "--role", "community", "--scope",
             str(community_id), show=False)  # fmt: skip
    sq = ("--as", "weixinyuan_sq")
    here = [m for m in demo.json(*sq, "members", "list") if m["community_id"] == community_id]
    label = here[0]["community"]
    added = [
        demo.json(
            *sq,
            "wishes",
            "add",
            label,
            "--title",
            title,
            "--resident",
            who,
            "--phone",
            phone,
            "--date",
            day,
            "--source",
            source,
            *extra,
        )["id"]
        for title, who, phone, day, source, extra in (
            ("帮独居老人更换楼道灯泡", "王桂英", "13905170001", f"{YEAR}-10-08", "走访", ()),
            (
                "辅导留守儿童周末功课",
                "陈红",
                "13905170002",
                f"{YEAR}-10-09",
                "微信群",
                ("--post", "8", "--due", f"{YEAR}-10-31"),
            ),
            ("陪伴空巢老人就医", "刘大爷", "0517-83600003", f"{YEAR}-10-10", "电话", ()),
        )
    ]
    sheet = demo.out / "表格" / "微心愿-2014.csv"
    district, street, name = label.split("/")
    with sheet.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["县区", "街道", "社区", "心愿内容", "居民姓名", "居民电话", "登记日期", "来源"]
        )
        writer.writerow([district, street, name, "代买常用药品", "赵奶奶", "13905170004",
                         f"{YEAR}-10-10", "QQ群"])  # fmt: skip
        writer.writerow(
            [district, street, "不存在的社区", "修理晾衣架", "", "", f"{YEAR}-10-10", ""]
        )
    demo.cli(*sq, "wishes", "import", str(sheet), expect=1)  # the bad row: nothing written
    with sheet.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["县区", "街道", "社区", "心愿内容", "居民姓名", "居民电话", "登记日期", "来源"]
        )
        writer.writerow([district, street, name, "代买常用药品", "赵奶奶", "13905170004",
                         f"{YEAR}-10-10", "QQ群"])  # fmt: skip
    demo.cli(*sq, "wishes", "import", str(sheet))
    print("  社区自己看得到居民的姓名和电话：")
    demo.cli(*sq, "wishes", "list")
    print("  县区、市级看到的是遮挡后的（公开页面不显示）：")
    demo.cli("wishes", "list", "--community", label)
    first, second = here[0], here[min(1, len(here) - 1)]
    demo.cli(*sq, "wishes", "claim", str(added[0]), "--member", str(first["id"]),
             "--date", f"{YEAR}-10-09")  # fmt: skip
    demo.cli(*sq, "wishes", "done", str(added[0]), "--note", "已换好 3 盏楼道灯",
             "--date", f"{YEAR}-10-11")  # fmt: skip
    demo.cli(*sq, "wishes", "rate", str(added[0]), "--rating", "满意", "--comment",
             "楼道亮了，谢谢", "--date", f"{YEAR}-10-12")  # fmt: skip
    demo.cli(*sq, "wishes", "record", str(added[0]), "--hours", "2")
    demo.cli(*sq, "wishes", "claim", str(added[1]), "--member", str(second["id"]),
             "--date", f"{YEAR}-10-10")  # fmt: skip
    demo.cli(*sq, "wishes", "done", str(added[1]), "--note", "辅导数学两次",
             "--date", f"{YEAR}-10-12")  # fmt: skip
    demo.cli(*sq, "wishes", "rate", str(added[1]), "--rating", "基本满意",
             "--date", f"{YEAR}-10-12")  # fmt: skip
    demo.cli(*sq, "wishes", "record", str(added[1]), "--hours", "3", "--content",
             "微心愿：辅导留守儿童功课")  # fmt: skip
    demo.cli(*sq, "wishes", "cancel", str(added[2]), "--reason", "家属已陪同就医",
             "--date", f"{YEAR}-10-11")  # fmt: skip
    demo.cli(*sq, "wishes", "rate", str(added[2]), "--rating", "满意", expect=2)
    demo.cli("feedback", "summary", "--by", "district", "--year", str(YEAR))

    demo.step("积分：城市规则（可按日期更改）、党员积分明细、截至某日的总分、人工调整")
    demo.cli("points", "rules")
    demo.cli("points", "rules", "set", "per_hour=1", "kind.党员奉献日=2", "wish=5",
             "rating.满意=3", "rating.基本满意=1", "cap.day=12", "--from", f"{YEAR}-10-01")  # fmt: skip
    demo.cli("points", "rules", "history")
    demo.cli("points", "show", "--member", str(first["id"]), "--year", str(YEAR))
    demo.cli(*sq, "points", "adjust", "--member", str(first["id"]), "--points", "2", "--reason",
             "社区党员示范岗表彰", "--date", f"{YEAR}-10-12")  # fmt: skip
    demo.cli("points", "show", "--member", str(first["id"]), "--year", str(YEAR),
             "--on", f"{YEAR}-10-11")  # fmt: skip

    demo.step("个人提醒：某一天将发给谁（静默时段、每人每天上限、本人退订都已计入），再排入队列")
    demo.cli("notify", "nudges", "wish_days=3", "no_service_days=30", "quiet=21:00-08:00", "cap=2")
    demo.cli(*sq, "notify", "optout", str(second["id"]), "--kind", "no_service")
    # the day: when the community's other members have gone 30 days since they were routed
    # without service (the nudge comes on the 30th day, and every 30 days after)
    routed_on = min(date.fromisoformat(m["routed_on"]) for m in here[2:] if m["routed_on"])
    day = routed_on + timedelta(days=30)
    while day < date(YEAR, 10, 13):
        day += timedelta(days=30)
    demo.cli("wishes", "add", label, "--title", "帮忙清理楼顶杂物", "--date",
             (day - timedelta(days=3)).isoformat(), show=False)  # fmt: skip
    demo.cli(*sq, "notify", "plan", "--on", day.isoformat())
    demo.cli(*sq, "notify", "nudge", "--on", day.isoformat(), "--yes")
    demo.cli(*sq, "notify", "list", "--limit", "5")
