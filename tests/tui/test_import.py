"""The import screen (dry run, report, commit, error workbook) and the batches screen (undo),
asserted on the store afterwards."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from textual.widgets import DataTable, Static

from partyreg_core.members.model import MemberQuery
from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from partyreg_tui.dialogs.confirm import ConfirmDialog, InputDialog
from partyreg_tui.screens.batches import BatchesScreen
from partyreg_tui.screens.imports import ImportScreen
from tests.tui import support
from tests.tui.support import settle

NEW_ROWS = [
    ["008.010.001", "孙新一", "男", "市民政局 科员", "", "3", "13700000001", "健康路9号",
     "河下社区", "淮城街道", "淮安区"],
    ["008.010.001", "孙新二", "女", "市民政局 科员", "", "8", "13700000002", "健康路9号",
     "府前社区", "淮城街道", "淮安区"],
]  # fmt: skip
BAD_ROWS = [
    ["8.010", "钱错一", "男", "市民政局", "", "3", "12345", "x", "河下社区", "淮城街道", "淮安区"],
    ["008.010.001", "[b]钱错二[/b]", "男", "市民政局", "", "99", "13700000009", "x", "河下社区",
     "淮城街道", "淮安区"],
]  # fmt: skip


def form1(folder: Path, rows: list[list[object]], name: str = "登记表.xlsx") -> Path:
    return support.write_xlsx(folder / name, [support.FORM1_HEADER, *rows], title="登记表")


def _import(app: PartyregApp) -> ImportScreen:
    screen = app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def _dry_run(pilot, app: PartyregApp, path: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot, lambda: isinstance(app.screen, ImportScreen))
    app.screen.query_one("#path").value = path  # type: ignore[attr-defined]
    await pilot.press("enter")
    await settle(pilot, lambda: _import(app).report is not None and not _import(app).running)


def _count(ws: Workspace) -> int:
    return ws.members.page(MemberQuery(limit=0)).total


async def test_dry_run_report_then_commit_the_good_rows(
    app: PartyregApp, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    form1(tmp_path, NEW_ROWS + BAD_ROWS)
    before = _count(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await _dry_run(pilot, app, "登记表.xlsx")
        screen = _import(app)
        report = screen.report
        assert report is not None and report.dry_run
        assert (report.rows_total, report.rows_valid, report.rows_rejected) == (4, 2, 2)
        assert _count(workspace) == before  # a dry run writes nothing
        issues = screen.query_one("#issues", DataTable)
        rows = [[str(c) for c in issues.get_row_at(i)] for i in range(issues.row_count)]
        errors = [r for r in rows if r[0] == "错误"]
        assert errors[0][:4] == ["错误", "5", "单位代码", "8.010"]
        # the highlighted row's fix in full below the table: format the column as text
        detail = str(screen.query_one("#issue-detail", Static).render())
        assert "第 5 行" in detail and "文本" in detail
        assert any(r[1] == "6" and r[2] == "认领岗位" and r[3] == "99" for r in errors)
        summary = str(screen.query_one("#report-summary", Static).render())
        assert "有错误 2" in summary and "试运行" in summary
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await settle(
            pilot, lambda: _import(app).report is not None and not _import(app).report.dry_run
        )  # type: ignore[union-attr]
        assert _import(app).report.rows_written == 2  # type: ignore[union-attr]
    assert _count(workspace) == before + 2
    assert workspace.members.find("孙新一") and workspace.members.find("孙新二")
    assert not workspace.members.find("钱错一")


async def test_error_workbook_is_written_beside_the_file(
    app: PartyregApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    form1(tmp_path, NEW_ROWS + BAD_ROWS)
    async with app.run_test(size=(80, 24)) as pilot:
        await _dry_run(pilot, app, "登记表.xlsx")
        await pilot.press("w")
        await settle(pilot, lambda: isinstance(app.screen, InputDialog))
        assert app.screen.query_one("#answer").value == "登记表-待修改.xlsx"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(
            pilot, lambda: _import(app).report is not None and bool(_import(app).report.errors_out)
        )  # type: ignore[union-attr]
        workbook = openpyxl.load_workbook(tmp_path / "登记表-待修改.xlsx")
        names = [row[1] for row in workbook.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
        assert "钱错一" in names and "[b]钱错二[/b]" in names and "孙新一" not in names
        # once corrected by the operator, the workbook is never overwritten without asking
        (tmp_path / "登记表-待修改.xlsx").write_bytes(b"corrected")
        await pilot.press("w")
        await settle(pilot, lambda: isinstance(app.screen, InputDialog))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ImportScreen))
    assert (tmp_path / "登记表-待修改.xlsx").read_bytes() == b"corrected"


async def test_an_unreadable_file_is_a_notification_not_a_crash(
    app: PartyregApp, tmp_path: Path
) -> None:
    (tmp_path / "x.docx").write_text("not a sheet")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        app.screen.query_one("#path").value = str(tmp_path / "x.docx")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot, lambda: bool(app._notifications))
        [note] = list(app._notifications)
        assert note.severity == "error" and ".docx" in note.message
        assert _import(app).report is None


async def test_undo_a_batch_after_confirming(
    app: PartyregApp, workspace: Workspace, tmp_path: Path
) -> None:
    form1(tmp_path, NEW_ROWS)
    from partyreg_core.importing import ImportRequest

    report = workspace.import_file(ImportRequest(tmp_path / "登记表.xlsx", support.TODAY))
    assert report.rows_written == 2
    before = _count(workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(
            pilot, lambda: isinstance(app.screen, BatchesScreen) and bool(app.screen.batches)
        )
        table = app.screen.query_one("#batch-table", DataTable)
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == report.batch_id  # newest
        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")  # not yet
        await settle(pilot, lambda: isinstance(app.screen, BatchesScreen))
        assert _count(workspace) == before
        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await settle(pilot, lambda: str(table.get_row_at(0)[5]) == "已撤销")
    assert _count(workspace) == before - 2
    assert not workspace.members.find("孙新一")
