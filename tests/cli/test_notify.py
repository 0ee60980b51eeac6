"""``partyreg notify`` as operators run it: channels (add, list without secrets, test, remove,
scope), the outbox (list, flush with ``--now``, retry), the deployment file, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from partyreg_cli.main import run
from partyreg_core.workspace import Workspace
from tests.plugins.notifiers.conftest import RecordingServer, _serve
from tests.plugins.storage import support

# 2024-09-08 10:00 in Beijing
EVENT_AT = datetime(2024, 9, 8, 2, 0, tzinfo=UTC)


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    yield from _serve(RecordingServer())


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARTYREG_DB", raising=False)
    monkeypatch.delenv("PARTYREG_OPERATOR", raising=False)
    config = tmp_path / "partyreg.toml"
    config.write_text(
        "[notify]\ndeliver_immediately = false\nmax_attempts = 3\n\n"
        '[notify.channels."qh-ding"]\naccess_token = "tok-123"\n',
        "utf-8",
    )
    monkeypatch.setenv("PARTYREG_CONFIG", str(config))
    monkeypatch.setenv("PARTYREG_TEST_DING_SECRET", "SECabcdef")
    return f"sqlite:///{tmp_path / 'city.db'}"


def call(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[int, str, str]:
    code = run(["--db", db, *args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _setup(capsys: pytest.CaptureFixture[str], db: str) -> support.District:
    assert call(capsys, db, "init")[0] == 0
    assert call(capsys, db, "operator", "add", support.OS_USER, "--role", "city")[0] == 0
    from partyreg_plugins.sqlstore.store import SqlStore

    store = SqlStore(db)
    district = support.make_district(store, units=2, communities=1)
    store.close()
    for args in (
        ("operator", "add", "qinghe", "--role", "district", "--scope", str(district.code)),
        ("operator", "add", "danwei", "--role", "unit", "--scope", str(district.units[0])),
    ):
        code, _out, err = call(capsys, db, *args)
        assert code == 0, err
    return district


def _fire_routed(db: str, district: support.District) -> None:
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
            "members": [{"id": 1, "name": "张三", "unit_code": str(district.units[0])}],
        },
    )
    ws.close()


def test_channels_add_list_test_remove_and_secrets_stay_out(
    capsys: pytest.CaptureFixture[str], db: str, http_server: RecordingServer
) -> None:
    district = _setup(capsys, db)
    target = f"org:{district.code}"
    # a secret in clear text is refused: exit 2, one line naming the way to do it
    code, _out, err = call(
        capsys, db, "notify", "channel", "add", target, "--type", "dingtalk",
        "--set", "secret=SECplain", "--set", f"url={http_server.url}/robot/send",
    )  # fmt: skip
    assert code == 2 and "env:" in one_line(err)
    code, _out, err = call(
        capsys, db, "notify", "channel", "add", target, "--type", "dingtalk",
        "--set", f"url={http_server.url}/robot/send?access_token=abc",
    )  # fmt: skip
    assert code == 2 and "密钥" in one_line(err)
    # the secret as a reference, the token from the deployment file
    code, out, err = call(
        capsys, db, "--as", "qinghe", "notify", "channel", "add", target, "--type", "dingtalk",
        "--name", "qh-ding", "--set", "secret=env:PARTYREG_TEST_DING_SECRET",
        "--set", f"url={http_server.url}/robot/send", "--set", "msgtype=text",
    )  # fmt: skip
    assert code == 0, err
    assert "qh-ding" in out
    code, out, _ = call(capsys, db, "--as", "qinghe", "notify", "channel", "list", "--json")
    [listed] = json.loads(out)
    assert listed["target"] == target and listed["kind"] == "dingtalk"
    assert listed["settings"]["secret"] == "env:PARTYREG_TEST_DING_SECRET"
    code, text, _ = call(capsys, db, "--as", "qinghe", "notify", "channel", "list")
    for shown in (out, text):
        assert "SECabcdef" not in shown and "tok-123" not in shown
    # test: a real signed request with the token and signature from the deployment
    code, out, err = call(capsys, db, "--as", "qinghe", "notify", "channel", "test", "qh-ding")
    assert code == 0, err
    [request] = http_server.requests
    assert "access_token=tok-123" in request.path and "sign=" in request.path
    assert "测试" in request.json()["text"]["content"]
    # a unit operator can neither configure nor see the district's channel
    code, _out, err = call(
        capsys, db, "--as", "danwei", "notify", "channel", "add", target, "--type", "webhook",
        "--set", f"url={http_server.url}",
    )  # fmt: skip
    assert code == 2 and "范围" in one_line(err)
    code, out, _ = call(capsys, db, "--as", "danwei", "notify", "channel", "list", "--json")
    assert json.loads(out) == []
    code, _out, err = call(capsys, db, "--as", "danwei", "notify", "channel", "remove", "qh-ding")
    assert code == 2
    code, out, _ = call(capsys, db, "--as", "qinghe", "notify", "channel", "disable", "qh-ding")
    assert code == 0 and "已停用" in out
    code, out, _ = call(capsys, db, "--as", "qinghe", "notify", "channel", "list")
    assert "停用" in out
    code, out, err = call(capsys, db, "--as", "qinghe", "notify", "channel", "remove", "qh-ding")
    assert code == 0 and "已删除" in out
    # the audit log has every change to channels
    code, out, _ = call(capsys, db, "audit", "--json")
    actions = [e["action"] for e in json.loads(out)]
    assert actions.count("notify.channel.add") == 1 and "notify.channel.remove" in actions
    assert "notify.channel.test" in actions
    assert "SECabcdef" not in out and "tok-123" not in out


def test_outbox_list_flush_retry(
    capsys: pytest.CaptureFixture[str], db: str, http_server: RecordingServer
) -> None:
    district = _setup(capsys, db)
    community = district.communities[0].id
    code, _out, err = call(
        capsys, db, "notify", "channel", "add", f"community:{community}", "--type", "webhook",
        "--name", "hook", "--set", f"url={http_server.url}/hook",
    )  # fmt: skip
    assert code == 0, err
    http_server.answer(500, {"error": "down"})
    _fire_routed(db, district)
    code, out, _ = call(capsys, db, "notify", "list", "--json")
    listed = json.loads(out)
    assert listed["counts"] == {"pending": 1, "sent": 0, "failed": 0, "skipped": 0}
    [message] = listed["messages"]
    assert message["target"] == f"community:{community}" and message["channel"] == "hook"
    assert message["subject"].startswith("【新分流】1 名在职党员到")
    # flush at 10:00 Beijing: the server answers 500 — retried a minute later
    code, out, err = call(capsys, db, "notify", "flush", "--now", "2024-09-08 10:00", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["sent"], report["retrying"], report["failed"]) == (0, 1, 0)
    assert report["attempts"][0]["next_attempt_at"] == "2024-09-08T02:01:00+00:00"
    code, out, _ = call(capsys, db, "notify", "flush", "--now", "2024-09-08 10:00:30")
    assert code == 0 and "没有到期" in out
    code, out, _ = call(capsys, db, "notify", "flush", "--now", "2024-09-08 10:01")
    assert "成功 1" in out
    assert len(http_server.requests) == 2
    code, out, _ = call(capsys, db, "notify", "list", "--status", "sent")
    assert "已发送" in out and "【新分流】" in out
    # retrying a sent message is refused; a failed one goes again at once
    code, _out, err = call(capsys, db, "notify", "retry", str(message["id"]))
    assert code == 2 and "已" in one_line(err)
    code, _out, err = call(capsys, db, "notify", "retry", "999999", "--json")
    assert code == 2 and "999999" in one_line(err)
    # a bad --now is one line, exit 2
    code, _out, err = call(capsys, db, "notify", "flush", "--now", "明天")
    assert code == 2 and "--now" in one_line(err)
    # a date alone is read by the one date parser
    code, _out, err = call(capsys, db, "notify", "flush", "--now", "2024年9月8日")
    assert code == 0, err


def test_list_says_which_messages_had_no_channel(
    capsys: pytest.CaptureFixture[str], db: str, http_server: RecordingServer
) -> None:
    district = _setup(capsys, db)
    _fire_routed(db, district)
    code, out, _ = call(capsys, db, "notify", "list")
    assert code == 0 and "无渠道 1" in out and "notify retry" in out
    code, out, _ = call(capsys, db, "notify", "list", "--status", "skipped", "--json")
    [skipped] = json.loads(out)["messages"]
    assert skipped["channel"] is None and skipped["status"] == "skipped"
    call(
        capsys, db, "notify", "channel", "add", f"community:{district.communities[0].id}",
        "--type", "webhook", "--set", f"url={http_server.url}/late",
    )  # fmt: skip
    code, out, err = call(capsys, db, "notify", "retry", str(skipped["id"]), "--json")
    assert code == 0, err
    [sent] = json.loads(out)["messages"]
    assert sent["status"] == "sent" and [r.path for r in http_server.requests] == ["/late"]


def test_a_broken_deployment_file_is_one_line(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(capsys, db)
    bad = tmp_path / "bad.toml"
    bad.write_text("[notify]\nmax_attempt = 3\n", "utf-8")
    monkeypatch.setenv("PARTYREG_CONFIG", str(bad))
    code, _out, err = call(capsys, db, "notify", "flush")
    assert code == 2 and "max_attempt" in one_line(err)
    monkeypatch.setenv("PARTYREG_CONFIG", str(tmp_path / "missing.toml"))
    code, _out, err = call(capsys, db, "notify", "flush", "--json")
    assert code == 2 and "PARTYREG_CONFIG" in one_line(err)


def test_the_text_listing_is_cut_and_says_so_json_is_complete(
    capsys: pytest.CaptureFixture[str], db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partyreg_cli.commands import notify

    district = _setup(capsys, db)
    _fire_routed(db, district)
    _fire_routed(db, district)  # the same event again: still one message
    import getpass

    ws = Workspace(db, os_user=getpass.getuser(), clock=lambda: EVENT_AT)
    for code in district.units:
        ws._changed("route.queued", "x", None, {"district_code": str(code), "count": 1})
    ws.close()
    monkeypatch.setattr(notify, "TEXT_LIMIT", 2)
    code, out, _ = call(capsys, db, "notify", "list")
    assert code == 0 and "只显示最新的 2 条，共 3 条" in out
    code, out, _ = call(capsys, db, "notify", "list", "--json")
    assert len(json.loads(out)["messages"]) == 3
