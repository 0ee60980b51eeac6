"""The partyreg demo: what `make demo` runs.

It builds a demo city as the spreadsheets operators send (see ``democity.py``), then runs the
campaign's flow in the embedded SQLite store through the `partyreg` command, as operators would,
printing each command and its output. Nothing is faked: every number printed is read back from
the store.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_feedback
import demo_notify
import demo_orgchanges
import demo_progress
import demo_routing
import demo_service
import demo_years
import democity

from partyreg_cli.main import run


class Demo:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.db = f"sqlite:///{out / 'partyreg.db'}"
        self.steps = 0

    def step(self, title: str) -> None:
        """Start the next numbered step (a number written in ``title`` is replaced)."""
        self.steps += 1
        text = re.sub(r"^(分流 )?[0-9]+[.、]\s*", "", title)
        title = f"{self.steps}. {text}"
        print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}")

    def cli(self, *args: str, expect: int = 0, show: bool = True) -> str:
        shown = " ".join(a if " " not in a else f"'{a}'" for a in args)
        print(f"$ partyreg {shown}")
        buffer = StringIO()
        with redirect_stdout(buffer):
            code = run(["--db", self.db, *args])
        text = buffer.getvalue()
        if show:
            lines = text.rstrip("\n").splitlines()
            for line in lines[:25]:
                print(f"  {line}")
            if len(lines) > 25:
                print(f"  …（另有 {len(lines) - 25} 行）")
        if code != expect:
            raise SystemExit(f"demo: `partyreg {shown}` exited {code}, expected {expect}")
        return text

    def json(self, *args: str, expect: int = 0) -> object:
        return json.loads(self.cli(*args, "--json", expect=expect, show=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    parser.add_argument("--members-per-unit", type=int, default=40)
    args = parser.parse_args(argv)
    if args.members_per_unit < 10:
        parser.error(
            "--members-per-unit must be at least 10 (the hand-filled sheet has mistakes in rows 6-9)"
        )
    out: Path = args.out
    if out.exists():
        for old in out.glob("partyreg.db*"):
            old.unlink()
    files = democity.build(out / "表格", members_per_unit=args.members_per_unit)
    demo = Demo(out)

    demo.step("1. 创建存储：载入附表2 代码表和 15 个服务岗位；当前系统用户成为市级操作员")
    demo.cli("init")
    demo.cli("codes", "show", "００８。０１０")

    demo.step("2. 县区和市直党工委为下级单位编码（附表2 格式导入）")
    demo.cli("codes", "next", "008.010")
    demo.cli("import", str(files["codes"]), "--date", "2014-08-01")
    demo.cli("codes", "list", "--parent", "008.010")

    demo.step("3. 县区上报社区通讯录（附表4）")
    demo.cli("import", str(files["directory"]), "--date", "2014-08-01")

    demo.step("4. 开操作员账号：县区、单位、社区")
    demo.cli("operator", "add", "huaian_zzb", "--role", "district", "--scope", "008.003")
    demo.cli("operator", "add", "minzheng_dw", "--role", "unit", "--scope", "008.010.001")
    demo.cli("operator", "list")

    demo.step("5. 单位导入手填的附表1：先试运行，有错误的行另存待修改")
    demo.cli("import", str(files["unit_form1"]), "--dry-run", "--date", "2014-08-25", expect=1)
    demo.cli("--as", "minzheng_dw", "import", str(files["unit_form1"]), "--skip-invalid",
             "--errors-out", str(files["fixes"]), "--date", "2014-08-25", expect=1)  # fmt: skip
    democity.fix_errors_workbook(files["fixes"])
    print("  （操作员按“错误说明”改正了待修改工作簿）")
    demo.cli("--as", "minzheng_dw", "import", str(files["fixes"]), "--date", "2014-09-02")
    demo.cli("--as", "minzheng_dw", "import", str(files["unit_form1"]), "--skip-invalid",
             "--date", "2014-09-02", expect=1)  # fmt: skip

    demo.step("6. 其他单位的附表1 逐级汇总导入")
    demo.cli("import", str(files["city_form1"]), "--date", "2014-08-29")
    members = demo.json("members", "list")
    assert isinstance(members, list)
    print(f"  全市已登记 {len(members)} 名在职党员。")

    demo.step("7. 每个操作员只看到自己的范围（县区看不到全号码）")
    demo.cli("--as", "minzheng_dw", "members", "list", "--unit", "008.010.001")
    district = demo.json("--as", "huaian_zzb", "members", "list")
    assert isinstance(district, list)
    print(
        f"  淮安区委组织部可见 {len(district)} 人（本区单位的党员；分流后还包括报到本区社区的党员）。"
    )

    demo.step("8. 导出正式表格；导出的附表1 可原样再导入，不改变任何数据")
    exports = out / "导出"
    exports.mkdir(exist_ok=True)
    demo.cli("export", "form1", "-o", str(exports / "附表1-市民政局机关党委.xlsx"), "--scope",
             "008.010.001", "--date", "2014-08-30", "--full", "--reason", "退回单位核对后再报")  # fmt: skip
    demo.cli("export", "form2", "-o", str(exports / "附表2-单位党组织代码表.xlsx"))
    demo.cli("export", "form4", "-o", str(exports / "附表4-社区通讯录-通报用.xlsx"), "--mask")
    demo.cli("import", str(exports / "附表1-市民政局机关党委.xlsx"), "--dry-run")

    demo_routing.run(demo)

    demo_progress.run(demo)
    demo_notify.run(demo)
    demo_service.run(demo)
    demo_feedback.run(demo)
    demo_years.run(demo)
    demo_orgchanges.run(demo)
    demo_years.retention(demo)

    demo.step("9. 审计日志：谁、何时、做了什么")
    demo.cli("audit", "--limit", "12")

    print(f"\ndemo: 完成。存储 {out / 'partyreg.db'}，表格在 {out / '表格'}，导出在 {exports}。")
    print(f"      再看看：partyreg --db {demo.db} members list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
