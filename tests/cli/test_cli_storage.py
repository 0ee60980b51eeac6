"""The storage commands as an operator runs them: init, operator, --as, members, audit; exit
codes and one-line errors (DESIGN.md §5, §9)."""

from __future__ import annotations

import getpass
import json
import os
import pwd
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from partyreg_cli.main import run
from partyreg_core.operators.identity import Identity, OsIdentity
from tests.plugins.storage import support

FIELDS_OF_FORM_1 = {
    "unit_code",
    "name",
    "gender",
    "unit_and_title",
    "specialty",
    "posts",
    "phone",
    "address",
    "community",
    "street",
    "district",
}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARTYREG_DB", raising=False)
    monkeypatch.delenv("PARTYREG_OPERATOR", raising=False)
    return f"sqlite:///{tmp_path / 'city.db'}"


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _setup(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert call(capsys, "--db", db, "init")[0] == 0
    for args in (
        ("operator", "add", "qinghe", "--role", "district", "--scope", "008.001"),
        ("operator", "add", "minzheng", "--role", "unit", "--scope", "008.001"),
        ("operator", "add", "shiji", "--role", "unit", "--scope", "008.010"),
    ):
        code, _out, err = call(capsys, "--db", db, *args)
        assert code == 0, err
    member = (
        "members", "add", "--unit", "008.001", "--name", "张 三", "--gender", "男",
        "--title", "市民政局 科员", "--posts", "3、8", "--phone", "138 1234 5678",
        "--address", "北京路12号", "--community", "河下社区", "--street", "河下街道",
        "--district", "清河区", "--specialty", "医生",
    )  # fmt: skip
    code, _out, err = call(capsys, "--db", db, "--as", "minzheng", *member)
    assert code == 0, err


def test_init_creates_the_store_once_and_the_os_user_is_a_city_operator(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    code, out, _ = call(capsys, "--db", db, "init")
    assert code == 0 and "已创建存储" in out and getpass.getuser() in out
    assert (tmp_path / "city.db").stat().st_mode & 0o777 == 0o640
    code, out, _ = call(capsys, "--db", db, "init", "--json")
    report = json.loads(out)
    assert code == 0 and report["changed"] is False and report["created"] is False
    code, out, _ = call(capsys, "--db", db, "operator", "list", "--json")
    [me] = json.loads(out)
    assert me["name"] == getpass.getuser() and me["role"] == "city"


def test_the_default_store_is_partyreg_db_in_the_current_folder(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    assert call(capsys, "init")[0] == 0
    assert (tmp_path / "partyreg.db").exists()


def test_members_list_json_has_every_field_of_form_1_and_the_status(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _setup(capsys, db)
    code, out, _ = call(capsys, "--db", db, "--as", "minzheng", "members", "list", "--json")
    assert code == 0
    [member] = json.loads(out)
    assert FIELDS_OF_FORM_1 | {"report_type", "rank", "status"} <= set(member)
    assert member["name"] == "张三" and member["phone"] == "13812345678"  # normalised
    assert member["posts"] == ["3", "8"] and member["status"] == "registered"
    assert member["community"] == "清河区/河下街道/河下社区"
    assert member["unit_code"] == "008.001"


def test_roles_that_do_not_need_phones_see_them_masked(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _setup(capsys, db)
    _, out, _ = call(capsys, "--db", db, "--as", "qinghe", "members", "list", "--json")
    [member] = json.loads(out)
    assert member["phone"] == "138****5678" and member["address"] == "北京路**号"
    _, out, _ = call(capsys, "--db", db, "members", "show", "张三", "--json")
    assert json.loads(out)["phone"] == "138****5678"  # the city supervises, masked too


def test_an_operator_sees_nothing_outside_its_scope(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _setup(capsys, db)
    code, out, _ = call(capsys, "--db", db, "--as", "shiji", "members", "list", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, err = call(capsys, "--db", db, "--as", "shiji", "members", "show", "1")
    assert code == 2 and out == "" and "不在你的范围内" in one_line(err)


def test_as_is_for_city_operators_and_is_audited_with_both_names(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, db)
    code, out, _ = call(capsys, "--db", db, "audit", "--json", "--action", "import")
    [entry] = json.loads(out)
    assert entry["actor"] == getpass.getuser() and entry["on_behalf_of"] == "minzheng"
    assert entry["after"]["new"] == [1]
    # the kernel says minzheng (a district operator) runs partyreg
    monkeypatch.setattr(OsIdentity, "identify", lambda self: Identity("minzheng", "os"))
    code, out, err = call(capsys, "--db", db, "--as", "qinghe", "members", "list", "--json")
    assert code == 2 and "只有市级操作员" in one_line(err)
    assert json.loads(out)["error"]["code"] == "operator.as_denied"
    monkeypatch.setattr(OsIdentity, "identify", lambda self: Identity("stranger", "os"))
    code, _, err = call(capsys, "--db", db, "members", "list")
    assert code == 2 and "operator add stranger" in one_line(err)
    monkeypatch.undo()
    refused = [e for e in _audit(capsys, db) if e["action"].startswith("denied.")]
    assert [(e["actor"], e["action"], e["subject"]) for e in refused] == [
        ("minzheng", "denied.operator.as_denied", "operator:qinghe"),
        ("stranger", "denied.operator.unknown", "operator:stranger"),
    ]


def _audit(capsys: pytest.CaptureFixture[str], db: str) -> list[dict[str, Any]]:
    code, out, _ = call(capsys, "--db", db, "audit", "--json")
    assert code == 0
    entries: list[dict[str, Any]] = json.loads(out)
    return entries


def test_the_environment_does_not_name_the_operator(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, db)
    me = pwd.getpwuid(os.geteuid()).pw_name
    for variable in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, "minzheng")
    code, _, err = call(
        capsys, "--db", db, "operator", "add", "evil", "--role", "unit", "--scope", "008.010"
    )
    assert code == 0, err
    [added] = [e for e in _audit(capsys, db) if e["subject"] == "operator:evil"]
    assert added["actor"] == me and added["os_user"] == me


def test_members_edit_and_remove_are_audited(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _setup(capsys, db)
    code, out, err = call(
        capsys,
        "--db",
        db,
        "--as",
        "minzheng",
        "members",
        "edit",
        "张三",
        "--phone",
        "13900001111",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["phone"] == "13900001111"
    code, out, _ = call(
        capsys, "--db", db, "--as", "minzheng", "audit", "--json", "--action", "member.edit"
    )
    [entry] = json.loads(out)
    assert entry["before"] == {"phone": "13812345678"} and entry["after"] == {
        "phone": "13900001111"
    }
    # the city sees phones masked (decision 0014), in the audit log as everywhere else
    code, out, _ = call(capsys, "--db", db, "audit", "--json", "--action", "member.edit")
    [entry] = json.loads(out)
    assert entry["before"] == {"phone": "138****5678"} and entry["after"] == {
        "phone": "139****1111"
    }
    code, _, err = call(
        capsys, "--db", db, "--as", "minzheng", "members", "edit", "1", "--gender", "未知"
    )
    assert code == 2 and "性别" in one_line(err)
    code, out, _ = call(
        capsys, "--db", db, "--as", "minzheng", "members", "remove", "1", "--reason", "误登记"
    )
    assert code == 0 and "已删除" in out
    code, out, _ = call(capsys, "--db", db, "members", "list", "--json")
    assert json.loads(out) == []


def test_the_same_person_from_another_unit_is_refused(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _setup(capsys, db)
    code, _, err = call(
        capsys, "--db", db, "members", "add", "--unit", "008.010", "--name", "张三", "--gender", "男",
        "--title", "市级机关 科员", "--posts", "1", "--phone", "13812345678",
        "--community", "河下社区", "--street", "河下街道", "--district", "清河区",
    )  # fmt: skip
    assert code == 2 and "已由单位 008.001" in one_line(err)


def test_operator_commands(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _setup(capsys, db)
    code, out, _ = call(
        capsys,
        "--db",
        db,
        "operator",
        "scope",
        "qinghe",
        "--role",
        "unit",
        "--scope",
        "008.001.001",
        "--json",
    )
    assert code == 2  # 008.001.001 is not in the code table
    code, out, _ = call(capsys, "--db", db, "operator", "disable", "qinghe", "--json")
    assert code == 0 and json.loads(out)["disabled"] is True
    code, _, err = call(capsys, "--db", db, "--as", "qinghe", "members", "list")
    assert code == 2 and "已停用" in one_line(err)
    code, _, err = call(capsys, "--db", db, "operator", "add", "qinghe", "--role", "city")
    assert code == 2 and "已存在" in one_line(err)
    code, _, err = call(capsys, "--db", db, "operator", "add", "x", "--role", "district")
    assert code == 2 and "--scope" in one_line(err)
    code, _, err = call(capsys, "--db", db, "--as", "minzheng", "operator", "list")
    assert code == 2 and "市级" in one_line(err)
    code, _, err = call(capsys, "--db", db, "operator", "add", "y", "--role", "mayor")
    assert code == 2 and "Traceback" not in err


def test_a_missing_store_and_a_busy_store(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    code, out, err = call(capsys, "--db", db, "members", "list", "--json")
    assert code == 2 and "partyreg init" in one_line(err)
    assert json.loads(out)["error"]["code"] == "store.missing"
    _setup(capsys, db)
    holder = sqlite3.connect(tmp_path / "city.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = call(
            capsys, "--db", db + "?timeout=0.1", "--as", "minzheng", "members", "edit", "1",
            "--rank", "县处级", "--json",
        )  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 3 and "请稍后重试" in one_line(err)
    assert json.loads(out)["error"]["code"] == "store.busy"


def test_audit_since(capsys: pytest.CaptureFixture[str], db: str) -> None:
    _setup(capsys, db)
    code, out, _ = call(capsys, "--db", db, "audit", "--since", "2999-01-01", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = call(capsys, "--db", db, "audit", "--since", "2000年1月1日")
    assert code == 0 and "store.init" in out
    code, _, err = call(capsys, "--db", db, "audit", "--since", "昨天")
    assert code == 2 and "Traceback" not in err


@pytest.mark.postgres
def test_on_postgresql_the_admin_sets_up_and_each_operator_logs_in_as_itself(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    reason = support.pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    with support.pg_database_with_admin() as (name, admin):
        code, out, err = call(capsys, "--db", admin, "init")
        assert code == 0 and "已创建存储" in out, err
        code, out, _ = call(capsys, "--db", admin, "init")
        assert code == 0 and "没有需要改动的内容" in out
        add = ("operator", "add", "qinghe", "--role", "district", "--scope", "008.001")
        code, out, err = call(capsys, "--db", admin, *add)
        assert code == 0, err
        role = support.Roles(name).operator(2)
        assert f"partyreg  qinghe  {role}" in out and "peer map=partyreg" in out
        # daily work refuses the admin and the superuser, in one line each
        code, _, err = call(capsys, "--db", admin, "members", "list")
        assert code == 2 and "管理员用户" in one_line(err)
        code, _, err = call(capsys, "--db", support.pg_url(name), "members", "list")
        assert code == 2 and "超级用户" in one_line(err)
        # the operator's own login works, and set-up from it is refused, saying why
        own = make_url(admin).set(username=role).render_as_string(hide_password=False)
        code, out, err = call(capsys, "--db", own, "members", "list", "--json")
        assert code == 0 and json.loads(out) == [], err
        code, _, err = call(capsys, "--db", own, "operator", "add", "x", "--role", "city")
        assert code == 2 and "CREATEROLE" in one_line(err)
