"""Importing a file: choose its format and sheet, read the header, judge every row, write the
good rows as one batch, and report (DESIGN.md §5–§7).

There is one path for a real run and a dry run: every row is read, normalised and judged the
same way, and the store is asked what it would do; only then is the batch committed — or not, in
a dry run, or when rows were rejected without ``skip_invalid``. This module orchestrates ports
(formats, the store), so it is not one of the pure domain modules; the rules it applies are.
"""

from __future__ import annotations

import gc
import itertools
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

import attrs

from partyreg_core.activities import ActivityContext, KnownMember, MemberIndex, validate_activities
from partyreg_core.batches import Batch, BatchKind, Rejection
from partyreg_core.communities import Community, FieldEdit
from partyreg_core.converter import BEIJING
from partyreg_core.directory import DirectoryIndex, validate_directory
from partyreg_core.errors import PartyregError, ValidationError
from partyreg_core.forms import (
    DIRECTORY_FORM,
    REGISTRATION_FORM,
    DataRow,
    FormKind,
    HeaderMap,
    data_rows,
    find_header,
)
from partyreg_core.members.model import MemberQuery
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode, OrgKind, OrgTree, OrgUnit, check_table, parse_code
from partyreg_core.ports import Store, TableFormat
from partyreg_core.posts import PostCatalog
from partyreg_core.records import CommunityRef, DirectoryEntry, RowIssue, Severity
from partyreg_core.registrations import RegistrationContext, validate_registrations
from partyreg_core.sheets import RawRow, ReadLimits
from partyreg_core.wishes.rules import WishContext, validate_wish_rows

_R = TypeVar("_R", covariant=True)


@attrs.frozen
class ImportProgress:
    """How far an import has read: ``rows`` data rows so far, the last at sheet row ``at``, of
    a sheet whose last row is ``last`` (``None`` when the format cannot tell)."""

    rows: int
    at: int
    last: int | None = None

    @property
    def fraction(self) -> float | None:
        """The part of the sheet read, from 0 to 1, or ``None`` when the size is unknown."""
        if not self.last:
            return None
        return min(1.0, max(0.0, self.at / self.last))


Progress = Callable[[ImportProgress], None]
"""Called now and then with the number of rows read so far."""

ErrorWriter = Callable[[Path, Sequence[str], Sequence["RejectedRow"]], "int | None"]
"""Writes the error workbook (target, headers as written, rejected rows); ``None`` when no
plugin writes that kind of file."""

PROGRESS_EVERY = 1000


@attrs.frozen
class ImportRequest:
    """What ``partyreg import`` was asked to do.

    ``on`` is the business date (``--date``, default today in Asia/Shanghai): dates in the file
    may not be after it, and progress counts the batch on that day.
    """

    path: Path
    on: date
    kind: FormKind | None = None
    sheet: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    errors_out: Path | None = None
    limits: ReadLimits = attrs.field(factory=ReadLimits)
    #: replace an existing ``errors_out`` file (``--force``)
    force: bool = False
    #: take the file's directory contacts even where they were edited by hand since the last
    #: import (``--overwrite-edits``); by default the newer hand edit is kept, with a warning
    overwrite_edits: bool = False


@attrs.frozen
class RejectedRow:
    """A rejected row for the error workbook: its number, cells by header, and issues."""

    number: int
    cells: tuple[str, ...]
    issues: tuple[RowIssue, ...]


@attrs.frozen
class ChangedRow:
    """A row of the sheet that changes (or in a dry run would change) a stored member: the
    sheet's row number, the member's number and the Chinese labels of the fields that differ."""

    row: int
    member_id: int
    fields: tuple[str, ...]


@attrs.frozen
class ImportReport:
    """The import report of DESIGN.md §5 and §9 (``to_json`` gives its JSON object)."""

    file: str
    kind: str
    dry_run: bool
    rows_total: int
    rows_valid: int
    rows_rejected: int
    rows_written: int
    rows_new: int
    rows_changed: int
    rows_unchanged: int
    errors: tuple[RowIssue, ...]
    warnings: tuple[RowIssue, ...]
    batch_id: str | None = None
    sheet: str = ""
    format: str = ""
    errors_out: str | None = None
    change_requests: int = 0
    changes: tuple[ChangedRow, ...] = ()
    sheets: tuple[str, ...] = ()
    hidden_sheets: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 when no row was rejected (warnings alone included), else 1."""
        return 1 if self.rows_rejected else 0

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``partyreg import --json`` prints."""
        return {
            "file": self.file,
            "kind": self.kind,
            "dry_run": self.dry_run,
            "batch_id": self.batch_id,
            "sheet": self.sheet,
            "sheets": list(self.sheets or (self.sheet,)),
            "hidden_sheets": list(self.hidden_sheets),
            "format": self.format,
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "rows_rejected": self.rows_rejected,
            "rows_written": self.rows_written,
            "rows_new": self.rows_new,
            "rows_changed": self.rows_changed,
            "rows_unchanged": self.rows_unchanged,
            "change_requests": self.change_requests,
            "changed_rows": [
                {"row": c.row, "member_id": c.member_id, "fields": list(c.fields)}
                for c in self.changes
            ],
            "errors_out": self.errors_out,
            "errors": [_issue_json(i) for i in self.errors],
            "warnings": [_issue_json(i) for i in self.warnings],
        }


def _issue_json(issue: RowIssue) -> dict[str, Any]:
    shown = {
        "row": issue.row,
        "column": issue.column,
        "value": issue.value,
        "code": issue.code,
        "message": issue.message,
    }
    if issue.sheet:
        shown["sheet"] = issue.sheet
    return shown


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's rows are judged and written.

    Judging allocates millions of small, acyclic objects; every collection would walk the
    whole heap again (about a tenth of the import's time). Reference counting still frees them;
    the collector is back on afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Opening a file
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class OpenedTable:
    """The sheet an import reads: its format, name, header and rows."""

    format: str
    sheet: str
    header: HeaderMap
    rows: Callable[[], Iterator[RawRow]]
    last_row: Callable[[], int | None] | None = None
    # Further sheets of the same kind read with this one (every visible 附表3 sheet), and
    # the hidden sheets skipped.
    more: tuple[OpenedTable, ...] = ()
    hidden: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[OpenedTable, ...]:
        """This sheet and the further ones, in workbook order."""
        return (self, *self.more)


# Forms whose every visible sheet is read: a community's 附表3 workbook holds one sheet per
# member (or per month); 附表1, 附表2 and 附表4 are one table each.
EVERY_SHEET_KINDS = frozenset({FormKind.ACTIVITIES})
# Row numbers of later sheets are kept apart while the rows are judged (sheet n adds n times
# this); the report gives each issue its sheet and its row as the sheet shows it.
_SHEET_STRIDE = 100_000_000


def choose_format(path: Path, formats: Sequence[TableFormat], limits: ReadLimits) -> TableFormat:
    """The first format that reads ``path``'s extension and accepts the file (formats are asked
    in plugin order, a county's own before the built-ins). Refuses a file no format reads."""
    if not path.exists():
        raise ValidationError("file.not_found", f"找不到文件 {path}：请检查路径和文件名。")
    if not path.is_file():
        raise ValidationError("file.not_a_file", f"{path} 不是文件：请给出要导入的表格文件。")
    suffix = path.suffix.lower()
    candidates = [f for f in formats if suffix in f.extensions]
    if not candidates:
        known = "、".join(sorted({e for f in formats for e in f.extensions}))
        raise ValidationError(
            "file.unknown_type",
            f"不能导入 {suffix or '无扩展名'} 文件 {path.name}：请在 Excel/WPS 中另存为 {known} 后再导入。",
        )
    refusal: PartyregError | None = None
    for fmt in candidates:
        try:
            fmt.sniff(path, limits)
        except PartyregError as exc:
            refusal = exc
            continue
        return fmt
    assert refusal is not None
    raise refusal


class _OnePass:
    """A sheet's rows for the header search and then for the import, read once: the rows the
    search took are kept and given again before the rest. A reader such as calamine loads the
    whole sheet on every read, so a second read cost as much as the first; a later call reads
    afresh."""

    def __init__(self, read: Callable[[], Iterator[RawRow]]) -> None:
        self._read = read
        self._rest: Iterator[RawRow] | None = None
        self._taken: list[RawRow] = []

    def head(self) -> Iterator[RawRow]:
        """The rows from the first, each kept for :meth:`__call__`."""
        self._rest = iter(self._read())
        for row in self._rest:
            self._taken.append(row)
            yield row

    def __call__(self) -> Iterator[RawRow]:
        if self._rest is None:
            return iter(self._read())
        rest, taken = self._rest, self._taken
        self._rest, self._taken = None, []
        return itertools.chain(taken, rest)


def open_table(
    path: Path,
    formats: Sequence[TableFormat],
    limits: ReadLimits,
    *,
    sheet: str | None = None,
    kind: FormKind | None = None,
) -> OpenedTable:
    """Open the sheet to import: ``sheet`` if named, else the first visible sheet whose header
    row matches a form (``kind`` if given). Hidden sheets are never read."""
    fmt = choose_format(path, formats, limits)
    sheets = list(fmt.sheets(path, limits))
    if not sheets:
        raise ValidationError(
            "file.no_sheet", f"{path.name} 没有可见的工作表：请取消隐藏要导入的工作表后再导入。"
        )
    if sheet is not None:
        chosen = [s for s in sheets if s.name == sheet]
        if not chosen:
            names = "、".join(s.name for s in sheets)
            raise ValidationError(
                "file.sheet_unknown",
                f"{path.name} 中没有名为“{sheet}”的可见工作表：可选的有 {names}。",
            )
        sheets = chosen
    hidden_of = getattr(fmt, "hidden_sheets", None)
    hidden = tuple(hidden_of(path)) if callable(hidden_of) else ()
    first_error: ValidationError | None = None
    for index, candidate in enumerate(sheets):
        rows = _OnePass(candidate.rows)
        try:
            header = find_header(rows.head(), kind)
        except ValidationError as exc:
            first_error = first_error or exc
            continue
        more: list[OpenedTable] = []
        if sheet is None and header.kind in EVERY_SHEET_KINDS:
            for other in sheets[index + 1 :]:
                try:
                    found = find_header(other.rows(), header.kind)
                except ValidationError:
                    continue  # a sheet of notes or totals: not an activity table
                more.append(OpenedTable(fmt.name, other.name, found, other.rows, other.last_row))
        return OpenedTable(
            fmt.name,
            candidate.name,
            header,
            rows,
            candidate.last_row,
            tuple(more),
            hidden,
        )
    assert first_error is not None
    if len(sheets) > 1:
        raise ValidationError(
            first_error.code,
            f"{path.name} 的 {len(sheets)} 个工作表都不是可导入的表格。第一个工作表：{first_error.message}",
        )
    raise first_error


# ---------------------------------------------------------------------------------------------
# Importing
# ---------------------------------------------------------------------------------------------


@attrs.define
class _Tally:
    """What judging the rows found. Only row numbers are kept, so memory stays bounded whatever
    the file's size; the error workbook reads the rejected rows again."""

    header: HeaderMap
    total: int = 0
    errors: list[RowIssue] = attrs.field(factory=list)
    warnings: list[RowIssue] = attrs.field(factory=list)
    rejected: set[int] = attrs.field(factory=set)
    kept: array[int] = attrs.field(factory=lambda: array("q"))

    def judge(self, number: int, issues: Iterable[RowIssue]) -> bool:
        """Record row ``number``'s issues; return whether it is valid."""
        self.total += 1
        valid = True
        for issue in issues:
            if issue.severity is Severity.ERROR:
                self.errors.append(issue)
                valid = False
            else:
                self.warnings.append(issue)
        if valid:
            self.kept.append(number)
        else:
            self.rejected.add(number)
        return valid

    def reject_all(self, rejections: Iterable[Rejection]) -> None:
        """Rows the store refused."""
        for rejection in rejections:
            self.reject(rejection)

    def reject(self, rejection: Rejection) -> None:
        """A row the store refused (``rejection.index`` counts the valid rows given to it)."""
        number = self.kept[rejection.index]
        column = rejection.column
        if column is not None and column in self.header.columns:
            column = self.header.written(column)
        self.errors.append(
            RowIssue(number, column, rejection.value, rejection.code, rejection.message)
        )
        self.rejected.add(number)


class _Counted:
    """The rows of an import, reporting progress every :data:`PROGRESS_EVERY` rows as they are
    read. The whole sheet (fraction 1) is reported only by :meth:`finish`, once the rows are
    also written (or judged, in a dry run): while the last chunk is still being written and
    committed, the bar stops one row short of the end."""

    def __init__(
        self, rows: Iterator[DataRow], progress: Progress | None, last_row: int | None
    ) -> None:
        self._rows, self._progress, self._last = rows, progress, last_row
        self.count, self.at = 0, 0

    def __iter__(self) -> Iterator[DataRow]:
        progress, last = self._progress, self._last
        if progress is None:
            yield from self._rows
            return
        for count, row in enumerate(self._rows, start=1):
            self.count, self.at = count, row.number
            if count % PROGRESS_EVERY == 0:
                at = min(row.number, last - 1) if last else row.number
                progress(ImportProgress(count, at, last))
            yield row

    def finish(self) -> None:
        """Report the whole sheet done."""
        if self._progress is not None:
            self._progress(ImportProgress(self.count, self._last or self.at, self._last))


@attrs.frozen
class ImportContext:
    """What an import needs from the workspace: the store, who is acting, the org tree, the
    posts, the formats, and how to make a batch (an id and a timestamp)."""

    store: Store
    actor: Actor
    tree: OrgTree
    posts: PostCatalog
    formats: Sequence[TableFormat]
    new_batch: Callable[[BatchKind, str, date, int], Batch]
    write_errors: ErrorWriter | None = None

    def batch(self, request: ImportRequest, kind: BatchKind, rows: int) -> Batch:
        """A new batch for this import, once its rows are counted."""
        return self.new_batch(kind, request.path.name, request.on, rows)


def import_file(
    request: ImportRequest, ctx: ImportContext, progress: Progress | None = None
) -> ImportReport:
    """Run one import and return its report (raise :class:`PartyregError` for an unusable file)."""
    table = open_table(
        request.path, ctx.formats, request.limits, sheet=request.sheet, kind=request.kind
    )
    header = table.header
    if not header.ok:
        details = "；".join(i.message for i in header.errors)
        raise ValidationError(header.errors[0].code, f"{request.path.name}：{details}")
    tables = table.tables
    for extra in table.more:
        if not extra.header.ok:
            details = "；".join(i.message for i in extra.header.errors)
            raise ValidationError(
                extra.header.errors[0].code,
                f"{request.path.name} 的工作表“{extra.sheet}”：{details}",
            )
    tally = _Tally(header)
    tally.warnings.extend(header.warnings)
    for index, extra in enumerate(table.more, start=1):
        tally.warnings.extend(
            attrs.evolve(w, row=w.row + _SHEET_STRIDE * index) for w in extra.header.warnings
        )
    last_row = table.last_row() if progress is not None and table.last_row is not None else None
    counted = _Counted(_all_rows(tables), progress, last_row)
    with no_gc():
        outcome = _WRITERS[header.kind](request, ctx, iter(counted), tally)
    counted.finish()
    if table.more:
        tally.errors = [_on_sheet(i, tables) for i in tally.errors]
        tally.warnings = [_on_sheet(i, tables) for i in tally.warnings]
    errors_out = None
    if request.errors_out is not None and tally.rejected and ctx.write_errors is not None:
        columns = [c.key for c in header.form.columns if c.key in header.columns]
        issues: dict[int, list[RowIssue]] = {}
        for issue in tally.errors:
            issues.setdefault(issue.row, []).append(issue)
        if table.more:
            issues = {}
            for issue in tally.errors:
                key = issue.row + _SHEET_STRIDE * _sheet_index(issue, tables)
                issues.setdefault(key, []).append(issue)
        rejected = [
            RejectedRow(
                row.number % _SHEET_STRIDE,
                tuple(row.get(k) for k in columns),
                tuple(issues[row.number]),
            )
            for row in _all_rows(tables)
            if row.number in tally.rejected
        ]
        written = ctx.write_errors(
            request.errors_out, [header.written(k) for k in columns], rejected
        )
        if written is None:
            raise ValidationError(
                "errors_out.unsupported",
                f"不能写出 {request.errors_out.suffix} 格式的错误工作簿：请用 .xlsx 文件名。",
            )
        errors_out = str(request.errors_out)
    rejected_count = len(tally.rejected)
    return ImportReport(
        file=str(request.path),
        kind=header.kind.value,
        dry_run=request.dry_run,
        rows_total=tally.total,
        rows_valid=tally.total - rejected_count,
        rows_rejected=rejected_count,
        rows_written=outcome.written,
        rows_new=outcome.new,
        rows_changed=outcome.changed,
        rows_unchanged=outcome.unchanged,
        errors=tuple(sorted(tally.errors, key=lambda i: (_sheet_index(i, tables), i.row))),
        warnings=tuple(sorted(tally.warnings, key=lambda i: (_sheet_index(i, tables), i.row))),
        batch_id=outcome.batch_id,
        sheet=table.sheet,
        format=table.format,
        errors_out=errors_out,
        change_requests=outcome.change_requests,
        changes=tuple(sorted(outcome.changes, key=lambda c: c.row)),
        sheets=tuple(t.sheet for t in tables),
        hidden_sheets=table.hidden,
    )


def _all_rows(tables: Sequence[OpenedTable]) -> Iterator[DataRow]:
    """The records of every table in turn; those of the n-th table numbered n strides on."""
    for index, table in enumerate(tables):
        rows = data_rows(table.rows(), table.header)
        if not index:
            yield from rows
            continue
        offset = _SHEET_STRIDE * index
        for row in rows:
            yield attrs.evolve(row, number=row.number + offset)


def _on_sheet(issue: RowIssue, tables: Sequence[OpenedTable]) -> RowIssue:
    """``issue`` with its sheet named and its row as that sheet shows it."""
    index = min(issue.row // _SHEET_STRIDE, len(tables) - 1)
    return attrs.evolve(issue, row=issue.row % _SHEET_STRIDE, sheet=tables[index].sheet)


def _sheet_index(issue: RowIssue, tables: Sequence[OpenedTable]) -> int:
    if not issue.sheet:
        return 0
    return next((i for i, t in enumerate(tables) if t.sheet == issue.sheet), 0)


@attrs.frozen
class _Outcome:
    written: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    batch_id: str | None = None
    change_requests: int = 0
    changes: tuple[ChangedRow, ...] = ()


def _hold_back(request: ImportRequest, tally: _Tally) -> bool:
    """Whether nothing may be written: a dry run, or rejected rows without ``skip_invalid``."""
    return request.dry_run or (bool(tally.rejected) and not request.skip_invalid)


class _Judged(Protocol[_R]):
    @property
    def row(self) -> int: ...
    @property
    def issues(self) -> tuple[RowIssue, ...]: ...
    @property
    def record(self) -> _R | None: ...


def _judged(results: Iterable[_Judged[_R]], tally: _Tally) -> list[_R]:
    """Record every result's issues in ``tally``; return the records of the valid rows."""
    return list(_judging(results, tally))


def _judging(results: Iterable[_Judged[_R]], tally: _Tally) -> Iterator[_R]:
    """Record every result's issues in ``tally`` as it comes; yield the valid rows' records."""
    judge = tally.judge
    for result in results:
        if judge(result.row, result.issues) and result.record is not None:
            yield result.record


def _registrations(
    request: ImportRequest, ctx: ImportContext, rows: Iterator[DataRow], tally: _Tally
) -> _Outcome:
    directory = DirectoryIndex(c.entry for c in ctx.store.communities())
    scope = ctx.actor.scope
    codes = [scope.code] if scope.role is not Role.CITY and scope.code is not None else None
    if scope.role is not Role.CITY and scope.code is None:
        codes = []  # community roles register no one
    context = RegistrationContext(ctx.tree, ctx.posts, directory, request.on, codes)
    # Streamed: the store takes the valid records in chunks as the rows are judged, and decides
    # whether to commit only once every row has been (``commit_if``). The records are never all
    # held; what grows with the file is the per-person index that finds repeated rows.
    write = ctx.store.write_registrations(
        ctx.actor,
        ctx.batch(request, BatchKind.REGISTRATIONS, 0),
        _judging(validate_registrations(rows, context), tally),
        skip_rejected=request.skip_invalid,
        dry_run=request.dry_run,
        commit_if=lambda: not _hold_back(request, tally),
        batch_rows=lambda: tally.total,
    )
    tally.reject_all(write.rejected)
    labels = {c.key: c.label for c in REGISTRATION_FORM.columns}
    changes = tuple(
        ChangedRow(tally.kept[c.index], c.member_id, tuple(labels.get(f, f) for f in c.fields))
        for c in write.changes
    )
    return _Outcome(
        write.written, write.new, write.changed, write.unchanged,
        write.batch_id if write.committed else None, write.change_requests, changes,
    )  # fmt: skip


#: The columns of an activity row besides who: a pre-filled row with none of them is blank.
_ACTIVITY_CELLS = ("day", "content", "place", "participants", "hours", "rating", "kind")


def _filled(rows: Iterator[DataRow]) -> Iterator[DataRow]:
    """The rows of an activity sheet without the pre-filled ones nobody filled in (党员编号
    and 姓名 only, from ``export template activities --with-members``)."""
    for row in rows:
        if row.get("member").strip() and not any(row.get(k).strip() for k in _ACTIVITY_CELLS):
            continue
        yield row


def _activities(
    request: ImportRequest, ctx: ImportContext, rows: Iterator[DataRow], tally: _Tally
) -> _Outcome:
    known = {
        m.id: KnownMember(m.name, m.phone)
        for m in ctx.store.members.iter_members(ctx.actor, MemberQuery())
    }
    context = ActivityContext(MemberIndex(known.values()), request.on, by_number=known)
    records = _judged(validate_activities(_filled(rows), context), tally)
    write = ctx.store.write_activities(
        ctx.actor,
        ctx.batch(request, BatchKind.ACTIVITIES, tally.total),
        records,
        skip_rejected=request.skip_invalid,
        dry_run=_hold_back(request, tally),
    )
    tally.reject_all(write.rejected)
    return _Outcome(
        write.written, write.new, 0, write.duplicates,
        write.batch_id if write.written else None,
    )  # fmt: skip


def _directory(
    request: ImportRequest, ctx: ImportContext, rows: Iterator[DataRow], tally: _Tally
) -> _Outcome:
    known = {c.ref: c for c in ctx.store.communities()}
    judged: list[tuple[int, DirectoryEntry]] = []
    for result in validate_directory(rows, ctx.tree, today=request.on):
        if tally.judge(result.row, result.issues) and result.entry is not None:
            judged.append((result.row, result.entry))
    if not request.overwrite_edits:
        judged = _keep_hand_edits(judged, known, ctx, tally)
    entries = [entry for _row, entry in judged]
    new = sum(1 for e in entries if e.ref not in known)
    unchanged = sum(1 for e in entries if e.ref in known and known[e.ref].entry == e)
    changed = len(entries) - new - unchanged
    if _hold_back(request, tally) or not entries:
        return _Outcome(0, new, changed, unchanged)
    batch = ctx.batch(request, BatchKind.DIRECTORY, tally.total)
    ctx.store.save_communities(ctx.actor, batch, entries)
    return _Outcome(new + changed, new, changed, unchanged, batch.id)


_DIRECTORY_LABELS = {c.key: c.label for c in DIRECTORY_FORM.columns}
_EDITABLE = ("phone", "qq_group", "secretary", "mobile", "address")


def _keep_hand_edits(
    judged: list[tuple[int, DirectoryEntry]],
    known: Mapping[CommunityRef, Community],
    ctx: ImportContext,
    tally: _Tally,
) -> list[tuple[int, DirectoryEntry]]:
    """A contact edited by hand since the directory was last imported is newer than the file:
    keep it, and warn naming the row, the field, both values and how to take the file's."""
    ids = [known[e.ref].id for _r, e in judged if e.ref in known and known[e.ref].entry != e]
    edits = ctx.store.directory_edits(ctx.actor, ids) if ids else {}
    if not edits:
        return judged
    kept: list[tuple[int, DirectoryEntry]] = []
    for row, entry in judged:
        current = known.get(entry.ref)
        newest: dict[str, FieldEdit] = {}
        for made in edits.get(current.id, []) if current is not None else []:
            newest.setdefault(made.field, made)  # newest first
        keep: dict[str, Any] = {}
        for field in _EDITABLE:
            edit = newest.get(field)
            stored = getattr(current, field, "")
            if edit is None or getattr(entry, field) == stored:
                continue
            keep[field] = stored
            day = edit.at.astimezone(BEIJING).date().isoformat()
            label = _DIRECTORY_LABELS.get(field, field)
            column = tally.header.written(field) if field in tally.header.columns else label
            tally.warnings.append(
                RowIssue(
                    row, column, getattr(entry, field), "directory.edited",
                    f"{entry.community}的“{label}”已于 {day} 由 {edit.actor} 改为“{stored}”，"
                    f"表中是“{getattr(entry, field)}”：保留较新的修改；如要用表中的值，"
                    "导入时加 --overwrite-edits。",
                    Severity.WARNING,
                )
            )  # fmt: skip
        kept.append((row, attrs.evolve(entry, **keep) if keep else entry))
    return kept


_DISTRICT_SUFFIXES = ("区委", "县委", "市委")


def kind_for_new_unit(code_depth: int, name: str) -> OrgKind:
    """The kind of a unit added through an imported code table: at depth 2 a 县区委 is a
    district and a 党工委 of an area a zone; everything else is a unit."""
    if code_depth == 2 and name.endswith(_DISTRICT_SUFFIXES):
        return OrgKind.DISTRICT
    if code_depth == 2 and name.endswith("党工委") and ("区" in name or "新城" in name):
        return OrgKind.ZONE
    return OrgKind.UNIT


def _codes(
    request: ImportRequest, ctx: ImportContext, rows: Iterator[DataRow], tally: _Tally
) -> _Outcome:
    listed = list(rows)  # a code table is small; check_table needs it whole
    pairs = [(row.get("code"), row.get("name")) for row in listed]
    # Parents already in the tree are fine; _new_unit_issue checks them against the tree.
    table_issues: dict[int, list[RowIssue]] = {}
    for problem in check_table(pairs, known=None):
        if problem.code == "code.parent_missing" and _parent_known(problem.value, ctx.tree):
            continue
        row = listed[problem.row - 1]
        column = row.column("name" if problem.code.startswith("name.") else "code")
        table_issues.setdefault(problem.row - 1, []).append(
            RowIssue(row.number, column, problem.value, problem.code, problem.message)
        )
    new_units: list[OrgUnit] = []
    unchanged = 0
    for index, row in enumerate(listed):
        issues = table_issues.get(index, [])
        unit: OrgUnit | None = None
        if not issues:
            code, name = parse_code(row.get("code")), row.get("name").strip()
            existing = ctx.tree.find(code)
            if existing is not None and existing.name == name:
                unchanged += 1
            else:
                issue = _new_unit_issue(row, code, name, ctx, new_units)
                if issue is None:
                    unit = OrgUnit(code, name, kind_for_new_unit(code.depth, name), request.on)
                else:
                    issues = [issue]
        if tally.judge(row.number, issues) and unit is not None:
            new_units.append(unit)
    if _hold_back(request, tally) or not new_units:
        return _Outcome(0, len(new_units), 0, unchanged)
    batch = ctx.batch(request, BatchKind.CODES, tally.total)
    written = ctx.store.add_org_units(ctx.actor, batch, new_units)
    return _Outcome(written, len(new_units), 0, unchanged, batch.id)


def _new_unit_issue(
    row: DataRow, code: OrgCode, name: str, ctx: ImportContext, new_units: Sequence[OrgUnit]
) -> RowIssue | None:
    """Why a unit of an imported code table cannot be added, or ``None``."""
    existing = ctx.tree.find(code)
    if existing is not None:
        return RowIssue(
            row.number,
            row.column("name"),
            name,
            "code.renamed",
            f"代码 {code} 已是“{existing.name}”：改名请用 partyreg codes rename，"
            "新单位请用 partyreg codes next 取得新代码。",
        )
    parent = code.parent
    if parent is not None and parent not in ctx.tree and all(u.code != parent for u in new_units):
        return RowIssue(
            row.number,
            row.column("code"),
            str(code),
            "code.parent_missing",
            f"代码 {code} 的上级 {parent} 不存在：请先在代码表中加入上级（放在前面的行）。",
        )
    if any(u.code.parent == parent and u.retired_on is None for u in ctx.tree.by_name(name)):
        return RowIssue(
            row.number,
            row.column("name"),
            name,
            "name.duplicate",
            f"上级 {parent} 下已有名为“{name}”的单位：请改用能区分的全称。",
        )
    if not ctx.actor.scope.covers_unit(parent or code):
        return RowIssue(
            row.number,
            row.column("code"),
            str(code),
            "scope.denied",
            f"代码 {code} 不在您的管理范围内：只能为本单位及下级单位编码。",
        )
    return None


def _parent_known(code_text: str, tree: OrgTree) -> bool:
    parent = parse_code(code_text).parent
    return parent is not None and parent in tree


def _wishes(
    request: ImportRequest, ctx: ImportContext, rows: Iterator[DataRow], tally: _Tally
) -> _Outcome:
    """Residents' wishes: each row names its community (县区/街道/社区, within scope); all or
    none unless ``--skip-invalid`` (decision 0130)."""
    scope = ctx.actor.scope
    places = {
        (c.district, c.street, c.name): c
        for c in ctx.store.communities()
        if scope.covers_community(c.id, c.district_code)
    }
    by_id = {c.id: c for c in places.values()}

    def find_community(district: str, street: str, name: str) -> int | None:
        found = places.get((district, street, name))
        return found.id if found is not None else None

    def find_post(community_id: int, text: str) -> str:
        district = by_id[community_id].district_code
        post = ctx.posts.get(text.strip(), district)
        if post is None:
            post = next(
                (p for p in ctx.posts.for_district(district) if p.name == text.strip()), None
            )
        if post is None:
            raise ValidationError(
                "wish.post",
                f"岗位“{text.strip()}”不是该县区可用的岗位：用 partyreg posts list 查看岗位代码。",
            )
        return post.code

    context = WishContext(find_community, find_post, request.on)
    records = _judged(validate_wish_rows(rows, context), tally)
    if _hold_back(request, tally) or not records:
        return _Outcome(0, len(records))
    batch = ctx.batch(request, BatchKind.WISHES, tally.total)
    ids = ctx.store.wishes.add(ctx.actor, records, batch=batch)
    return _Outcome(len(ids), len(ids), batch_id=batch.id)


_Writer = Callable[[ImportRequest, ImportContext, Iterator[DataRow], _Tally], _Outcome]
_WRITERS: dict[FormKind, _Writer] = {
    FormKind.REGISTRATIONS: _registrations,
    FormKind.ACTIVITIES: _activities,
    FormKind.DIRECTORY: _directory,
    FormKind.CODES: _codes,
    FormKind.WISHES: _wishes,
}
