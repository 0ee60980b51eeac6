"""Demo step: the members' site — a one-time sign-in link for one demo member, and how to
start the site (``partyreg serve``).

``run(demo)`` is called by ``demo.py``; the link comes from ``partyreg members invite``.
"""

from __future__ import annotations

from typing import Any


def pick_member(demo: Any) -> dict[str, Any]:
    """A member who reported in at a community (else any routed member)."""
    members = demo.json("members", "list")
    assert isinstance(members, list) and members
    for status in ("reported_in", "routed"):
        found = [m for m in members if m["status"] == status and m["community_id"]]
        if found:
            return dict(found[0])
    return dict(members[0])


def run(demo: Any) -> None:
    """The step; ``demo`` is demo.py's ``Demo``."""
    demo.step("党员服务网站：给一名党员发一次性登录链接，党员在手机上查看登记、自报活动、认领岗位")
    member = pick_member(demo)
    made = demo.json("members", "invite", str(member["id"]), "--no-send")
    assert isinstance(made, dict)
    print(f"  {member['name']}（编号 {member['id']}，{member['community']}）的登录链接：")
    print(f"  {made['url']}")
    print("  启动网站（另开一个终端）：")
    print(f"  partyreg --db {demo.db} serve --port 8000")
    print("  然后在浏览器打开上面的链接，点“登录”（链接只能用一次，24 小时内有效）。")
