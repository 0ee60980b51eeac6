"""The CLI of the foundation: posts, codes, plugins; exit codes and the error boundary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from partyreg_cli.main import run

SEED_POST_NAMES = [
    "党建工作指导岗", "社会组织服务岗", "社情民意收集岗", "便民服务奉献岗", "帮困助残关爱岗",
    "就业援助指导岗", "法制宣传教育岗", "医疗卫生保健岗", "环境卫生保洁岗", "公共设施维护岗",
    "社会治安维护岗", "民事纠纷调解岗", "矫正对象帮教岗", "文明新风倡导岗", "文体娱乐实践岗",
]  # fmt: skip


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_posts_list_json_is_exactly_the_fifteen_posts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "posts", "list", "--json")
    assert code == 0
    posts = json.loads(out)
    assert [p["code"] for p in posts] == [str(n) for n in range(1, 16)]
    assert [p["name"] for p in posts] == SEED_POST_NAMES
    assert all(p["district"] is None for p in posts)


def test_posts_for_a_district_include_its_local_posts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "posts", "list", "--district", "００８。００３", "--json")
    assert code == 0
    assert [p["code"] for p in json.loads(out)][-2:] == ["101", "102"]
    code, out, _ = call(capsys, "posts", "list", "--district", "008.004", "--json")
    assert len(json.loads(out)) == 15


@pytest.mark.parametrize("typed", ["008.010", "００８。０１０", " 008．010 "])
def test_codes_show_names_the_city_work_committee(
    capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    code, out, _ = call(capsys, "codes", "show", typed, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["code"] == "008.010"
    assert data["name"] == "淮安市市级机关工委"
    assert data["parent"] == "008"


def test_codes_list_and_next(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "codes", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 21
    code, out, _ = call(capsys, "codes", "list", "--parent", "008")
    assert code == 0 and "淮安经济技术开发区党工委" in out
    code, out, _ = call(capsys, "codes", "next", "008", "--json")
    assert json.loads(out) == {"parent": "008", "next": "008.028"}


def test_plugins_lists_versions_and_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "plugins", "--json")
    assert code == 0
    by_name = {p["name"]: p for p in json.loads(out)}
    assert by_name["posts_builtin"]["version"] == "0.1.0"
    assert by_name["huaian_local"]["hooks"] == [
        "partyreg_register_formats",
        "partyreg_register_posts",
    ]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["codes", "show", "8.010"], "文本"),
        (["codes", "show", "008.099"], "008.099"),
        (["codes", "show", "abc"], "三位数字"),
        (["posts", "list", "--district", "x"], "单位代码"),
        (["posts", "list", "--bogus"], "--bogus"),
        (["nosuchcommand"], "nosuchcommand"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, out, err = call(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert "Traceback" not in err


def test_json_errors_also_go_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(capsys, "codes", "show", "008.099", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "code.unknown"
    assert err.startswith("partyreg: ")


def test_the_console_script_runs_as_a_new_user_would() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "partyreg_cli", "codes", "show", "8.001"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_importing_the_cli_does_not_import_textual() -> None:
    code = "import sys, partyreg_cli.main; print('textual' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
