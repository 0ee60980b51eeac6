"""Click's own messages reach operators in Chinese: usage errors and help screens."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from partyreg_cli import zh
from partyreg_cli.main import run

# click's messages that never reach an operator of partyreg: mistakes in a command's own
# definition (a developer's), deprecation warnings, shell completion and Windows consoles
NOT_FOR_OPERATORS = {
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Could not determine name for option with declarations {decls!r}",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
    "Name '{name}' defined twice",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?",
    "Couldn't detect Bash version, shell completion is not supported.",
    "Shell completion is not supported for Bash versions older than 4.4.",
    "Windows error: {error}",
    "{editor}: Editing failed",
    "{editor}: Editing failed: {e}",
    "Unknown color {colour!r}",
    "Unknown standard stream '{name}'",
    "Choice({choices})",
    "d",
}


def click_messages() -> set[str]:
    """Every literal message click passes to ``_`` or ``ngettext`` in its own modules."""
    found: set[str] = set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            if call and node.func.id in ("_", "ngettext"):  # type: ignore[attr-defined]
                for arg in node.args:  # type: ignore[attr-defined]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found


def test_every_message_click_can_show_an_operator_has_a_chinese_entry() -> None:
    missing = click_messages() - set(zh.MESSAGES) - NOT_FOR_OPERATORS
    assert not missing, f"click messages without a Chinese entry: {sorted(missing)}"


def test_each_entry_keeps_the_placeholders_click_fills_in() -> None:
    field = re.compile(r"\{(\w+)[^}]*\}|%\((\w+)\)s")
    for english, chinese in zh.MESSAGES.items():
        assert {m.group(0) for m in field.finditer(english)} >= {
            m.group(0) for m in field.finditer(chinese)
        }, english


LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _prose(line: str) -> str:
    # what is left of an error line once the command path, option names and the echoed values
    # (quoted) are taken out: it must be Chinese
    line = re.sub(r"'[^']*'|（运行 [^）]*）|partyreg", "", line)
    return line


@pytest.mark.parametrize(
    "args",
    [
        ["members", "list", "--nope"],
        ["audit", "--limit", "x"],
        ["members", "shw"],
        ["activity", "add", "1", "--date", "2014-10-01"],
        ["progress", "--by", "xx"],
        ["members", "list", "--limit"],
        ["posts", "list", "多余", "的词"],
    ],
)
def test_a_usage_error_is_one_chinese_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "adir").mkdir()
    code = run(["--db", f"sqlite:///{tmp_path / 's.db'}", *args])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("partyreg: 命令用法错误：")
    assert not LATIN_WORD.search(_prose(lines[0])), lines[0]


def test_a_directory_given_as_the_file_to_import_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    assert run(["--db", f"sqlite:///{tmp_path / 's.db'}", "import", "adir"]) == 2
    err = capsys.readouterr().err
    assert "'adir' 是文件夹：请给出其中的文件" in err
    assert "directory" not in err


def test_help_screens_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["members", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：")
    assert "显示本帮助并退出。" in out and "Show this message" not in out
    assert "选项" in out and "命令" in out


def test_a_group_typed_alone_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["import"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("用法： partyreg import [选项] 命令 [参数]...")
    assert "命令用法错误" not in err
