"""The members' site in a real browser: Debian's Chromium (``/usr/bin/chromium``) driven by
Playwright, the app under uvicorn on a free loopback port. Skips, saying why, only where no
Chromium is installed (``.ci/run`` installs it)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.test_years import Runner
from tests.web.conftest import Served, invite, make_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (apt-get install chromium; .ci/run does)"
)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def site(run: Runner) -> Iterator[Served]:
    with Served(make_app(run.db)) as served:
        yield served


def _phone(browser: Any) -> Any:
    """A phone-sized page, as WeChat's in-app browser shows the site."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        locale="zh-CN",
        java_script_enabled=False,  # the site works without JavaScript
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0",
    )
    return context.new_page()


def test_a_member_signs_in_reports_claims_and_sees_the_confirmation(
    run: Runner, site: Served, browser: Any
) -> None:
    page = _phone(browser)
    token = invite(run, "王建伟")
    page.goto(f"{site.url}/s/{token}")
    page.get_by_role("button", name="登录").click()
    assert page.url == f"{site.url}/me"
    assert page.locator("h1").inner_text() == "王建伟"
    body = page.locator("main").inner_text()
    assert "河下社区" in body and "刘明" in body and "0517-85912345" in body
    assert "社情民意收集岗" in body
    # self-report an activity
    page.get_by_role("link", name="自报活动").first.click()
    page.get_by_label("日期").fill("2014-10-02")
    page.get_by_label("服务时间（小时）").fill("2")
    page.get_by_label("活动内容").fill("为居民讲解法律常识")
    page.get_by_label("地点").fill("河下社区活动室")
    page.get_by_role("button", name="提交").click()
    assert page.url.endswith("/me?done=reported")
    assert "待社区确认" in page.locator("main").inner_text()
    # claim a post
    page.get_by_role("link", name="岗位", exact=True).click()
    row = page.locator("li", has_text="环境卫生保洁岗")
    row.get_by_role("button", name="认领").click()
    assert "已认领" in page.locator("li", has_text="环境卫生保洁岗").inner_text()
    assert run.json("members", "show", "王建伟")["posts"] == ["3", "7", "9"]
    # the community confirms it in the CLI; the member sees it counted
    [pending] = run.json("activity", "pending")
    run.ok("activity", "confirm", str(pending["id"]))
    page.goto(f"{site.url}/me")
    text = page.locator("main").inner_text()
    assert "已确认" in text and "待社区确认" not in text
    assert page.locator(".hours strong").inner_text() == "2"


def test_a_used_link_shows_why_in_the_browser(run: Runner, site: Served, browser: Any) -> None:
    token = invite(run, "李娜")
    first = _phone(browser)
    first.goto(f"{site.url}/s/{token}")
    first.get_by_role("button", name="登录").click()
    second = _phone(browser)
    second.goto(f"{site.url}/s/{token}")
    second.get_by_role("button", name="登录").click()
    assert "已经用过" in second.locator("main").inner_text()
    second.goto(f"{site.url}/me")
    assert "发送登录链接" in second.locator("main").inner_text()
