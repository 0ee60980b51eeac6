"""The members' site in-process: sign-in by one-time link, the member's own record, writes
through the core's rules, and its security (CSRF, other members' ids, rate limits, escaping,
logs)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from partyreg_core.workspace import Workspace
from partyreg_web.app import create_app
from partyreg_web.limits import Limit, SiteLimits
from partyreg_web.site import SiteSettings
from tests.cli.test_years import Runner
from tests.plugins.notifiers.conftest import RecordingServer, _serve
from tests.web.conftest import (
    ORIGIN,
    api_csrf,
    csrf_of,
    invite,
    make_app,
    member_id,
    post_json,
    sign_in,
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'


def test_healthz_answers_ok(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert (answer.status_code, answer.text) == (200, "ok")


def test_without_a_session_the_api_is_401_and_pages_offer_sign_in(client: TestClient) -> None:
    answer = client.get("/api/me")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "signin.required"
    page = client.get("/me")
    assert page.status_code == 401 and "发送登录链接" in page.text


def test_a_link_signs_in_once_and_shows_the_members_own_record(
    run: Runner, client: TestClient
) -> None:
    token = invite(run, "王建伟")
    # opening the link (a chat app's preview does this) does not use it up
    assert client.get(f"/s/{token}").status_code == 200
    assert client.get(f"/s/{token}").status_code == 200
    cookie = sign_in(client, token).headers["set-cookie"].lower()
    assert cookie.startswith("partyreg_session=") and "httponly" in cookie
    assert "samesite=lax" in cookie and token.lower() not in cookie
    me = client.get("/api/me").json()
    reg = me["registration"]
    assert (reg["name"], reg["phone"], reg["status"]) == ("王建伟", "13912345678", "routed")
    assert [p["code"] for p in reg["posts"]] == ["3", "7"]
    assert me["unit"]["code"] == "008.010" and me["unit"]["name"]
    # the community with its contacts as 附表4 lists them
    community = me["community"]
    assert (community["name"], community["secretary"], community["phone"]) == (
        "河下社区",
        "刘明",
        "0517-85912345",
    )
    assert community["qq_group"] == "123456789" and community["mobile"] == "13912340001"
    assert me["activities"] == [] and me["hours"] == {"confirmed": 0, "pending": 0}
    # used: a second browser gets the refusal, not a session
    with TestClient(make_app(run.db), base_url=ORIGIN) as other:
        page = other.get(f"/s/{token}")
        again = other.post(f"/s/{token}", data={"csrf": csrf_of(page.text)})
        assert again.status_code == 403 and "已经用过" in again.text
        assert other.get("/api/me").status_code == 401


def test_an_expired_link_and_a_made_up_one_are_refused(run: Runner, client: TestClient) -> None:
    wang = member_id(run, "王建伟")
    past = Workspace(run.db, clock=lambda: datetime.now(UTC) - timedelta(hours=25))
    try:
        url = past.signin.invite(wang, send=False).url
    finally:
        past.close()
    token = url.rsplit("/s/", 1)[1]
    page = client.get(f"/s/{token}")
    expired = client.post(f"/s/{token}", data={"csrf": csrf_of(page.text)})
    assert expired.status_code == 403 and "已过期" in expired.text
    made_up = client.post("/s/" + "A" * 43, data={"csrf": csrf_of(page.text)})
    assert made_up.status_code == 403 and "链接无效" in made_up.text
    assert client.get("/api/me").status_code == 401


def test_a_member_who_left_gets_no_link(run: Runner) -> None:
    run.ok("members", "leave", "赵六", "--on", "2014-12-01", "--reason", "调离本市")
    result = run("members", "invite", "赵六", "--json")
    assert result.exception is not None and result.exception.code == "signin.member_left"


def test_another_members_record_is_never_reachable(run: Runner, client: TestClient) -> None:
    sign_in(client, invite(run, "王建伟"))
    wang, li = member_id(run, "王建伟"), member_id(run, "李娜")
    assert client.get(f"/api/members/{wang}").json()["registration"]["name"] == "王建伟"
    for other in (li, 99999, "abc"):
        answer = client.get(f"/api/members/{other}")
        assert answer.status_code == 404
        assert "李娜" not in answer.text
    # nothing the member can send names another member
    post_json(client, "/api/me/activities", {"date": "2014-10-02", "hours": "1",
              "content": "义诊", "member_id": li})  # fmt: skip
    li_activities = Workspace(run.db).feedback.activities(member_id=li)
    assert li_activities == []


def test_a_self_report_is_pending_until_the_community_confirms_it(
    run: Runner, client: TestClient
) -> None:
    sign_in(client, invite(run, "王建伟"))
    made = post_json(
        client,
        "/api/me/activities",
        {"date": "2014-10-02", "hours": "2", "content": "社区义诊", "place": "河下社区"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "pending"
    [activity] = client.get("/api/me").json()["activities"]
    assert (activity["status"], activity["self_reported"]) == ("pending", True)
    assert client.get("/api/me").json()["hours"] == {"confirmed": 0, "pending": 2.0}
    # the community sees it in activity pending, confirms it
    [pending] = run.json("activity", "pending")
    assert (pending["id"], pending["content"]) == (made.json()["id"], "社区义诊")
    run.ok("activity", "confirm", str(pending["id"]))
    me = client.get("/api/me").json()
    assert me["activities"][0]["status"] == "confirmed"
    assert me["hours"] == {"confirmed": 2.0, "pending": 0}
    # a rejected one is shown as such, with the community's reason
    other = post_json(client, "/api/me/activities",
                      {"date": "2014-10-03", "hours": "1", "content": "重复上报"})  # fmt: skip
    run.ok("activity", "reject", str(other.json()["id"]), "--reason", "与10月2日重复")
    rejected = client.get("/api/me").json()["rejected"]
    assert [(r["content"], r["reason"]) for r in rejected] == [("重复上报", "与10月2日重复")]
    assert "与10月2日重复" in client.get("/me").text
    # the audit log names the member as the actor of the report
    entries = run.json("audit", "--action", "activity.record")
    assert {e["actor"] for e in entries} == {f"member:{member_id(run, '王建伟')}"}


def test_the_form_reports_too_and_shows_a_refusal_with_what_was_typed(
    run: Runner, client: TestClient
) -> None:
    sign_in(client, invite(run, "王建伟"))
    page = client.get("/me/activities/new")
    bad = client.post(
        "/me/activities",
        data={
            "csrf": csrf_of(page.text),
            "date": "2014-10-02",
            "hours": "25",
            "content": "打扫楼道",
            "place": "",
        },
    )
    assert bad.status_code == 400 and "超过 24 小时" in bad.text and "打扫楼道" in bad.text
    done = client.post(
        "/me/activities",
        data={
            "csrf": csrf_of(page.text),
            "date": "2014年10月3日",
            "hours": "1.5小时",
            "content": "打扫楼道",
            "place": "3 栋",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "待社区确认" in client.get(done.headers["location"]).text


def test_posts_are_claimed_and_dropped_within_the_rules(run: Runner, client: TestClient) -> None:
    sign_in(client, invite(run, "赵六"))
    page = client.get("/me/posts")
    csrf = csrf_of(page.text)
    client.post("/me/posts", data={"csrf": csrf, "post": "8", "action": "claim"})
    assert run.json("members", "show", "赵六")["posts"] == ["5", "8"]
    client.post("/me/posts", data={"csrf": csrf, "post": "5", "action": "drop"})
    assert run.json("members", "show", "赵六")["posts"] == ["8"]
    # the last post cannot be dropped: the registration rule refuses it, as members edit does
    last = post_json(client, "/api/me/posts", {"post": "8", "action": "drop"})
    cli = run("members", "edit", "赵六", "--posts", "")
    assert last.status_code == 400
    assert last.json()["error"]["code"] == cli.exception.code
    assert run.json("members", "show", "赵六")["posts"] == ["8"]
    unknown = post_json(client, "/api/me/posts", {"post": "999", "action": "claim"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "posts.unknown"


def test_an_open_need_is_public_and_claimed_as_its_post(run: Runner, client: TestClient) -> None:
    hexia = "淮安区/淮城街道/河下社区"
    need = run.json("needs", "add", hexia, "--post", "10", "--people", "2", "--purpose", "助老")
    hidden = run.json("needs", "add", hexia, "--post", "11", "--people", "1", "--purpose", "未发布")
    run.ok("needs", "publish", hexia)
    run.json("needs", "add", hexia, "--post", "12", "--people", "1", "--purpose", "草稿")
    community = client.get(f"/api/communities/{need['community_id']}").json()
    purposes = {n["purpose"] for n in community["needs"]}
    assert "助老" in purposes and "草稿" not in purposes
    page = client.get(f"/communities/{need['community_id']}")
    assert "助老" in page.text and "王建伟" not in page.text and "13912345678" not in page.text
    sign_in(client, invite(run, "王建伟"))
    claimed = post_json(client, f"/api/me/needs/{need['id']}/claim", {})
    assert claimed.status_code == 200 and "10" in claimed.json()["posts"]
    assert hidden["id"] != need["id"]
    # a need of another community is not found
    other = run.json("needs", "add", "淮阴区/王营街道/承德路社区", "--post", "10", "--people", "1")
    run.ok("needs", "publish", "淮阴区/王营街道/承德路社区")
    assert post_json(client, f"/api/me/needs/{other['id']}/claim", {}).status_code == 404


def test_a_change_of_community_goes_through_the_change_request_flow(
    run: Runner, client: TestClient
) -> None:
    sign_in(client, invite(run, "王建伟"))
    made = post_json(
        client, "/api/me/change", {"to": "淮阴区/王营街道/承德路社区", "reason": "搬家"}
    )
    assert made.status_code == 201, made.text
    [request] = run.json("change", "list")
    assert (request["id"], request["status"]) == (made.json()["id"], "pending")
    assert client.get("/api/me/changes").json()[0]["status"] == "pending"
    assert "承德路社区" in client.get("/me/change").text


# -- the rules of issue 15 hold on the site's path ----------------------------------------------


def _refused_the_same(run: Runner, client: TestClient, cli_args: list[str],
                      body: dict[str, str], *, same_text: bool = True) -> None:  # fmt: skip
    cli = run(*cli_args)
    assert cli.exception is not None, cli.output
    site = post_json(client, "/api/me/activities", body)
    error = site.json()["error"]
    assert error["code"] == cli.exception.code
    if same_text:
        assert error["message"] == cli.exception.message
    assert site.status_code in (400, 403, 409)
    written = client.get("/api/me").json()["activities"]
    assert not [a for a in written if a["content"] == body["content"]]


def test_a_closed_year_is_refused_as_the_cli_refuses_it(run: Runner, client: TestClient) -> None:
    sign_in(client, invite(run, "王建伟"))
    run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")
    _refused_the_same(
        run,
        client,
        [
            "activity",
            "add",
            "王建伟",
            "--self",
            "--date",
            "2014-12-01",
            "--hours",
            "1",
            "--content",
            "补录",
            "--rating",
            "良",
        ],
        {"date": "2014-12-01", "hours": "1", "content": "补录"},
    )


def test_more_than_24_hours_a_day_is_refused_as_the_cli_refuses_it(
    run: Runner, client: TestClient
) -> None:
    sign_in(client, invite(run, "王建伟"))
    run.json("activity", "add", "王建伟", "--date", "2014-10-05", "--hours", "20",
             "--content", "值守", "--rating", "优")  # fmt: skip
    _refused_the_same(
        run,
        client,
        [
            "activity",
            "add",
            "王建伟",
            "--self",
            "--date",
            "2014-10-05",
            "--hours",
            "5",
            "--content",
            "再值守",
            "--rating",
            "良",
        ],
        {"date": "2014-10-05", "hours": "5", "content": "再值守"},
    )


def test_a_future_date_is_refused_as_the_cli_refuses_it(run: Runner, client: TestClient) -> None:
    sign_in(client, invite(run, "王建伟"))
    _refused_the_same(
        run,
        client,
        [
            "activity",
            "add",
            "王建伟",
            "--self",
            "--date",
            "2099-01-01",
            "--hours",
            "1",
            "--content",
            "x",
            "--rating",
            "良",
        ],
        {"date": "2099-01-01", "hours": "1", "content": "x"},
        same_text=False,  # the CLI names its option (--date), the site its field
    )


def test_a_member_who_left_is_treated_as_the_cli_treats_them(
    run: Runner, client: TestClient
) -> None:
    sign_in(client, invite(run, "王建伟"))
    run.ok("members", "leave", "王建伟", "--on", "2014-11-01", "--reason", "调离本市")
    # a service before the leaving is still recorded, on both paths alike
    run.ok("activity", "add", "王建伟", "--self", "--date", "2014-10-20", "--hours", "1",
           "--content", "离开前", "--rating", "良")  # fmt: skip
    made = post_json(client, "/api/me/activities",
                     {"date": "2014-10-21", "hours": "1", "content": "离开前二"})  # fmt: skip
    assert made.status_code == 201
    # claiming a post edits 附表1 as members edit does: the same answer
    cli = run("members", "edit", "王建伟", "--posts", "3、7、8")
    site = post_json(client, "/api/me/posts", {"post": "8", "action": "claim"})
    if cli.exception is None:
        assert site.status_code == 200
    else:
        assert site.json()["error"]["code"] == cli.exception.code
    # and no new link signs them in again
    left = run("members", "invite", "王建伟", "--json")
    assert left.exception is not None and left.exception.code == "signin.member_left"


# -- CSRF and origins ---------------------------------------------------------------------------


def _post_routes(app: object) -> list[str]:
    paths = []
    for route in app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and "POST" in (route.methods or ()):
            paths.append(re.sub(r"\{[^}]+\}", "1", route.path))
    return paths


def test_every_write_refuses_a_cross_origin_post(run: Runner) -> None:
    app = make_app(run.db)
    with TestClient(app, base_url=ORIGIN) as client:
        sign_in(client, invite(run, "王建伟"))
        csrf = api_csrf(client)
        paths = _post_routes(app)
        assert {"/me/activities", "/api/me/activities", "/signin", "/s/1"} <= set(paths)
        for path in paths:
            answer = client.post(
                path,
                data={"csrf": csrf, "date": "2014-10-02", "hours": "1", "content": "x"},
                headers={"origin": "https://evil.example", "x-csrf-token": csrf},
            )
            assert answer.status_code == 403, path
            referer = client.post(
                path, data={"csrf": csrf}, headers={"referer": "https://evil.example/page"}
            )
            assert referer.status_code == 403, path
        assert client.get("/api/me").json()["activities"] == []


def test_a_write_without_the_sessions_token_is_refused(run: Runner, client: TestClient) -> None:
    sign_in(client, invite(run, "王建伟"))
    body = {"date": "2014-10-02", "hours": "1", "content": "x"}
    for headers in ({}, {"x-csrf-token": "forged"}):
        answer = client.post(
            "/api/me/activities",
            content=json.dumps(body),
            headers={"content-type": "application/json", **headers},
        )
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf.invalid"
    form = client.post("/me/activities", data={**body, "csrf": "forged"})
    assert form.status_code == 403
    assert client.get("/api/me").json()["activities"] == []


# -- rate limits --------------------------------------------------------------------------------


def test_writes_and_sign_in_attempts_are_rate_limited(run: Runner) -> None:
    limits = SiteLimits(signin=Limit(3, 60), link_request=Limit(2, 600), write=Limit(2, 60))
    with TestClient(make_app(run.db, SiteSettings(limits=limits)), base_url=ORIGIN) as client:
        page = client.get("/signin")
        csrf = csrf_of(page.text)
        for _ in range(2):
            assert client.post("/signin", data={"csrf": csrf, "name": "王建伟",
                                                "phone": "13912345678"}).status_code == 200  # fmt: skip
        limited = client.post("/signin", data={"csrf": csrf, "name": "王建伟", "phone": "1"})
        assert limited.status_code == 429 and "操作太频繁" in limited.text
        for _ in range(2):
            assert client.post("/s/" + "B" * 43, data={"csrf": csrf}).status_code == 403
        sign_in(client, invite(run, "王建伟"))  # the third attempt
        refused = client.post("/s/" + "C" * 43, data={"csrf": csrf})
        assert refused.status_code == 429

        def body(n: int) -> dict[str, str]:
            return {"date": "2014-10-02", "hours": "1", "content": f"第{n}次"}

        assert post_json(client, "/api/me/activities", body(1)).status_code == 201
        assert post_json(client, "/api/me/activities", body(2)).status_code == 201
        third = post_json(client, "/api/me/activities", body(3))
        assert third.status_code == 429 and third.json()["error"]["code"] == "rate.limited"
        assert len(client.get("/api/me").json()["activities"]) == 2


# -- asking for a link -------------------------------------------------------------------------------


@pytest.fixture
def sms() -> Iterator[RecordingServer]:
    yield from _serve(RecordingServer())


def test_a_link_asked_for_on_the_site_is_sent_never_shown(
    run: Runner, client: TestClient, sms: RecordingServer
) -> None:
    run.ok("notify", "channel", "add", "members:008", "--type", "sms", "--set", f"url={sms.url}")
    page = client.get("/signin")
    csrf = csrf_of(page.text)
    answer = client.post("/signin", data={"csrf": csrf, "name": "王建伟", "phone": "139 1234 5678"})
    assert answer.status_code == 200 and "/s/" not in answer.text
    unknown = client.post("/signin", data={"csrf": csrf, "name": "王建伟", "phone": "13900000000"})
    assert unknown.text == answer.text.replace(csrf, csrf)  # the same answer either way
    ws = Workspace(run.db)
    try:
        ws.notify.deliver()
    finally:
        ws.close()
    sent = [r.json() for r in sms.requests]
    assert len(sent) == 1 and sent[0]["phone"] == "13912345678"
    token = re.search(r"/s/([A-Za-z0-9_-]+)", json.dumps(sent[0], ensure_ascii=False))
    assert token is not None
    sign_in(client, token.group(1))
    assert client.get("/api/me").json()["registration"]["name"] == "王建伟"
    # the request is audited as the member's
    links = run.json("audit", "--action", "signin.link")
    assert links[-1]["actor"] == f"member:{member_id(run, '王建伟')}"


# -- escaping, logs, URLs ----------------------------------------------------------------------


def test_what_a_member_types_is_escaped_on_every_page_and_in_the_exports(
    run: Runner, client: TestClient
) -> None:
    sign_in(client, invite(run, "王建伟"))
    made = post_json(client, "/api/me/activities",
                     {"date": "2014-10-02", "hours": "1", "content": "=1+1" + HOSTILE,
                      "place": HOSTILE})  # fmt: skip
    assert made.status_code == 201
    post_json(client, "/api/me/change", {"to": "淮阴区/王营街道/承德路社区", "reason": HOSTILE})
    for path in ("/me", "/me/change", "/me/activities/new", "/me/posts"):
        html = client.get(path).text
        assert "<script>" not in html and "<img src=x" not in html, path
    assert "&lt;script&gt;" in client.get("/me").text
    assert "&lt;script&gt;" in client.get("/me/change").text
    # the exports: the form keeps the text as text (no formula), the CSV too
    run.ok("activity", "confirm", str(made.json()["id"]))
    out = run.tmp / "form3.xlsx"
    run.ok("export", "form3", "--year", "2014", "-o", str(out))
    from openpyxl import load_workbook

    cells = [
        c for ws in load_workbook(out).worksheets for row in ws.iter_rows() for c in row
        if isinstance(c.value, str) and "alert" in c.value
    ]  # fmt: skip
    # a string cell with the quote prefix: shown as typed, never run as a formula
    formula = [c for c in cells if c.value.startswith("=")]
    assert cells and formula and all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in formula)


def test_logs_and_urls_carry_no_personal_data(
    run: Runner, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="partyreg_web")
    token = invite(run, "王建伟")
    sign_in(client, token)
    post_json(client, "/api/me/activities",
              {"date": "2014-10-02", "hours": "1", "content": "义诊", "place": "河下"})  # fmt: skip
    page = client.get("/signin")
    client.post(
        "/signin", data={"csrf": csrf_of(page.text), "name": "李娜", "phone": "13912345679"}
    )
    pages = [client.get(p).text for p in ("/me", "/me/posts", "/me/change", "/me/activities/new")]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /api/me/activities 201" in logged and "GET /me 200" in logged
    for secret in (token, "王建伟", "李娜", "13912345678", "13912345679", "义诊"):
        assert secret not in logged
    for html in pages:
        for url in re.findall(r'(?:href|action)="([^"]+)"', html):
            assert not any(s in url for s in ("王建伟", "13912345678", "河下"))


def test_routers_can_be_added_to_the_app(run: Runner) -> None:
    from starlette.responses import PlainTextResponse

    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("你好")

    app = create_app(lambda: Workspace(run.db), routes=[Route("/hello", hello)])
    with TestClient(app, base_url=ORIGIN) as client:
        answer = client.get("/hello")
        assert answer.text == "你好" and answer.headers["x-frame-options"] == "DENY"


def test_a_members_workspace_acts_as_the_member_in_every_feature(run: Runner) -> None:
    """The members' site's workspace (``for_member``) shares what was read once, never a
    feature service bound to the operator who made it."""
    wang = member_id(run, "王建伟")
    ws = Workspace(run.db)
    try:
        made = {name: getattr(ws, name) for name in ("routing", "notify", "members", "wishes")}
        child = ws.for_member(wang)
        for name, service in made.items():
            mine = getattr(child, name)
            assert mine is not service, name
            assert mine.actor().member == wang, name
        assert ws.routing.actor().member is None
    finally:
        ws.close()
