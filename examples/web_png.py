"""Screenshots of the members' site as a phone shows it (``make web-png``): 390×844, Debian's
Chromium through Playwright, over a copy of the demo's store.

One demo member signs in with a one-time link, self-reports an activity (the community confirms
another), and every page is saved as ``docs/web/NAME.png``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time as clock
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from playwright.sync_api import Page, sync_playwright

from partyreg_core.members.model import MemberQuery, MemberStatus
from partyreg_core.workspace import Workspace
from partyreg_web.app import create_app

VIEWPORT = {"width": 390, "height": 844}


def _serve(db: str, port: int) -> uvicorn.Server:
    app = create_app(lambda: Workspace(db))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(500):
        if server.started:
            return server
        clock.sleep(0.01)
    raise SystemExit("web-png: the site did not start")


def _prepare(db: str) -> tuple[int, int | None, str, int, dict[str, str]]:
    """A reported-in member with a community, one confirmed activity of the campaign year and
    a published need there, an event of the community today and the member's report-in
    certificate; returns the member, the community, a sign-in link's path, the year and the
    event's code with the certificate's serial and check code."""
    ws = Workspace(db)
    try:
        year = ws.default_year()
        members = list(ws.members.iter(MemberQuery(status=MemberStatus.REPORTED_IN)))
        member = next(m for m in members if m.community_id is not None)
        ws.feedback.record_activity(
            member.id, date(year, 3, 5), "学雷锋志愿服务：为社区老人测量血压", 2, "优",
            place="社区卫生服务站", year=year,
        )  # fmt: skip
        assert member.community_id is not None
        if not [n for n in ws.service.needs(member.community_id, year=year) if n.published_on]:
            ws.service.add_need(
                member.community_id, "4", 3, purpose="为独居老人代购生活用品", year=year
            )
            ws.service.add_need(member.community_id, "14", 2, purpose="文明养犬宣传", year=year)
            ws.service.publish_needs(member.community_id, year=year)
        url = ws.signin.invite(member.id, send=False).url
        now = ws.now().astimezone(ZoneInfo("Asia/Shanghai"))
        start = max(now - timedelta(minutes=20), now.replace(hour=0, minute=0))
        end = min(now + timedelta(hours=2), now.replace(hour=23, minute=59))
        event = ws.events.add(
            str(member.community_id), ws.today(), time(start.hour, start.minute),
            time(end.hour, end.minute), "党员奉献日：清理楼道小广告", place="社区活动室",
        )  # fmt: skip
        _cert, document, code = ws.report_in_certificate(member.id)
        # a member whose 附表3 of an earlier year is confirmed, for the download page
        stamped = [
            i.member_id for y in (year - 1, year) for i in ws.feedback.sheets(y) if i.confirmed_on
        ]
        other = ws.signin.invite(stamped[0] if stamped else member.id, send=False).url
        papers = {"code": event.code, "serial": document.serial, "check": code,
                  "form3": other.split("://", 1)[1].split("/", 1)[1]}  # fmt: skip
        path = url.split("://", 1)[1].split("/", 1)[1]
        return member.id, member.community_id, path, year, papers
    finally:
        ws.close()


def _shot(page: Page, out: Path, name: str) -> None:
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    print(f"web-png: {out / name}.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, required=True, help="a demo's output folder")
    parser.add_argument("--out", type=Path, default=Path("docs/web"))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)
    work = args.demo / "web"
    work.mkdir(exist_ok=True)
    shutil.copy(args.demo / "partyreg.db", work / "partyreg.db")
    db = f"sqlite:///{work / 'partyreg.db'}"
    _member, community, link, year, papers = _prepare(db)
    server = _serve(db, args.port)
    base = f"http://127.0.0.1:{args.port}"
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            context = browser.new_context(
                viewport=VIEWPORT, locale="zh-CN", java_script_enabled=False
            )
            page = context.new_page()
            page.goto(f"{base}/signin")
            _shot(page, args.out, "signin")
            page.get_by_label("姓名").fill("张三")
            page.get_by_label("登记的手机号").fill("13900000000")
            page.get_by_role("button", name="发送登录链接").click()
            _shot(page, args.out, "link-sent")
            page.goto(f"{base}/{link}")
            _shot(page, args.out, "link")
            page.get_by_role("button", name="登录").click()
            page.goto(f"{base}/me/activities/new")
            page.get_by_label("服务时间（小时）").fill("26")
            page.get_by_label("活动内容").fill("清理楼道小广告")
            page.get_by_role("button", name="提交").click()
            _shot(page, args.out, "activity-refused")
            page.get_by_label("日期").fill(f"{year}-12-01")
            page.get_by_label("服务时间（小时）").fill("1.5")
            page.get_by_label("地点").fill("3 号楼")
            page.get_by_role("button", name="提交").click()
            _shot(page, args.out, "me")
            page.goto(f"{base}/me/activities/new")
            _shot(page, args.out, "activity")
            page.goto(f"{base}/me/posts")
            _shot(page, args.out, "posts")
            page.goto(f"{base}/me/change")
            _shot(page, args.out, "change")
            page.goto(f"{base}/communities/{community}")
            _shot(page, args.out, "community")
            page.goto(f"{base}/checkin?code={papers['code']}")
            _shot(page, args.out, "checkin")
            page.get_by_role("button", name="签到").click()
            _shot(page, args.out, "checkin-done")
            stamped = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
            stamped.goto(f"{base}/{papers['form3']}")
            stamped.get_by_role("button", name="登录").click()
            stamped.goto(f"{base}/me/form3")
            _shot(stamped, args.out, "form3")
            page.goto(f"{base}/verify?serial={papers['serial']}&code={papers['check']}")
            _shot(page, args.out, "verify")
            other = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
            other.goto(f"{base}/{link}")
            other.get_by_role("button", name="登录").click()
            _shot(other, args.out, "link-used")
            browser.close()
    finally:
        server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
