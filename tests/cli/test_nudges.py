"""``partyreg notify plan|nudge|optout|optin|nudges`` as operators run them on a real SQLite
store: the day's plan with each message's target (nothing written), queueing it once, opting
out, the settings (city only), and ``notify flush`` sending through a real local SMTP server
and a real local SMS gateway."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from partyreg_core.workspace import Workspace
from tests.cli.test_export import route_everyone
from tests.cli.test_import import Cli, registered
from tests.plugins.notifiers.conftest import RecordingServer, _serve
from tests.plugins.notifiers.conftest import smtp_server as smtp_server  # the fixture

HEXIA = "淮安区/淮城街道/河下社区"


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    yield from _serve(RecordingServer())


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    config = tmp_path / "partyreg.toml"
    config.write_text("[notify]\ndeliver_immediately = false\n", "utf-8")
    monkeypatch.setenv("PARTYREG_CONFIG", str(config))
    c = registered(tmp_path, capsys)
    route_everyone(c)
    # a need starting 2014-10-06 and the members assigned to its post
    assert c.json("needs", "add", HEXIA, "--post", "3", "--people", "2", "--purpose",
                  "法律咨询", "--start", "2014-10-06")[0] == 0  # fmt: skip
    assert c("assign", HEXIA, "--year", "2014", "--yes")[0] == 0
    assert c.json("wishes", "add", HEXIA, "--title", "修理水管", "--resident", "李大爷",
                  "--phone", "13912340088", "--date", "2014-10-02")[0] == 0  # fmt: skip
    return c


def people(cli: Cli) -> dict[str, int]:
    return {m["name"]: m["id"] for m in cli.json("members", "list")[1]}


def test_the_plan_says_what_goes_to_whom_and_writes_nothing(cli: Cli) -> None:
    before = cli.json("notify", "list")[1]
    code, plan = cli.json("notify", "plan", "--on", "2014-10-05")
    assert code == 0 and plan["on"] == "2014-10-05" and plan["at"].startswith("2014-10-05T09:00")
    kinds = {(m["kind"], m["target"]) for m in plan["messages"]}
    hexia = Workspace(cli.db).community(HEXIA).id
    assert ("wish_unclaimed", f"community:{hexia}") in kinds
    assigned = {m["target"] for m in plan["messages"] if m["kind"] == "need_tomorrow"}
    assert assigned and all(t.startswith("member:") for t in assigned)
    assert all(m["status"] == "send" and m["subject"] and m["body"] for m in plan["messages"])
    assert "李大爷" not in str(plan) and "13912340088" not in str(plan)
    assert cli.json("notify", "list")[1] == before
    code, out, _ = cli("notify", "plan", "--on", "2014-10-05")
    assert code == 0 and "微心愿待认领" in out and "明日服务提醒" in out


def test_nudge_dry_run_then_once_and_opt_outs(cli: Cli) -> None:
    ids = people(cli)
    code, dry = cli.json("notify", "nudge", "--on", "2014-10-05", "--dry-run")
    assert code == 0 and dry["dry_run"] is True
    assert cli.json("notify", "list")[1]["messages"] == []
    code, out, err = cli("notify", "nudge", "--on", "2014-10-05")  # no terminal, no --yes
    assert code == 2 and "--yes" in err
    member = next(m for m in dry["messages"] if m["kind"] == "need_tomorrow")["member_id"]
    assert cli.json("notify", "optout", str(member))[1]["opted_out"] == ["*"]
    code, plan = cli.json("notify", "plan", "--on", "2014-10-05")
    mine = [m for m in plan["messages"] if m["member_id"] == member]
    assert mine and {m["status"] for m in mine} == {"opted_out"}
    code, done = cli.json("notify", "nudge", "--on", "2014-10-05", "--yes")
    assert code == 0 and done["outbox_ids"]
    assert cli.json("notify", "nudge", "--on", "2014-10-05", "--yes")[1]["outbox_ids"] == []
    assert cli.json("notify", "optin", str(member))[0] == 0
    _, log = cli.json("audit", "--action", "notify.optout")
    assert log[-1]["subject"] == f"member:{member}"
    code, out = cli.json("notify", "optout", str(ids["王建伟"]), "--kind", "天天提醒")
    assert code == 2 and out["error"]["code"] == "nudge.setting"


def test_settings_are_the_citys(cli: Cli) -> None:
    code, shown = cli.json("notify", "nudges")
    assert code == 0 and "quiet=21:00-08:00" in shown["settings"]
    code, shown = cli.json("notify", "nudges", "cap=1", "quiet=22:00-07:30", "digest=周日")
    assert code == 0 and {"cap=1", "quiet=22:00-07:30", "digest=周日"} <= set(shown["settings"])
    code, out = cli.json("notify", "nudges", "cap=99")
    assert code == 2 and out["error"]["code"] == "nudge.setting"
    hexia = Workspace(cli.db).community(HEXIA).id
    assert cli("operator", "add", "sq", "--role", "community", "--scope", str(hexia))[0] == 0
    code, out = cli.json("--as", "sq", "notify", "nudges", "cap=3")
    assert code == 2 and out["error"]["code"] == "nudge.settings_denied"
    # cap=1: a member with two nudges that day gets the more urgent one
    code, plan = cli.json("notify", "plan", "--on", "2014-10-05")
    statuses = [m["status"] for m in plan["messages"]]
    assert "send" in statuses


def test_flush_sends_through_real_smtp_and_sms_servers(
    cli: Cli, http_server: RecordingServer, smtp_server: Any
) -> None:
    server = smtp_server("plain")
    hexia = Workspace(cli.db).community(HEXIA).id
    assert cli("notify", "channel", "add", f"community:{hexia}", "--type", "smtp",
               "--set", "host=127.0.0.1", "--set", f"port={server.port}",
               "--set", "security=none", "--set", "from=partyreg <noreply@example.gov.cn>",
               "--set", "to=hexia@example.gov.cn")[0] == 0  # fmt: skip
    assert cli("notify", "channel", "add", "members:008", "--type", "sms",
               "--set", f"url={http_server.url}/sms")[0] == 0  # fmt: skip
    assert cli.json("notify", "nudge", "--on", "2014-10-05", "--yes")[0] == 0
    code, report = cli.json("notify", "flush", "--yes")
    assert code == 0, report
    assert report["sent"] >= 2 and report["failed"] == 0, report
    mails = [message_from_bytes(e.original_content) for e in server.inbox.envelopes]
    subjects = [str(make_header(decode_header(m["Subject"]))) for m in mails]
    assert any("微心愿待认领" in s for s in subjects), subjects
    texts = [r.json() for r in http_server.requests]
    assert texts and all(t["phone"].isdigit() and len(t["phone"]) == 11 for t in texts)
    assert any("法律咨询" in t["text"] for t in texts)
