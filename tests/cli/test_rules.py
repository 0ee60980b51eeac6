"""Issue 15: one place per rule, and every path that writes shows the same refusal (the CLI
through CliRunner, the import, and the TUI form where there is one)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from partyreg_core.errors import PartyregError
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.feedback.rules import year_closed_message
from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.records import Rating
from partyreg_core.workspace import Workspace
from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, write_xlsx
from tests.cli.test_years import ACTIVITIES, Runner, _activities_csv


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    """The store of ``tests/cli/test_years.py``: three members of 008.010, routed, with 2014
    activities imported on 2015-01-10 (the store's data are dated 2014/2015)."""
    r = Runner(tmp_path)
    r.ok("init")
    r.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)), "--date", "2014-08-20")
    r.json(
        "import",
        str(write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])),
        "--date",
        "2014-08-28",
    )
    ws = Workspace(r.db)
    ws.routing.assign(
        [
            Route(m.id, m.district_code, m.community_id)  # type: ignore[arg-type]
            for m in ws.members.iter(MemberQuery())
        ]
    )
    ws.close()
    rows = [a for a in ACTIVITIES if a[2].startswith("2014")]
    report = r.json(
        "import", str(_activities_csv(tmp_path / "a.csv", rows)), "--date", "2014-12-10"
    )
    assert report["rows_written"] == len(rows), report["errors"]
    return r


def refusal(run: Runner, *args: str) -> PartyregError:
    result = run(*args)
    assert isinstance(result.exception, PartyregError), (result.output, result.exception)
    return result.exception


# -- closed years -------------------------------------------------------------------------------


def test_a_store_whose_data_start_in_2014_opens_and_closes_2014(run: Runner) -> None:
    opened = run.json("year", "open", "--yes", "2014", "--date", "2014-08-01")
    assert opened["status"] == "open"
    assert run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")["closed_years"] == [
        2014
    ]
    shown = run.json("year", "show", "2014")
    assert (shown["status"], shown["locked"]) == ("closed", True)


def test_opening_a_later_year_first_records_the_data_years_as_closed(run: Runner) -> None:
    # the demo's way: 2014's data, then 2015 opened without 2014 ever being opened
    nxt = run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")
    assert nxt["closed_years"] == [2014]
    shown = run.json("year", "show", "2014")
    assert (shown["status"], shown["closed_on"]) == ("closed", "2014-12-28")


def test_a_write_into_a_closed_year_is_refused_the_same_way_on_every_path(run: Runner) -> None:
    run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")
    expected = ("activity.year_closed", year_closed_message("王建伟", 2014))
    record = ("--hours", "1", "--content", "补录", "--rating", "优")
    # the CLI, with a date in the closed year, with and without --year
    by_date = refusal(run, "activity", "add", "王建伟", "--date", "2014-12-01", *record)
    assert (by_date.code, by_date.message) == expected
    by_year = refusal(
        run, "activity", "add", "王建伟", "--date", "2014-12-01", "--year", "2014", *record
    )
    assert (by_year.code, by_year.message) == expected
    # a date in the open year under a closed --year: the year is refused
    under = refusal(
        run, "activity", "add", "王建伟", "--date", "2015-01-02", "--year", "2014", *record
    )
    assert (under.code, under.message) == ("activity.year_closed", year_closed_message(None, 2014))
    # the import refuses the row with the same code and text
    late = _activities_csv(
        run.tmp / "late.csv",
        [["王建伟", "13912345678", "2014-12-01", "补录", "河下社区", "", "1", "优"]],
    )
    result = run("import", str(late), "--json")
    assert result.return_value == 1
    [error] = json.loads(result.output)["errors"]
    assert (error["code"], error["message"]) == expected
    # the store refuses it too when a caller skips the workspace's check
    ws = Workspace(run.db)
    try:
        member = ws.members.find("王建伟")[0]
        entry = ServiceEntry(
            member_id=member.id,
            day=date(2014, 12, 1),
            content="补录",
            hours=1,
            rating=Rating("优"),
        )
        with pytest.raises(PartyregError) as direct:
            ws.store.activities.record_activities(ws.actor, [entry], subject="member:x")
        assert (direct.value.code, direct.value.message) == expected
    finally:
        ws.close()
    # nothing of 2014-12-01 was written by any of them
    listed = run.json("feedback", "sheets", "--year", "2014")
    assert listed  # the year stays readable


# -- defaults follow the campaign ---------------------------------------------------------------


def test_commands_default_to_the_campaign_year_not_the_calendar_year(run: Runner) -> None:
    # no year opened: the store's data are of 2014, so 2014 is the campaign year
    done = run.json(
        "activity", "add", "李娜", "--date", "2014-10-02", "--hours", "1", "--content", "义诊",
        "--rating", "优",
    )  # fmt: skip
    assert done["ids"]
    need = run.json("needs", "add", "淮安区/淮城街道/河下社区", "--post", "8", "--people", "2",
                    "--purpose", "义诊")  # fmt: skip
    assert need["year"] == 2014
    # once 2015 is opened, it is the default
    run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")
    need = run.json("needs", "add", "淮安区/淮城街道/河下社区", "--post", "8", "--people", "2",
                    "--purpose", "义诊")  # fmt: skip
    assert need["year"] == 2015


# -- a member's unit and a routed member's community ----------------------------------------------


def test_members_edit_does_not_move_a_member_to_another_unit(run: Runner) -> None:
    before = run.json("members", "show", "王建伟")
    refused = refusal(run, "members", "edit", "王建伟", "--unit", "008.010.001")
    assert refused.code == "member.unit_by_transfer"
    assert f"partyreg members transfer {before['id']} --to 008.010.001" in refused.message
    assert run.json("members", "show", "王建伟") == before


def test_members_edit_of_a_routed_members_community_names_the_change_request(
    run: Runner,
) -> None:
    before = run.json("members", "show", "王建伟")
    assert before["status"] == "routed"
    refused = refusal(run, "members", "edit", "王建伟", "--community", "淮阴区/王营街道/承德路社区")
    assert refused.code == "member.community_by_change"
    command = f"partyreg change request {before['id']} --to '淮阴区/王营街道/承德路社区'"
    assert command in refused.message
    assert run.json("members", "show", "王建伟") == before
    # the command it names works
    run.ok("change", "request", str(before["id"]), "--to", "淮阴区/王营街道/承德路社区",
           "--reason", "搬家")  # fmt: skip


def test_a_community_given_by_path_name_or_id_is_found_in_the_directory(tmp_path: Path) -> None:
    r = Runner(tmp_path)
    r.ok("init")
    r.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)))
    r.json("import", str(write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])))
    # not routed yet: an edit of the community is a correction of the registration
    edited = r.json("members", "edit", "王建伟", "--community", "淮阴区/王营街道/承德路社区")
    assert edited["community"] == "淮阴区/王营街道/承德路社区"  # not nested in the old path
    # by name (one directory community of that name) and by directory id
    edited = r.json("members", "edit", "王建伟", "--community", "河下社区")
    assert edited["community"] == "淮安区/淮城街道/河下社区"
    listed = r.json("members", "list")
    routed_to = {m["community_id"] for m in listed} - {None}
    assert routed_to  # the import resolved the directory communities
    other = next(m for m in listed if m["name"] == "赵六")["community_id"]
    edited = r.json("members", "edit", "王建伟", "--community", str(other))
    assert edited["community"] == "淮阴区/王营街道/承德路社区"
    assert edited["community_id"] == other


# -- members who left stay out of current work ------------------------------------------------------


def test_a_member_who_left_is_out_of_assignments_groups_and_later_sheets(run: Runner) -> None:
    zhao = run.json("members", "show", "赵六")
    community = str(zhao["community_id"])
    run.json("needs", "add", community, "--post", "5", "--people", "3", "--purpose", "环境整治",
             "--year", "2015")  # fmt: skip
    before = run.json("assign", community, "--year", "2015", "--dry-run")
    assert before["candidates"] == 1  # 赵六 is the community's one member
    run.ok("members", "leave", "赵六", "--on", "2014-11-01", "--reason", "调离本市")
    after = run.json("assign", community, "--year", "2015")
    assert after["candidates"] == 0 and after["assigned"] == 0
    grouped = run.json("group", community, "--year", "2015")
    assert grouped["groups"] == []
    # the year they left in keeps their sheet; the next year has none for them
    assert "赵六" in {s["name"] for s in run.json("feedback", "sheets", "--year", "2014")}
    later = {s["name"] for s in run.json("feedback", "sheets", "--year", "2015")}
    assert "赵六" not in later and {"王建伟", "李娜"} <= later
    confirmed = run.json("feedback", "confirm", "--community", community, "--all", "--year", "2015")
    assert confirmed == [] or all(s["name"] != "赵六" for s in confirmed)


# -- bulk actions: preview first, then one undo ------------------------------------------------------

HEXIA = "淮安区/淮城街道/河下社区"


def _dump(run: Runner) -> list[str]:
    """Every row of the store, as SQL (a dry run must leave it byte for byte the same)."""
    connection = sqlite3.connect(run.db.removeprefix("sqlite:///"))
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.mark.parametrize(
    "args",
    [
        ("feedback", "confirm", "--community", HEXIA, "--all", "--year", "2014"),
        ("report-in", "confirm", "--community", HEXIA, "--all"),
        ("assign", HEXIA, "--year", "2014"),
        ("group", HEXIA, "--year", "2014"),
        ("route", "--on", "2014-09-05"),
        ("progress", "remind", "--days", "30", "--on", "2014-09-01", "--year", "2014"),
        ("notify", "flush"),
        ("retention", "run", "--on", "2030-01-01"),
        ("year", "open", "2015", "--date", "2014-12-28"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_bulk_dry_run_writes_nothing_and_a_script_needs_yes(
    run: Runner, args: tuple[str, ...]
) -> None:
    run.ok(
        "needs", "add", HEXIA, "--post", "3", "--people", "2", "--purpose", "普法", "--year", "2014"
    )
    run.ok("assign", HEXIA, "--year", "2014", "--yes")
    run.ok("members", "leave", "赵六", "--on", "2015-06-01", "--reason", "调离本市")
    run.json("feedback", "sheets", "--year", "2014")  # listing numbers the sheets once
    before = _dump(run)
    previewed = run.ok(*args, "--dry-run")
    assert "试运行" in previewed or "将" in previewed, previewed
    assert _dump(run) == before
    # without a terminal and without --yes, a run touching several records is refused
    result = run(*args)
    if args[0] in ("feedback", "report-in", "year"):  # these touch several records here
        assert isinstance(result.exception, PartyregError), result.output
    if isinstance(result.exception, PartyregError):
        assert result.exception.code == "bulk.confirm"
        assert "--yes" in result.exception.message
        assert _dump(run) == before


def test_feedback_confirm_all_is_one_batch_that_undo_takes_back(run: Runner) -> None:
    drafts = [s for s in run.json("feedback", "sheets", "--year", "2014", "--community", HEXIA)]
    assert len(drafts) == 2 and all(s["state"] == "draft" for s in drafts)
    done = run.json("feedback", "confirm", "--community", HEXIA, "--all", "--year", "2014",
                    "--yes")  # fmt: skip
    assert len(done) == 2
    batch = done[0]["batch_id"]
    assert batch and {d["batch_id"] for d in done} == {batch}
    assert [b["kind"] for b in run.json("import", "list") if b["id"] == batch] == ["feedback"]
    # the undo needs a reason, and takes the two confirmations back in one step
    assert refusal(run, "undo", batch, "--reason", " ").code == "batch.reason"
    undone = run.json("undo", batch, "--reason", "确认错了社区")
    assert undone["restored"] == 2
    again = run.json("feedback", "sheets", "--year", "2014", "--community", HEXIA)
    assert [s["state"] for s in again] == ["draft", "draft"]
    assert refusal(run, "undo", batch, "--reason", "再撤一次").code == "batch.undone"
    reopened = [
        e for e in run.json("audit", "--action", "feedback.reopen") if e.get("batch_id") == batch
    ]
    assert len(reopened) == 2


# -- activities: list, correct, remove ----------------------------------------------------------------


def test_activities_are_listed_corrected_and_removed_with_the_rules(run: Runner) -> None:
    wang = run.json("members", "show", "王建伟")["id"]
    listed = run.json("activity", "list", "--member", str(wang), "--year", "2014")
    assert [a["day"] for a in listed] == ["2014-09-25", "2014-10-12", "2014-11-02"]
    assert {a["name"] for a in run.json("activity", "list", "--community", HEXIA)} == {
        "王建伟",
        "李娜",
    }
    first = listed[0]["id"]
    edited = run.json("activity", "edit", str(first), "--hours", "3", "--reason", "时长录错")
    assert (edited["hours"], edited["content"]) == (3, "社区法律咨询")
    # the rules of activity add hold for an edit: 24 hours a day, a plausible date
    future = refusal(run, "activity", "edit", str(first), "--date", "2099-01-01")
    assert future.code == "date.future"  # the date parser of activity add refuses it first
    too_long = refusal(run, "activity", "edit", str(first), "--date", "2014-10-12", "--hours", "21")
    assert too_long.code == "activity.hours_day"
    removed = run.json("activity", "remove", str(listed[2]["id"]), "--reason", "重复录入")
    assert removed["day"] == "2014-11-02"
    assert len(run.json("activity", "list", "--member", str(wang))) == 2
    audit = {e["action"] for e in run.json("audit", "--action", "activity.edit")} | {
        e["action"] for e in run.json("audit", "--action", "activity.remove")
    }
    assert audit == {"activity.edit", "activity.remove"}
    # a confirmed sheet: refused, saying to reopen it first
    run.json("feedback", "confirm", "--community", HEXIA, "--all", "--year", "2014", "--yes")
    locked = refusal(run, "activity", "remove", str(first), "--reason", "x")
    assert locked.code == "activity.locked" and "feedback reopen" in locked.message
    # a closed year: refused the way activity add and the import refuse it
    run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")
    closed = refusal(run, "activity", "edit", str(listed[1]["id"]), "--hours", "1")
    assert (closed.code, closed.message) == (
        "activity.year_closed",
        year_closed_message("王建伟", 2014),
    )
    assert len(run.json("activity", "list", "--member", str(wang))) == 2


# -- an erased person is not re-created from an old 附表1 -------------------------------------------


def test_reimporting_an_old_form1_does_not_bring_back_an_anonymised_person(run: Runner) -> None:
    old_sheet = write_xlsx(run.tmp / "old-f1.xlsx", [FORM1_HEADER, *GOOD])
    run.ok("members", "leave", "赵六", "--on", "2015-06-01", "--reason", "调离本市")
    run.ok("retention", "run", "--on", "2019-01-01", "--yes")
    names = {m["name"] for m in run.json("members", "list")}
    assert "赵六" not in names
    before = _dump(run)
    result = run("import", str(old_sheet), "--json")
    assert result.return_value == 1
    report = json.loads(result.output)
    assert [(e["code"], e["column"]) for e in report["errors"]] == [("member.erased", "姓名")]
    assert "赵六" in report["errors"][0]["message"] and "匿名化" in report["errors"][0]["message"]
    assert _dump(run) == before  # nothing half-written
    # the digests reveal nobody: neither the name nor the phone is stored again
    assert not any("赵六" in line or "83601234" in line for line in _dump(run)
                   if "erased_people" in line)  # fmt: skip
    # --skip-invalid writes the others (unchanged) and still not the erased person
    result = run("import", str(old_sheet), "--skip-invalid", "--json")
    assert "赵六" not in {m["name"] for m in run.json("members", "list")}
    # members add refuses the same way
    add = refusal(run, "members", "add", "--unit", "008.010", "--name", "赵六", "--gender", "女",
                  "--title", "市教育局", "--posts", "5", "--phone", "0517-83601234",
                  "--community", "承德路社区", "--street", "王营街道", "--district", "淮阴区")  # fmt: skip
    assert add.code == "member.erased"


def test_report_in_confirm_all_is_one_batch_that_undo_takes_back(run: Runner) -> None:
    done = run.json("report-in", "confirm", "--community", HEXIA, "--all",
                    "--yes")  # fmt: skip
    assert len(done["confirmed"]) == 2 and done["batch_id"]
    statuses = {m["name"]: m["status"] for m in run.json("members", "list")}
    assert statuses["王建伟"] == statuses["李娜"] == "reported_in"
    undone = run.json("undo", done["batch_id"], "--reason", "确认早了")
    assert undone["restored"] == 2
    statuses = {m["name"]: m["status"] for m in run.json("members", "list")}
    assert statuses["王建伟"] == statuses["李娜"] == "routed"
    assert refusal(run, "undo", done["batch_id"], "--reason", "再撤").code == "batch.undone"


def test_an_edit_of_a_member_who_left_is_refused_on_the_cli_and_the_import(run: Runner) -> None:
    run.ok("members", "leave", "赵六", "--on", "2014-11-01", "--reason", "调离本市")
    zhao = run.json("members", "show", "赵六")
    refused = refusal(run, "members", "edit", "赵六", "--address", "新住址1号")
    assert refused.code == "member.left" and "已于 2014-11-01 离开" in refused.message
    assert run.json("members", "show", "赵六") == zhao
    changed = [[*row[:7], "新住址1号", *row[8:]] if row[1] == "赵六" else row for row in GOOD]
    sheet = write_xlsx(run.tmp / "again.xlsx", [FORM1_HEADER, *changed])
    result = run("import", str(sheet), "--json")
    assert result.return_value == 1
    errors = json.loads(result.output)["errors"]
    assert [(e["code"], e["message"]) for e in errors] == [(refused.code, refused.message)]
    assert run.json("members", "show", "赵六") == zhao


def test_an_edit_to_an_erased_persons_name_and_phone_is_refused(run: Runner) -> None:
    run.ok("members", "leave", "赵六", "--on", "2015-06-01", "--reason", "调离本市")
    run.ok("retention", "run", "--on", "2019-01-01", "--yes")
    li = run.json("members", "show", "李娜")
    refused = refusal(run, "members", "edit", "李娜", "--name", "赵六", "--phone", "0517-83601234")
    assert refused.code == "member.erased" and "匿名化" in refused.message
    assert run.json("members", "show", "李娜") == li


def test_needs_assignments_and_groups_of_a_closed_year_are_refused_the_same_way(
    run: Runner,
) -> None:
    run.ok("needs", "add", HEXIA, "--post", "3", "--people", "2", "--purpose", "普法",
           "--year", "2014")  # fmt: skip
    assigned = run.json("assign", HEXIA, "--year", "2014", "--yes")
    run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")
    expected = ("activity.year_closed", year_closed_message(None, 2014))
    before = _dump(run)
    for args in (
        ("needs", "add", HEXIA, "--post", "8", "--people", "1", "--purpose", "义诊",
         "--year", "2014"),
        ("assign", HEXIA, "--year", "2014", "--yes"),
        ("assign", HEXIA, "--year", "2014", "--dry-run"),
        ("group", HEXIA, "--year", "2014", "--yes"),
        ("group", HEXIA, "--year", "2014", "--dry-run"),
        ("undo", assigned["batch_id"], "--reason", "分错了"),
    ):  # fmt: skip
        refused = refusal(run, *args)
        assert (refused.code, refused.message) == expected, args
    assert _dump(run) == before
