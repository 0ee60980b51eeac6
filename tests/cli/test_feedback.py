"""``partyreg activity`` and ``partyreg feedback`` end to end on a real SQLite store: recording,
self-reports, the sheet lifecycle, summaries, rankings, tiers, pairing and the ledger export."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.schema import group_members, groups
from tests.cli.test_export import route_everyone
from tests.cli.test_import import Cli, registered

HEXIA = "淮安区/淮城街道/河下社区"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = registered(tmp_path, capsys)
    route_everyone(c)
    return c


def ids(cli: Cli) -> dict[str, int]:
    return {m["name"]: m["id"] for m in cli.json("members", "list")[1]}


def add(cli: Cli, who: str, day: str, hours: str, *extra: str) -> tuple[int, Any]:
    return cli.json("activity", "add", who, "--date", day, "--hours", hours, "--content",
                    "社区法律咨询", "--rating", "优", "--year", day[:4], *extra)  # fmt: skip


def make_group(cli: Cli, community_id: int, members: list[int], post: str = "3") -> int:
    # Test-only: groups are formed by the post-assignment part of partyreg; here a group is
    # inserted straight into the store's tables so that group recording can be exercised.
    ws = Workspace(cli.db)
    engine = ws.store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        group_id = conn.execute(
            sa.insert(groups)
            .values(community_id=community_id, year=2014, post_code=post, name="法律小组")
            .returning(groups.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(group_members), [{"group_id": group_id, "member_id": m} for m in members]
        )
    ws.close()
    return int(group_id)


def test_recording_checks_24_hours_a_day_across_stored_activities(cli: Cli) -> None:
    people = ids(cli)
    code, out = add(
        cli, "王建伟", "2014-10-12", "20", "--kind", "党员奉献日", "--place", "河下古镇"
    )
    assert code == 0 and len(out["ids"]) == 1
    code, out = add(cli, str(people["王建伟"]), "2014-10-12", "5")
    assert code == 2 and out["error"]["code"] == "activity.hours_day"
    assert add(cli, "王建伟", "2014-10-12", "4")[0] == 0  # 24 exactly is allowed
    code, out = add(cli, "王建伟", "2014-10-13", "2", "--kind", "跳广场舞")
    assert code == 2 and out["error"]["code"] == "activity.kind"
    code, out = add(cli, "王建伟", "2015-01-13", "2", "--year", "2014")
    assert code == 2 and out["error"]["code"] == "activity.year"
    code, out = add(cli, "王建伟", "2014-10-14", "0")
    assert code == 2
    code, by_member = cli.json("feedback", "summary", "--by", "member", "--year", "2014")
    row = next(r for r in by_member["rows"] if r["key"] == str(people["王建伟"]))
    assert (row["hours"], row["activities"], row["ratings"]["优"]) == (24.0, 2, 2)


def test_a_unit_cannot_record_and_an_instructor_only_for_its_communities(cli: Cli) -> None:
    assert cli("operator", "add", "danwei", "--role", "unit", "--scope", "008.010")[0] == 0
    code, out = cli.json("--as", "danwei", "activity", "add", "王建伟", "--date", "2014-10-01",
                         "--hours", "2", "--content", "x", "--rating", "良", "--year", "2014")  # fmt: skip
    assert code == 2 and out["error"]["code"] == "activity.denied"
    hexia = Workspace(cli.db).community(HEXIA).id
    assert cli("operator", "add", "sq", "--role", "community", "--scope", str(hexia))[0] == 0
    code, out = cli.json("--as", "sq", "activity", "add", "赵六", "--date", "2014-10-01",
                         "--hours", "2", "--content", "x", "--rating", "良", "--year", "2014")  # fmt: skip
    assert code == 2 and out["error"]["code"] in ("member.not_found", "scope.denied")
    code, _ = cli.json("--as", "sq", "activity", "add", "王建伟", "--date", "2014-10-01",
                       "--hours", "2", "--content", "x", "--rating", "良", "--year", "2014")  # fmt: skip
    assert code == 0


def test_self_reports_count_only_once_confirmed(cli: Cli) -> None:
    people = ids(cli)
    assert add(cli, "李娜", "2014-10-01", "3", "--self")[0] == 0
    assert add(cli, "李娜", "2014-10-02", "1", "--self")[0] == 0
    _, rows = cli.json("feedback", "summary", "--by", "member", "--year", "2014")
    li = next(r for r in rows["rows"] if r["key"] == str(people["李娜"]))
    assert (li["hours"], li["members_without_activity"]) == (0, 1)
    _, waiting = cli.json("activity", "pending")
    assert [w["hours"] for w in waiting] == [3, 1]
    assert cli.json("activity", "confirm", str(waiting[0]["id"]))[0] == 0
    assert cli("activity", "reject", str(waiting[1]["id"]))[0] == 2  # a reason is required
    assert cli.json("activity", "reject", str(waiting[1]["id"]), "--reason", "日期不实")[0] == 0
    assert cli.json("activity", "pending")[1] == []
    _, rows = cli.json("feedback", "summary", "--by", "member", "--year", "2014")
    li = next(r for r in rows["rows"] if r["key"] == str(people["李娜"]))
    assert (li["hours"], li["activities"], li["members_without_activity"]) == (3, 1, 0)
    _, log = cli.json("audit", "--action", "activity.reject")
    assert log[-1]["after"]["reason"] == "日期不实"


def test_sheet_lifecycle_number_confirm_lock_reopen_deliver(cli: Cli) -> None:
    people = ids(cli)
    assert add(cli, "王建伟", "2014-10-12", "3")[0] == 0
    assert add(cli, "李娜", "2014-10-12", "2", "--self")[0] == 0
    _, sheets = cli.json("feedback", "sheets", "--year", "2014")
    numbers = {s["name"]: s["number"] for s in sheets}
    hexia = Workspace(cli.db).community(HEXIA).id
    assert numbers["王建伟"] == f"2014-{hexia:04d}-0001"  # community, then member order
    assert numbers["李娜"] == f"2014-{hexia:04d}-0002"
    assert cli.json("feedback", "sheets", "--year", "2014")[1] == sheets  # numbers are stable
    # a pending self-report blocks the whole community's confirmation (all or none)
    code, out = cli.json("feedback", "confirm", "--community", HEXIA, "--all", "--yes", "--year", "2014",
                         "--date", "2014-12-18")  # fmt: skip
    assert code == 2 and out["error"]["code"] == "feedback.pending"
    pending = cli.json("activity", "pending")[1]
    assert cli.json("activity", "confirm", str(pending[0]["id"]))[0] == 0
    code, done = cli.json("feedback", "confirm", "--community", HEXIA, "--all", "--yes", "--year", "2014",
                          "--date", "2014-12-18")  # fmt: skip
    assert code == 0 and sorted(s["name"] for s in done) == ["李娜", "王建伟"]
    assert all(s["state"] == "confirmed" and s["confirmed_on"] == "2014-12-18" for s in done)
    assert "刘明" in done[0]["stamp"] and "河下社区" in done[0]["stamp"]
    code, out = add(cli, "王建伟", "2014-11-01", "1")
    assert code == 2 and out["error"]["code"] == "activity.locked"
    code, out = cli.json("feedback", "confirm", numbers["王建伟"])
    assert code == 2 and out["error"]["code"] == "feedback.confirmed"
    code, out = cli.json("feedback", "reopen", numbers["王建伟"], "--reason", "补录 11 月活动")
    assert code == 0 and out["state"] == "draft" and out["reopened_reason"] == "补录 11 月活动"
    assert add(cli, "王建伟", "2014-11-01", "1")[0] == 0
    assert cli.json("feedback", "confirm", numbers["王建伟"], "--date", "2014-12-19")[0] == 0
    _, log = cli.json("audit", "--action", "feedback.reopen")
    assert log[-1]["after"]["reason"] == "补录 11 月活动"
    code, delivered = cli.json("feedback", "deliver", "--unit", "008.010", "--year", "2014",
                               "--date", "2014-12-20")  # fmt: skip
    assert code == 0 and len(delivered) == 2
    assert {s["state"] for s in delivered} == {"delivered"}
    _, again = cli.json("feedback", "sheets", "--year", "2014")
    assert {s["name"]: s["number"] for s in again} == numbers
    wang = next(s for s in again if s["name"] == "王建伟")
    assert (wang["hours"], wang["activities"], wang["member_id"]) == (4, 2, people["王建伟"])
    # the ledger export: one line per member of the unit, with the sheet
    target = cli.tmp / "ledger.xlsx"
    code, result = cli.json("export", "ledger", "-o", str(target), "--unit", "008.010",
                            "--year", "2014")  # fmt: skip
    assert code == 0 and result["records"] == 3
    ws = openpyxl.load_workbook(target).active
    lines = {r[1]: r for r in ws.iter_rows(min_row=4, max_row=6, values_only=True)}
    assert lines["王建伟"][4] == 4 and lines["王建伟"][8] == numbers["王建伟"]
    assert lines["王建伟"][9] == "已交单位台帐" and lines["赵六"][8] == "2014-0002-0001"
    # form3 prints the stored numbers and the confirmation
    form3 = cli.tmp / "form3.xlsx"
    assert cli.json("export", "form3", "-o", str(form3), "--year", "2014",
                    "--community", HEXIA)[0] == 0  # fmt: skip
    wb = openpyxl.load_workbook(form3)
    sheet = next(s for s in wb.worksheets if s["A3"].value == "姓名：王建伟")
    assert sheet["E3"].value == f"编号：{numbers['王建伟']}"
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    # the signature, stamp and date are left for ink; the system's part is apart
    assert "社区党组织书记认证签字：" in texts
    assert not any("已盖章确认" in t for t in texts)
    system = next(t for t in texts if t.startswith("编号：") and "系统确认于" in t)
    assert "系统确认于 2014-12-19" in system
    found = re.search(r"校验码：([A-Z0-9]{4}-[A-Z0-9]{4})", system)
    assert found is not None
    check = found.group(1)
    # the check code verifies; a changed one or an unknown serial does not
    code, result = cli.json("verify", numbers["王建伟"], check.lower().replace("-", ""))
    assert code == 0 and result["genuine"] and "王建伟" in result["certifies"]
    wrong = ("2" if check[0] != "2" else "3") + check[1:]
    assert cli.json("verify", numbers["王建伟"], wrong)[0] == 1
    assert cli.json("verify", "2099-9999-9999", check)[0] == 1


def test_feedback_confirmed_event_follows_the_contract(cli: Cli) -> None:
    from partyreg_core.hookspecs import hookimpl
    from partyreg_core.plugins import make_plugin_manager

    seen: list[Any] = []

    class Listener:
        @hookimpl
        def partyreg_on_changed(self, workspace: Any, change: Any) -> None:
            seen.append(change)

    pm = make_plugin_manager()
    pm.register(Listener())
    ws = Workspace(cli.db, plugin_manager=pm)
    [sheet] = [s for s in ws.feedback.sheets(2014) if s.name == "赵六"]
    ws.feedback.confirm([sheet.number])
    [change] = [c for c in seen if c.action == "feedback.confirmed"]
    assert change.subject == f"feedback:{sheet.number}"
    assert change.after == {
        "number": sheet.number,
        "member_id": sheet.member_id,
        "name": "赵六",
        "unit_code": "008.010",
        "year": 2014,
        "community_id": sheet.community_id,
        "confirmed_by": ws.actor.real_name,
    }
    ws.close()


def test_group_recording_with_exceptions_is_one_transaction(cli: Cli) -> None:
    people = ids(cli)
    hexia = Workspace(cli.db).community(HEXIA).id
    group_id = make_group(cli, hexia, [people["王建伟"], people["李娜"]])
    base = ["--date", "2014-10-20", "--hours", "3", "--content", "楼幢清扫", "--rating", "良",
            "--year", "2014", "--kind", "服务居民楼幢竞赛"]  # fmt: skip
    code, out = cli.json("activity", "group", str(group_id), *base, "--except", str(people["李娜"]))
    assert code == 0 and len(out["ids"]) == 1
    assert add(cli, "李娜", "2014-10-21", "22")[0] == 0
    before = cli.json("feedback", "summary", "--by", "member", "--year", "2014")[1]
    day2 = ["--date", "2014-10-21", *base[2:]]
    code, out = cli.json("activity", "group", str(group_id), *day2)
    assert code == 2 and out["error"]["code"] == "activity.hours_day"  # 李娜 would pass 24 h
    assert cli.json("feedback", "summary", "--by", "member", "--year", "2014")[1] == before
    code, out = cli.json("activity", "group", str(group_id), *day2, "--except", "999999")
    assert code == 2 and out["error"]["code"] == "group.except"
    # by post: a group activity counts under the group's post (3), others under the first claim
    _, posts = cli.json("feedback", "summary", "--by", "post", "--year", "2014")
    by_post = {r["key"]: r["hours"] for r in posts["rows"]}
    assert by_post["3"] == 3.0 and by_post["8"] == 22.0  # 李娜 claimed 8 first


def test_rankings_tiers_and_pairing(cli: Cli) -> None:
    people = ids(cli)
    for day in range(1, 21):  # 王建伟: 20 days × 6 h = 120 h, all 优
        assert add(cli, "王建伟", f"2014-07-{day:02d}", "6")[0] == 0
    assert cli.json("activity", "add", "赵六", "--date", "2014-07-01", "--hours", "8", "--content",
                    "走访", "--rating", "一般", "--year", "2014")[0] == 0  # fmt: skip
    code, ranking = cli.json("feedback", "ranking", "--year", "2014")
    assert code == 0 and [r["label"] for r in ranking["rows"]] == ["王建伟", "赵六"]
    w = ranking["weights"]
    top = ranking["rows"][0]
    assert top["score"] == pytest.approx(
        120 * w["hours"] + 20 * w["activity"] + 20 * w["excellent"]
    )
    # the weights are a setting: make count the only thing that matters
    code, _ = cli.json("feedback", "weights", "--set", "hours=0", "--set", "activity=0",
                       "--set", "excellent=0", "--set", "fair=10")  # fmt: skip
    assert code == 0
    code, out = cli.json("feedback", "weights", "--set", "speed=1")
    assert code == 2 and out["error"]["code"] == "ranking.weights"
    _, ranking = cli.json("feedback", "ranking", "--year", "2014")
    assert [r["label"] for r in ranking["rows"]] == ["赵六", "王建伟"]
    _, collective = cli.json("feedback", "ranking", "--of", "community", "--year", "2014")
    assert len(collective["rows"]) == 2
    _, tiers = cli.json("feedback", "tiers")
    assert [(t["member_id"], t["tier"], t["to_next"]) for t in tiers["members"]] == [
        (people["王建伟"], 1, 180.0)
    ]
    _, pairs = cli.json("feedback", "pairing")
    assert [(p["unit_code"], p["members"]) for p in pairs] == [("008.010", 2), ("008.010", 1)]
    assert pairs[0]["community"] == HEXIA and pairs[0]["share"] == pytest.approx(2 / 3, abs=1e-3)


def test_summary_through_click_runner_and_a_unit_sees_its_own_members(cli: Cli) -> None:
    import json

    from click.testing import CliRunner

    from partyreg_cli.app import App
    from partyreg_cli.main import cli as root

    assert add(cli, "王建伟", "2014-10-12", "3")[0] == 0
    assert add(cli, "赵六", "2014-10-13", "2")[0] == 0
    assert cli("operator", "add", "danwei", "--role", "unit", "--scope", "008.010")[0] == 0
    result = CliRunner().invoke(
        root,
        [
            "--db",
            cli.db,
            "--as",
            "danwei",
            "feedback",
            "summary",
            "--by",
            "district",
            "--year",
            "2014",
            "--json",
        ],
        obj=App(cli.db, "danwei"),
    )
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in json.loads(result.output)["rows"]}
    # 王建伟 and 李娜 report in 淮安区 (008.003), 赵六 in 淮阴区 (008.004): totals from the rows above
    assert (
        rows["008.003"]["hours"],
        rows["008.003"]["members"],
        rows["008.003"]["members_without_activity"],
    ) == (3, 2, 1)
    assert (rows["008.004"]["hours"], rows["008.004"]["members"]) == (2, 1)
    result = CliRunner().invoke(root, ["--db", cli.db, "--as", "danwei", "feedback", "sheets", "--year", "2014", "--json"],
                                obj=App(cli.db, "danwei"))  # fmt: skip
    assert result.exit_code == 0 and len(json.loads(result.output)) == 3
