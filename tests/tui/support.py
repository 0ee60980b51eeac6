"""A small, deterministic city for the TUI tests, built through the facade like an operator
would: ``init``, then a code table, a community directory and a 附表1 written with openpyxl."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl

from partyreg_core.importing import ImportRequest
from partyreg_core.orgcodes import parse_code
from partyreg_core.records import CommunityRef, Gender, Registration
from partyreg_core.workspace import Workspace

OS_USER = "tester"
#: 2014-08-28 10:00 in Asia/Shanghai: two days before the registration deadline.
NOW = datetime(2014, 8, 28, 2, 0, tzinfo=UTC)
TODAY = date(2014, 8, 28)

FORM1_HEADER = [
    "单位代码", "姓 名", "性别", "单位及职务", "特长", "认领岗位", "联系方式", "常住住址",
    "报到\n社区", "社区所属街道、乡镇", "所属",
]  # fmt: skip
CODES = [
    ["单位党组织", "代码"],
    ["市民政局机关党委", "008.010.001"],
    ["市财政局机关党委", "008.010.002"],
    ["淮安区委办党支部", "008.003.001"],
]
DIRECTORY = [
    ["县区", "街道", "社区", "接收报到电话", "接收报到QQ群号", "党组织书记姓名", "手机", "地址"],
    ["淮安区", "淮城街道", "河下社区", "0517-85912345", "123456789", "刘明", "13912340001", "河下古镇1号"],
    ["淮安区", "淮城街道", "府前社区", "0517-85912346", "123456780", "陈红", "13912340002", "府前路1号"],
    ["淮阴区", "王营街道", "承德路社区", "0517-84912345", "223456789", "王芳", "13912340003", "承德路8号"],
]  # fmt: skip
PLACES = [
    ("河下社区", "淮城街道", "淮安区"),
    ("府前社区", "淮城街道", "淮安区"),
    ("承德路社区", "王营街道", "淮阴区"),
]
UNITS = [("008.010.001", "市民政局"), ("008.010.002", "市财政局"), ("008.003.001", "淮安区委办")]
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "建佳明华国志红玉梅丽"  # no 文 or 伟: only 王建伟 and 吴佳文 are wjw
MEMBERS = 130  # more than one page of the members screen (100)
UNRESOLVED = 4  # of them report in at a community the directory does not know


def member_rows() -> list[list[Any]]:
    """The 附表1 rows: 王建伟 and 吴佳文 first (both ``wjw``), then generated people."""
    rows: list[list[Any]] = []
    combos = ["".join(p) for p in itertools.product(SURNAMES, GIVEN, GIVEN)]
    seen = ["王建伟", "吴佳文", *combos[::7][: MEMBERS - 2]]
    for i, name in enumerate(seen):
        code, unit = UNITS[i % len(UNITS)]
        community, street, district = PLACES[i % len(PLACES)]
        if i >= MEMBERS - UNRESOLVED:
            community, street = f"新建{i}社区", "新城街道"
        rows.append([
            code, name, "男" if i % 2 else "女", f"{unit} 科员", ("书法", "", "法律")[i % 3],
            ("3、8", "1", "5")[i % 3], f"1391234{i:04d}", f"健康路{i + 1}号", community, street,
            district,
        ])  # fmt: skip
    return rows


def write_xlsx(path: Path, rows: list[list[Any]], *, title: str | None = None) -> Path:
    """A workbook as operators send it: a title row, the header, rows, a note."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title])
    for row in rows:
        ws.append(row)
    if title:
        ws.append(["说明：1、本表按党组织隶属关系逐层填写上报。"])
    wb.save(path)
    return path


@contextmanager
def fixed_tokens(start: int = 1) -> Iterator[None]:
    """Batch ids from a counter instead of random hex, so screens and snapshots repeat (a test
    starts its counter past the template's, so its batches never take an id in use)."""
    counter = itertools.count(start)
    with mock.patch("partyreg_core.workspace.secrets.token_hex", lambda _n: f"{next(counter):06x}"):
        yield


def ticking_clock(start: int = 0) -> Callable[[], datetime]:
    """2014-08-28 10:00 in Shanghai (plus ``start`` minutes), a minute later at every reading:
    batches keep an order, and the same steps give the same times."""
    minutes = itertools.count(start)
    return lambda: NOW + timedelta(minutes=next(minutes))


def open_workspace(db: Path, operator: str | None = None, *, later: bool = False) -> Workspace:
    """The facade on ``db`` as the OS user ``tester``, on 2014-08-28 (``later``: an hour after
    the city was built, as a test's own steps are)."""
    clock = ticking_clock(60 if later else 0)
    return Workspace(f"sqlite:///{db}", operator=operator, os_user=OS_USER, clock=clock)


def build_city(folder: Path) -> Path:
    """Build the city's store in ``folder`` and return the database file."""
    db = folder / "city.db"
    with fixed_tokens():
        ws = open_workspace(db)
        ws.init()
        for name, rows in (("codes", CODES), ("directory", DIRECTORY)):
            report = ws.import_file(ImportRequest(write_xlsx(folder / f"{name}.xlsx", rows), TODAY))
            assert report.rows_rejected == 0, report.errors
        form1 = write_xlsx(
            folder / "form1.xlsx",
            [FORM1_HEADER, *member_rows()],
            title="全市“在职党员回社区，亮明身份作表率”活动参与党员信息登记表",
        )
        report = ws.import_file(ImportRequest(form1, TODAY))
        assert report.rows_rejected == 0, report.errors
        assert report.rows_written == MEMBERS
        # names that look like markup cannot come through an import; the facade's writer
        # takes them as given, which is what a careless plugin or a later rule change could do
        written = ws.write_registrations([markup_registration()], file="手工.xlsx")
        assert written.new == 1
        ws.operators.add("unit_op", "unit", ["008.010.001"])
        ws.close()
    return db


def markup_registration() -> Registration:
    """A member whose name and title look like Rich markup."""
    return Registration(
        unit_code=parse_code("008.010.002"),
        name="[bold]x[/]",
        gender=Gender.MALE,
        unit_and_title="[red]市财政局[/red] 科员",
        posts=("3",),
        phone="13900000000",
        community=CommunityRef("淮安区", "淮城街道", "河下社区"),
        address="[link=http://x]健康路[/link]",
    )


def copy_store(template: Path, folder: Path) -> Path:
    """A private copy of the template store for one test."""
    db = folder / "city.db"
    shutil.copy2(template, db)
    return db


#: Workers that never finish by design (the directory tree's loader waits for work).
ENDLESS_GROUPS = {"_loader"}


def _busy(app: Any) -> bool:
    return any(w.is_running for w in app.workers if w.group not in ENDLESS_GROUPS)


async def settle(pilot: Any, until: Callable[[], bool] | None = None, timeout: float = 30) -> None:
    """Let workers finish and messages arrive (and ``until`` hold). The deadline is only a
    guard against a screen that never gets there: generous, since a CI machine running the
    suite on two workers can take seconds for a store query."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await pilot.pause()
        if not _busy(pilot.app) and (until is None or until()):
            await pilot.pause()
            return
        if loop.time() > deadline:
            raise AssertionError("the screen did not get there in time")
        await pilot.pause(0.02)


def serve(ws: Workspace) -> dict[str, float]:
    """Route everyone and write a year of service for the city's first 60 members (hours
    vary with the row, three days each, in 2014); returns the hours written per member name."""
    from partyreg_core.records import Activity, Rating

    ws.routing.route(on=TODAY)
    written: dict[str, float] = {}
    activities = []
    for i, row in enumerate(member_rows()[:60]):
        name, phone = row[1], row[6]
        for day in (date(2014, 9, 6), date(2014, 10, 12), date(2014, 11, 20)):
            hours = 1.0 + (i % 5) * 0.5
            rating = (Rating.EXCELLENT, Rating.GOOD, Rating.FAIR)[i % 3]
            activities.append(Activity(name, phone, day, "环境整治", hours, rating))
            written[name] = written.get(name, 0.0) + hours
    result = ws.write_activities(activities, file="活动.xlsx")
    assert result.written == len(activities), result.rejected
    return written
