"""A member claims a resident's wish on the members' site: the open wishes of the member's own
community are listed without the resident's name or phone, the claim goes through the same
rules as ``wishes claim``, and the wish is then the member's (page and ``/api/``)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.cli.test_years import Runner
from tests.web.conftest import api_csrf, csrf_of, invite, member_id, post_json, sign_in

HEXIA = "淮安区/淮城街道/河下社区"
CHENGDE = "淮阴区/王营街道/承德路社区"


def _wish(run: Runner, community: str, title: str) -> int:
    out = run.json("wishes", "add", community, "--title", title, "--resident", "王大妈",
                   "--phone", "13912340077", "--date", "2014-10-01")  # fmt: skip
    return int(out["id"])


def test_a_member_claims_an_open_wish_of_their_community(run: Runner, client: TestClient) -> None:
    mine = _wish(run, HEXIA, "帮独居老人换灯泡")
    elsewhere = _wish(run, CHENGDE, "陪老人聊天")
    sign_in(client, invite(run, "王建伟"))
    page = client.get("/me")
    assert page.status_code == 200
    assert "帮独居老人换灯泡" in page.text and "陪老人聊天" not in page.text
    assert "王大妈" not in page.text and "13912340077" not in page.text
    record = client.get("/api/me").json()
    assert [w["id"] for w in record["open_wishes"]] == [mine]
    assert "王大妈" not in str(record) and "13912340077" not in str(record)
    # another community's wish is not found for this member
    assert post_json(client, f"/api/me/wishes/{elsewhere}/claim", {}).status_code == 404
    done = client.post(
        f"/me/wishes/{mine}/claim", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/me?done=wish"
    record = client.get("/api/me").json()
    assert record["open_wishes"] == [] and record["points"] == 0
    assert [(w["id"], w["status"]) for w in record["my_wishes"]] == [(mine, "claimed")]
    listed = run.json("wishes", "list", "--status", "claimed")
    assert [(w["id"], w["member_id"]) for w in listed] == [(mine, member_id(run, "王建伟"))]
    log = run.json("audit", "--action", "wish.claim")
    assert log[-1]["actor"] == f"member:{member_id(run, '王建伟')}"
    # claimed already: a second claim is refused, nothing changes
    again = post_json(client, f"/api/me/wishes/{mine}/claim", {})
    assert again.status_code == 404 and again.json()["error"]["code"] == "wish.not_found"


def test_claiming_needs_the_csrf_token(run: Runner, client: TestClient) -> None:
    wish = _wish(run, HEXIA, "代买药品")
    sign_in(client, invite(run, "王建伟"))
    api_csrf(client)
    refused = client.post(f"/me/wishes/{wish}/claim", data={"csrf": "wrong"})
    assert refused.status_code == 403
    assert run.json("wishes", "list", "--status", "open")[0]["id"] == wish


def test_in_a_real_browser_the_member_presses_claim(run: Runner, tmp_path: Any) -> None:
    import os
    import shutil

    import pytest

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium installed (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import Served, make_app

    _wish(run, HEXIA, "帮独居老人换灯泡")
    token = invite(run, "王建伟")
    with Served(make_app(run.db)) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_context(
                viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
            ).new_page()
            page.goto(f"{site.url}/s/{token}")
            page.get_by_role("button", name="登录").click()
            section = page.locator("section", has_text="居民微心愿")
            assert "帮独居老人换灯泡" in section.inner_text()
            assert "王大妈" not in page.content()
            shot = os.environ.get("PARTYREG_SHOT_DIR")
            if shot:
                section.screenshot(path=f"{shot}/wishes-before.png")
            section.get_by_role("button", name="认领").click()
            assert page.url.endswith("/me?done=wish")
            section = page.locator("section", has_text="居民微心愿")
            assert "已认领" in section.inner_text()
            if shot:
                page.screenshot(path=f"{shot}/wishes-after.png", full_page=True)
        finally:
            browser.close()
