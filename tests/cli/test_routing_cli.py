"""The routing commands as operators type them: community, instructor, route (queue, resolve)
and report-in, through click's CliRunner and the CLI's error boundary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from partyreg_cli.commands.routing import _ids
from partyreg_cli.main import run
from partyreg_core.errors import ValidationError

WENQU = "淮安区/淮城街道/文渠社区"


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation() as (out, err, _both):
        code = run(["--db", db, *args])
    return code, out.getvalue().decode(), err.getvalue().decode()


def ok(db: str, *args: str) -> Any:
    code, out, err = invoke(db, *args)
    assert code == 0, (args, out, err)
    return json.loads(out) if "--json" in args else out


def member(
    db: str, unit: str, name: str, phone: str, district: str, street: str, community: str
) -> int:
    data = ok(db, "members", "add", "--unit", unit, "--name", name, "--gender", "女",
              "--title", "科员", "--posts", "3", "--phone", phone, "--district", district,
              "--street", street, "--community", community, "--json")  # fmt: skip
    return int(data["id"])


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARTYREG_DB", raising=False)
    monkeypatch.delenv("PARTYREG_OPERATOR", raising=False)
    url = f"sqlite:///{tmp_path / 'city.db'}"
    ok(url, "init")
    ok(url, "operator", "add", "huaian", "--role", "district", "--scope", "008.003")
    ok(url, "operator", "add", "huaiyin", "--role", "district", "--scope", "008.004")
    ok(url, "operator", "add", "shiji", "--role", "district", "--scope", "008.010")
    for who, district, street, name in (
        ("huaian", "淮安区", "淮城街道", "文渠社区"),
        ("huaian", "淮安区", "淮城街道", "河下社区"),
        ("huaiyin", "淮阴区", "王营街道", "人民社区"),
    ):
        ok(url, "--as", who, "community", "add", "--district", district, "--street", street,
           "--name", name, "--phone", "0517-83601234")  # fmt: skip
    return url


def test_a_district_keeps_its_own_part_of_the_directory(db: str) -> None:
    listed = ok(db, "community", "list", "--district", "008.003", "--json")
    assert [c["community"] for c in listed] == [WENQU, "淮安区/淮城街道/河下社区"]
    code, out, err = invoke(db, "--as", "huaiyin", "community", "add", "--district", "淮安区",
                            "--street", "淮城街道", "--name", "新社区", "--json")  # fmt: skip
    assert (
        code == 2
        and "不在你的管理范围内" in err
        and json.loads(out)["error"]["code"] == "scope.denied"
    )
    code, _out, err = invoke(db, "--as", "huaian", "community", "add", "--district", "淮安区",
                             "--street", "淮城街道", "--name", "新社区", "--phone", "12345")  # fmt: skip
    assert code == 2 and "接收报到电话" in err and "Traceback" not in err
    code, _out, err = invoke(db, "--as", "huaian", "community", "add", "--district", "淮安区",
                             "--street", "淮城街道", "--name", "文渠社区")  # fmt: skip
    assert code == 2 and "已有" in err
    edited = ok(db, "--as", "huaian", "community", "edit", WENQU, "--secretary", "张明", "--json")
    assert edited["secretary"] == "张明"
    shown = ok(db, "community", "show", WENQU, "--json")
    assert shown["members"] == {"routed": 0, "reported_in": 0}
    assert "张明" in ok(db, "community", "show", "1")


def test_instructors_are_added_assigned_and_listed(db: str) -> None:
    added = ok(db, "--as", "huaian", "instructor", "add", "王芳", "--phone", "13905171234",
               "--community", WENQU, "--json")  # fmt: skip
    assert added["district_code"] == "008.003"
    assert [c["community"] for c in added["communities"]] == [WENQU]
    ok(db, "--as", "huaian", "instructor", "assign", "王芳", "淮安区/淮城街道/河下社区")
    code, _out, err = invoke(
        db, "--as", "huaian", "instructor", "assign", "王芳", "淮阴区/王营街道/人民社区"
    )
    assert code == 2 and "只能分配本县区的社区" in err
    ok(db, "--as", "huaian", "instructor", "unassign", str(added["id"]), WENQU)
    listed = ok(db, "instructor", "list", "--json")
    assert [(i["name"], [c["id"] for c in i["communities"]]) for i in listed] == [("王芳", [2])]
    code, _out, err = invoke(db, "--as", "huaian", "instructor", "add", "王 1", "--phone", "139")
    assert code == 2 and "姓名" in err


def test_route_queue_resolve_and_report_in(db: str) -> None:
    ok(
        db,
        "--as",
        "huaian",
        "instructor",
        "add",
        "王芳",
        "--phone",
        "13905171234",
        "--community",
        WENQU,
    )
    a = member(db, "008.010", "张三", "13900000001", "淮安区", "淮城街道", "文渠社区")
    b = member(db, "008.010", "李四", "13900000002", "淮阴区", "王营街道", "人民社区")
    c = member(db, "008.003", "王五", "13900000003", "淮安区", "淮城街道", "文渠居委会")
    d = member(db, "008.003", "赵六", "13900000004", "淮安区", "淮城街道", "文渠社区")
    e = member(db, "008.010", "钱七", "13900000005", "清江浦区", "长东街道", "文渠社区")
    dry = ok(db, "--as", "shiji", "route", "--dry-run", "--on", "2014-09-05", "--json")
    assert (dry["dry_run"], dry["pending"], dry["routed"], dry["waiting"]) == (True, 3, 2, 1)
    assert ok(db, "--as", "shiji", "route", "--dry-run", "--json")["routed"] == 2  # nothing written
    done = ok(db, "--as", "shiji", "route", "--yes", "--on", "2014-09-05", "--json")
    assert [(x["code"], x["routed"], x["waiting"]) for x in done["by_aggregator"]] == [
        ("008.010", 2, 1)
    ]
    assert {x["code"]: x["routed"] for x in done["by_district"]} == {"008.003": 1, "008.004": 1}
    assert [x["community"] for x in done["by_community"]] == [WENQU, "淮阴区/王营街道/人民社区"]
    assert done["by_community"][0]["instructor_ids"] == [1]
    assert done["waiting_by_aggregator"] == [
        {"code": "008.010", "name": "淮安市市级机关工委", "count": 1}
    ]
    mine = ok(db, "--as", "huaian", "route", "--yes", "--on", "2014-09-06", "--json")
    assert (mine["routed"], mine["queued"]) == (1, 1)
    queue = ok(db, "--as", "huaian", "route", "queue", "--json")
    assert [(q["community"], q["count"], q["member_ids"], q["reason"]) for q in queue] == [
        ("淮安区/淮城街道/文渠居委会", 1, [c], "queued")
    ]
    assert queue[0]["suggestions"][0] == {"id": 1, "community": WENQU}
    city_queue = ok(db, "route", "queue", "--json")
    assert {(q["community"], q["reason"]) for q in city_queue} == {
        ("淮安区/淮城街道/文渠居委会", "queued"),
        ("清江浦区/长东街道/文渠社区", "waiting"),
    }
    text = ok(db, "--as", "huaian", "route", "queue")
    assert "文渠居委会" in text and "1 淮安区/淮城街道/文渠社区" in text
    resolved = ok(db, "--as", "huaian", "route", "resolve", "淮安区/淮城街道/文渠居委会", "--to", "1",
                  "--on", "2014-09-07", "--json")  # fmt: skip
    assert resolved["routed"] == 1
    assert ok(db, "--as", "huaian", "route", "queue", "--json") == []
    code, _out, err = invoke(
        db, "--as", "huaian", "route", "resolve", "淮安区/淮城街道/没有", "--to", "1"
    )
    assert code == 2 and "route queue" in err
    code, _out, err = invoke(db, "--as", "huaian", "report-in", "confirm", str(b))
    assert code == 1 and "不在你的范围内" in err
    ok(db, "operator", "add", "wenqu", "--role", "community", "--scope", WENQU)
    confirmed = ok(db, "--as", "wenqu", "report-in", "confirm", "--community", WENQU, "--all", "--yes",
                   "--except", str(d), "--on", "2014-09-15", "--json")  # fmt: skip
    assert sorted(confirmed["confirmed"]) == sorted([a, c])
    listed = ok(db, "--as", "wenqu", "report-in", "list", "--status", "routed", "--json")
    assert [m["id"] for m in listed] == [d]
    assert "已确认报到 1 人" in ok(
        db, "--as", "wenqu", "report-in", "confirm", str(d), "--on", "2014-09-16"
    )
    reported = ok(db, "--as", "wenqu", "report-in", "list", "--json")
    assert {(m["id"], m["status"], m["reported_on"]) for m in reported} == {
        (a, "reported_in", "2014-09-15"),
        (c, "reported_in", "2014-09-15"),
        (d, "reported_in", "2014-09-16"),
    }
    code, _out, err = invoke(db, "--as", "wenqu", "route")
    assert code == 2 and "不能分流" in err
    code, _out, err = invoke(db, "--as", "wenqu", "report-in", "confirm", "--all")
    assert code == 2 and "--community" in err
    _ = e


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=6), st.sampled_from([",", "，", ", "]))
def test_member_ids_are_read_however_they_are_separated(ids: list[int], sep: str) -> None:
    text = sep.join(str(i) for i in ids)
    assert _ids((text,), "党员编号") == ids
    assert _ids(tuple(str(i) for i in ids), "党员编号") == ids


@given(st.text(alphabet="abc张-+. ", min_size=1, max_size=5).filter(lambda t: t.strip(" ,，")))
def test_a_member_id_that_is_no_number_is_refused_naming_it(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _ids((text,), "党员编号")
    assert raised.value.code == "member.id"
