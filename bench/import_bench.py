"""Import and export of 附表1 against bare openpyxl, side by side in one run (issue: spreadsheets).

    .venv/bin/python bench/import_bench.py [--rows 100000] [--keep DIR]

1. Builds a realistic city in a fresh SQLite store: the 2014 code table plus ~1,000 units
   (imported as a 附表2 sheet) and ~500 communities (a 附表4 sheet).
2. Writes a filled 附表1 of ``--rows`` members (title rows, header, note line; some full-width
   digits and alternative separators, as operators type them).
3. Times, on the same file: iterating it with openpyxl's read-only mode (values only), and the
   whole ``partyreg import`` through the facade (read, normalise, validate, store in SQLite).
   Target: import / openpyxl ≤ 0.5.
4. Times exporting the stored members as 附表1 (``export form1``: styles, borders, print setup)
   against writing the same cells with a bare write-only workbook. Target: ≤ 1.3.
Peak memory of the import is measured in a child process of its own. Results go to the
"Import and export of 附表1" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import peak_rss_mb, write_section  # noqa: E402

DISTRICTS = [
    ("008.001", "清河区"), ("008.002", "清浦区"), ("008.003", "淮安区"), ("008.004", "淮阴区"),
    ("008.005", "涟水县"), ("008.006", "洪泽县"), ("008.007", "盱眙县"), ("008.008", "金湖县"),
]  # fmt: skip
AGGREGATORS = [code for code, _ in DISTRICTS] + ["008.009", "008.010", "008.011"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅晓东文"
FORM1_HEADER = [
    "单位代码", "姓 名", "性别", "单位及职务", "特长", "认领岗位", "联系方式", "常住住址",
    "报到\n社区", "社区所属街道、乡镇", "所属",
]  # fmt: skip
UNITS_PER_AGGREGATOR = 91  # ≈1,000 units


def units() -> list[tuple[str, str]]:
    return [
        (f"{agg}.{n:03d}", f"第{i}{n}机关党支部")
        for i, agg in enumerate(AGGREGATORS)
        for n in range(1, UNITS_PER_AGGREGATOR + 1)
    ]


def communities() -> list[tuple[str, str, str]]:
    out = []
    for d, (_code, district) in enumerate(DISTRICTS):
        for s in range(1, 9):
            for c in range(1, 9):
                out.append((district, f"{district[:2]}第{s}街道", f"第{d}{s}{c}社区"))
    return out[:500]


def write_sheet(path: Path, rows: list[list[object]]) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    for row in rows:
        ws.append(row)
    wb.save(path)


def build_inputs(folder: Path, count: int) -> dict[str, Path]:
    unit_list = units()
    half = (len(unit_list) + 1) // 2
    codes = [["单位党组织", "代码", "单位党组织", "代码"]]
    for i in range(half):
        right = list(unit_list[half + i][::-1]) if half + i < len(unit_list) else ["", ""]
        codes.append([unit_list[i][1], unit_list[i][0], *right])
    places = communities()
    directory = [
        ["县区", "街道", "社区", "接收报到电话", "接收报到QQ群号", "党组织书记姓名", "手机", "地址"]
    ]
    directory += [[d, s, c, "0517-83601234", "123456789", "刘明", "13912340001", "某路1号"]
                  for d, s, c in places]  # fmt: skip
    form1: list[list[object]] = [
        ["全市“在职党员回社区，亮明身份作表率”活动参与党员信息登记表"],
        ["单位：淮安市", None, None, None, None, None, None, None, "2014 年 8 月 28 日"],
        FORM1_HEADER,
    ]
    for i in range(count):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 3) % 29]
        code = unit_list[i % len(unit_list)][0]
        district, street, community = places[(i * 7) % len(places)]
        posts = ("3、8", "3，14", "1", "社情民意收集岗", "５、１２", "2;9")[i % 6]
        phone = f"139{i:08d}" if i % 10 else f"139 {i // 10000:04d} {i % 10000:04d}"
        form1.append([
            code if i % 20 else code.replace(".", "．"), name, "男" if i % 2 else "女",
            f"{unit_list[i % len(unit_list)][1]} 科员", ("书法", "", "法律", "医生")[i % 4], posts,
            phone, f"健康西路{i % 300 + 1}号{i % 40 + 1}幢", community, street, district,
        ])  # fmt: skip
    form1.append(["说明：1、本表按党组织隶属关系逐层填写上报。"])
    paths = {"codes": folder / "codes.xlsx", "directory": folder / "directory.xlsx",
             "form1": folder / "form1.xlsx"}  # fmt: skip
    write_sheet(paths["codes"], codes)
    write_sheet(paths["directory"], directory)
    write_sheet(paths["form1"], form1)
    return paths


def workspace(db: Path):  # type: ignore[no-untyped-def]
    from partyreg_core.workspace import Workspace

    return Workspace(f"sqlite:///{db}")


def prepared_store(folder: Path, paths: dict[str, Path]) -> Path:
    from partyreg_core.importing import ImportRequest

    db = folder / "city.db"
    ws = workspace(db)
    ws.init()
    for kind in ("codes", "directory"):
        report = ws.import_file(ImportRequest(paths[kind], date(2014, 8, 28)))
        assert report.rows_rejected == 0, report.errors[:3]
    ws.close()
    return db


def time_openpyxl(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return time.perf_counter() - start, rows


def child_import(db: str, path: str) -> None:
    """In a child process: run the import, print seconds, rows written and peak RSS."""
    from partyreg_core.importing import ImportRequest

    ws = workspace(Path(db))
    start = time.perf_counter()
    report = ws.import_file(ImportRequest(Path(path), date(2014, 8, 28)))
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "written": report.rows_written,
                      "rejected": report.rows_rejected, "peak_mb": peak}))  # fmt: skip


def time_import(db: Path, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child-import", str(db), str(path)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_exports(db: Path, folder: Path) -> tuple[float, float, int]:
    from partyreg_core.members.model import MemberQuery

    ws = workspace(db)
    registrations = list(ws.official_registrations(MemberQuery()))
    cells = [
        [str(r.unit_code), r.name, r.gender.value, r.unit_and_title, r.specialty, "、".join(r.posts),
         r.phone, r.address, r.community.community, r.community.street, r.community.district]
        for r in registrations
    ]  # fmt: skip
    start = time.perf_counter()
    wb = openpyxl.Workbook(write_only=True)
    sheet = wb.create_sheet("附表1")
    sheet.append(FORM1_HEADER)
    for row in cells:
        sheet.append(row)
    wb.save(folder / "bare.xlsx")
    bare = time.perf_counter() - start
    start = time.perf_counter()
    count = ws.export("form1", folder / "form1-export.xlsx", {})
    ours = time.perf_counter() - start
    return bare, ours, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--child-import", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(*args.child_import)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = build_inputs(folder, args.rows)
        db = prepared_store(folder, paths)
        openpyxl_s, rows = time_openpyxl(paths["form1"])
        imported = time_import(db, paths["form1"])
        bare_s, export_s, exported = time_exports(db, folder)
    ratio_import = imported["seconds"] / openpyxl_s
    ratio_export = export_s / bare_s
    body = (
        f"{args.rows:,} rows of 附表1, 2 cores, SQLite; measured {date.today()} in one run.\n\n"
        "| measurement | seconds | ratio | target |\n| --- | ---: | ---: | --- |\n"
        f"| openpyxl read-only, iterate values ({rows:,} rows) | {openpyxl_s:.2f} | 1.00 | |\n"
        f"| `partyreg import` (read, normalise, validate, store; {imported['written']:,} written, "
        f"{imported['rejected']} rejected; peak {imported['peak_mb']:.0f} MB) "
        f"| {imported['seconds']:.2f} | {ratio_import:.2f} | ≤ 0.5 |\n"
        f"| bare write-only workbook, same cells | {bare_s:.2f} | 1.00 | |\n"
        f"| `partyreg export form1` ({exported:,} rows, styled A4 form) | {export_s:.2f} "
        f"| {ratio_export:.2f} | ≤ 1.3 |\n"
    )
    print(body)
    write_section("import", "Import and export of 附表1", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
