"""Messages that say what happened: user mistakes are one Chinese line with the fix, never
"内部错误", and nothing an operator typed is echoed back at any length."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import make_url

from partyreg_cli.app import App
from partyreg_cli.main import INTERRUPTED, run
from partyreg_core.errors import NotPermittedError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.plugins import make_plugin_manager
from partyreg_core.workspace import Workspace
from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, Cli, registered, write_xlsx
from tests.plugins.storage.support import PG_URL, pg_unreachable

HUGE = "99999999999999999999"  # beyond SQLite's INTEGER and PostgreSQL's bigint


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return registered(tmp_path, capsys)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "内部错误" not in lines[0] and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["members", "show", HUGE],
        ["members", "list", "--community", HUGE],
        ["change", "approve", HUGE],
        ["activity", "confirm", HUGE],
        ["notify", "retry", HUGE],
        ["community", "show", HUGE],
        ["feedback", "show", HUGE],
    ],
)
def test_an_id_beyond_the_databases_range_is_not_found(cli: Cli, args: list[str]) -> None:
    code, _, err = cli(*args)
    assert code == 2
    assert "超出了范围" in one_line(err) or "没有" in one_line(err)


def test_an_export_into_a_missing_folder_names_the_folder(cli: Cli) -> None:
    code, _, err = cli("export", "form1", "-o", str(cli.tmp / "nowhere" / "x.xlsx"))
    assert code == 2
    assert f"文件夹 {cli.tmp / 'nowhere'} 不存在" in one_line(err)


def test_a_wrong_extension_names_the_operators_own_suffix(cli: Cli) -> None:
    code, _, err = cli("export", "form1", "-o", str(cli.tmp / "x.csv"))
    assert code == 2
    line = one_line(err)
    assert "（而不是 .csv）" in line and "partial" not in line


@pytest.mark.parametrize("hours", ["-1", "1e9", "25"])
def test_hours_out_of_range_say_the_range(cli: Cli, hours: str) -> None:
    code, _, err = cli("activity", "add", "王建伟", "--date", "2014-10-01", "--hours", hours,
                       "--content", "清扫楼道", "--rating", "优")  # fmt: skip
    assert code == 2
    line = one_line(err)
    assert "不是数字" not in line
    assert "24" in line


class InterruptAfterImport:
    """Ctrl-C pressed the moment an import has committed: the hook runs just after the commit."""

    @hookimpl
    def partyreg_on_imported(self, workspace: Any, outcome: Any) -> None:
        raise KeyboardInterrupt


def test_an_interrupt_after_the_commit_says_what_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert run(["--db", db, "init"]) == 0
    assert run(["--db", db, "import", str(write_xlsx(tmp_path / "d.xlsx", DIRECTORY))]) == 0
    pm = make_plugin_manager()
    pm.register(InterruptAfterImport())
    form1 = write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])
    capsys.readouterr()
    code = run(["--db", db, "import", str(form1)], app=App(db, None, pm))
    line = one_line(capsys.readouterr().err)
    ws = Workspace(db)
    [batch] = [b for b in ws.batches() if b.kind.value == "registrations"]
    ws.close()
    assert code == INTERRUPTED
    assert f"已中断，但中断前已写入（批次号 {batch.id}）" in line


CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红玲斌波辉鹏飞宇浩凯健俊帆帅旭宁龙林欣晨瑞博文昊天浩然子轩梓涵一诺"


def test_a_real_ctrl_c_during_an_import_tells_the_truth(tmp_path: Path) -> None:
    """SIGINT while a large import runs: whatever moment it lands, the line says what the store
    holds — rolled back and no batch, or written with the batch that is there."""
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert run(["--db", db, "init"]) == 0
    assert run(["--db", db, "import", str(write_xlsx(tmp_path / "d.xlsx", DIRECTORY))]) == 0
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FORM1_HEADER)
        for n in range(200_000):  # long enough that the signal lands while it runs
            row = list(GOOD[0])
            a, b, c = n % 60, n // 60 % 60, n // 3600
            row[1] = f"王{CHARS[a]}{CHARS[b]}{CHARS[c]}"
            row[6] = f"139{n:08d}"
            writer.writerow(row)
    command = [sys.executable, "-m", "partyreg_cli", "--db", db, "import", str(big)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wait until the import writes (its journal appears), or at most 20 s, then press Ctrl-C
    journal = tmp_path / "s.db-wal"
    start = journal.stat().st_size if journal.exists() else 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and journal.stat().st_size > start:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == INTERRUPTED, (out, err)
    line = one_line(err)
    ws = Workspace(db)
    batches = [b.id for b in ws.batches() if b.kind.value == "registrations"]
    ws.close()
    if "已回滚，未写入" in line:
        assert batches == []
    else:
        assert batches and f"批次号 {batches[0]}" in line


def partyreg(*args: str) -> list[str]:
    return [sys.executable, "-m", "partyreg_cli", *args]


def test_a_closed_standard_output_is_an_error(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "-c", '"$@" >&-', "partyreg", *partyreg("posts", "list")],
        capture_output=False, stderr=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "标准输出已关闭" in one_line(done.stderr)


def test_a_reader_that_went_away_is_an_error(tmp_path: Path) -> None:
    process = subprocess.Popen(
        partyreg("posts", "list"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # no reader at all: the first write fails
    err = process.stderr.read()
    assert process.wait(timeout=60) == 2
    assert "接收输出的程序已先关闭" in one_line(err)


def test_import_help_shows_the_options_of_importing_a_file(cli: Cli) -> None:
    code, out, _ = cli("import", "--help")
    assert code == 0
    for option in ("--kind", "--dry-run", "--skip-invalid", "--errors-out", "--date"):
        assert option in out


def test_audit_limit_shows_the_newest_entries_in_order(cli: Cli) -> None:
    everything = cli.json("audit")[1]
    assert len(everything) >= 3
    code, newest = cli.json("audit", "--limit", "2")
    assert code == 0
    assert [e["id"] for e in newest] == [e["id"] for e in everything[-2:]]


def test_import_list_prints_beijing_time(cli: Cli) -> None:
    [batch, *_] = cli.json("import", "list")[1]
    at = datetime.fromisoformat(batch["at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    code, out, _ = cli("import", "list")
    assert code == 0
    assert f"{at:%Y-%m-%d %H:%M}" in out


def test_a_huge_name_is_echoed_cut(cli: Cli) -> None:
    code, _, err = cli("members", "show", "张" * 100_000)
    assert code == 2
    line = one_line(err)
    assert len(line) < 200
    assert "（共 100000 字）" in line


def test_a_suggested_command_quotes_what_it_echoes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert run(["--db", db, "init"]) == 0
    ws = Workspace(db, os_user="zhang; rm -rf ~")
    with pytest.raises(NotPermittedError) as refused:
        ws.actor  # noqa: B018
    ws.close()
    assert "partyreg operator add 'zhang; rm -rf ~' --role" in refused.value.message


def test_a_postgresql_server_that_refuses_the_login_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    why = pg_unreachable()
    if why is not None:
        pytest.skip(why)
    url = make_url(PG_URL).set(username="partyreg_no_such_login")
    code = run(["--db", url.render_as_string(hide_password=False), "members", "list"])
    assert code == 2  # not 3: retrying will not help
    line = one_line(capsys.readouterr().err)
    assert "PostgreSQL 服务器拒绝了登录" in line and "无法连接" not in line


def test_a_postgresql_server_that_is_down_is_temporary(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["--db", "postgresql://postgres@127.0.0.1:1/test", "members", "list"])
    assert code == 3
    assert "无法连接 PostgreSQL 服务器" in one_line(capsys.readouterr().err)


def test_a_changed_row_is_named_with_the_fields_that_change(cli: Cli) -> None:
    edited = [list(r) for r in GOOD]
    edited[1][4] = "法律"  # 李娜's specialty…
    edited[1][7] = "河下古镇5号"  # …and address
    path = write_xlsx(cli.tmp / "again.xlsx", [FORM1_HEADER, *edited])
    code, report = cli.json("import", str(path), "--dry-run")
    assert code == 0 and report["rows_changed"] == 1
    [change] = report["changed_rows"]
    assert change["row"] == 3 and change["fields"] == ["特长", "常住住址"]
    code, out, _ = cli("import", str(path))
    assert code == 0
    assert f"第 3 行（党员编号 {change['member_id']}）：特长、常住住址" in out
    assert "已变更的行（1 行）" in out


def test_a_directory_reimport_keeps_a_phone_edited_since_and_says_so(cli: Cli) -> None:
    directory = cli.tmp / "dir.xlsx"  # the file imported by the fixture
    code, _, err = cli("community", "edit", "淮安区/淮城街道/河下社区", "--phone", "0517-85990000")
    assert code == 0, err
    code, report = cli.json("import", str(directory))
    assert code == 0
    [warning] = [w for w in report["warnings"] if w["code"] == "directory.edited"]
    assert warning["row"] == 2 and warning["value"] == "0517-85912345"
    assert "改为“0517-85990000”" in warning["message"] and "--overwrite-edits" in warning["message"]
    [hexia] = [c for c in cli.json("community", "list")[1] if c["name"] == "河下社区"]
    assert hexia["phone"] == "0517-85990000"  # the newer hand edit stays
    # asked for, the file wins; and once imported, the file is the newest again: no warning
    code, report = cli.json("import", str(directory), "--overwrite-edits")
    assert code == 0 and not [w for w in report["warnings"] if w["code"] == "directory.edited"]
    [hexia] = [c for c in cli.json("community", "list")[1] if c["name"] == "河下社区"]
    assert hexia["phone"] == "0517-85912345"
    code, report = cli.json("import", str(directory))
    assert not [w for w in report["warnings"] if w["code"] == "directory.edited"]
