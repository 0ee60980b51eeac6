"""CLI tables: columns aligned by display width (a Chinese character takes two cells), and at
80 columns a table folds its long text and drops its least important columns instead of
wrapping mid-row (CliRunner at a fixed width)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from partyreg_cli.main import cli
from partyreg_cli.output import emit_table
from tests.cli.test_import import FORM1_HEADER, GOOD, store_with_directory, write_xlsx


def test_chinese_takes_two_cells_and_columns_stay_under_their_headers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emit_table(
        ["姓名", "单位", "电话"], [("王建伟", "市民政局", 139), ("Li", "x", "1")], width=None
    )
    assert capsys.readouterr().out.splitlines() == [
        "姓名    单位      电话",
        "------  --------  ----",
        "王建伟  市民政局  139",
        "Li      x         1",
    ]


def _starts(line: str) -> list[int]:
    """The cell offsets where a column starts (after a run of two spaces, or at 0)."""
    offsets, at, run_ = [0], 0, 0
    for ch in line:
        if ch == " ":
            run_ += 1
        else:
            if run_ >= 2 and at:
                offsets.append(at)
            run_ = 0
        at += cell_len(ch)
    return offsets


_CELL = st.text(st.sampled_from("张三李四淮安区河下社区abc123—、"), min_size=1, max_size=30)


@given(
    st.lists(st.lists(_CELL, min_size=4, max_size=4), min_size=1, max_size=6),
    st.sampled_from([40, 60, 80, 120]),
)
def test_any_table_fits_the_width_and_keeps_its_columns_aligned(
    rows: list[list[str]], width: int
) -> None:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        emit_table(["编号", "姓名", "报到社区", "说明"], rows, width=width)
    lines = out.getvalue().splitlines()
    table = [line for line in lines if not line.startswith("（终端宽")]
    assert all(cell_len(line) <= width for line in table), lines
    header_starts = _starts(table[0])
    for line in table[2:]:
        assert set(_starts(line)) <= set(header_starts), (line, table[0])


@pytest.fixture
def db(tmp_path: Path) -> str:
    return store_with_directory(tmp_path, members=True)


def invoke(db: str, columns: str | None, *args: str) -> list[str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_members_list_at_80_columns_drops_its_least_important_columns(db: str) -> None:
    full = invoke(db, None, "members", "list")
    assert cell_len(full[0]) > 80 and "性别" in full[0] and "认领岗位" in full[0]
    narrow = invoke(db, "80", "members", "list")
    assert all(cell_len(line) <= 80 for line in narrow), narrow
    assert "性别" not in narrow[0] and "报到社区" in narrow[0] and "状态" in narrow[0]
    assert narrow[-1].startswith("（终端宽 80 列，省略了：性别")
    assert len(narrow) == len(full) + 1  # one line per member: no row wraps
    starts = _starts(narrow[0])
    assert all(set(_starts(line)) <= set(starts) for line in narrow[2:-1])


def test_progress_at_80_columns_keeps_name_and_rate(db: str) -> None:
    def table(lines: list[str]) -> list[str]:
        at = next(i for i, line in enumerate(lines) if "完成率" in line)
        end = next(i for i in range(at, len(lines)) if not lines[i].strip())
        return lines[at:end]

    full = table(invoke(db, None, "progress", "--by", "district"))
    assert len(full) > 2 and cell_len(full[0]) > 80
    narrow = table(invoke(db, "80", "progress", "--by", "district"))
    header = narrow[0]
    assert "名称" in header and "已报到" in header and "完成率" in header
    assert "分流迟/逾期" not in header
    rows = [line for line in narrow[2:] if not line.startswith("（终端宽")]
    assert len(rows) == len(full) - 2  # one line per district: no row wraps
    assert all(cell_len(line) <= 80 for line in narrow), narrow
    assert all(set(_starts(line)) <= set(_starts(header)) for line in rows)


def test_import_errors_fold_the_explanation_under_its_column(db: str, tmp_path: Path) -> None:
    bad = write_xlsx(tmp_path / "bad.xlsx", [FORM1_HEADER, [*GOOD[0][:6], "12345", *GOOD[0][7:]]])
    result = CliRunner().invoke(cli, ["--db", db, "import", str(bad)], env={"COLUMNS": "80"})
    assert "错误（1 条）" in result.output  # (exit codes are run()'s; CliRunner calls cli)
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("行"))
    end = lines.index("", at)
    assert all(cell_len(line) <= 80 for line in lines[at:end]), lines
    said = _starts(lines[at])[-1]
    folded = [line for line in lines[at + 3 : end] if line.startswith(" ")]
    assert folded and all(_starts(line)[-1] == said for line in folded if line.strip())
