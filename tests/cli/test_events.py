"""``partyreg event`` end to end on a real SQLite store: announce with a code and a QR code,
members check in (through the facade, as the members' site does) inside the window, close
into activities with the no-shows listed, and the year lock."""

from __future__ import annotations

import getpass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from partyreg_core.errors import ConflictError, NotPermittedError, ValidationError
from partyreg_core.workspace import Workspace
from tests.cli.test_export import route_everyone
from tests.cli.test_import import Cli, registered

HEXIA = "淮安区/淮城街道/河下社区"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = registered(tmp_path, capsys)
    route_everyone(c)
    return c


def site(cli: Cli, at: datetime) -> Workspace:
    """The facade as the members' site uses it, at a fixed time."""
    return Workspace(cli.db, os_user=getpass.getuser(), clock=lambda: at)


def people(cli: Cli) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in cli.json("members", "list")[1]}


def local(text: str) -> datetime:
    """A Beijing time as UTC."""
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def add_event(cli: Cli, *extra: str) -> dict[str, Any]:
    code, out = cli.json("event", "add", HEXIA, "--date", "2014-10-12", "--start", "09:00",
                         "--end", "11:30", "--content", "清理楼道小广告", "--place", "河下古镇",
                         *extra)  # fmt: skip
    assert code == 0, out
    return out  # type: ignore[no-any-return]


def test_an_event_gets_a_code_and_a_qr_code(cli: Cli) -> None:
    png = cli.tmp / "签到码.png"
    event = add_event(cli, "-o", str(png))
    assert len(event["code"]) == 6 and event["code"].isdigit()
    assert (event["start"], event["end"], event["status"]) == ("09:00", "11:30", "open")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert event["code"] in event["qr_text"]
    code, out, _err = cli("event", "show", str(event["id"]), "--qr")
    assert code == 0 and event["code"] in out and "█" in out
    code, listed = cli.json("event", "list", "--community", HEXIA)
    assert [e["id"] for e in listed] == [event["id"]]


def test_the_site_url_goes_into_the_qr_code(cli: Cli) -> None:
    ws = Workspace(cli.db)
    ws.set_setting("web.base_url", "https://dangyuan.example.cn/")
    ws.close()
    event = add_event(cli)
    assert event["qr_text"] == f"https://dangyuan.example.cn/checkin?code={event['code']}"


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        ("25:00", "26:00", "event.time"),
        ("11:00", "09:00", "event.window"),
        ("9点", "10:00", "event.time"),
    ],
)
def test_bad_times_are_refused_with_the_field_named(
    cli: Cli, start: str, end: str, error: str
) -> None:
    code, out = cli.json("event", "add", HEXIA, "--date", "2014-10-12", "--start", start,
                         "--end", end, "--content", "x")  # fmt: skip
    assert code == 2 and out["error"]["code"] == error
    assert cli.json("event", "list")[1] == []


def test_check_in_window_code_and_community_then_close_into_activities(cli: Cli) -> None:
    event = add_event(cli)
    who = people(cli)
    wang, li = who["王建伟"]["id"], who["李娜"]["id"]
    # too early (before 08:30), then a wrong code, then in, then out
    with pytest.raises(ValidationError, match="还没到签到时间") as early:
        site(cli, local("2014-10-12T08:20")).events.check_in(wang, event["code"])
    assert early.value.code == "event.too_early"
    wrong = f"{(int(event['code']) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError) as bad:
        site(cli, local("2014-10-12T08:40")).events.check_in(wang, wrong)
    assert bad.value.code == "event.code"
    done = site(cli, local("2014-10-12T08:40")).events.check_in(wang, event["code"])
    assert done.kind.value == "in"
    with pytest.raises(ConflictError) as again:
        site(cli, local("2014-10-12T08:50")).events.check_in(wang, event["code"])
    assert again.value.code == "event.already_in"
    # full-width digits with spaces are the same code
    fancy = " ".join(chr(0xFF10 + int(d)) for d in event["code"])
    assert site(cli, local("2014-10-12T10:05")).events.check_in(wang, fancy).kind.value == "out"
    with pytest.raises(ValidationError) as late:
        site(cli, local("2014-10-12T11:31")).events.check_in(li, event["code"])
    assert late.value.code == "event.too_late"
    assert (
        site(cli, local("2014-10-12T09:10")).events.check_in(li, event["code"]).kind.value == "in"
    )
    # a member of another community does not see this event: the code is "wrong" for them
    with pytest.raises(ValidationError) as elsewhere:
        site(cli, local("2014-10-12T09:10")).events.check_in(who["赵六"]["id"], event["code"])
    assert elsewhere.value.code == "event.code"
    code, shown = cli.json("event", "show", str(event["id"]))
    assert {a["name"]: a["hours"] for a in shown["attendance"]} == {"王建伟": 1.0, "李娜": 2.5}
    code, closed = cli.json("event", "close", str(event["id"]), "--rating", "优")
    assert code == 0, closed
    assert {a["name"]: a["hours"] for a in closed["attended"]} == {"王建伟": 1.0, "李娜": 2.5}
    hexia = {n for n, m in who.items() if m["community_id"] == shown["community_id"]}
    assert {p["name"] for p in closed["no_shows"]} == hexia - {"王建伟", "李娜"}
    code, acts = cli.json("activity", "list", "--member", str(wang))
    assert [(a["day"], a["hours"], a["content"], a["rating"]) for a in acts] == [
        ("2014-10-12", 1.0, "清理楼道小广告", "优")
    ]
    code, again_closed = cli.json("event", "close", str(event["id"]))
    assert code == 2 and again_closed["error"]["code"] == "event.closed"
    with pytest.raises(ValidationError) as after:  # a closed event takes no check-in
        site(cli, local("2014-10-12T10:00")).events.check_in(li, event["code"])
    assert after.value.code == "event.code"


def test_a_member_who_left_cannot_check_in(cli: Cli) -> None:
    event = add_event(cli)
    wang = people(cli)["王建伟"]["id"]
    ws = Workspace(cli.db)
    ws.members.leave(wang, reason="调离本市", on=date(2014, 10, 1))
    ws.close()
    with pytest.raises(NotPermittedError) as refused:
        site(cli, local("2014-10-12T09:00")).events.check_in(wang, event["code"])
    assert refused.value.code == "event.not_member"
    assert "王建伟" in refused.value.message


def test_an_event_cannot_close_before_it_ends_nor_in_a_closed_year(cli: Cli) -> None:
    event = add_event(cli)
    with pytest.raises(ValidationError) as early:
        site(cli, local("2014-10-12T11:00")).events.close(event["id"])
    assert early.value.code == "event.not_over"
    code, opened = cli.json("year", "open", "2015", "--yes")
    assert code == 0, opened
    code, out = cli.json("event", "close", str(event["id"]))
    assert code == 2 and out["error"]["code"] == "activity.year_closed"
    wang = people(cli)["王建伟"]["id"]
    with pytest.raises(ValidationError) as locked:
        site(cli, local("2014-10-12T09:00")).events.check_in(wang, event["code"])
    assert locked.value.code == "activity.year_closed"
    code, out = cli.json("event", "add", HEXIA, "--date", "2014-11-01", "--start", "09:00",
                         "--end", "10:00", "--content", "x")  # fmt: skip
    assert code == 2 and out["error"]["code"] == "activity.year_closed"
