"""Messages that say what happened: user mistakes are one Chinese line with the fix, never
"内部错误", and nothing an operator typed is echoed back at any length."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, Cli, write_xlsx

HUGE = "99999999999999999999"  # beyond SQLite's INTEGER and PostgreSQL's bigint


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(tmp_path, capsys)
    assert c("init")[0] == 0
    assert c.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)))[0] == 0
    assert c.json("import", str(write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])))[0] == 0
    return c


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
    assert f"文件夹“{cli.tmp / 'nowhere'}”不存在" in one_line(err)


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
