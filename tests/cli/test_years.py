"""``partyreg export form1 --with-service``, ``partyreg year`` and ``partyreg retention`` through
click's CliRunner, on a store built the way operators build it."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from partyreg_cli.app import App
from partyreg_cli.main import cli as root
from partyreg_core.ledger import SERVICE_HEADERS
from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.schema import members
from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, write_xlsx

ACTIVITY_HEADER = ["姓名", "联系方式", "年月日", "服务（活动）内容", "服务地点", "参加人员",
                   "服务时间（小时）", "评价（优/良/一般）"]  # fmt: skip
ACTIVITIES = [
    ["王建伟", "13912345678", "2014-09-25", "社区法律咨询", "河下社区活动室", "社区党员", "2", "优"],
    ["王建伟", "13912345678", "2014-10-12", "党员奉献日", "河下古镇", "", "3.5", "良"],
    ["王建伟", "13912345678", "2014-11-02", "普法宣传", "河下古镇", "", "1", "优"],
    ["李娜", "13912345679", "2014-10-01", "义诊", "河下社区", "", "2.5", "一般"],
    ["赵六", "0517-83601234", "2014-10-01", "走访困难家庭", "承德路社区", "", "1.5", "一般"],
    ["赵六", "0517-83601234", "2015-01-03", "新年慰问", "承德路社区", "", "2", "优"],
]  # fmt: skip


class Runner:
    """``partyreg`` through CliRunner, with the store in ``tmp``."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = f"sqlite:///{tmp / 'store.db'}"
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        # not standalone: a command's exit code is its return value, as ``partyreg`` uses it
        return self.runner.invoke(
            root, ["--db", self.db, *args], obj=App(self.db, None), standalone_mode=False
        )

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exception is None, (result.output, result.exception)
        assert result.return_value in (None, 0), result.output
        return str(result.output)

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))


def _activities_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(ACTIVITY_HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    r = Runner(tmp_path)
    r.ok("init")
    r.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)))
    r.json("import", str(write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])))
    ws = Workspace(r.db)
    ws.routing.assign(
        [
            Route(m.id, m.district_code, m.community_id)  # type: ignore[arg-type]
            for m in ws.members.iter(MemberQuery())
        ]
    )
    ws.close()
    report = r.json(
        "import", str(_activities_csv(tmp_path / "a.csv", ACTIVITIES)), "--date", "2015-01-10"
    )
    assert report["rows_written"] == len(ACTIVITIES), report["errors"]
    return r


def test_form1_with_service_adds_each_members_totals_and_reimports_unchanged(run: Runner) -> None:
    target = run.tmp / "form1-service.xlsx"
    result = run.json("export", "form1", "--with-service", "--year", "2014", "--scope", "008.010",
                      "-o", str(target), "--full", "--reason", "核对服务时长")  # fmt: skip
    assert result["records"] == 3
    ws = openpyxl.load_workbook(target).active
    header = [c.value for c in ws[3]]
    assert header[-len(SERVICE_HEADERS) :] == list(SERVICE_HEADERS)
    got = {}
    for row in ws.iter_rows(min_row=4, max_row=6, values_only=True):
        got[(row[1], row[6])] = row[-len(SERVICE_HEADERS) :]
    # the same totals computed here from the rows given
    expected: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for name, phone, day, _c, _p, _pp, hours, rating in ACTIVITIES:
        if day.startswith("2014"):
            e = expected[(name, phone)]
            e["hours"] += float(hours)
            e["n"] += 1
            e[rating] += 1
    assert len(got) == 3
    for (name, phone), cells in got.items():
        e = expected[(name.replace(" ", ""), phone)]
        # numbers in the cells, not text (they add up in Excel)
        assert cells == (2014, e["hours"], e["n"], e["优"], e["良"], e["一般"]), name
        assert all(isinstance(c, int | float) for c in cells)
    report = run.json("import", str(target))
    assert (report["rows_new"], report["rows_changed"], report["rows_unchanged"]) == (0, 0, 3)
    assert report["warnings"] == [] and report["errors"] == []


def test_opening_the_next_year_confirming_and_the_lock(run: Runner) -> None:
    assert run.json("year", "list") == []
    opened = run.json("year", "open", "--yes", "2014", "--date", "2014-08-01")
    assert opened["status"] == "open" and opened["units_to_confirm"] == 1
    nxt = run.json("year", "open", "--yes", "2015", "--date", "2014-12-28")
    assert nxt["closed_years"] == [2014] and nxt["members_carried"] == 3
    assert nxt["calendar"]["registration"]["due"] == "2015-08-30"
    assert [(y["year"], y["status"], y["locked"]) for y in run.json("year", "list")] == [
        (2015, "open", False),
        (2014, "closed", True),
    ]
    pending = run.json("year", "pending")
    assert [(p["unit_code"], p["members"], p["confirmed"]) for p in pending] == [
        ("008.010", 3, False)
    ]
    done = run.json("year", "confirm", "--unit", "008.010", "--date", "2015-01-05")
    assert done["confirmed"] and done["confirmed_members"] == 3
    assert run.json("year", "pending") == []
    shown = run.json("year", "show", "2015")
    assert (shown["units"], shown["units_confirmed"]) == (1, 1)
    # 2014 is closed: a late 2014 activity is refused, a 2015 one is taken
    late = _activities_csv(run.tmp / "late.csv", [
        ["李娜", "13912345679", "2014-12-01", "补录", "河下社区", "", "1", "良"],
        ["李娜", "13912345679", "2015-01-08", "新年活动", "河下社区", "", "1", "良"],
    ])  # fmt: skip
    result = run("import", str(late), "--date", "2015-01-10", "--json")
    assert result.return_value == 1
    report = json.loads(result.output)
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(2, "activity.year_closed")]
    result = run("import", str(late), "--date", "2015-01-10", "--skip-invalid", "--json")
    assert result.return_value == 1  # rows rejected, the good one written
    assert json.loads(result.output)["rows_written"] == 1
    # the closed year stays readable: its form1 service columns are what they were
    target = run.tmp / "f1-2014.xlsx"
    run.json("export", "form1", "--with-service", "--year", "2014", "-o", str(target))
    hours = {
        r[1]: r[-5]
        for r in openpyxl.load_workbook(target).active.iter_rows(
            min_row=4, max_row=6, values_only=True
        )
    }
    assert hours["李娜"] == 2.5
    entries = run.json("audit", "--action", "year")
    assert [e["action"] for e in entries] == ["year.open", "year.open", "year.confirm"]


def test_year_commands_refuse_what_cannot_be_done(run: Runner) -> None:
    result = run("year", "pending")
    assert getattr(result.exception, "code", "") == "year.none"  # no year opened yet
    run.json("year", "open", "--yes", "2016")
    again = run("year", "open", "--yes", "2016")
    assert again.exception is not None and getattr(again.exception, "code", "") == "year.exists"
    result = run("year", "open", "--yes", "1999")
    assert getattr(result.exception, "code", "") == "year.invalid"
    result = run("year", "calendar", "registration=12-30")
    assert getattr(result.exception, "code", "") == "calendar.order"


def test_the_calendar_setting_shapes_the_next_year(run: Runner) -> None:
    shown = run.json("year", "calendar", "registration=08-25", "confirmation=12-15")
    assert shown == {"registration": "08-25", "routing": "09-10", "report_in": "09-20",
                     "confirmation": "12-15"}  # fmt: skip
    opened = run.json("year", "open", "--yes", "2027")
    assert opened["calendar"]["registration"]["due"] == "2027-08-25"
    assert opened["calendar"]["confirmation"]["due"] == "2027-12-15"


def _leave(run: Runner, name: str, on: date) -> int:
    engine = sa.create_engine(run.db)
    with engine.begin() as conn:
        member_id = conn.execute(sa.select(members.c.id).where(members.c.name == name)).scalar_one()
        conn.execute(sa.update(members).where(members.c.id == member_id).values(left_on=on))
    engine.dispose()
    return int(member_id)


def test_retention_dry_run_then_run(run: Runner) -> None:
    gone = _leave(run, "赵六", date(2015, 3, 1))
    summaries = {
        by: run.json("feedback", "summary", "--by", by, "--year", "2014")
        for by in ("unit", "community")
    }
    assert sum(r["hours"] for r in summaries["unit"]["rows"]) == 10.5  # 1.5 + 2.5 + 6.5
    assert run.json("retention", "period") == {"years": 3}
    before = run.json("audit")
    dry = run.json("retention", "run", "--on", "2018-03-01", "--dry-run")
    assert (dry["dry_run"], dry["member_ids"], dry["by_unit"]) == (True, [gone], {"008.010": 1})
    assert run.json("audit") == before  # a dry run writes nothing
    assert run.json("retention", "run", "--on", "2018-02-28", "--dry-run")["member_ids"] == []
    run.ok("retention", "period", "4")
    assert run.json("retention", "run", "--on", "2018-03-01", "--dry-run")["member_ids"] == []
    run.ok("retention", "period", "3")
    done = run.json("retention", "run", "--on", "2018-03-01")
    assert done["member_ids"] == [gone] and done["members"] == 1
    people = {m["id"]: m for m in run.json("members", "list", "--include-left")}
    assert people[gone]["name"] == "已匿名"
    assert gone not in {m["id"] for m in run.json("members", "list")}  # left: not current
    # the statistics stay: hours per unit and community count the anonymised member's service
    for by in ("unit", "community"):
        assert run.json("feedback", "summary", "--by", by, "--year", "2014") == summaries[by]
    [entry] = run.json("audit", "--action", "retention")
    assert entry["after"]["member_ids"] == [gone]
    assert "赵六" not in json.dumps(run.json("audit"), ensure_ascii=False)
    text = run.ok("retention", "run", "--on", "2018-03-01", "--dry-run")
    assert "将匿名化 0 名党员" in text
