"""Every CLI option that takes a date goes through the one click type built on the core's one
date parser: what operators type is accepted everywhere, and a day that does not exist is
exit 2 with one Chinese line saying how to write it."""

from __future__ import annotations

from pathlib import Path

import click
import openpyxl
import pytest

from partyreg_cli.commands.dates import DayType
from partyreg_cli.commands.events import ClockType
from partyreg_cli.main import cli, run
from tests.cli.test_import import store_with_directory

DATE_OPTIONS = {"--on", "--date", "--since", "--start", "--end", "--until"}
CALENDAR_OPTIONS = {"--registration", "--routing", "--report-in", "--confirmation"}


def _options(command: click.Command, path: str) -> list[tuple[str, click.Option]]:
    found = [(path, p) for p in command.params if isinstance(p, click.Option)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _options(sub, f"{path} {name}")
    return found


def test_every_date_option_uses_the_one_date_type() -> None:
    cli.load_all()  # the root imports its commands on first use (decision 0160)
    dated = [
        (path, option)
        for path, option in _options(cli, "partyreg")
        if set(option.opts) & (DATE_OPTIONS | CALENDAR_OPTIONS)
        and not (set(option.opts) & CALENDAR_OPTIONS and "calendar" not in path)
        and not isinstance(option.type, ClockType)  # a time of day (an event's 09:00–11:30)
    ]
    assert len(dated) > 25  # export, progress, activity add, import, routing, codes, …
    wrong = [
        f"{path} {option.opts[0]}" for path, option in dated if not isinstance(option.type, DayType)
    ]
    assert wrong == []


@pytest.fixture
def db(tmp_path: Path) -> str:
    return store_with_directory(tmp_path)


@pytest.mark.parametrize(
    "typed", ["2014/9/15", "2014.9.15", "2014年9月15日", "20140915", "２０１４－９－１５"]
)
def test_export_date_takes_what_operators_type(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    target = tmp_path / "附表1.xlsx"
    assert run(["--db", db, "export", "form1", "-o", str(target), "--date", typed]) == 0
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    texts = [str(c.value) for row in sheet.iter_rows(max_row=5) for c in row if c.value]
    assert any("2014 年 9 月 15 日" in t for t in texts), texts
    capsys.readouterr()


@pytest.mark.parametrize(
    "args",
    [
        ["export", "form4", "-o", "x.xlsx", "--date", "2014-13-40"],
        ["progress", "--on", "2014-13-40"],
        ["audit", "--since", "2014-13-40"],
        ["codes", "list", "--on", "2014-13-40"],
        ["route", "--dry-run", "--on", "2014-13-40"],
    ],
)
def test_a_day_that_does_not_exist_is_exit_2_with_the_fix(
    db: str, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert run(["--db", db, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "没有 13 月" in err and "2014-09-15" in err
    assert "Traceback" not in err


def test_progress_and_export_agree_on_the_same_typed_date(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", db, "progress", "--on", "2014/9/15", "--json"]) == 0
    slashed = capsys.readouterr().out
    assert run(["--db", db, "progress", "--on", "2014-09-15", "--json"]) == 0
    assert capsys.readouterr().out == slashed
