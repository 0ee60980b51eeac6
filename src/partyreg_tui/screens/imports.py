"""Importing a sheet: choose the file, check it (a dry run), read the report, then commit it or
write the rejected rows to an error workbook — all through ``Workspace.import_file``, the same
path as ``partyreg import``.

The file is chosen by typing its path or from a directory tree (both work over SSH: the files
are the server's). The dry run and the real run go to a worker that reports rows read as it
goes; the report is a table — row, column, value, fix — with the full fix of the highlighted
row below it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import ContentSwitcher, DataTable, DirectoryTree, Input, Label, Static

from partyreg_core.forms import FormKind
from partyreg_core.importing import ImportProgress, ImportReport, ImportRequest
from partyreg_core.records import RowIssue
from partyreg_tui.dialogs.confirm import ConfirmDialog, InputDialog
from partyreg_tui.screens.base import PartyregScreen
from partyreg_tui.text import fit, literal, number, printable
from partyreg_tui.widgets.inputs import PathInput

KIND_LABELS = {
    FormKind.REGISTRATIONS: "党员信息登记表（附表1）",
    FormKind.CODES: "单位党组织代码表（附表2）",
    FormKind.DIRECTORY: "社区通讯录（附表4）",
    FormKind.ACTIVITIES: "活动记录（附表3）",
}
#: What the browser shows besides folders (the importer names the fix for anything else).
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et", ".csv", ".tsv", ".txt"}
#: Issues listed on screen; the error workbook holds every rejected row.
MAX_ISSUES = 2000


class SheetTree(DirectoryTree):
    """Folders and spreadsheet files, without hidden ones; icons in plain characters, which
    every terminal draws one cell wide."""

    ICON_NODE_EXPANDED = "- "
    ICON_NODE = "+ "
    ICON_FILE = "  "

    def filter_paths(self, paths: Iterable[Path]) -> list[Path]:
        return [
            p
            for p in paths
            if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() in SHEET_SUFFIXES)
        ]


def header_text(column: str | None) -> str:
    """A header as written, on one line: ``报到\n社区`` → ``报到社区``."""
    return "".join((column or "").split())


def default_errors_path(path: Path) -> Path:
    """``登记表.xlsx`` → ``登记表-待修改.xlsx`` beside it."""
    return path.with_name(f"{path.stem}-待修改.xlsx")


def summary(report: ImportReport) -> Text:
    """The report's head: file, kind, counts, and what was (or would be) written."""
    text = Text(end="")
    kind = KIND_LABELS.get(FormKind(report.kind), report.kind)
    text.append("文件 ")
    text.append_text(literal(Path(report.file).name, "bold"))
    text.append("（工作表“")
    text.append_text(literal(report.sheet))
    text.append(f"”，{kind}）\n")
    text.append(
        f"共 {number(report.rows_total)} 行：合格 {number(report.rows_valid)}，"
        f"有错误 {number(report.rows_rejected)}；新增 {number(report.rows_new)}，"
        f"变更 {number(report.rows_changed)}，无变化 {number(report.rows_unchanged)}。\n"
    )
    if report.dry_run:
        if report.rows_rejected:
            text.append("试运行，没有写入。", style="bold")
            text.append("c 只写入合格的行 · w 把有错误的行写成工作簿，改正后再导入")
        elif report.rows_new or report.rows_changed:
            text.append("试运行，没有写入。", style="bold")
            text.append("没有错误：按 c 写入。")
        else:
            text.append("试运行：没有需要写入的变化。", style="bold")
    elif report.rows_written:
        text.append(
            f"已写入 {number(report.rows_written)} 行，批次号 {report.batch_id}", style="bold"
        )
        text.append("（F5 批次中可撤销）。")
    else:
        text.append("没有写入任何数据。", style="bold")
    if report.errors_out:
        text.append("\n有错误的行已写入 ")
        text.append_text(literal(report.errors_out, "bold"))
    return text


class ImportScreen(PartyregScreen):
    """Choose a file, dry-run it, read the report, commit or write the error workbook."""

    MODE = "import"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "dry_run", "试运行"),
        Binding("c", "commit", "写入"),
        Binding("w", "errors_out", "错误工作簿"),
        Binding("o", "choose", "选文件"),
        Binding("backspace", "parent", "上级目录", show=False),
    ]

    class Progressed(Message):
        """How far the import has read the file."""

        def __init__(self, progress: ImportProgress) -> None:
            super().__init__()
            self.progress = progress

    class Finished(Message):
        """An import (dry or real) ended with ``report``."""

        def __init__(self, report: ImportReport) -> None:
            super().__init__()
            self.report = report

    class Failed(Message):
        """An import could not run (the reason is already shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.path: Path | None = None
        self.report: ImportReport | None = None
        self.running = False
        self.issues: list[tuple[str, RowIssue]] = []

    def compose_body(self) -> ComposeResult:
        with Vertical(id="import"):
            with Horizontal(id="path-row"):
                yield Label("文件", classes="field-label")
                yield PathInput(
                    placeholder="输入文件路径后回车试运行，或在下面选择（Tab 切换）",
                    id="path",
                    compact=True,
                )
            yield Static("", id="progress", markup=False)
            with ContentSwitcher(initial="browser", id="import-panes"):
                yield SheetTree(Path.cwd(), id="browser")
                with Vertical(id="report"):
                    yield Static("", id="report-summary", markup=False)
                    yield DataTable(id="issues", cursor_type="row")
                    yield Static("", id="issue-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        table = self.query_one("#issues", DataTable)
        table.add_column("类别", width=4, key="kind")
        table.add_column("行", width=6, key="row")
        table.add_column("列", width=10, key="column")
        table.add_column("内容", width=14, key="value")
        table.add_column("说明", width=self._message_width(), key="message")

    # -- choosing -----------------------------------------------------------------------------

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.query_one("#path", Input).value = str(event.path)
        self.choose(event.path)

    @on(Input.Submitted, "#path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        path = Path(text).expanduser()
        if path.is_dir():  # a folder: browse it
            tree = self.query_one("#browser", SheetTree)
            tree.path = path
            self.query_one("#import-panes", ContentSwitcher).current = "browser"
            tree.focus()
            return
        self.choose(path)

    def choose(self, path: Path) -> None:
        """Take ``path`` as the file and check it."""
        self.path = path
        self.report = None
        self.action_dry_run()

    def action_choose(self) -> None:
        """Back to choosing a file."""
        self.query_one("#import-panes", ContentSwitcher).current = "browser"
        self.query_one("#path", Input).focus()

    def action_parent(self) -> None:
        """Browse the folder above."""
        tree = self.query_one("#browser", SheetTree)
        if self.focused is tree:
            tree.path = Path(tree.path).resolve().parent

    # -- running ------------------------------------------------------------------------------

    def _request(self, **options: object) -> ImportRequest | None:
        if self.path is None:
            self.notify("请先选择要导入的文件（o）。", severity="warning", markup=False)
            return None
        if self.running:
            self.notify("上一次导入还没有完成，请稍候。", severity="warning", markup=False)
            return None
        return ImportRequest(path=self.path, on=self.workspace.today(), **options)  # type: ignore[arg-type]

    def action_dry_run(self) -> None:
        """Check the file without writing (the report says what a real run would do)."""
        request = self._request(dry_run=True)
        if request is not None:
            self.start(request, "正在检查")

    def action_commit(self) -> None:
        """Write the file (after a confirmation); with rejected rows, only the good ones."""
        report = self.report
        if report is None or not report.dry_run:
            self.notify("请先试运行（d），看过报告再写入。", severity="warning", markup=False)
            return
        if not (report.rows_new or report.rows_changed):
            self.notify("没有需要写入的变化。", markup=False)
            return
        body = Text(end="")
        body.append_text(literal(Path(report.file).name, "bold"))
        body.append(f"\n新增 {number(report.rows_new)} 人，变更 {number(report.rows_changed)} 人。")
        if report.rows_rejected:
            body.append(
                f"\n有错误的 {number(report.rows_rejected)} 行不写入（可用 w 写成工作簿改正后再导入）。"
            )
        body.append("\n写入后可在 F5 批次中撤销。")

        def answered(yes: bool | None) -> None:
            if yes:
                request = self._request(skip_invalid=bool(report.rows_rejected))
                if request is not None:
                    self.start(request, "正在写入")

        self.app.push_screen(ConfirmDialog("写入这个文件？", body, yes="写入"), answered)

    def action_errors_out(self) -> None:
        """Write the rejected rows to a workbook to correct and import again."""
        if self.path is None:
            self.notify("请先选择要导入的文件（o）。", severity="warning", markup=False)
            return
        if self.report is not None and not self.report.rows_rejected:
            self.notify("这个文件没有错误的行。", markup=False)
            return

        def write(target: Path, force: bool = False) -> None:
            request = self._request(dry_run=True, errors_out=target, force=force)
            if request is not None:
                self.start(request, "正在写错误工作簿")

        def answered(text: str | None) -> None:
            if not text:
                return
            target = Path(text).expanduser()
            if target.suffix.lower() != ".xlsx":
                self.notify("错误工作簿须为 .xlsx 文件。", severity="error", markup=False)
                return
            if not target.exists():
                write(target)
                return
            # an operator's corrected workbook may carry that name: never overwrite it silently
            body = Text(end="")
            body.append_text(literal(target, "bold"))
            body.append(" 已经存在。覆盖它吗？（里面已改正的内容会丢失）")
            self.app.push_screen(
                ConfirmDialog("文件已存在", body, yes="覆盖"),
                lambda yes: write(target, force=True) if yes else None,
            )

        self.app.push_screen(
            InputDialog(
                "把有错误的行写成工作簿（回车确定，Esc 取消）",
                str(default_errors_path(self.path)),
                "出错的单元格标黄并附批注，最右两列是原行号和错误说明；改正后可直接导入。",
            ),
            answered,
        )

    def start(self, request: ImportRequest, doing: str) -> None:
        """Run ``request`` in a worker, showing rows read."""
        self.running = True
        self._doing = doing
        self.query_one("#progress", Static).update(
            Text(f"{doing} {printable(request.path.name)} …", style="bold")
        )
        self.run_import(request)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def run_import(self, request: ImportRequest) -> None:
        """The import itself (worker thread)."""

        def progressed(progress: ImportProgress) -> None:
            self.post_message(self.Progressed(progress))

        try:
            report = self.workspace.import_file(request, progress=progressed)
        except Exception as error:
            self.show_error(error)
            self.post_message(self.Failed())
            return
        self.post_message(self.Finished(report))

    def on_import_screen_progressed(self, message: Progressed) -> None:
        self.query_one("#progress", Static).update(
            Text(f"{self._doing}：{progress_text(message.progress)}", style="bold")
        )

    def on_import_screen_failed(self) -> None:
        self.running = False
        self.query_one("#progress", Static).update("")

    def on_import_screen_finished(self, message: Finished) -> None:
        self.running = False
        report = message.report
        self.report = report
        self.query_one("#progress", Static).update("")
        self.query_one("#report-summary", Static).update(summary(report))
        self._fill(report)
        self.query_one("#import-panes", ContentSwitcher).current = "report"
        self.query_one("#issues", DataTable).focus()
        if not report.dry_run and report.rows_written:
            self.notify(
                f"已写入 {number(report.rows_written)} 行，批次号 {report.batch_id}。",
                markup=False,
            )
        if report.errors_out:
            self.notify(f"错误工作簿已写入 {printable(report.errors_out)}。", markup=False)

    def _fill(self, report: ImportReport) -> None:
        table = self.query_one("#issues", DataTable)
        table.clear()
        self.issues = [("错误", i) for i in report.errors] + [("提示", i) for i in report.warnings]
        width = self._message_width()
        for index, (kind, issue) in enumerate(self.issues[:MAX_ISSUES]):
            table.add_row(
                Text(kind, style="bold" if kind == "错误" else ""),
                literal(issue.row),
                literal(fit(header_text(issue.column), 10)),
                literal(fit(issue.value, 14)),
                literal(fit(issue.message, width)),
                key=str(index),
            )
        detail = self.query_one("#issue-detail", Static)
        if not self.issues:
            detail.update(Text("没有错误，也没有提示。"))
        elif len(self.issues) > MAX_ISSUES:
            detail.update(
                Text(
                    f"只列出前 {MAX_ISSUES} 条（共 {number(len(self.issues))} 条）："
                    "用 w 写出错误工作簿查看全部。"
                )
            )

    def _message_width(self) -> int:
        # what the other columns leave, so the table never scrolls sideways: the highlighted
        # row's fix is shown in full below it
        return max(12, self.app.size.width - (4 + 6 + 10 + 14) - 5 * 2 - 2 - 4)

    @on(DataTable.RowHighlighted, "#issues")
    def _issue_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is None or not key.isdigit() or int(key) >= len(self.issues):
            return
        kind, issue = self.issues[int(key)]
        text = Text(end="")
        where = f"工作表“{printable(issue.sheet)}” " if issue.sheet else ""
        text.append(f"{kind} {where}第 {issue.row} 行", style="bold")
        if issue.column:
            text.append(" ")
            text.append_text(literal(header_text(issue.column), "bold"))
        if issue.value:
            text.append(" “")
            text.append_text(literal(issue.value))
            text.append("”")
        text.append("：")
        text.append_text(Text(printable(issue.message)))
        self.query_one("#issue-detail", Static).update(text)


def progress_text(progress: ImportProgress) -> str:
    """How far an import has read, for the status line: rows and the percentage if known."""
    fraction = progress.fraction
    read = f"已读取 {number(progress.rows)} 行"
    return f"{read}（{fraction:.0%}）…" if fraction is not None else f"{read}…"
