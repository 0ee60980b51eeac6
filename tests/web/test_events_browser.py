"""Check-in, the 附表3 download and ``/verify`` in a real browser: Debian's Chromium
(``/usr/bin/chromium``) driven by Playwright, the app under uvicorn on a free loopback port,
a phone-sized page without JavaScript. The pages are also saved at 390×844 into ``docs/web/``
(``PARTYREG_SCREENSHOTS=1``) — what the documentation shows is what this test saw."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from partyreg_core.workspace import Workspace
from partyreg_web.app import create_app
from tests.cli.test_years import Runner
from tests.web.conftest import Served, invite, member_id

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "web"
HEXIA = "淮安区/淮城街道/河下社区"
AT = datetime(2014, 10, 12, 1, 5, tzinfo=UTC)  # 09:05 in Beijing, during the event

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
    with Served(create_app(lambda: Workspace(run.db, clock=lambda: AT))) as served:
        yield served


def _phone(browser: Any) -> Any:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        locale="zh-CN",
        java_script_enabled=False,
        accept_downloads=True,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0",
    )
    return context.new_page()


def _shot(page: Any, name: str) -> None:
    if os.environ.get("PARTYREG_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / name))


def test_check_in_download_form3_and_verify_a_certificate(
    run: Runner, site: Served, browser: Any, tmp_path: Path
) -> None:
    event = run.json("event", "add", HEXIA, "--date", "2014-10-12", "--start", "09:00",
                     "--end", "11:30", "--content", "清理楼道小广告", "--place", "河下古镇3号楼")  # fmt: skip
    run.json("activity", "add", "王建伟", "--date", "2014-10-01", "--hours", "2",
             "--content", "社区法律咨询", "--rating", "优", "--year", "2014")  # fmt: skip
    run.json("feedback", "confirm", "--community", HEXIA, "--all", "--year", "2014", "--yes")
    page = _phone(browser)
    page.goto(f"{site.url}/s/{invite(run, '王建伟')}")
    page.get_by_role("button", name="登录").click()
    # check in: the event of the day is listed, the code entered
    page.get_by_role("link", name="签到", exact=True).click()
    assert "清理楼道小广告" in page.locator("main").inner_text()
    page.get_by_label("签到码").fill(event["code"])
    _shot(page, "checkin.png")
    page.get_by_role("button", name="签到").click()
    assert "签到成功" in page.locator(".notice").inner_text()
    shown = run.json("event", "show", str(event["id"]))
    assert [a["name"] for a in shown["attendance"]] == ["王建伟"]
    # the confirmed 附表3 of 2014
    page.get_by_role("link", name="反馈单", exact=True).click()
    _shot(page, "form3.png")
    with page.expect_download() as caught:
        page.get_by_role("link", name="下载 2014 年反馈单").click()
    saved = tmp_path / "form3.xlsx"
    caught.value.save_as(saved)
    cells = {str(c.value) for r in openpyxl.load_workbook(saved).active.iter_rows() for c in r}
    assert any("社区法律咨询" in c for c in cells)
    # anyone verifies a certificate (a fresh page, no session)
    cert = run.json("certificate", str(member_id(run, "王建伟")), "-o", str(tmp_path / "c.pdf"))
    other = _phone(browser)
    other.goto(f"{site.url}/verify")
    other.get_by_label("编号").fill(cert["serial"])
    other.get_by_label("校验码").fill(cert["check_code"].lower())
    other.get_by_role("button", name="核验").click()
    text = other.locator("main").inner_text()
    assert "核验通过" in text and "王建伟" in text and "淮安区淮城街道河下社区" in text
    _shot(other, "verify.png")
