"""The partyreg demo: what `make demo` runs.

It works through the public facade and the CLI only, as an operator or an embedder would, and
prints each step. Everything it shows is computed here, from the seed's code table and posts.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from partyreg_cli.main import run
from partyreg_core.calendar import CampaignCalendar
from partyreg_core.workspace import Workspace


def step(title: str) -> None:
    print(f"\n== {title}")


def cli(*args: str) -> None:
    print(f"$ partyreg {' '.join(args)}")
    code = run(list(args))
    if code != 0:
        raise SystemExit(f"demo: `partyreg {' '.join(args)}` exited {code}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    ws = Workspace(f"sqlite:///{args.out / 'demo.db'}")

    step("附表2 单位党组织代码表: the city and its 20 top-level organisations")
    cli("codes", "list", "--parent", "008")
    cli("codes", "show", "００８。０１０")
    cli("codes", "next", "008")

    step("附表1 认领岗位: the 15 city posts, and 淮安区's local posts from the example plugin")
    cli("posts", "list", "--district", "008.003")
    cli("plugins")

    step("Reading 认领岗位 cells as operators type them")
    catalog = ws.post_catalog
    huaian = ws.code("008.003").code
    for cell in ["3、8", "３，１４", "社情民意收集岗；医疗卫生保健岗", "3、101", "3、16、治安岗"]:
        for district, label in ((huaian, "淮安区"), (ws.code("008.004").code, "淮阴区")):
            result = catalog.parse_claims(cell, district)
            problems = "; ".join(f"{p.code}: {p.message}" for p in result.problems)
            print(
                f"  {cell!r:<32} {label}: {list(result.codes)}"
                + (f"  ✗ {problems}" if problems else "")
            )

    step("The 2014 campaign calendar")
    calendar = CampaignCalendar.default(2014)
    for day in [date(2014, 8, 20), date(2014, 9, 5), date(2014, 9, 15), date(2014, 11, 1),
                date(2014, 12, 25)]:  # fmt: skip
        deadline = calendar.next_deadline(day)
        if deadline is None:
            print(f"  {day}: {calendar.phase_on(day).label}; all deadlines have passed")
        else:
            print(
                f"  {day}: {calendar.phase_on(day).label}; next: {deadline.label} "
                f"by {deadline.due} ({calendar.days_left(day)} days left)"
            )
    print(f"\ndemo: done; output in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
