"""The partyreg demo: what `make demo` runs.

It builds a demo city as the spreadsheets operators send (see ``democity.py``), then runs the
campaign's flow in the embedded SQLite store through the `partyreg` command, as operators would,
printing each command and its output. Nothing is faked: every number printed is read back from
the store.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import shutil
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import demo_events
import demo_feedback
import demo_notify
import demo_orgchanges
import demo_pg
import demo_progress
import demo_routing
import demo_service
import demo_web
import demo_wishes
import demo_years
import democity
from sqlalchemy.engine import make_url

from partyreg_cli.main import run
from partyreg_plugins.sqlstore.store import SqlStore

#: Set-up commands: on PostgreSQL they run with the admin login (decision 0081).
SETUP = {("init",), ("operator", "add"), ("operator", "disable"), ("operator", "enable"),
         ("operator", "scope")}  # fmt: skip


#: Writes that carry rows across scopes: on PostgreSQL with the admin login, ``--as`` kept.
CROSS_SCOPE = {("codes", "apply"), ("members", "transfer"), ("retention", "run")}


class Demo:
    """Runs partyreg commands as operators would. On SQLite (``make demo``) the city operator
    is the OS user and the others are reached with ``--as``; on PostgreSQL (``--pg``, ``make
    demo-pg``) set-up runs with the admin login and every other command with the acting
    operator's own database login — ``--as NAME`` becomes NAME's login."""

    def __init__(self, out: Path, pg_admin: str | None = None) -> None:
        self.out = out
        self.pg_admin = pg_admin
        self.sqlite = f"sqlite:///{out / 'partyreg.db'}"
        self.steps = 0

    @property
    def db(self) -> str:
        """The URL the city operator (the OS user running the demo) works with."""
        if self.pg_admin is None:
            return self.sqlite
        return self.login_url(pwd.getpwuid(os.geteuid()).pw_name)

    def login_url(self, name: str) -> str:
        """Operator ``name``'s own PostgreSQL login (the demo server trusts it locally)."""
        assert self.pg_admin is not None
        store = SqlStore(self.pg_admin)
        try:
            found = store.operators.find_operator(name)
        finally:
            store.close()
        if found is None or found.db_role is None:
            raise SystemExit(f"demo: no operator {name} in the PostgreSQL store")
        return make_url(self.pg_admin).set(username=found.db_role).render_as_string(False)

    def _route(self, args: tuple[str, ...]) -> tuple[str, tuple[str, ...], str]:
        if self.pg_admin is None:
            return self.sqlite, args, ""
        if args[:1] in SETUP or args[:2] in SETUP:
            return self.pg_admin, args, "（管理员登录）"
        command = args[2:4] if args[:1] == ("--as",) else args[:2]
        if command in CROSS_SCOPE and "--dry-run" not in args:
            return self.pg_admin, args, "（跨范围改动：管理员登录）"
        if args[:1] == ("--as",):
            name, rest = args[1], args[2:]
            return self.login_url(name), rest, f"（{name} 的数据库用户登录）"
        return self.db, args, ""

    def step(self, title: str) -> None:
        """Start the next numbered step (a number written in ``title`` is replaced)."""
        self.steps += 1
        text = re.sub(r"^(分流 )?[0-9]+[.、]\s*", "", title)
        title = f"{self.steps}. {text}"
        print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}")

    def cli(self, *args: str, expect: int = 0, show: bool = True) -> str:
        url, args, login = self._route(args)
        shown = " ".join(a if " " not in a else f"'{a}'" for a in args)
        print(f"$ partyreg {shown}{'  ' + login if login else ''}")
        buffer = StringIO()
        with redirect_stdout(buffer):
            code = run(["--db", url, *args])
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
    parser.add_argument(
        "--pg",
        metavar="SUPERUSER_URL",
        help="run on PostgreSQL: with this superuser login, make a fresh database and an admin "
        "role (CREATEROLE) for the demo; every operator then logs in as their own role",
    )
    parser.add_argument("--pg-database", default=demo_pg.DATABASE, help="the demo's database")
    args = parser.parse_args(argv)
    if args.members_per_unit < 10:
        parser.error(
            "--members-per-unit must be at least 10 (the hand-filled sheet has mistakes in rows 6-9)"
        )
    out: Path = args.out
    if out.exists():
        for old in out.glob("partyreg.db*"):
            old.unlink()
        # exports never replace a file (decision 0083): a second run starts from no exports
        shutil.rmtree(out / "导出", ignore_errors=True)
    files = democity.build(out / "表格", members_per_unit=args.members_per_unit)
    files["fixes"].unlink(missing_ok=True)
    demo = Demo(out, pg_admin=demo_pg.prepare(args.pg, args.pg_database) if args.pg else None)

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
    demo_events.run(demo)
    demo_wishes.run(demo)
    demo_feedback.run(demo)
    demo_years.run(demo)
    demo_orgchanges.run(demo)
    demo_years.retention(demo)

    demo_web.run(demo)

    demo.step("9. 审计日志：谁、何时、做了什么")
    demo.cli("audit", "--limit", "12")

    where = out / "partyreg.db" if demo.pg_admin is None else demo.pg_admin
    print(f"\ndemo: 完成。存储 {where}，表格在 {out / '表格'}，导出在 {exports}。")
    print(f"      再看看：partyreg --db {demo.db} members list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
