"""Demo steps for community service: a year of activities (an instructor's sheet imported, and
activities recorded one at a time, a themed day and a self-report), the feedback sheets (附表3)
numbered, confirmed and delivered to the unit's ledger, the form3 and ledger exports, and the
summaries, rankings, service tiers and pairing suggestions.

These steps need members routed to their communities (the routing step runs before them); on a
store where nobody is routed yet they say so and stop.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

YEAR = 2014
CONTENTS = (
    ("入户走访困难家庭", "居民家中", "日常服务"),
    ("社区环境清扫", "小区楼道", "服务居民楼幢竞赛"),
    ("政策法规宣讲", "社区活动室", "党员示范岗"),
    ("义诊和健康咨询", "社区卫生站", "党员奉献日"),
    ("调解邻里纠纷", "社区调解室", "日常服务"),
    ("关爱留守儿童", "社区四点半课堂", "节假日活动"),
)
RATINGS = ("优", "优", "良", "良", "良", "一般")


def run(demo: Any) -> None:
    """Run the community-service steps on ``demo`` (the :class:`Demo` of demo.py)."""
    demo.step("服务记录：指导员的活动表导入，逐条记录、主题活动和党员自报")
    members = demo.json("members", "list")
    routed = [m for m in members if m["status"] != "registered" and m["community_id"]]
    if not routed:
        print("  （还没有党员分流到社区：先分流，才能记录活动和填写反馈单，这一部分跳过。）")
        return
    by_community = Counter(m["community_id"] for m in routed)
    community_id, _n = by_community.most_common(1)[0]
    # the community staff see their members' phones in full (the city sees them masked)
    scopes = [a for c in sorted(by_community) for a in ("--scope", str(c))]
    demo.cli("operator", "add", "shequ_gzz", "--role", "community", *scopes, show=False)
    routed = [
        m for m in demo.json("--as", "shequ_gzz", "members", "list") if m["status"] != "registered"
    ]
    here = [m for m in routed if m["community_id"] == community_id]
    label = here[0]["community"]
    sheet = demo.out / "表格" / "活动记录-2014.csv"
    _write_activities(sheet, routed)
    demo.cli("--as", "shequ_gzz", "import", str(sheet), "--date", f"{YEAR}-12-15")
    demo.cli("activity", "kinds")
    demo.cli("operator", "add", "hexia_sq", "--role", "community", "--scope", str(community_id))
    first, second = here[0], here[min(1, len(here) - 1)]
    demo.cli("--as", "hexia_sq", "activity", "add", str(first["id"]), "--date", f"{YEAR}-12-05",
             "--hours", "3", "--content", "党员奉献日：为独居老人理发", "--rating", "优",
             "--kind", "党员奉献日", "--place", "社区服务中心", "--year", str(YEAR))  # fmt: skip
    demo.cli("--as", "hexia_sq", "activity", "add", str(second["id"]), "--date", f"{YEAR}-12-06",
             "--hours", "20", "--content", "通宵值守防汛", "--rating", "优", "--year", str(YEAR))  # fmt: skip
    demo.cli("--as", "hexia_sq", "activity", "add", str(second["id"]), "--date", f"{YEAR}-12-06",
             "--hours", "6", "--content", "又一次活动", "--rating", "良", "--year", str(YEAR),
             expect=2)  # fmt: skip
    demo.cli("--as", "hexia_sq", "activity", "add", str(first["id"]), "--date", f"{YEAR}-12-07",
             "--hours", "2", "--content", "自报：帮邻居修水管", "--rating", "良", "--self",
             "--year", str(YEAR))  # fmt: skip
    demo.cli("--as", "hexia_sq", "activity", "pending")
    pending = demo.json("--as", "hexia_sq", "activity", "pending")
    demo.cli("--as", "hexia_sq", "activity", "confirm", *[str(p["id"]) for p in pending])

    demo.step("实绩反馈单（附表3）：编号、社区盖章确认、锁定、退回更正、交单位台帐")
    demo.cli("feedback", "sheets", "--community", label, "--year", str(YEAR))
    demo.cli("feedback", "confirm", "--community", label, "--all", "--yes", "--year", str(YEAR),
             "--date", f"{YEAR}-12-18")  # fmt: skip
    sheets = demo.json("feedback", "sheets", "--community", label, "--year", str(YEAR))
    number = sheets[0]["number"]
    demo.cli("--as", "hexia_sq", "activity", "add", str(sheets[0]["member_id"]), "--date",
             f"{YEAR}-12-19", "--hours", "1", "--content", "补记", "--rating", "良",
             "--year", str(YEAR), expect=2)  # fmt: skip
    demo.cli("feedback", "reopen", number, "--reason", "补录 12 月 19 日的活动")
    demo.cli("--as", "hexia_sq", "activity", "add", str(sheets[0]["member_id"]), "--date",
             f"{YEAR}-12-19", "--hours", "1", "--content", "补记：楼道清扫", "--rating", "良",
             "--year", str(YEAR))  # fmt: skip
    demo.cli("feedback", "confirm", number, "--date", f"{YEAR}-12-19")
    unit = sheets[0]["unit_code"]
    demo.cli("feedback", "deliver", "--unit", unit, "--year", str(YEAR), "--date", f"{YEAR}-12-20")
    exports = demo.out / "导出"
    exports.mkdir(exist_ok=True)
    demo.cli("export", "form3", "-o", str(exports / "附表3-实绩反馈单.xlsx"), "--year", str(YEAR),
             "--community", label)  # fmt: skip
    demo.cli("export", "ledger", "-o", str(exports / f"台帐-{unit}.xlsx"), "--unit", unit,
             "--year", str(YEAR))  # fmt: skip

    demo.step("汇总统计：按县区、社区、单位、岗位、月份；先进个人和集体、服务星级、结对共建建议")
    for by in ("district", "community", "unit", "post", "month"):
        demo.cli("feedback", "summary", "--by", by, "--year", str(YEAR))
    demo.cli("feedback", "ranking", "--year", str(YEAR), "--top", "5")
    demo.cli("feedback", "ranking", "--of", "community", "--year", str(YEAR), "--top", "5")
    demo.cli("feedback", "tiers", "--min", "0")
    demo.cli("feedback", "pairing", "--per-unit", "1")


def _write_activities(path: Any, routed: list[dict[str, Any]]) -> None:
    """An instructor's sheet of the year's activities (rows of 附表3 with 姓名 and 联系方式)."""
    rng = random.Random(YEAR)
    start = date(YEAR, 9, 21)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["姓名", "联系方式", "年月日", "服务（活动）内容", "服务地点", "参加人员",
                         "服务时间（小时）", "评价（优/良/一般）", "活动类型"])  # fmt: skip
        for k, member in enumerate(routed):
            if k % 7 == 6:
                continue  # some members have not served yet
            days = sorted(rng.sample(range(80), 1 + k % 5))
            for d in days:
                content, place, kind = CONTENTS[(k + d) % len(CONTENTS)]
                writer.writerow([
                    member["name"], member["phone"], (start + timedelta(days=d)).isoformat(),
                    content, place, "社区党员", str(1 + (k + d) % 4), RATINGS[(k * 3 + d) % 6], kind,
                ])  # fmt: skip
