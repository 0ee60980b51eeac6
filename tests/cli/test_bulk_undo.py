"""Issue 15: every bulk command writes one batch that ``partyreg undo BATCH --reason …`` takes
back in one step — as far as it can be taken back: messages already sent cannot be recalled,
and anonymising cannot be undone at all (said before it runs, and by the undo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from partyreg_cli.commands.notify import UNSENDABLE
from partyreg_core.batches import RETENTION_IRREVERSIBLE
from partyreg_core.errors import PartyregError
from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.store import SqlStore
from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, write_xlsx
from tests.cli.test_notify import EVENT_AT, _fire_routed, _setup, call
from tests.cli.test_notify import db as db  # the fixtures
from tests.cli.test_notify import http_server as http_server
from tests.cli.test_rules import HEXIA, refusal
from tests.cli.test_rules import run as run  # the fixture
from tests.cli.test_years import Runner
from tests.plugins.notifiers.conftest import RecordingServer
from tests.plugins.storage import support
from tests.plugins.storage.support import dump_store

#: What an undo leaves changed on purpose: the batch marked undone, its journal, the log.
BOOKKEEPING = ("import_batches", "batch_rows", "audit_log")


def dump(run: Runner) -> dict[str, list[str]]:
    store = SqlStore(run.db)
    try:
        return dump_store(store, leave_out=BOOKKEEPING)
    finally:
        store.close()


def undone(run: Runner, batch: str) -> dict[str, object]:
    result: dict[str, object] = run.json("undo", batch, "--reason", "操作错了")
    assert refusal(run, "undo", batch, "--reason", "再撤一次").code == "batch.undone"
    return result


def batch_kind(run: Runner, batch: str) -> str:
    [kind] = [b["kind"] for b in run.json("import", "list") if b["id"] == batch]
    return str(kind)


def test_assign_and_group_are_each_one_batch_that_undo_takes_back(run: Runner) -> None:
    run.ok("needs", "add", HEXIA, "--post", "3", "--people", "2", "--purpose", "普法",
           "--year", "2014")  # fmt: skip
    first = run.json("assign", HEXIA, "--year", "2014", "--yes")
    assert first["assigned"] == 1 and batch_kind(run, first["batch_id"]) == "assign"
    before = dump(run)
    # a second assignment replaces the first; its undo brings the first back exactly
    run.ok("needs", "add", HEXIA, "--post", "8", "--people", "1", "--purpose", "义诊",
           "--year", "2014")  # fmt: skip
    with_needs = dump(run)
    second = run.json("assign", HEXIA, "--year", "2014", "--yes")
    assert dump(run) != with_needs
    grouped = run.json("group", HEXIA, "--year", "2014", "--yes")
    assert grouped["groups"] and batch_kind(run, grouped["batch_id"]) == "group"
    # each undo in turn, the latest first
    assert refusal(run, "undo", first["batch_id"], "--reason", "错了").code == "batch.in_use"
    assert undone(run, grouped["batch_id"])["kind"] == "group"
    assert undone(run, second["batch_id"])["kind"] == "assign"
    assert dump(run) == with_needs
    assert undone(run, first["batch_id"])["removed"] == 1
    after = dump(run)
    assert after["assignments"] == [] and before["assignments"]
    assert {k: v for k, v in after.items() if k != "assignments"} == {
        k: v for k, v in with_needs.items() if k != "assignments"
    }


def test_an_undo_is_refused_once_the_rows_changed_since(run: Runner) -> None:
    run.ok("needs", "add", HEXIA, "--post", "3", "--people", "2", "--purpose", "普法",
           "--year", "2014")  # fmt: skip
    first = run.json("assign", HEXIA, "--year", "2014", "--yes")
    run.json("assign", HEXIA, "--year", "2014", "--yes")  # replaces the rows the first wrote
    blocked = refusal(run, "undo", first["batch_id"], "--reason", "错了")
    assert blocked.code == "batch.in_use"
    assert "岗位分配" in blocked.message and "partyreg undo" in blocked.message


def test_route_is_one_batch_that_undo_takes_back(tmp_path: Path) -> None:
    r = Runner(tmp_path)
    r.ok("init")
    r.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)), "--date", "2014-08-20")
    r.json("import", str(write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])),
           "--date", "2014-08-28")  # fmt: skip
    before = dump(r)
    assert {m["status"] for m in r.json("members", "list")} == {"registered"}
    routed = r.json("route", "--on", "2014-09-05", "--yes")
    assert routed["routed"] == 3 and batch_kind(r, routed["batch_id"]) == "route"
    assert {m["status"] for m in r.json("members", "list")} == {"routed"}
    result = undone(r, routed["batch_id"])
    assert (result["removed"], result["restored"]) == (3, 3)  # their routes, the members
    assert dump(r) == before
    # routed again and reported in: the route's undo is refused (built on)
    again = r.json("route", "--on", "2014-09-05", "--yes")
    r.json("report-in", "confirm", "--community", HEXIA, "--all", "--yes")
    assert refusal(r, "undo", again["batch_id"], "--reason", "错了").code == "batch.in_use"


def test_year_open_is_one_batch_that_undo_takes_back_until_the_year_holds_data(
    run: Runner,
) -> None:
    before = dump(run)
    opened = run.json("year", "open", "2015", "--date", "2014-12-28", "--yes")
    assert opened["closed_years"] == [2014] and batch_kind(run, opened["batch_id"]) == "year"
    text = run.ok("year", "list")
    assert "2015" in text
    assert undone(run, opened["batch_id"])["kind"] == "year"
    assert dump(run) == before
    assert run.json("year", "list") == []
    # opened again, with an activity in it: the undo is refused, saying why
    again = run.json("year", "open", "2015", "--date", "2014-12-28", "--yes")
    run.ok("activity", "add", "王建伟", "--date", "2015-01-05", "--hours", "1",
           "--content", "慰问", "--rating", "优")  # fmt: skip
    blocked = refusal(run, "undo", again["batch_id"], "--reason", "错了")
    assert blocked.code == "batch.in_use" and "活动记录" in blocked.message


def test_progress_remind_is_one_batch_whose_undo_withdraws_the_reminders_not_sent(
    run: Runner,
) -> None:
    before = dump(run)
    reminded = run.json("progress", "remind", "--days", "30", "--on", "2014-09-01",
                        "--year", "2014", "--yes")  # fmt: skip
    assert reminded["reminders"] and reminded["batch_id"]
    assert batch_kind(run, reminded["batch_id"]) == "remind"
    queued = sum(reminded["queued"].values())
    assert queued and len(dump(run)["outbox"]) == queued
    result = undone(run, reminded["batch_id"])
    assert (result["removed"], result["unrecalled"]) == (queued, 0)
    assert dump(run) == before
    # the same reminder may be queued again once withdrawn (its key is free)
    again = run.json("progress", "remind", "--days", "30", "--on", "2014-09-01",
                     "--year", "2014", "--yes")  # fmt: skip
    assert sum(again["queued"].values()) == queued and again["queued"]["duplicate"] == 0


def test_retention_says_first_that_it_cannot_be_undone_and_undo_refuses_it(
    run: Runner,
) -> None:
    run.ok("members", "leave", "赵六", "--on", "2015-06-01", "--reason", "调离本市")
    preview = run.ok("retention", "run", "--on", "2030-01-01", "--dry-run")
    assert RETENTION_IRREVERSIBLE in preview and "试运行" in preview
    assert preview.index(RETENTION_IRREVERSIBLE) < preview.index("试运行")
    done = run.json("retention", "run", "--on", "2030-01-01", "--yes")
    assert done["members"] == 1 and done["undoable"] is False
    assert batch_kind(run, done["batch_id"]) == "retention"
    after = dump(run)
    refused = refusal(run, "undo", done["batch_id"], "--reason", "搞错了")
    assert refused.code == "batch.irreversible"
    assert RETENTION_IRREVERSIBLE in refused.message and "1 名党员" in refused.message
    assert dump(run) == after


def test_a_retention_without_a_terminal_says_it_cannot_be_undone(run: Runner) -> None:
    run.ok("members", "leave", "赵六", "--on", "2015-06-01", "--reason", "调离本市")
    run.ok("members", "leave", "李娜", "--on", "2015-06-01", "--reason", "调离本市")
    result = run("retention", "run", "--on", "2030-01-01")
    assert isinstance(result.exception, PartyregError)
    assert result.exception.code == "bulk.confirm"
    assert result.exception.message.startswith(RETENTION_IRREVERSIBLE)


@pytest.mark.parametrize(
    "args",
    [
        ("assign", HEXIA, "--year", "2014"),
        ("group", HEXIA, "--year", "2014"),
        ("year", "open", "2015", "--date", "2014-12-28"),
        ("progress", "remind", "--days", "30", "--on", "2014-09-01", "--year", "2014"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_bulk_command_prints_its_batch_and_the_undo_command(
    run: Runner, args: tuple[str, ...]
) -> None:
    run.ok("needs", "add", HEXIA, "--post", "3", "--people", "2", "--purpose", "普法",
           "--year", "2014")  # fmt: skip
    run.ok("assign", HEXIA, "--year", "2014", "--yes")
    out = run.ok(*args, "--yes")
    assert "批次号 " in out and "partyreg undo " in out and "--reason" in out


# -- notify flush: what was sent stays sent -----------------------------------------------------


def test_notify_flush_is_one_batch_whose_undo_withdraws_only_what_was_not_delivered(
    capsys: pytest.CaptureFixture[str], db: str, http_server: RecordingServer
) -> None:
    district = _setup(capsys, db)
    community = district.communities[0].id
    code, _out, err = call(
        capsys, db, "notify", "channel", "add", f"community:{community}", "--type", "webhook",
        "--name", "hook", "--set", f"url={http_server.url}/hook",
    )  # fmt: skip
    assert code == 0, err
    # the dry run and the question say first that a message once sent cannot be recalled
    _fire_routed(db, district)
    code, out, _ = call(capsys, db, "notify", "flush", "--now", "2024-09-08 10:00", "--dry-run")
    assert code == 0 and UNSENDABLE in out
    # one message refused by the server (to be retried), then one delivered
    http_server.answer(500, {"error": "down"})
    code, out, err = call(capsys, db, "notify", "flush", "--now", "2024-09-08 10:00", "--json")
    failing = json.loads(out)
    assert code == 0 and failing["retrying"] == 1 and failing["batch_id"], err
    http_server.answer(200, {"ok": True})
    code, out, _ = call(capsys, db, "notify", "flush", "--now", "2024-09-08 10:01", "--json")
    delivered = json.loads(out)
    assert delivered["sent"] == 1 and delivered["batch_id"] != failing["batch_id"]
    # the delivered one: nothing to take back, and the undo says so
    code, out, err = call(capsys, db, "undo", delivered["batch_id"], "--reason", "发错了")
    assert code == 0, err
    assert "撤回尚未发出的消息 0 条" in out and "1 条已经发出，无法撤回" in out
    # a message waiting for a retry is withdrawn by its flush's undo: never sent again
    _fire_routed_again(db, district)
    http_server.answer(500, {"error": "down"})
    code, out, _ = call(capsys, db, "notify", "flush", "--now", "2024-09-08 11:00", "--json")
    retrying = json.loads(out)
    assert retrying["retrying"] == 1
    code, out, err = call(capsys, db, "undo", retrying["batch_id"], "--reason", "不再发送")
    assert code == 0 and "撤回尚未发出的消息 1 条" in out, err
    code, out, _ = call(capsys, db, "notify", "list", "--json")
    statuses = sorted(m["status"] for m in json.loads(out)["messages"])
    assert statuses == ["failed", "sent"]
    requests = len(http_server.requests)
    code, out, _ = call(capsys, db, "notify", "flush", "--now", "2024-09-09 11:00")
    assert "没有到期" in out and len(http_server.requests) == requests


def _fire_routed_again(db: str, district: support.District) -> None:
    import getpass

    ws = Workspace(db, os_user=getpass.getuser(), clock=lambda: EVENT_AT)
    c = district.communities[0]
    ws._changed(
        "route.routed",
        f"community:{c.id}",
        None,
        {
            "community_id": c.id,
            "community": f"{c.district} {c.street} {c.name}",
            "district_code": str(district.code),
            "instructor_ids": [],
            "count": 1,
            "members": [{"id": 2, "name": "李四", "unit_code": str(district.units[0])}],
        },
    )
    ws.close()
