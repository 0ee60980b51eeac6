"""``partyreg codes add|apply|history|list --on`` and ``partyreg members transfer|retire|leave|
count`` as operators run them, on the 2016 Huai'an change file that ships in ``examples/``."""

from __future__ import annotations

import getpass
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from partyreg_cli.app import App
from partyreg_cli.main import cli, run
from partyreg_core.batches import Batch, BatchKind
from partyreg_core.hours import RollupKey
from partyreg_core.members.model import MemberQuery
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef
from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support

EXAMPLE = Path(__file__).parents[2] / "examples/orgchanges/2016-淮安区划调整.csv"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARTYREG_DB", raising=False)
    monkeypatch.delenv("PARTYREG_OPERATOR", raising=False)
    return f"sqlite:///{tmp_path / 'city.db'}"


def invoke(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], obj=App(db, None))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def as_json(db: str, *args: str) -> object:
    return json.loads(invoke(db, *args, "--json"))


def counts(db: str, day: str) -> dict[str, tuple[str, int]]:
    data = as_json(db, "members", "count", "--on", day)
    assert isinstance(data, dict)
    return {u["code"]: (u["name"], u["total"]) for u in data["units"]}


@pytest.fixture
def city(db: str, capsys: pytest.CaptureFixture[str]) -> dict[str, list[int]]:
    """A 2014 city: units under 清河区 (008.001), 清浦区 (008.002) and 洪泽县 (008.006), and
    members registered in them on 2014-08-28; returns the member ids by unit code."""
    assert run(["--db", db, "init"]) == 0
    capsys.readouterr()
    for parent, name in [("008.001", "清河区委办党支部"), ("008.001", "清河区城管局党支部"),
                         ("008.002", "清浦区委办党支部"), ("008.006", "洪泽县委办党支部")]:  # fmt: skip
        out = invoke(db, "codes", "add", parent, name, "--on", "2014-08-01", "--reason", "编码")
        assert "新增" in out
    layout = {"008.001.001": 4, "008.001.002": 2, "008.001": 1, "008.002.001": 2, "008.006.001": 3}
    store = SqlStore(db)
    me = support.actor(store, getpass.getuser())
    regs, units = [], []
    for unit, n in layout.items():
        for _ in range(n):
            regs.append(support.registration(OrgCode.parse(unit), CommunityRef("清河区", "长东街道", "文渠社区")))  # fmt: skip
            units.append(unit)
    at = datetime(2014, 8, 28, tzinfo=UTC)
    batch = Batch("20140828T000000-aaaaaa", BatchKind.REGISTRATIONS, "附表1.xlsx", me.name, at,
                  date(2014, 8, 28), len(regs))  # fmt: skip
    assert store.write_registrations(me, batch, regs).new == len(regs)
    ids: dict[str, list[int]] = {}
    for unit, reg in zip(units, regs, strict=True):
        (found,) = list(store.members.iter_members(me, MemberQuery(name=reg.name)))
        ids.setdefault(unit, []).append(found.id)
    store.close()
    return ids


def test_the_2016_change_file_and_counts_before_and_after(
    db: str, city: dict[str, list[int]]
) -> None:
    # counts computed here from the rows registered, by district code of the day
    by_district: Counter[str] = Counter()
    for unit, ids in city.items():
        by_district[unit[:7]] += len(ids)
    assert counts(db, "2016-09-30") == {
        "008.001": ("清河区委", by_district["008.001"]),
        "008.002": ("清浦区委", by_district["008.002"]),
        "008.006": ("洪泽县委", by_district["008.006"]),
    }
    dry = as_json(db, "codes", "apply", str(EXAMPLE), "--dry-run")
    assert isinstance(dry, dict) and dry["dry_run"] is True
    assert [c["kind"] for c in dry["changes"]] == ["add", "merge", "merge", "rename"]
    assert "008.028" not in {u["code"] for u in as_json(db, "codes", "list")}  # type: ignore[union-attr]
    done = as_json(db, "codes", "apply", str(EXAMPLE))
    assert isinstance(done, dict) and done["codes_added"] == 4  # 008.028 and its 3 units
    moves = {m["old"]: m["new"] for c in done["changes"] for m in c["moves"]}
    assert moves == {"008.001": "008.028", "008.001.001": "008.028.001",
                     "008.001.002": "008.028.002", "008.002": "008.028",
                     "008.002.001": "008.028.003"}  # fmt: skip
    # before the day: the 2014 codes and names, unchanged; from the day: the new ones
    assert counts(db, "2016-09-30") == {
        "008.001": ("清河区委", by_district["008.001"]),
        "008.002": ("清浦区委", by_district["008.002"]),
        "008.006": ("洪泽县委", by_district["008.006"]),
    }
    assert counts(db, "2016-10-01") == {
        "008.028": ("清江浦区委", by_district["008.001"] + by_district["008.002"]),
        "008.006": ("洪泽区委", by_district["008.006"]),
    }
    then = {u["code"] for u in as_json(db, "codes", "list", "--on", "2016-09-30")}  # type: ignore[union-attr]
    now = {u["code"] for u in as_json(db, "codes", "list", "--on", "2016-10-01")}  # type: ignore[union-attr]
    assert {"008.001", "008.001.001", "008.002"} <= then and "008.028" not in then
    under_city = as_json(db, "codes", "list", "--parent", "008", "--on", "2016-09-30")
    assert {"008.001", "008.002"} <= {u["code"] for u in under_city}  # type: ignore[union-attr]
    assert not {"008.001", "008.001.001", "008.002"} & now and "008.028.003" in now
    shown = as_json(db, "codes", "show", "008.001")
    assert isinstance(shown, dict) and shown["moved_to"] == "008.028"
    assert shown["changes"][0]["reason"].startswith("区划调整")
    old_name = as_json(db, "codes", "show", "008.006", "--on", "2015-01-01")
    assert isinstance(old_name, dict) and old_name["name"] == "洪泽县委"
    history = as_json(db, "codes", "history")
    assert (
        isinstance(history, list) and len(history) == 4 + 7
    )  # 4 adds by hand; the file: 1 add, 3 + 2 merged codes, 1 rename
    # the batch is in the audit log with who and why
    audit = as_json(db, "audit", "--action", "org.apply")
    assert isinstance(audit, list) and len(audit) == 1
    assert audit[0]["after"]["changes"][3]["reason"] == "区划调整：撤销洪泽县，设立洪泽区"


def test_a_bad_line_refuses_the_whole_file(
    db: str, city: dict[str, list[int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE.read_text("utf-8").replace("2016-10-01,更名,008.006", "2016-10-01,更名,008.099")
    bad = tmp_path / "bad.csv"
    bad.write_text(text, "utf-8")
    code = run(["--db", db, "codes", "apply", str(bad)])
    _out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "第 9 行" in err and "008.099" in err
    assert "008.028" not in {u["code"] for u in as_json(db, "codes", "list")}  # type: ignore[union-attr]
    assert run(["--db", db, "codes", "apply", str(tmp_path / "missing.csv")]) == 2
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(EXAMPLE.read_text("utf-8").encode("gb18030"))
    assert as_json(db, "codes", "apply", str(gbk), "--dry-run")["dry_run"] is True  # type: ignore[index]
    # the change file goes through the one encoding detector: UTF-16 with a BOM reads, and a
    # file that switches from UTF-8 to GBK part-way is refused naming the line
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(EXAMPLE.read_text("utf-8").encode("utf-16"))
    assert as_json(db, "codes", "apply", str(utf16), "--dry-run")["dry_run"] is True  # type: ignore[index]
    joined = tmp_path / "joined.csv"
    lines = EXAMPLE.read_text("utf-8").splitlines(keepends=True)
    joined.write_bytes("".join(lines[:3]).encode() + "".join(lines[3:]).encode("gbk"))
    assert run(["--db", db, "codes", "apply", str(joined), "--dry-run"]) == 2
    assert "拼在一起" in capsys.readouterr().err


def test_member_lifecycle_commands(
    db: str, city: dict[str, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    mover, leaver, retiree, stayer = city["008.006.001"] + city["008.002.001"][:1]
    out = invoke(db, "members", "transfer", str(mover), "--to", "008.001.002", "--on", "2015-03-01",
                 "--reason", "工作调动")  # fmt: skip
    assert "008.001.002" in out
    invoke(db, "members", "leave", str(leaver), "--on", "2015-06-01", "--reason", "调离本市")
    invoke(db, "members", "retire", str(retiree), "--on", "2015-06-01")
    invoke(db, "members", "retire", str(stayer), "--on", "2015-06-01", "--stay")
    shown = invoke(db, "members", "show", str(leaver))
    assert "离开日期：2015-06-01" in shown and "离开原因：调离本市" in shown
    retired = as_json(db, "members", "show", str(stayer))
    assert isinstance(retired, dict) and retired["retired_on"] == "2015-06-01"
    assert retired["left_on"] is None
    listed = {m["id"] for m in as_json(db, "members", "list")}  # type: ignore[union-attr]
    assert mover in listed and stayer in listed
    assert leaver not in listed and retiree not in listed
    assert counts(db, "2015-01-01")["008.006"][1] == 3
    assert "008.006" not in counts(db, "2015-07-01")
    assert counts(db, "2015-07-01")["008.001"][1] == 7 + 1
    actions = [e["action"] for e in as_json(db, "audit", "--action", "member")]  # type: ignore[union-attr]
    assert actions.count("member.transfer") == 1 and actions.count("member.retire") == 2
    # a second leave is refused in one line; a future date too
    assert run(["--db", db, "members", "leave", str(leaver), "--reason", "x"]) == 2
    assert (
        run(["--db", db, "members", "leave", str(mover), "--on", "2999-01-01", "--reason", "x"])
        == 2
    )
    assert "Traceback" not in capsys.readouterr().err


def progress_by_district(db: str, on: str, year: str) -> dict[str, tuple[str, int]]:
    data = as_json(db, "progress", "--by", "district", "--on", on, "--year", year)
    assert isinstance(data, dict)
    return {r["key"]: (r["name"], r["registered"]) for r in data["rows"]}


def test_progress_counts_each_day_under_that_days_codes_and_names(
    db: str, city: dict[str, list[int]]
) -> None:
    by_district: Counter[str] = Counter()
    for unit, ids in city.items():
        by_district[unit[:7]] += len(ids)
    before = progress_by_district(db, "2014-09-25", "2014")
    assert before == {
        "008.001": ("清河区委", by_district["008.001"]),
        "008.002": ("清浦区委", by_district["008.002"]),
        "008.006": ("洪泽县委", by_district["008.006"]),
    }
    invoke(db, "codes", "apply", str(EXAMPLE))
    # the 2014 report asked after the 2016 changes: still 2014's districts, codes and names
    assert progress_by_district(db, "2014-09-25", "2014") == before
    # a report of a day after the changes: 清江浦区 holds both, 洪泽 has its new name
    assert progress_by_district(db, "2016-10-05", "2016") == {
        "008.028": ("清江浦区委", by_district["008.001"] + by_district["008.002"]),
        "008.006": ("洪泽区委", by_district["008.006"]),
    }


def test_routing_before_and_after_the_change_date(db: str, city: dict[str, list[int]]) -> None:
    """Before 2016-10-01 a member who writes 清河区 is routed through 008.001; after the
    change file, a member who still writes 清河区 (the old name) reaches the same community,
    now under 清江浦区 (008.028)."""
    added = as_json(db, "community", "add", "--district", "清河区", "--street", "长东街道",
                    "--name", "文渠社区", "--phone", "0517-83601234")  # fmt: skip
    assert isinstance(added, dict)
    community = added["id"]
    before = as_json(db, "route", "--yes", "--on", "2014-09-05")
    assert isinstance(before, dict)
    registered = sum(len(ids) for ids in city.values())
    assert before["routed"] == registered
    assert {d["code"]: d["routed"] for d in before["by_district"]} == {"008.001": registered}
    invoke(db, "codes", "apply", str(EXAMPLE))
    shown = as_json(db, "community", "show", str(community))
    assert isinstance(shown, dict) and shown["district_code"] == "008.028"
    store = SqlStore(db)
    me = support.actor(store, getpass.getuser())
    late = support.registration(
        OrgCode.parse("008.028.001"), CommunityRef("清河区", "长东街道", "文渠社区")
    )
    at = datetime(2017, 3, 1, tzinfo=UTC)
    batch = Batch("20170301T000000-bbbbbb", BatchKind.REGISTRATIONS, "附表1.xlsx", me.name, at,
                  date(2017, 3, 1), 1)  # fmt: skip
    assert store.write_registrations(me, batch, [late]).new == 1
    store.close()
    after = as_json(db, "route", "--yes", "--on", "2017-03-02")
    assert isinstance(after, dict) and after["routed"] == 1
    assert {d["code"]: d["routed"] for d in after["by_district"]} == {"008.028": 1}
    assert [(c["community_id"], c["district_code"], c["count"]) for c in after["by_community"]] == [
        (community, "008.028", 1)
    ]


def _raw_activities(db: str, where: str = "1 = 1") -> list[tuple[int, str, str, int, float]]:
    """(member, unit code, district code, year, hours) of the confirmed activities, read as
    they are stored now."""
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT member_id, unit_code, district_code, year, hours FROM activities"
            f" WHERE confirmed AND {where}"
        ).all()
    engine.dispose()
    return [(int(m), str(u), str(d), int(y), float(h)) for m, u, d, y, h in rows]


def _grouped(rows: list[tuple[int, str, str, int, float]], year: int, index: int) -> dict:  # type: ignore[type-arg]
    hours: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for row in rows:
        if row[3] == year:
            hours[str(row[index])] += row[4]
            count[str(row[index])] += 1
    return {k: (round(hours[k], 2), count[k]) for k in hours}


def _summary(db: str, by: str, year: str | None) -> dict[str, tuple[str, float, int]]:
    extra = ["--year", year] if year else []
    data = as_json(db, "feedback", "summary", "--by", by, *extra)
    assert isinstance(data, dict)
    return {
        r["key"]: (r["label"], r["hours"], r["activities"]) for r in data["rows"] if r["activities"]
    }


def test_service_summaries_group_each_activity_under_its_days_codes(db: str) -> None:
    """Service recorded in 2014 and in 2016 before the change day counts, after the 2016
    change file, under the codes and names it had on its day; service after the day under
    the new ones. Expected totals come from the activity rows as stored before the change
    (and, for the later ones, as stored after it)."""
    assert run(["--db", db, "init"]) == 0
    for parent, name in [("008.001", "清河区委办党支部"), ("008.002", "清浦区委办党支部"),
                         ("008.006", "洪泽县委办党支部")]:  # fmt: skip
        invoke(db, "codes", "add", parent, name, "--on", "2014-08-01", "--reason", "编码")
    places = [("清河区", "长东街道", "文渠社区"), ("清浦区", "浦楼街道", "承德社区"),
              ("洪泽县", "高良涧街道", "东风社区")]  # fmt: skip
    for district, street, name in places:
        invoke(db, "community", "add", "--district", district, "--street", street, "--name", name)
    # each unit's members live in each of the three districts: a unit's service is spread
    # over districts and a district's over units
    store = SqlStore(db)
    me = support.actor(store, getpass.getuser())
    people: list[tuple[str, tuple[str, str]]] = []
    regs = []
    for unit in ("008.001.001", "008.002.001", "008.006.001"):
        for place in places:
            who = support.person()
            regs.append(support.registration(OrgCode.parse(unit), CommunityRef(*place), who=who))
            people.append((unit, who))
    at = datetime(2014, 8, 28, tzinfo=UTC)
    batch = Batch("20140828T000000-cccccc", BatchKind.REGISTRATIONS, "附表1.xlsx", me.name, at,
                  date(2014, 8, 28), len(regs))  # fmt: skip
    assert store.write_registrations(me, batch, regs).new == len(regs)
    store.close()
    assert as_json(db, "route", "--yes", "--on", "2014-09-05")["routed"] == len(regs)  # type: ignore[index]

    def record(day: date, stamp: str) -> str:
        acts = [support.activity(who, day, hours=1.5 + i % 4) for i, (_, who) in enumerate(people)]
        batch_id = f"{stamp}-dddddd"
        written = SqlStore(db)
        actor = support.actor(written, getpass.getuser())
        made = Batch(batch_id, BatchKind.ACTIVITIES, "活动.xlsx", actor.name, at, day, len(acts))
        assert written.write_activities(actor, made, acts).new == len(acts)
        written.close()
        return batch_id

    record(date(2014, 10, 12), "20141012T000000")
    record(date(2016, 9, 18), "20160918T000000")
    before = _raw_activities(db)
    assert {r[1][:7] for r in before} == {"008.001", "008.002", "008.006"}
    invoke(db, "codes", "apply", str(EXAMPLE))
    late = record(date(2016, 11, 20), "20161120T000000")
    after = _raw_activities(db, f"batch_id = '{late}'")
    assert {r[2] for r in after} == {"008.028", "008.006"}  # the new districts' codes
    names = {"008.001": "清河区委", "008.002": "清浦区委", "008.006": "洪泽县委",
             "008.001.001": "清河区委办党支部", "008.002.001": "清浦区委办党支部",
             "008.006.001": "洪泽县委办党支部"}  # fmt: skip
    new_names = {"008.028": "清江浦区委", "008.006": "洪泽区委",
                 "008.028.001": "清河区委办党支部", "008.028.002": "清浦区委办党支部",
                 "008.006.001": "洪泽县委办党支部"}  # fmt: skip
    for by, index in (("unit", 1), ("district", 2)):
        # 2014: entirely under 2014's codes, with 2014's names
        want = _grouped(before, 2014, index)
        assert _summary(db, by, "2014") == {k: (names[k], *v) for k, v in want.items()}
        # 2016: before 2016-10-01 under the old codes, after it under the new ones; names as
        # of the year's end
        old = _grouped(before, 2016, index)
        new = _grouped(after, 2016, index)
        got = _summary(db, by, "2016")
        assert set(got) == set(old) | set(new)
        for k in got:
            hours = round(old.get(k, (0.0, 0))[0] + new.get(k, (0.0, 0))[0], 2)
            n = old.get(k, (0.0, 0))[1] + new.get(k, (0.0, 0))[1]
            assert got[k][1:] == (hours, n), (by, k)
        first = "008.001" if by == "district" else "008.001.001"
        assert got[first][0] == names[first]  # retired in October: its last name
        if by == "district":
            assert got["008.006"][0] == "洪泽区委"  # renamed in October: the year-end name
        # all years together: under today's codes (the years have no one common day)
        total = _summary(db, by, None)
        assert {k: v[0] for k, v in total.items()} == {k: new_names[k] for k in total}
        assert round(sum(v[1] for v in total.values()), 2) == round(
            sum(r[4] for r in before + after), 2
        )
    # the 2014 ledger of 清河区's unit, asked by its retired code, lists its members then
    store = SqlStore(db)
    me = support.actor(store, getpass.getuser())
    ws_members = store.unit_members_on(me, OrgCode.parse("008.001.001"), date(2014, 12, 31))
    assert set(ws_members.values()) == {"008.001.001"} and len(ws_members) == len(places)
    # the roll-ups of the storage API follow the same rule
    rollup = store.activity_totals(me, RollupKey.DISTRICT, year=2014)
    totals = {t.key: (t.hours, t.activities) for t in rollup}
    assert totals == _grouped(before, 2014, 2)
    store.close()
    ledger = Workspace(db, os_user=getpass.getuser()).feedback.ledger("008.001.001", year=2014)
    assert len(ledger) == len(places) and {line.unit_code for line in ledger} == {"008.001.001"}
    assert sum(line.activities for line in ledger) == len(places)
    assert round(sum(line.hours for line in ledger), 2) == round(
        sum(h for _, u, _, y, h in before if y == 2014 and u == "008.001.001"), 2
    )
