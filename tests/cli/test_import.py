"""``partyreg import`` end to end: real files, a real SQLite store, the CLI's exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from partyreg_cli.main import run

FORM1_HEADER = [
    "单位代码", "姓 名", "性别", "单位及职务", "特长", "认领岗位", "联系方式", "常住住址",
    "报到\n社区", "社区所属街道、乡镇", "所属",
]  # fmt: skip
DIRECTORY = [
    ["县区", "街道", "社区", "接收报到\n电话", "接收报到\nQQ群号", "党组织书记\n姓  名", "手机", "地   址"],
    ["淮安区", "淮城街道", "河下社区", "0517-85912345", "123456789", "刘明", "13912340001", "河下古镇1号"],
    ["淮阴区", "王营街道", "承德路社区", "0517-84912345", "223456789", "王芳", "13912340002", "承德路8号"],
]  # fmt: skip
GOOD = [
    ["008.010", "王建伟", "男", "市民政局 科长", "法律", "3、7", "13912345678", "河下古镇2号",
     "河下社区", "淮城街道", "淮安区"],
    ["００８．０１０", "李 娜", "女", "市民政局", "医生", "8，101", "139 1234 5679", "河下古镇3号",
     "河下社区", "淮城街道", "淮安区"],
    ["008.010", "赵六", "女", "市教育局", "", "5", "0517-83601234", "承德路9号", "承德路社区",
     "王营街道", "淮阴区"],
]  # fmt: skip
BAD = [
    ["8.010", "张三", "男", "市民政局", "", "3", "12345", "x", "河下社区", "淮城街道", "淮安区"],
    ["008.010", "钱七", "男", "市民政局", "", "99", "13912340009", "x", "河下社区", "淮城街道",
     "淮安区"],
]  # fmt: skip


def write_xlsx(path: Path, rows: list[list[Any]], *, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.append(["单位：淮安市市级机关工委", *[None] * 7, "2014 年 8 月 28 日"])
    for row in rows:
        ws.append(row)
    ws.append(["说明：1、本表按党组织隶属关系逐层填写上报。"])
    wb.save(path)
    return path


def store_with_directory(tmp_path: Path, *, members: bool = False) -> str:
    """A new SQLite store under ``tmp_path`` holding :data:`DIRECTORY` (and the :data:`GOOD`
    members of 附表1 when ``members``); its URL."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run(["--db", url, "init"]) == 0
    assert run(["--db", url, "import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY))]) == 0
    if members:
        form1 = write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])
        assert run(["--db", url, "import", str(form1)]) == 0
    return url


class Cli:
    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = f"sqlite:///{tmp_path / 'store.db'}"
        self.tmp = tmp_path
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        code = run(["--db", self.db, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> tuple[int, Any]:
        code, out, err = self(*args, "--json")
        assert "Traceback" not in err
        return code, json.loads(out)


def registered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """A new store with the directory and the three good members of 附表1 imported."""
    c = Cli(tmp_path, capsys)
    assert c("init")[0] == 0
    assert c.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)))[0] == 0
    assert c.json("import", str(write_xlsx(tmp_path / "f1.xlsx", [FORM1_HEADER, *GOOD])))[0] == 0
    return c


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(tmp_path, capsys)
    assert c("init")[0] == 0
    code, report = c.json("import", str(write_xlsx(tmp_path / "dir.xlsx", DIRECTORY)))
    assert (code, report["kind"], report["rows_written"]) == (0, "directory", 2)
    return c


def members(cli: Cli) -> list[dict[str, Any]]:
    code, data = cli.json("members", "list")
    assert code == 0
    return data


def test_a_clean_form1_imports_and_every_field_is_stored(cli: Cli) -> None:
    path = write_xlsx(cli.tmp / "form1.xlsx", [FORM1_HEADER, *GOOD], title="登记表")
    code, report = cli.json("import", str(path))
    assert code == 0, report
    assert report["kind"] == "registrations"
    assert (report["rows_total"], report["rows_valid"], report["rows_rejected"]) == (3, 3, 0)
    assert (report["rows_written"], report["rows_new"]) == (3, 3)
    assert report["batch_id"]
    assert report["warnings"] == []
    stored = {m["name"]: m for m in members(cli)}
    assert set(stored) == {"王建伟", "李娜", "赵六"}
    li = stored["李娜"]
    assert li["unit_code"] == "008.010"
    assert li["posts"] == ["8", "101"]  # 101 is 淮安区's local post, and 河下社区 is in 淮安区


def test_dry_run_reports_exactly_what_the_real_run_does(cli: Cli) -> None:
    path = write_xlsx(cli.tmp / "form1.xlsx", [FORM1_HEADER, *GOOD, *BAD])
    dry_code, dry = cli.json("import", str(path), "--dry-run", "--skip-invalid")
    assert members(cli) == []
    real_code, real = cli.json("import", str(path), "--skip-invalid")
    assert dry_code == real_code == 1
    for key in ("rows_total", "rows_valid", "rows_rejected", "rows_new", "errors", "warnings"):
        assert dry[key] == real[key], key
    assert (dry["rows_written"], dry["batch_id"], dry["dry_run"]) == (0, None, True)
    assert real["rows_written"] == 3 and real["batch_id"]


def test_a_bad_row_rejects_the_whole_file_by_default(cli: Cli) -> None:
    path = write_xlsx(cli.tmp / "form1.xlsx", [FORM1_HEADER, *GOOD, *BAD])
    code, report = cli.json("import", str(path))
    assert code == 1
    assert report["rows_written"] == 0 and report["batch_id"] is None
    assert members(cli) == []
    errors = {(e["row"], e["column"], e["code"]) for e in report["errors"]}
    assert errors == {
        (5, "单位代码", "code.numeric"),
        (5, "联系方式", "phone.invalid"),
        (6, "认领岗位", "posts.unknown"),
    }
    for error in report["errors"]:
        assert error["message"] and error["value"]


def test_skip_invalid_writes_the_good_rows_and_still_exits_1(cli: Cli) -> None:
    path = write_xlsx(cli.tmp / "form1.xlsx", [FORM1_HEADER, *BAD, *GOOD])
    code, report = cli.json("import", str(path), "--skip-invalid")
    assert code == 1
    assert report["rows_written"] == 3
    assert len(members(cli)) == 3


def test_reimporting_the_same_file_changes_nothing(cli: Cli) -> None:
    path = write_xlsx(cli.tmp / "form1.xlsx", [FORM1_HEADER, *GOOD])
    assert cli.json("import", str(path))[0] == 0
    before = members(cli)
    code, again = cli.json("import", str(path))
    assert code == 0
    assert (again["rows_new"], again["rows_changed"], again["rows_unchanged"]) == (0, 0, 3)
    assert again["rows_written"] == 0
    assert members(cli) == before


def test_a_changed_row_updates_the_member(cli: Cli) -> None:
    assert cli.json("import", str(write_xlsx(cli.tmp / "a.xlsx", [FORM1_HEADER, *GOOD])))[0] == 0
    changed = [row[:] for row in GOOD]
    changed[0][4] = "法律、调解"
    code, report = cli.json("import", str(write_xlsx(cli.tmp / "b.xlsx", [FORM1_HEADER, *changed])))
    assert code == 0
    assert (report["rows_new"], report["rows_changed"], report["rows_unchanged"]) == (0, 1, 2)
    assert {m["name"]: m["specialty"] for m in members(cli)}["王建伟"] == "法律、调解"


def test_errors_out_gives_back_a_workbook_that_imports_once_fixed(cli: Cli) -> None:
    path = write_xlsx(cli.tmp / "form1.xlsx", [FORM1_HEADER, *GOOD, *BAD])
    errors = cli.tmp / "errors.xlsx"
    code, report = cli.json("import", str(path), "--errors-out", str(errors))
    assert code == 1 and report["errors_out"] == str(errors)
    ws = openpyxl.load_workbook(errors).active
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["原行号", "错误说明"]
    assert [r[header.index("原行号")] for r in ws.iter_rows(min_row=2, values_only=True)] == [
        "5",
        "6",
    ]
    assert "单位代码" in ws.cell(2, len(header)).value
    # the operator fixes the two rows in the workbook and imports it again, with the good ones
    ws.cell(2, 1).value = "008.010"
    ws.cell(2, header.index("联系方式") + 1).value = "13912340008"
    ws.cell(3, header.index("认领岗位") + 1).value = "9"
    ws.parent.save(errors)
    code, fixed = cli.json("import", str(errors))
    assert code == 0, fixed["errors"]
    assert fixed["rows_written"] == 2
    assert all(w["code"] != "header.extra" for w in fixed["warnings"])


def test_a_gbk_csv_imports_like_the_workbook(cli: Cli) -> None:
    path = cli.tmp / "form1.csv"
    with path.open("w", encoding="gbk", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FORM1_HEADER)
        writer.writerows(GOOD)
    code, report = cli.json("import", str(path))
    assert code == 0, report["errors"]
    assert report["format"] == "csv" and report["rows_written"] == 3


def test_the_county_layout_of_the_example_plugin_imports(cli: Cli) -> None:
    path = cli.tmp / "huaian.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["所在单位代码", "党员姓名", "性别", "工作单位及职务", "个人特长",
                         "服务岗位编号", "手机号码", "家庭住址", "社区名称", "街道名称", "县区名称"])  # fmt: skip
        writer.writerows(GOOD[:1])
    code, report = cli.json("import", str(path))
    assert code == 0, report["errors"]
    assert report["format"] == "huaian-csv"
    assert [m["name"] for m in members(cli)] == ["王建伟"]


def test_the_same_person_from_another_unit_is_a_conflict(cli: Cli) -> None:
    assert cli.json("import", str(write_xlsx(cli.tmp / "a.xlsx", [FORM1_HEADER, *GOOD])))[0] == 0
    other = [["008.009", *GOOD[0][1:]]]
    code, report = cli.json("import", str(write_xlsx(cli.tmp / "b.xlsx", [FORM1_HEADER, *other])))
    assert code == 1
    assert [e["code"] for e in report["errors"]] == ["member.conflict"]
    assert len(members(cli)) == 3


def test_undo_reverts_a_batch(cli: Cli) -> None:
    _, report = cli.json("import", str(write_xlsx(cli.tmp / "a.xlsx", [FORM1_HEADER, *GOOD])))
    code, undone = cli.json("import", "undo", report["batch_id"])
    assert code == 0 and undone["removed"] == 3
    assert members(cli) == []
    code, batches = cli.json("import", "list")
    assert code == 0 and any(b["undone_at"] for b in batches)


def test_the_kind_is_recognised_or_refused(cli: Cli) -> None:
    path = write_xlsx(cli.tmp / "form1.xlsx", [FORM1_HEADER, *GOOD])
    code, out, err = cli("import", str(path), "--kind", "directory")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "file.xls_legacy"),
        ("text.xlsx", "单位代码,姓名\n".encode(), "file.not_xlsx"),
        ("empty.csv", b"", "file.empty"),
        ("photo.jpg", b"\xff\xd8\xff", "file.unknown_type"),
    ],
)
def test_unusable_files_exit_2_with_one_line(
    cli: Cli, name: str, content: bytes, code: str
) -> None:
    path = cli.tmp / name
    path.write_bytes(content)
    exit_code, out, err = cli("import", str(path), "--json")
    assert exit_code == 2
    assert json.loads(out)["error"]["code"] == code
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_missing_file_exits_2(cli: Cli) -> None:
    code, out, err = cli("import", str(cli.tmp / "nope.xlsx"))
    assert out == ""
    assert code == 2 and "nope.xlsx" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "title",
    [
        "职工在职党员信息登记表（附表1），请于9月15日前报送",
        "“在职党员回社区 亮明身份作表率”党员信息登记表，淮安市",
    ],
)
def test_a_gbk_csv_saved_by_wps_with_its_title_line_imports(cli: Cli, title: str) -> None:
    """Excel/WPS "CSV (逗号分隔)" on Chinese Windows: GB18030/GBK, CRLF, the form's title (with
    “” and ，) on the first line; a name only GB18030 holds (䶮) comes through unchanged."""
    path = cli.tmp / "附表1.csv"
    rows = [[title], ["单位：淮安市市级机关工委"], FORM1_HEADER, *GOOD]
    rows[3] = [*GOOD[0][:1], "刘䶮", *GOOD[0][2:]]
    with path.open("w", encoding="gb18030", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    code, report = cli.json("import", str(path))
    assert code == 0, report
    assert report["rows_written"] == 3
    assert "刘䶮" in {m["name"] for m in members(cli)}


def test_a_csv_that_switches_encoding_part_way_is_refused(cli: Cli) -> None:
    path = cli.tmp / "拼接.csv"
    head = [FORM1_HEADER, GOOD[0]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(head)
    with path.open("a", encoding="gbk", newline="") as f:
        csv.writer(f).writerows(GOOD[1:])
    code, _out, err = cli("import", str(path))
    assert code == 2
    assert "前面是 UTF-8 编码，第 4 行起却是 GB18030/GBK" in err and "拼在一起" in err
