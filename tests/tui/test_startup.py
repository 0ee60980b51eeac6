"""``partyreg tui`` before the first screen: the terminal check (ASCII, exit 2), the operator
and the store (one line, exit 2, never a traceback), and the CLI never importing Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from partyreg_cli.main import run
from partyreg_core.operators.identity import Identity, OsIdentity
from partyreg_tui import startup
from tests.tui import support

UTF8_ENV = {"TERM": "xterm-256color", "LANG": "zh_CN.UTF-8"}


def test_a_utf8_terminal_passes() -> None:
    assert startup.locale_problem(UTF8_ENV, "utf-8") is None
    assert startup.locale_problem(UTF8_ENV, "UTF8") is None


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "ascii", "latin-1", None])
def test_a_locale_without_utf8_is_refused_with_the_setting_to_change(encoding: str | None) -> None:
    problem = startup.locale_problem({"TERM": "xterm", "LANG": "zh_CN.GBK"}, encoding)
    assert problem is not None
    text = problem.text()
    assert text.isascii()
    assert "zh_CN.GBK" in text
    assert "export LANG=zh_CN.UTF-8" in text


@pytest.mark.parametrize("term", ["dumb", ""])
def test_a_dumb_terminal_is_refused(term: str) -> None:
    problem = startup.locale_problem({"TERM": term, "LANG": "C.UTF-8"}, "utf-8")
    assert problem is not None
    assert "TERM" in problem.text()
    assert problem.text().isascii()


def test_the_probe_tells_a_terminal_that_reads_another_charset() -> None:
    assert startup.probe_problem(None) is None  # no answer: nothing to conclude
    assert startup.probe_problem(startup.PROBE_CELLS) is None
    problem = startup.probe_problem(6)  # UTF-8 bytes read one by one (Latin-1, GBK)
    assert problem is not None
    assert "PuTTY: Window > Translation > Remote character set: UTF-8" in problem.text()
    assert problem.text().isascii()


def test_the_probe_is_skipped_without_a_terminal() -> None:
    assert startup.measure_advance() is None  # pytest's stdin is not a tty


def test_tui_exits_2_on_a_dumb_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert run(["--db", f"sqlite:///{tmp_path / 'x.db'}", "tui"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    # the output is UTF-8 here: one Chinese line with the setting to change
    assert err.startswith("partyreg: 终端类型（TERM）是 dumb，不能显示界面")
    assert "export TERM=xterm-256color" in err and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("redirect", ["</dev/null", "<&-", ">/dev/null"])
def test_tui_without_a_terminal_refuses_at_once_in_one_chinese_line(
    tmp_path: Path, redirect: str
) -> None:
    """``partyreg tui </dev/null`` (a cron job, a script) must neither spin nor write escape
    codes: one line on stderr, exit 2, at once."""
    city_db = tmp_path / "s.db"
    assert run(["--db", f"sqlite:///{city_db}", "init"]) == 0  # this OS user: a city operator
    env = {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    command = f'"$@" tui --no-probe {redirect}'
    done = subprocess.run(
        ["bash", "-c", command, "partyreg", sys.executable, "-m", "partyreg_cli",
         "--db", f"sqlite:///{city_db}"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "不是终端" in lines[0], done.stderr


def test_tui_names_partyreg_init_when_the_store_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    assert run(["--db", f"sqlite:///{tmp_path / 'none.db'}", "tui", "--no-probe"]) == 2
    err = capsys.readouterr().err
    assert "partyreg init" in err and "Traceback" not in err
    assert not (tmp_path / "none.db").exists()


def test_tui_refuses_an_unknown_operator_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], city_db: Path
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(OsIdentity, "identify", lambda self: Identity(support.OS_USER, "os"))
    assert run(["--db", f"sqlite:///{city_db}", "--as", "nobody", "tui", "--no-probe"]) == 2
    err = capsys.readouterr().err
    assert "没有操作员 nobody" in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_tui_tells_an_os_user_without_an_account_whom_to_ask(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], city_db: Path
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(OsIdentity, "identify", lambda self: Identity("newcomer", "os"))
    assert run(["--db", f"sqlite:///{city_db}", "tui", "--no-probe"]) == 2
    err = capsys.readouterr().err
    assert "系统用户 newcomer 不是 partyreg 操作员" in err and "partyreg operator add" in err
    assert "Traceback" not in err


def test_importing_the_cli_does_not_import_textual() -> None:
    code = (
        "import sys, partyreg_cli.main, partyreg_cli.commands.tui;"
        "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
