"""The members' site's check-in page, the member's 附表3 download and ``/verify`` (decisions
0125, 0127, 0128), in-process (Starlette's TestClient) over a real SQLite store."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient

from partyreg_core.workspace import Workspace
from partyreg_web.app import create_app
from partyreg_web.limits import Limit, SiteLimits
from partyreg_web.site import SiteSettings
from tests.cli.test_years import Runner
from tests.web.conftest import ORIGIN, csrf_of, invite, member_id, post_json, sign_in

HEXIA = "淮安区/淮城街道/河下社区"
#: the site's clock: the morning of the event (09:05 in Beijing)
AT = datetime(2014, 10, 12, 1, 5, tzinfo=UTC)


def site_app(run: Runner, limits: SiteLimits | None = None) -> Any:
    settings = SiteSettings(limits=limits or SiteLimits())
    return create_app(lambda: Workspace(run.db, clock=lambda: AT), settings=settings)


@pytest.fixture
def client(run: Runner) -> Iterator[TestClient]:
    with TestClient(site_app(run), base_url=ORIGIN) as c:
        yield c


def add_event(run: Runner, content: str = "清理楼道小广告") -> dict[str, Any]:
    return dict(run.json("event", "add", HEXIA, "--date", "2014-10-12", "--start", "09:00",
                         "--end", "11:30", "--content", content, "--place", "河下古镇"))  # fmt: skip


def check_in_form(client: TestClient, code: str) -> Any:
    page = client.get("/checkin")
    return client.post("/checkin", data={"csrf": csrf_of(page.text), "code": code})


def test_a_member_checks_in_and_out_on_the_page_and_the_event_closes(
    run: Runner, client: TestClient
) -> None:
    event = add_event(run, "<b>清理</b>楼道")
    sign_in(client, invite(run, "王建伟"))
    page = client.get(f"/checkin?code={event['code']}")
    assert page.status_code == 200
    assert "&lt;b&gt;清理&lt;/b&gt;楼道" in page.text and "<b>清理" not in page.text
    assert f'value="{event["code"]}"' in page.text  # the QR code's link fills the code in
    assert event["code"] not in page.text.replace(f'value="{event["code"]}"', "")
    wrong = f"{(int(event['code']) + 1) % 1_000_000:06d}"
    refused = check_in_form(client, wrong)
    assert refused.status_code == 400 and "签到码" in refused.text and "不正确" in refused.text
    done = check_in_form(client, event["code"])
    assert done.status_code == 200 and "签到成功" in done.text and "09:05" in done.text
    again = post_json(client, "/api/me/checkin", {"code": event["code"]})
    assert again.status_code == 201 and again.json()["kind"] == "out"
    closed = run.json("event", "close", str(event["id"]))
    assert [a["name"] for a in closed["attended"]] == ["王建伟"]
    entries = [e for e in run.json("audit") if e["subject"] == f"event:{event['id']}"]
    wang = member_id(run, "王建伟")
    assert {e["actor"] for e in entries if e["action"].startswith("event.check")} == {
        f"member:{wang}"
    }


def test_check_in_needs_a_session_and_is_rate_limited(run: Runner) -> None:
    event = add_event(run)
    limits = SiteLimits(check_in=Limit(2, 600.0))
    with TestClient(site_app(run, limits), base_url=ORIGIN) as c:
        assert c.get("/checkin").status_code == 401
        assert c.post("/api/me/checkin", json={"code": event["code"]}).status_code in (401, 403)
        sign_in(c, invite(run, "李娜"))
        assert check_in_form(c, "000000").status_code == 400
        assert check_in_form(c, "000001").status_code == 400
        limited = check_in_form(c, event["code"])
        assert limited.status_code == 429 and "太频繁" in limited.text


def test_a_cross_origin_check_in_is_refused(run: Runner, client: TestClient) -> None:
    event = add_event(run)
    sign_in(client, invite(run, "王建伟"))
    csrf = csrf_of(client.get("/checkin").text)
    evil = client.post(
        "/checkin",
        data={"csrf": csrf, "code": event["code"]},
        headers={"origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    assert run.json("event", "show", str(event["id"]))["attendance"] == []


def test_the_member_downloads_a_confirmed_form3_only(run: Runner, client: TestClient) -> None:
    run.json("activity", "add", "王建伟", "--date", "2014-10-01", "--hours", "2",
             "--content", "社区法律咨询", "--rating", "优", "--year", "2014")  # fmt: skip
    sign_in(client, invite(run, "王建伟"))
    page = client.get("/me/form3")
    assert (
        page.status_code == 200
        and "待社区确认" in page.text
        and "/me/form3/2014.xlsx" not in page.text
    )
    assert client.get("/me/form3/2014.xlsx").status_code == 404
    run.json("feedback", "confirm", "--community", HEXIA, "--all", "--year", "2014", "--yes")
    page = client.get("/me/form3")
    assert "/me/form3/2014.xlsx" in page.text
    sheets = client.get("/api/me/form3").json()
    assert [(s["year"], s["confirmed"]) for s in sheets] == [(2014, True)]
    got = client.get("/me/form3/2014.xlsx")
    assert got.status_code == 200 and got.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert "attachment" in got.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    cells = {str(c.value) for row in book.active.iter_rows() for c in row if c.value}
    assert any("社区法律咨询" in c for c in cells) and any("王建伟" in c for c in cells)
    assert client.get("/me/form3/abc.xlsx").status_code in (400, 404)
    exports = [e for e in run.json("audit") if e["action"] == "export.form3"]
    assert exports and exports[-1]["actor"] == f"member:{member_id(run, '王建伟')}"


def test_verify_shows_only_name_unit_community_and_date(run: Runner, client: TestClient) -> None:
    wang = member_id(run, "王建伟")
    cert = run.json("certificate", str(wang), "-o", str(run.tmp / "c.pdf"))
    page = client.get("/verify", params={"serial": cert["serial"], "code": cert["check_code"]})
    assert page.status_code == 200 and "核验通过" in page.text
    for shown in ("王建伟", "淮安市市级机关工委", "淮安区淮城街道河下社区", cert["serial"]):
        assert shown in page.text
    assert "13912345678" not in page.text and "科长" not in page.text
    api = client.get("/api/verify", params={"serial": cert["serial"], "code": cert["check_code"]})
    assert api.json()["valid"] is True
    assert set(api.json()) == {"serial", "genuine", "valid", "status", "standing", "kind",
                               "name", "unit", "community", "date"}  # fmt: skip
    bad = client.get("/verify", params={"serial": cert["serial"], "code": "AAAA-AAAA"})
    assert "核验未通过" in bad.text and "王建伟" not in bad.text
    run.json("certificate", str(wang), "--revoke", "--reason", "调离本市")
    revoked = client.get("/verify", params={"serial": cert["serial"], "code": cert["check_code"]})
    assert "已失效" in revoked.text and "调离本市" in revoked.text
    assert client.get("/verify").status_code == 200  # the form alone, for anyone


def test_verify_is_rate_limited_per_client(run: Runner) -> None:
    with TestClient(site_app(run, SiteLimits(verify=Limit(2, 60.0))), base_url=ORIGIN) as c:
        for _ in range(2):
            assert c.get("/verify", params={"serial": "X", "code": "Y"}).status_code == 200
        assert c.get("/verify", params={"serial": "X", "code": "Y"}).status_code == 429
        assert c.get("/verify").status_code == 200  # the empty form is not counted
