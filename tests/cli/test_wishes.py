"""``partyreg wishes`` and ``partyreg points`` end to end on a real SQLite store: the whole loop
(added, claimed, done, rated, recorded as an activity, counted), the resident masked for every
scope but the community's own, imports with row and column in their errors, retention, points
with rule versions and ``--on``, hand adjustments, rankings, exit codes."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from partyreg_core.workspace import Workspace
from tests.cli.test_export import route_everyone
from tests.cli.test_import import Cli, registered

HEXIA = "淮安区/淮城街道/河下社区"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = registered(tmp_path, capsys)
    route_everyone(c)
    return c


def people(cli: Cli) -> dict[str, int]:
    return {m["name"]: m["id"] for m in cli.json("members", "list")[1]}


def community_operator(cli: Cli) -> str:
    hexia = Workspace(cli.db).community(HEXIA).id
    assert cli("operator", "add", "sq", "--role", "community", "--scope", str(hexia))[0] == 0
    return "sq"


def add_wish(cli: Cli, *extra: str) -> dict[str, Any]:
    code, out = cli.json("wishes", "add", HEXIA, "--title", "帮独居老人换灯泡",
                         "--resident", "王大妈", "--phone", "13912340077",
                         "--date", "2014-10-01", *extra)  # fmt: skip
    assert code == 0, out
    return out


def test_the_whole_loop_counts_and_earns_points(cli: Cli) -> None:
    ids = people(cli)
    wish = add_wish(cli, "--post", "8", "--due", "2014-10-20")
    assert isinstance(wish["id"], int) and wish["status"] == "open"
    code, out = cli.json(
        "wishes", "claim", str(wish["id"]), "--member", "王建伟", "--date", "2014-10-02"
    )
    assert code == 0 and out["status"] == "claimed" and out["member_id"] == ids["王建伟"]
    code, out = cli.json(
        "wishes", "done", str(wish["id"]), "--note", "已换好灯泡", "--date", "2014-10-03"
    )
    assert code == 0 and out["status"] == "done"
    code, out = cli.json(
        "wishes", "rate", str(wish["id"]), "--rating", " 满 意 ", "--date", "2014-10-04"
    )
    assert code == 0 and (out["status"], out["rating"]) == ("rated", "满意")
    code, out = cli.json("wishes", "record", str(wish["id"]), "--hours", "1.5")
    assert code == 0 and isinstance(out["activity_id"], int)
    _, activities = cli.json("activity", "list", "--member", str(ids["王建伟"]), "--year", "2014")
    assert [a["content"] for a in activities] == ["微心愿：帮独居老人换灯泡"]
    assert (
        cli.json("wishes", "record", str(wish["id"]), "--hours", "1")[1]["error"]["code"]
        == "wish.recorded"
    )
    code, summary = cli.json("feedback", "summary", "--by", "district", "--year", "2014")
    assert code == 0
    wishes = summary["wishes"]
    row = next(r for r in wishes if r["label"].startswith("淮安区"))
    assert (row["received"], row["claimed"], row["done"], row["rated"]) == (1, 1, 1, 1)
    assert row["satisfaction_rate"] == 1.0
    code, points = cli.json("points", "show", "--member", str(ids["王建伟"]), "--year", "2014")
    assert code == 0
    # defaults: 5 for the wish, 3 for 满意, 1.5 hours at 1 point
    assert points["balance"] == 9.5
    assert all(e["reason"] for e in points["entries"])
    assert {e["source"] for e in points["entries"]} == {"wish", "rating", "activity"}
    _, before = cli.json("points", "show", "--member", str(ids["王建伟"]), "--year", "2014",
                         "--on", "2014-10-03")  # fmt: skip
    assert before["balance"] == 6.5  # the wish and the activity (dated 10-03), not the rating


def test_steps_out_of_order_and_bad_ratings_are_refused_with_the_fix(cli: Cli) -> None:
    wish = add_wish(cli)
    code, out = cli.json("wishes", "done", str(wish["id"]), "--note", "x")
    assert code == 2 and out["error"]["code"] == "wish.state" and "认领" in out["error"]["message"]
    code, out = cli.json("wishes", "rate", str(wish["id"]), "--rating", "很好")
    assert code == 2 and out["error"]["code"] == "wish.rating"
    code, out = cli.json("wishes", "claim", str(wish["id"]), "--member", "赵六")
    assert code == 2 and out["error"]["code"] == "wish.member_community"  # 赵六 serves elsewhere
    code, out = cli.json("wishes", "cancel", str(wish["id"]), "--reason", "居民已搬走")
    assert code == 0 and out["status"] == "cancelled"
    code, out = cli.json("wishes", "claim", str(wish["id"]), "--member", "王建伟")
    assert code == 2 and out["error"]["code"] == "wish.state"
    code, out = cli.json("wishes", "claim", "99999", "--member", "王建伟")
    assert code == 2 and out["error"]["code"] == "wish.not_found"
    code, out = cli.json("wishes", "add", HEXIA, "--title", "  ", "--date", "2014-10-01")
    assert code == 2 and out["error"]["code"] == "wish.title"


def test_the_resident_is_seen_in_full_by_the_community_only(cli: Cli) -> None:
    sq = community_operator(cli)
    assert cli("operator", "add", "qu", "--role", "district", "--scope", "008.003")[0] == 0
    wish = add_wish(cli)
    own = cli.json("--as", sq, "wishes", "list")[1]
    assert (own[0]["resident"], own[0]["phone"], own[0]["resident_masked"]) == (
        "王大妈", "13912340077", False
    )  # fmt: skip
    for who in ([], ["--as", "qu"]):  # the city and the district supervise: masked
        listed = cli.json(*who, "wishes", "list")[1]
        assert (listed[0]["resident"], listed[0]["phone"]) == ("王**", "139****0077")
    code, out, _ = cli("wishes", "list")
    assert code == 0 and "王大妈" not in out and "13912340077" not in out
    _, log = cli.json("audit", "--action", "wish.add")
    assert "王大妈" not in str(log) and "13912340077" not in str(log)
    # a unit reads only the wishes its members claimed, masked
    assert cli("operator", "add", "dw", "--role", "unit", "--scope", "008.010")[0] == 0
    assert cli.json("--as", "dw", "wishes", "list")[1] == []
    assert (
        cli.json("wishes", "claim", str(wish["id"]), "--member", "王建伟", "--date", "2014-10-02")[
            0
        ]
        == 0
    )
    seen = cli.json("--as", "dw", "wishes", "list")[1]
    assert [w["id"] for w in seen] == [wish["id"]] and seen[0]["resident"] == "王**"
    code, out = cli.json("--as", "dw", "wishes", "add", HEXIA, "--title", "x")
    assert code == 2 and out["error"]["code"] == "wish.denied"


def _sheet(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["县区", "街道", "社区", "心愿内容", "居民姓名", "居民电话", "岗位", "登记日期"]
        )
        writer.writerows(rows)
    return path


def test_importing_wishes_names_row_and_column_and_writes_nothing_on_error(cli: Cli) -> None:
    bad = _sheet(cli.tmp / "wishes.csv", [
        ["淮安区", "淮城街道", "河下社区", "修理水管", "李大爷", "13912340088", "8", "2014-10-05"],
        ["淮安区", "淮城街道", "不存在社区", "陪老人聊天", "", "", "", "2014-10-05"],
        ["淮安区", "淮城街道", "河下社区", "代买药品", "张阿姨", "12345", "", "2014/10/6"],
    ])  # fmt: skip
    code, report = cli.json("wishes", "import", str(bad))
    assert code == 1, report
    issues = {(i["row"], i["column"]): i for i in report["errors"]}
    assert (3, "社区") in issues and "通讯录" in issues[(3, "社区")]["message"]
    assert (4, "居民电话") in issues
    assert cli.json("wishes", "list")[1] == []
    good = _sheet(cli.tmp / "good.csv", [
        ["淮安区", "淮城街道", "河下社区", "修理水管", "李大爷", "13912340088", "8", "2014-10-05"],
        ["淮安区", "淮城街道", "河下社区", "代买药品", "张阿姨", "", "", "2014年10月6日"],
    ])  # fmt: skip
    code, report = cli.json("import", str(good), "--kind", "wishes")
    assert code == 0 and report["rows_written"] == 2, report
    listed = cli.json("wishes", "list", "--status", "open")[1]
    assert sorted(w["title"] for w in listed) == ["代买药品", "修理水管"]
    assert {w["post_code"] for w in listed} == {"8", None}
    # the import is a batch: undone while nobody worked on its wishes, refused after
    code, undone = cli.json("undo", report["batch_id"], "--reason", "导错了文件")
    assert code == 0, undone
    assert cli.json("wishes", "list")[1] == []
    code, again = cli.json("import", str(good), "--kind", "wishes")
    first = cli.json("wishes", "list")[1][0]
    assert cli.json("wishes", "claim", str(first["id"]), "--member", "王建伟")[0] == 0
    code, refused = cli.json("undo", again["batch_id"], "--reason", "导错了文件")
    assert code == 2 and refused["error"]["code"] == "batch.in_use"


def test_retention_erases_the_residents_of_wishes_closed_long_ago(cli: Cli) -> None:
    wish = add_wish(cli)
    assert cli.json("wishes", "cancel", str(wish["id"]), "--reason", "重复登记",
                    "--date", "2014-10-05")[0] == 0  # fmt: skip
    other = add_wish(cli)  # still open: the resident stays
    code, dry = cli.json("retention", "run", "--dry-run")
    assert code == 0 and dry["wishes"] == 1
    code, done = cli.json("retention", "run", "--yes")
    assert code == 0 and done["wishes"] == 1
    listed = {w["id"]: w for w in cli.json("wishes", "list")[1]}
    erased = listed[wish["id"]]
    assert (erased["resident"], erased["phone"], erased["resident_erased"]) == (None, None, True)
    assert erased["title"] == "帮独居老人换灯泡"  # statistics stay
    assert listed[other["id"]]["resident"] == "王**"
    assert cli.json("retention", "run", "--yes")[1]["wishes"] == 0


def test_points_rules_apply_from_their_date_and_the_past_is_recomputable(cli: Cli) -> None:
    ids = people(cli)
    who = str(ids["王建伟"])
    base = ("activity", "add", who, "--hours", "2", "--content", "清扫楼道", "--rating", "优",
            "--year", "2014")  # fmt: skip
    assert cli.json(*base, "--date", "2014-10-01")[0] == 0
    code, out = cli.json(
        "points", "rules", "set", "per_hour=3", "cap.day=5", "--from", "2014-11-01"
    )
    assert code == 0 and out["effective_from"] == "2014-11-01"
    assert cli.json(*base, "--date", "2014-11-02")[0] == 0
    _, shown = cli.json("points", "show", "--member", who, "--year", "2014")
    assert [e["points"] for e in shown["entries"]] == [2.0, 5.0]  # 2×1; 2×3 capped at 5
    assert "上限" in shown["entries"][1]["reason"]
    assert shown["balance"] == 7.0
    assert (
        cli.json("points", "show", "--member", who, "--year", "2014", "--on", "2014-10-31")[1][
            "balance"
        ]
        == 2.0
    )
    _, rules = cli.json("points", "rules", "--on", "2014-10-15")
    assert rules["rules"]["per_hour"] == 1.0
    _, rules = cli.json("points", "rules", "--on", "2014-11-15")
    assert (rules["rules"]["per_hour"], rules["rules"]["day_cap"]) == (3.0, 5.0)
    code, out = cli.json("points", "rules", "set", "per_hour=abc")
    assert code == 2 and out["error"]["code"] == "points.rule"
    # removing an activity takes its points back (a new entry: the ledger is append-only)
    _, acts = cli.json("activity", "list", "--member", who, "--year", "2014")
    first = next(a for a in acts if a["day"] == "2014-10-01")
    assert cli.json("activity", "remove", str(first["id"]), "--reason", "重复录入")[0] == 0
    _, shown = cli.json("points", "show", "--member", who, "--year", "2014")
    assert [e["points"] for e in shown["entries"]] == [2.0, -2.0, 5.0]  # dated as it was
    assert shown["balance"] == 5.0


def test_adjustments_need_a_reason_are_audited_and_show_in_rankings(cli: Cli) -> None:
    ids = people(cli)
    who = str(ids["李娜"])
    code, out = cli.json("points", "adjust", "--member", who, "--points", "4", "--reason", "  ")
    assert code == 2 and out["error"]["code"] == "points.reason"
    code, out = cli.json("points", "adjust", "--member", who, "--points", "4", "--reason",
                         "社区表彰", "--date", "2014-12-01")  # fmt: skip
    assert code == 0 and out["points"] == 4.0 and out["source"] == "adjustment"
    _, log = cli.json("audit", "--action", "points.adjust")
    assert log[-1]["after"]["reason"] == "社区表彰"
    assert cli.json("activity", "add", who, "--date", "2014-10-01", "--hours", "3", "--content",
                    "义诊", "--rating", "优", "--year", "2014")[0] == 0  # fmt: skip
    code, ranked = cli.json("feedback", "ranking", "--year", "2014")
    assert code == 0
    li = next(r for r in ranked["rows"] if r["key"] == who)
    assert (li["hours"], li["points"]) == (3.0, 7.0)
    code, out, _ = cli("feedback", "ranking", "--year", "2014")
    assert code == 0 and "积分" in out
    _, by_points = cli.json("feedback", "ranking", "--year", "2014", "--by", "points")
    assert by_points["rows"][0]["key"] == who and by_points["rows"][0]["score"] == 7.0


def test_points_on_form3_and_the_ledger_wishes_on_the_circular(cli: Cli) -> None:
    import openpyxl

    wish = add_wish(cli)
    for step in (("claim", "--member", "王建伟", "--date", "2014-10-02"),
                 ("done", "--note", "已换好", "--date", "2014-10-03"),
                 ("rate", "--rating", "不满意", "--date", "2014-10-04")):  # fmt: skip
        assert cli.json("wishes", step[0], str(wish["id"]), *step[1:])[0] == 0
    assert cli.json("wishes", "record", str(wish["id"]), "--hours", "2")[0] == 0
    form3 = cli.tmp / "form3.xlsx"
    assert cli.json("export", "form3", "-o", str(form3), "--year", "2014",
                    "--community", HEXIA)[0] == 0  # fmt: skip
    sheet = next(
        s for s in openpyxl.load_workbook(form3).worksheets if s["A3"].value == "姓名：王建伟"
    )
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "本年度积分：7 分" in texts  # 5 for the wish, 0 for 不满意, 2 hours
    ledger = cli.tmp / "ledger.xlsx"
    assert cli.json("export", "ledger", "-o", str(ledger), "--unit", "008.010",
                    "--year", "2014")[0] == 0  # fmt: skip
    sheet = openpyxl.load_workbook(ledger).active
    assert sheet.cell(3, 14).value == "积分"
    lines = {r[1]: r for r in sheet.iter_rows(min_row=4, max_row=6, values_only=True)}
    assert lines["王建伟"][13] == 7 and lines["李娜"][13] == 0
    circular = cli.tmp / "circular.xlsx"
    assert cli.json("export", "circular", "-o", str(circular), "--year", "2014")[0] == 0
    texts = [str(c.value) for row in openpyxl.load_workbook(circular).active.iter_rows()
             for c in row if c.value is not None]  # fmt: skip
    assert "三、居民微心愿办理情况（各县区）" in texts
    assert "王大妈" not in " ".join(texts)
