"""Import batches, what a store write did, and the rows it refused.

Every import is a batch with an id (DESIGN.md §9); a batch that nothing has built on yet can be
undone. Values here cross the storage port.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

import attrs


class BatchKind(StrEnum):
    """What a batch wrote (the ``--kind`` of ``partyreg import``, plus manual entries)."""

    REGISTRATIONS = "registrations"
    CODES = "codes"
    DIRECTORY = "directory"
    ACTIVITIES = "activities"
    #: a bulk action (decision 0077): ``feedback confirm --all`` stamps many sheets at once
    FEEDBACK = "feedback"
    #: ``report-in confirm --all``: a community's report-ins confirmed at once
    REPORT_IN = "report_in"
    #: bulk actions whose rows ``undo_batch`` puts back from the batch's journal (decision 0109)
    ASSIGN = "assign"
    GROUP = "group"
    ROUTE = "route"
    YEAR = "year"
    #: ``progress remind``: the messages it queued; an undo withdraws those not yet sent
    REMIND = "remind"
    #: ``notify flush``: the messages it sent cannot be recalled; an undo withdraws those it
    #: left waiting for a retry
    FLUSH = "flush"
    #: ``retention run``: anonymising cannot be undone (the batch says whom it erased)
    RETENTION = "retention"
    #: residents' wishes imported from a sheet (an undo removes those still untouched)
    WISHES = "wishes"

    @property
    def label(self) -> str:
        """What the batch wrote, in Chinese."""
        return BATCH_LABELS.get(self.value, self.value)


BATCH_LABELS = {
    "registrations": "附表1导入",
    "codes": "代码表导入",
    "directory": "通讯录导入",
    "activities": "活动导入",
    "feedback": "反馈单确认",
    "report_in": "报到确认",
    "assign": "岗位分配",
    "group": "服务小组",
    "route": "分流",
    "year": "开启年度",
    "remind": "催办提醒",
    "flush": "发送消息",
    "retention": "匿名化",
    "wishes": "微心愿导入",
}

#: Why a retention batch cannot be undone (shown by its dry run, its question and the undo).
RETENTION_IRREVERSIBLE = (
    "匿名化不能撤销：姓名、电话、地址等个人信息会被永久清除（按保存期限的规定，不留副本），"
    "撤销批次也无法恢复。"
)


@attrs.frozen
class Batch:
    """An import: its id, kind, the file it came from, who ran it and when, the business date
    it counts for (``--date``; default the day of ``at``), and its rows."""

    id: str
    kind: BatchKind
    file: str
    operator: str
    at: datetime
    on: date | None = None
    rows: int = 0
    written: int = 0
    on_behalf_of: str | None = None
    undone_at: datetime | None = None
    undone_by: str | None = None

    @property
    def day(self) -> date:
        """The business date of the batch."""
        return self.on if self.on is not None else self.at.date()


def new_batch_id(at: datetime, token: str) -> str:
    """A batch id: the UTC time the batch was started and a random ``token`` (hex), e.g.
    ``20240830T101500-3f9a2c`` — sortable, and unique across operators importing at once."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S}-{token}"


@attrs.frozen
class Rejection:
    """A row a store write refused: ``index`` into the rows given (0-based), a stable dotted
    ``code`` (``member.conflict``) and a Chinese ``message`` saying how to resolve it."""

    index: int
    code: str
    message: str
    column: str | None = None
    value: str = ""


@attrs.frozen
class RowChange:
    """A row that changes a stored member: ``index`` into the rows given (0-based), the member,
    and the fields of 附表1 that differ (their keys, in the form's order)."""

    index: int
    member_id: int
    fields: tuple[str, ...]


@attrs.frozen
class RegistrationWrite:
    """What writing registrations did — or, in a dry run or when rows were refused and not
    skipped, would do. ``written`` is 0 unless the batch was committed."""

    batch_id: str | None
    rows: int
    new: int
    changed: int
    unchanged: int
    rejected: tuple[Rejection, ...] = ()
    change_requests: int = 0
    written: int = 0
    dry_run: bool = False
    changes: tuple[RowChange, ...] = ()

    @property
    def committed(self) -> bool:
        """Whether the batch was written."""
        return self.batch_id is not None and not self.dry_run


@attrs.frozen
class ActivityWrite:
    """What writing activities did (or would do): new rows, rows already stored (an identical
    activity of the same member, skipped), and refused rows."""

    batch_id: str | None
    rows: int
    new: int
    duplicates: int
    rejected: tuple[Rejection, ...] = ()
    written: int = 0
    dry_run: bool = False


@attrs.frozen
class UndoReport:
    """What undoing a batch reverted."""

    batch_id: str
    kind: BatchKind
    removed: int
    restored: int
    #: messages of the batch already sent, which no undo can recall
    unrecalled: int = 0
