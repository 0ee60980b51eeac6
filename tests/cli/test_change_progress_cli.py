"""``partyreg change``, ``calendar``, ``progress`` and ``export circular`` as operators run them
(click's CliRunner, and ``run`` for the exit codes), on a small city with dates around the
deadlines; the numbers are checked against counts computed here from the raw rows, and the
events against the event contract (collected by a test plugin)."""

from __future__ import annotations

import getpass
import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from partyreg_cli.app import App
from partyreg_cli.main import cli, run
from partyreg_core.hookspecs import hookimpl
from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgUnit
from partyreg_core.plugins import make_plugin_manager
from partyreg_core.ports import Change
from partyreg_core.records import CommunityRef
from partyreg_core.workspace import Workspace
from tests.plugins.storage.progress_support import report_in
from tests.plugins.storage.support import registration

HEXIA = CommunityRef("清河区", "河下街道", "河下社区")
XINCUN = CommunityRef("清河区", "河下街道", "新村社区")
U1, U2, U3 = "008.001.001", "008.001.002", "008.010.001"


class Events:
    """A test plugin: collects every ``partyreg_on_changed``."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    @hookimpl
    def partyreg_on_changed(self, workspace: Any, change: Change) -> None:
        self.changes.append(change)

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]


def code(text: str) -> OrgCode:
    return OrgCode(tuple(text.split(".")))


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A store with two districts' units, a directory, members registered, routed and reported
    in on dates around the 2024 deadlines, and expected counts."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARTYREG_OPERATOR", raising=False)
    db = f"sqlite:///{tmp_path / 'city.db'}"
    monkeypatch.setenv("PARTYREG_DB", db)
    events = Events()
    pm = make_plugin_manager([events])
    ws = Workspace(db, plugin_manager=pm)
    ws.init()
    ws.add_units(
        [
            OrgUnit(code(U1), "清河区民政局", OrgKind.UNIT),
            OrgUnit(code(U2), "清河区教育局", OrgKind.UNIT),
            OrgUnit(code(U3), "市民政局机关党委", OrgKind.UNIT),
        ]
    )
    (tmp_path / "dir.csv").write_text(
        "县区,街道,社区,接收报到电话,接收报到QQ群号,党组织书记姓名,手机,地址\n"
        "清河区,河下街道,河下社区,0517-83601234,12345,王书记,13912345678,河下路1号\n"
        "清河区,河下街道,新村社区,0517-83601235,12346,李书记,13912345679,新村路2号\n",
        encoding="utf-8",
    )
    assert run(["import", str(tmp_path / "dir.csv")], App(db, None, pm)) == 0
    hexia, xincun = (ws.community(c.label) for c in (HEXIA, XINCUN))
    plan = [(U1, 6, date(2024, 8, 20)), (U2, 4, date(2024, 9, 2)), (U3, 3, date(2024, 8, 25))]
    ids: dict[str, list[int]] = {}
    for unit, n, on in plan:
        regs = [registration(code(unit), HEXIA if k % 2 else XINCUN) for k in range(n)]
        assert ws.write_registrations(regs, on=on).new == n
        ids[unit] = [
            ws.store.members.list_members(ws.actor, MemberQuery(name=r.name, phone=r.phone))
            .members[0]
            .id
            for r in regs
        ]

    def route(member_ids: list[int], on: date) -> None:
        for m in member_ids:
            member = ws.store.members.get_member(ws.actor, m)
            ws.routing.assign([Route(m, code("008.001"), member.community_id)], on=on)

    route(ids[U1], date(2024, 9, 8))
    route(ids[U2][:2], date(2024, 9, 12))
    route(ids[U3], date(2024, 9, 9))
    report_in(ws.store, ids[U1][:4], date(2024, 9, 18))  # type: ignore[arg-type]
    report_in(ws.store, ids[U1][4:5], date(2024, 9, 22))  # type: ignore[arg-type]
    report_in(ws.store, ids[U3], date(2024, 9, 19))  # type: ignore[arg-type]
    ws.set_expected(U1, 8, year=2024)
    ws.set_expected(U2, 4, year=2024)
    for name, role, scope in (
        ("qinghe", "district", "008.001"),
        ("minzheng", "unit", U1),
        ("jiaoyu", "unit", U2),
    ):
        ws.operators.add(name, role, [scope])
    ws.close()
    events.changes.clear()
    return {
        "db": db,
        "pm": pm,
        "events": events,
        "ids": ids,
        "path": tmp_path / "city.db",
        "communities": (hexia, xincun),
    }


def invoke(city: dict[str, Any], *args: str, operator: str | None = None) -> str:
    """Run a command that must succeed; return its stdout."""
    runner = CliRunner()
    options = ["--db", city["db"]] + (["--as", operator] if operator else [])
    result = runner.invoke(cli, [*options, *args], obj=App(city["db"], None, city["pm"]))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def exit_code(
    city: dict[str, Any], capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    code_ = run(["--db", city["db"], *args], App(city["db"], None, city["pm"]))
    _out, err = capsys.readouterr()
    return code_, err


# -- the numbers, independently from the raw rows ------------------------------------------------


def _raw(city: dict[str, Any]) -> list[tuple[str, date, date | None, date | None]]:
    with sqlite3.connect(city["path"]) as conn:
        rows = conn.execute(
            "SELECT m.unit_code, m.registered_on, "
            "(SELECT min(r.routed_on) FROM routes r WHERE r.member_id = m.id), m.reported_on "
            "FROM members m"
        ).fetchall()

    def day(v: str | None) -> date | None:
        return None if v is None else date.fromisoformat(v)

    return [(u, day(a), day(b), day(c)) for u, a, b, c in rows]  # type: ignore[misc]


def _expected_row(raw: list[Any], prefix: str, on: date, cal: dict[str, date]) -> dict[str, Any]:
    mine = [r for r in raw if (r[0] == prefix or r[0].startswith(prefix + ".")) and r[1] <= on]
    routed = [r[2] for r in mine if r[2] is not None and r[2] <= on]
    reported = [r[3] for r in mine if r[3] is not None and r[3] <= on]
    return {
        "registered": len(mine),
        "routed": len(routed),
        "reported_in": len(reported),
        "routing": {
            "done": len(routed),
            "on_time": sum(d <= cal["routing"] for d in routed),
            "late": sum(d > cal["routing"] for d in routed),
            "overdue": len(mine) - len(routed) if on > cal["routing"] else 0,
        },
        "report_in": {
            "done": len(reported),
            "on_time": sum(d <= cal["report_in"] for d in reported),
            "late": sum(d > cal["report_in"] for d in reported),
            "overdue": len(mine) - len(reported) if on > cal["report_in"] else 0,
        },
    }


CAL = {"routing": date(2024, 9, 10), "report_in": date(2024, 9, 20)}


@pytest.mark.parametrize(
    "on",
    [date(2024, 8, 28), date(2024, 9, 10), date(2024, 9, 11), date(2024, 9, 20), date(2024, 9, 21)],
)
def test_progress_by_unit_and_district_matches_the_raw_rows(city: dict[str, Any], on: date) -> None:
    raw = _raw(city)
    report = json.loads(invoke(city, "progress", "--on", on.isoformat(), "--json"))
    assert report["on"] == on.isoformat() and report["by"] == "unit"
    assert [d["passed"] for d in report["deadlines"]] == [
        on > date(2024, 8, 30), on > date(2024, 9, 10), on > date(2024, 9, 20), False,
    ]  # fmt: skip
    rows = {r["key"]: r for r in report["rows"]}
    assert set(rows) == {U1, U2, U3}  # U2 declared a count: a row even before it registers
    for key, row in rows.items():
        want = _expected_row(raw, key, on, CAL)
        assert {k: row[k] for k in want} == want, (key, on)
    districts = {r["key"]: r for r in report["districts"]}
    for key in ("008.001", "008.010"):
        want = _expected_row(raw, key, on, CAL)
        assert {k: districts[key][k] for k in want} == want
    assert report["total"]["registered"] == sum(1 for r in raw if r[1] <= on)
    assert rows[U1]["expected"] == 8 and rows[U3]["expected"] is None
    assert districts["008.001"]["expected"] == 12
    # registration against the expected count: U1 has 6 of 8, U2 registered late (09-02)
    assert rows[U1]["registration"]["overdue"] == (2 if on > date(2024, 8, 30) else 0)
    if on >= date(2024, 9, 2):
        assert rows[U2]["registration"] == {"done": 4, "on_time": 0, "late": 4, "overdue": 0}
    by_district = json.loads(
        invoke(city, "progress", "--on", on.isoformat(), "--by", "district", "--json")
    )
    assert {r["key"]: r["registered"] for r in by_district["rows"]} == {
        k: v["registered"] for k, v in districts.items()
    }


def test_progress_by_community_and_within_a_units_scope(city: dict[str, Any]) -> None:
    raw = _raw(city)
    report = json.loads(
        invoke(city, "progress", "--on", "2024-09-30", "--by", "community", "--json")
    )
    hexia, xincun = city["communities"]
    assert {r["key"] for r in report["rows"]} == {str(hexia.id), str(xincun.id)}
    assert sum(r["registered"] for r in report["rows"]) == len(raw)
    assert {r["name"] for r in report["rows"]} == {hexia.label, xincun.label}
    assert all(r["expected"] is None for r in report["rows"])
    own = json.loads(invoke(city, "progress", "--on", "2024-09-30", "--json", operator="minzheng"))
    assert [r["key"] for r in own["rows"]] == [U1]
    assert own["total"]["registered"] == 6
    text = invoke(city, "progress", "--on", "2024-09-21")
    assert "清河区民政局" in text and "按县区汇总" in text and "逾期未报到" in text


def test_overdue_lists_and_expected_counts(
    city: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ids = city["ids"]
    assert json.loads(invoke(city, "progress", "overdue", "--on", "2024-09-10", "--json")) == []
    listed = json.loads(invoke(city, "progress", "overdue", "--on", "2024-09-21", "--json"))
    # U1's fifth member reports in on 09-22: still overdue as of 09-21
    assert {m["id"] for m in listed} == set(ids[U1][4:]) | set(ids[U2])
    late = {m["id"]: m["overdue"] for m in listed}
    assert late[ids[U2][3]] == ["routing", "report_in"] and late[ids[U2][0]] == ["report_in"]
    assert all("phone" not in m for m in listed)
    assert invoke(city, "progress", "expect", U1, "9", "--year", "2024", operator="minzheng")
    code_, err = exit_code(city, capsys, "--as", "minzheng", "progress", "expect", U2, "3")
    assert code_ == 2 and "不能为" in err
    report = json.loads(invoke(city, "progress", "--on", "2024-09-21", "--json"))
    assert {r["key"]: r["expected"] for r in report["rows"]}[U1] == 9


def test_the_calendar_is_a_city_setting_that_progress_follows(
    city: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    shown = json.loads(invoke(city, "calendar", "show", "--year", "2024", "--json"))
    assert [d["due"] for d in shown["deadlines"]] == [
        "2024-08-30", "2024-09-10", "2024-09-20", "2024-12-20",
    ]  # fmt: skip
    code_, err = exit_code(
        city,
        capsys,
        "--as",
        "qinghe",
        "calendar",
        "set",
        "--year",
        "2024",
        "--report-in",
        "2024-09-25",
    )
    assert code_ == 2 and "市级" in err
    code_, err = exit_code(
        city, capsys, "calendar", "set", "--year", "2024", "--routing", "2024-09-30"
    )
    assert code_ == 2 and "顺序" in err
    invoke(city, "calendar", "set", "--year", "2024", "--report-in", "2024年9月25日")
    report = json.loads(invoke(city, "progress", "--on", "2024-09-21", "--json"))
    assert report["total"]["report_in"]["overdue"] == 0  # 09-25 has not passed yet
    assert report["deadlines"][2]["due"] == "2024-09-25"


def test_a_change_of_community_through_the_cli_emits_the_contract_events(
    city: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    events: Events = city["events"]
    hexia, xincun = city["communities"]
    member_id = city["ids"][U1][0]  # reports in at 新村社区 (k = 0)
    out = invoke(
        city, "change", "request", str(member_id), "--to", "清河区 河下街道 河下社区",
        "--reason", "搬家到河下", "--date", "2024-10-01", "--json", operator="minzheng",
    )  # fmt: skip
    filed = json.loads(out)
    assert filed["status"] == "pending" and filed["to"] == hexia.label
    code_, err = exit_code(
        city, capsys, "--as", "minzheng", "change", "request", str(member_id),
        "--to", str(hexia.id), "--reason", "再次申请",
    )  # fmt: skip
    assert code_ == 2 and "待审批" in err
    pending = json.loads(invoke(city, "change", "list", "--status", "pending", "--json"))
    assert [r["id"] for r in pending] == [filed["id"]]
    code_, err = exit_code(city, capsys, "--as", "jiaoyu", "change", "approve", str(filed["id"]))
    assert code_ == 2 and "没有编号" in err  # another unit: not even seen
    invoke(city, "change", "approve", str(filed["id"]), "--date", "2024-10-02", operator="minzheng")
    [member] = [
        m
        for m in json.loads(invoke(city, "members", "list", "--json", operator="minzheng"))
        if m["id"] == member_id
    ]
    assert member["community_id"] == hexia.id and member["status"] == "routed"
    [requested] = events.of("change.requested")
    [approved] = events.of("change.approved")
    keys = {"id", "member_id", "name", "unit_code", "from_community_id", "to_community_id",
            "to", "reason", "decided_by"}  # fmt: skip
    assert requested.subject == approved.subject == f"change:{filed['id']}"
    assert set(requested.after) == set(approved.after) == keys  # type: ignore[arg-type]
    assert requested.after == {
        "id": filed["id"], "member_id": member_id, "name": member["name"], "unit_code": U1,
        "from_community_id": xincun.id, "to_community_id": hexia.id,
        "to": "清河区 河下街道 河下社区", "reason": "搬家到河下", "decided_by": None,
    }  # fmt: skip
    assert approved.after["decided_by"] == getpass.getuser()  # type: ignore[index]
    # a second request, rejected with a reason
    other = city["ids"][U1][1]
    second = json.loads(
        invoke(
            city,
            "change",
            "request",
            str(other),
            "--to",
            str(xincun.id),
            "--reason",
            "借住",
            "--json",
        )
    )
    code_, err = exit_code(city, capsys, "change", "reject", str(second["id"]))
    assert code_ == 2
    invoke(city, "change", "reject", str(second["id"]), "--reason", "未实际搬迁")
    [rejected] = events.of("change.rejected")
    assert rejected.after["reason"] == "未实际搬迁"  # type: ignore[index]
    listed = invoke(city, "change", "list")
    assert "已驳回" in listed and "已批准" in listed
    # the member who moved still counts as reported in on time for 2024
    report = json.loads(invoke(city, "progress", "--on", "2024-10-03", "--json"))
    assert {r["key"]: r["report_in"]["on_time"] for r in report["rows"]}[U1] == 4


def test_reminders_are_one_event_per_lagging_unit_and_district(
    city: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    events: Events = city["events"]
    nothing = json.loads(
        invoke(city, "progress", "remind", "--yes", "--days", "1", "--on", "2024-09-17", "--json")
    )
    assert (
        nothing["deadline"] is None
        and nothing["reminders"] == []
        and not events.of("progress.remind")
    )
    sent = json.loads(
        invoke(city, "progress", "remind", "--yes", "--days", "3", "--on", "2024-09-17", "--json")
    )
    assert sent["deadline"]["key"] == "report_in" and sent["deadline"]["due"] == "2024-09-20"
    raw = _raw(city)
    on = date(2024, 9, 17)

    def lagging(prefix: str) -> bool:
        mine = [r for r in raw if (r[0] + ".").startswith(prefix + ".") and r[1] <= on]
        return sum(1 for r in mine if r[3] is not None and r[3] <= on) < len(mine)

    want = [c for c in (U1, U2, U3, "008.001", "008.010") if lagging(c)]
    got = events.of("progress.remind")
    assert sorted(c.subject for c in got) == sorted(f"org:{c}" for c in want)
    assert len(got) == len(sent["reminders"])
    first = next(c for c in got if c.subject == f"org:{U1}")
    assert first.after == {
        "code": U1, "name": "清河区民政局", "deadline": "report_in",
        "deadline_label": "在职党员完成回社区报到", "due": "2024-09-20", "days_left": 3,
        "expected": 8, "registered": 6, "routed": 6, "reported_in": 0,
    }  # fmt: skip
    code_, err = exit_code(city, capsys, "--as", "minzheng", "progress", "remind", "--days", "3")
    assert code_ == 2 and "催办" in err
    district = json.loads(
        invoke(
            city,
            "progress",
            "remind",
            "--yes",
            "--days",
            "3",
            "--on",
            "2024-09-17",
            "--json",
            operator="qinghe",
        )
    )
    assert {r["code"] for r in district["reminders"]} <= set(want)


def test_the_circular_ranks_districts_and_units_and_holds_no_personal_data(
    city: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "通报.xlsx"
    out = invoke(
        city, "export", "circular", "-o", str(target), "--on", "2024-09-21", "--year", "2024"
    )
    assert "3 条记录" in out
    ws = openpyxl.load_workbook(target).active
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    text = "\n".join(str(c) for row in cells for c in row if c is not None)
    assert cells[0][0] == "2024年“在职党员回社区 亮明身份作表率”活动进度通报"
    assert "截至 2024年9月21日" in cells[1][0]
    with sqlite3.connect(city["path"]) as conn:
        people = conn.execute("SELECT name, phone FROM members").fetchall()
    for name, phone in people:
        assert name not in text and phone not in text and phone[-4:] not in text
    header = cells.index(next(r for r in cells if r[0] == "名次" and r[1] == "单位"))
    units = [r for r in cells[header + 1 :] if isinstance(r[0], int)]
    raw = _raw(city)
    on = date(2024, 9, 21)
    expected = {U1: 8, U2: 4, U3: None}
    names = {U1: "清河区民政局", U2: "清河区教育局", U3: "市民政局机关党委"}

    def rate(unit: str) -> float:
        mine = [r for r in raw if r[0] == unit and r[1] <= on]
        reported = sum(1 for r in mine if r[3] is not None and r[3] <= on)
        return min(1.0, reported / (expected[unit] or len(mine)))

    order = sorted(names, key=lambda u: (-rate(u), u))
    assert [r[1] for r in units] == [names[u] for u in order]
    assert [r[0] for r in units] == [1, 2, 3]
    for r in units:
        unit = next(u for u in names if names[u] == r[1])
        assert r[3] == (expected[unit] if expected[unit] is not None else "未申报")
        assert r[4] == sum(1 for x in raw if x[0] == unit and x[1] <= on)
        assert r[9] == pytest.approx(rate(unit))
    district_header = cells.index(next(r for r in cells if r[0] == "名次"))
    first_district = cells[district_header + 1]
    assert first_district[1] in ("清河区委", "淮安市市级机关工委")


# -- one rate everywhere -----------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False])
@pytest.mark.parametrize("on", [date(2024, 9, 15), date(2024, 9, 21)])
def test_progress_the_circular_and_the_tui_give_the_same_rates(
    city: dict[str, Any], tmp_path: Path, declared: bool, on: date
) -> None:
    from partyreg_core.progress import COMPLETION_RULE
    from partyreg_tui.screens.dashboard import completion_rates

    if not declared:
        with sqlite3.connect(city["path"]) as conn:
            conn.execute("DELETE FROM unit_expectations")
    raw = _raw(city)
    expected = {U1: 8, U2: 4, U3: None} if declared else {U1: None, U2: None, U3: None}

    def counts(unit: str) -> tuple[int, int]:
        mine = [r for r in raw if r[0] == unit and r[1] <= on]
        return sum(1 for r in mine if r[3] is not None and r[3] <= on), len(mine)

    def base(unit: str) -> int:
        return expected[unit] or counts(unit)[1]

    # the rule, computed here: per unit, then summed
    want_unit = {u: min(1.0, counts(u)[0] / base(u)) for u in expected}
    qinghe = [U1, U2]
    want_qinghe = sum(counts(u)[0] for u in qinghe) / sum(base(u) for u in qinghe)
    want_total = sum(counts(u)[0] for u in expected) / sum(base(u) for u in expected)
    # the CLI
    report = json.loads(invoke(city, "progress", "--on", on.isoformat(), "--json"))
    cli_unit = {r["key"]: r["completion"] for r in report["rows"]}
    cli_district = {r["key"]: r for r in report["districts"]}
    assert cli_unit == {u: round(v, 4) for u, v in want_unit.items()}
    assert cli_district["008.001"]["completion"] == round(want_qinghe, 4)
    assert report["total"]["completion"] == round(want_total, 4)
    by_district = json.loads(
        invoke(city, "progress", "--on", on.isoformat(), "--by", "district", "--json")
    )
    assert {r["key"]: r["completion"] for r in by_district["rows"]} == {
        k: v["completion"] for k, v in cli_district.items()
    }
    assert by_district["total"]["completion"] == report["total"]["completion"]
    text = invoke(city, "progress", "--on", on.isoformat())
    assert COMPLETION_RULE in text
    assert ("未申报" in text) is (not declared or expected[U3] is None)
    # the circular
    target = tmp_path / "通报.xlsx"
    invoke(city, "export", "circular", "-o", str(target), "--on", on.isoformat(), "--year", "2024")
    cells = [list(r) for r in openpyxl.load_workbook(target).active.iter_rows(values_only=True)]
    names = {U1: "清河区民政局", U2: "清河区教育局", U3: "市民政局机关党委"}
    header = cells.index(next(r for r in cells if r[0] == "名次" and r[1] == "单位"))
    units = {r[1]: r for r in cells[header + 1 :] if isinstance(r[0], int)}
    for unit, name in names.items():
        assert units[name][9] == pytest.approx(want_unit[unit])
        assert units[name][8] == next(
            r["report_in"]["overdue"] for r in report["rows"] if r["key"] == unit
        )
    districts = {r[1]: r for r in cells[:header] if isinstance(r[0], int)}
    assert districts["清河区委"][8] == pytest.approx(want_qinghe)
    assert any(COMPLETION_RULE in str(c) for row in cells for c in row if c)
    # the TUI's data source
    ws = Workspace(city["db"], plugin_manager=city["pm"])
    try:
        rows, total = completion_rates(ws, on, 2)
    finally:
        ws.close()
    assert total is not None and total.completion == pytest.approx(want_total)
    assert rows["008.001"].completion == pytest.approx(want_qinghe)
    assert rows["008.001"].report_in.overdue == cli_district["008.001"]["report_in"]["overdue"]


# -- 附表1 for the supervisors ------------------------------------------------------------------


def test_a_districts_form1_is_masked_and_lists_other_districts_units_apart(
    city: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "附表1.xlsx"
    out = invoke(city, "export", "form1", "-o", str(target), operator="qinghe")
    assert "10 条记录" in out  # 清河区's own units: U1 6 + U2 4, not the 3 routed in
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["附表1", "回本区社区报到的外区单位党员"]
    own, others = wb["附表1"], wb["回本区社区报到的外区单位党员"]
    assert own["A2"].value.startswith("单位：清河区委组织部")  # the exporting body
    assert "本表联系方式、住址已部分隐藏" in own["A2"].value
    units = [r[0] for r in own.iter_rows(min_row=4, values_only=True) if r[1]]
    assert sorted(set(units)) == [U1, U2] and len(units) == 10
    assert {r[0] for r in others.iter_rows(min_row=4, max_row=6, values_only=True)} == {U3}
    phones = [r[6] for r in own.iter_rows(min_row=4, max_row=13, values_only=True)]
    assert all("****" in p for p in phones)
    # in full only with a reason, and the reason is audited
    full = tmp_path / "附表1-完整.xlsx"
    code_, err = exit_code(city, capsys, "--as", "qinghe", "export", "form1", "-o",
                           str(full), "--full")  # fmt: skip
    assert code_ == 2 and "--reason" in err
    invoke(city, "export", "form1", "-o", str(full), "--full", "--reason", "核对联系方式",
           operator="qinghe")  # fmt: skip
    phones = [r[6] for r in openpyxl.load_workbook(full)["附表1"].iter_rows(
        min_row=4, max_row=13, values_only=True)]  # fmt: skip
    assert not any("****" in p for p in phones)
    audit = json.loads(invoke(city, "audit", "--action", "export.form1", "--json"))
    assert any(e["after"].get("reason") == "核对联系方式" for e in audit)


def test_an_export_outside_the_scope_is_refused(
    city: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x.xlsx"
    for form in ("form1", "form3"):
        code_, err = exit_code(
            city, capsys, "--as", "minzheng", "export", form, "-o", str(target), "--scope", U2
        )
        assert code_ == 2 and "不在你的范围内" in err and not target.exists()


def test_reminders_say_what_the_outbox_really_got(city: dict[str, Any]) -> None:
    # no organisation has a channel here: every reminder is a skipped row, none is sent
    sent = json.loads(
        invoke(city, "progress", "remind", "--yes", "--days", "3", "--on", "2024-09-17", "--json")
    )
    lagging = len(sent["reminders"])
    assert lagging > 0
    assert sent["queued"] == {"pending": 0, "skipped": lagging, "duplicate": 0}
    again = invoke(city, "progress", "remind", "--yes", "--days", "3", "--on", "2024-09-17")
    assert f"落后的单位和县区 {lagging} 个" in again
    assert "待发送 0 条" in again and f"{lagging} 条今天已在发件箱中" in again
    assert "发出提醒" not in again
    ws = Workspace(city["db"])
    counts = {s.value: n for s, n in ws.notify.counts().items()}
    ws.close()
    assert counts["skipped"] == lagging and counts["pending"] == 0


def test_every_table_of_a_circular_uses_the_names_of_its_day(
    city: dict[str, Any], tmp_path: Path
) -> None:
    change = tmp_path / "rename.csv"
    change.write_text(
        "生效日期,调整,代码,名称,上级,类别,原因\n2025-01-01,更名,008.001,清江浦区委,,,区划调整\n",
        encoding="utf-8",
    )
    invoke(city, "codes", "apply", str(change))
    target = tmp_path / "通报-2024.xlsx"
    invoke(city, "export", "circular", "-o", str(target), "--on", "2024-09-21", "--year", "2024")
    ws = openpyxl.load_workbook(target).active
    text = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "清江浦区委" not in " ".join(text)
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "名次" and r[1] == "单位")
    assert rows[at][2] == "所属县区（市直党工委）"
    units = [r for r in rows[at + 1 :] if isinstance(r[0], int)]
    districts = [r for r in rows[:at] if isinstance(r[0], int)]
    assert "清河区委" in {r[1] for r in districts}
    assert {r[2] for r in units if str(r[1]).startswith("清河区")} == {"清河区委"}
    # the circular repeats its units table's header on every page, not its title
    header_row = next(
        c.row for c in ws["A"] if c.value == "名次" and ws[f"B{c.row}"].value == "单位"
    )
    assert ws.print_title_rows == f"${header_row}:${header_row}"
