"""Demo steps for the community's service: its needs list, publication, post assignment with
the reason for each member, and groups with leaders (``partyreg needs|assign|group``).

Runs after routing (members routed to their communities): it works on the community where most
members registered, for the campaign year 2014.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def run(demo: Any) -> None:
    """Add the steps to ``demo`` (the ``Demo`` of examples/demo.py)."""
    members = demo.json("members", "list")
    assert isinstance(members, list)
    counts = Counter(m["community"] for m in members)
    community, registered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    claims = Counter(p for m in members if m["community"] == community for p in m["posts"])
    wanted = [p for p, _n in sorted(claims.items(), key=lambda kv: (-kv[1], int(kv[0])))][:3]
    posts = [*wanted, *(p for p in ("8", "7") if p not in wanted)]

    demo.step(f"服务需求清单：{community}（{registered} 名党员报到）列出服务项目和岗位，发布")
    purposes = {"8": "义诊和健康讲座", "7": "法律咨询进楼栋", "3": "走访收集社情民意"}
    for i, post in enumerate(posts):
        demo.cli("needs", "add", community, "--post", post, "--people", str(4 + i % 3),
                 "--purpose", purposes.get(post, "社区服务"), "--start", "2014-09-21",
                 "--end", "2014-12-20", show=i == 0)  # fmt: skip
    demo.cli("needs", "publish", community, "--year", "2014", "--date", "2014-09-15")
    exports = demo.out / "导出"
    exports.mkdir(exist_ok=True)
    demo.cli("export", "needs", "-o", str(exports / "社区服务需求清单.xlsx"),
             "--community", community, "--year", "2014")  # fmt: skip

    demo.step("岗位分配：按志愿和特长安排到需求岗位（名额以内），逐人说明理由")
    demo.cli("specialties", "list", show=False)
    demo.cli("assign", "--yes", community, "--year", "2014")

    demo.step(
        "编组：每个岗位分成人数均衡的小组，按规则确定组长（县处级以上优先，再看上年服务时长）"
    )
    demo.cli("group", "--yes", community, "--year", "2014", "--min", "2", "--max", "4")
