"""The records of the four forms as frozen values.

- :class:`Registration` — one row of 附表1 (参与党员信息登记表), normalised.
- :class:`DirectoryEntry` — one row of 附表4 (全市城市社区通讯录).
- :class:`Activity` — one row of 附表3 (实绩反馈单).
- :class:`FeedbackSheet` — a whole 附表3: one member, one campaign year.
- :class:`RowIssue` — one problem with one cell (or row) of an input, with a Chinese fix.

Validation that turns raw cells into these values lives in :mod:`partyreg_core.registrations`,
:mod:`partyreg_core.directory` and :mod:`partyreg_core.activities`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.orgcodes import OrgCode
from partyreg_core.text import shown


class Severity(StrEnum):
    """An error rejects the row; a warning accepts it and tells the operator."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class RowIssue:
    """One problem in an input: ``row`` as the spreadsheet shows it, ``column`` the header as
    written in the file (``None`` when no single cell is meant), the cell ``value``, a stable
    dotted ``code`` (``phone.invalid``) and a Chinese ``message`` saying how to fix it.
    ``sheet`` names the worksheet when an import read several (``""`` otherwise)."""

    row: int
    column: str | None
    value: str
    code: str
    message: str
    severity: Severity = Severity.ERROR
    sheet: str = ""


class Gender(StrEnum):
    """性别 as 附表1 asks for it."""

    MALE = "男"
    FEMALE = "女"


class ReportType(StrEnum):
    """报到类型: where a member reports in (the seed's 居住地 / 工作所在地 / 其他 / 工作联系点)."""

    RESIDENCE = "居住地"
    WORKPLACE = "工作地"
    OTHER = "其他"
    CONTACT_POINT = "联系点"


class Rating(StrEnum):
    """评价 of an activity on 附表3."""

    EXCELLENT = "优"
    GOOD = "良"
    FAIR = "一般"


@attrs.frozen(cache_hash=True)  # a dict key of every imported row: hashed once
class CommunityRef:
    """A community as an input names it: 县区, 街道（乡镇）and 社区 together (names repeat
    across districts, so all three identify it)."""

    district: str
    street: str
    community: str

    @property
    def label(self) -> str:
        """``县区/街道/社区``, the form JSON and messages use."""
        return f"{self.district}/{self.street}/{self.community}"


def parse_community(text: str) -> CommunityRef:
    """A community as typed: ``县区/街道/社区`` (the form JSON and messages use)."""
    parts = [p.strip() for p in text.replace("／", "/").split("/")]
    if len(parts) != 3 or not all(parts):
        raise ValidationError(
            "community.format",
            f"社区“{text}”应写成 县区/街道/社区（如 清河区/清河街道/A社区）或社区编号。",
        )
    return CommunityRef(*parts)


@attrs.frozen
class Registration:
    """One member's row of 附表1, normalised.

    ``phone`` is 11 digits for a mobile or ``AREA-LOCAL`` for a landline; ``posts`` are post
    codes in the order written; ``rank`` is 职级 (for 县处级 and above, who may report at a
    contact-point community).
    """

    unit_code: OrgCode
    name: str
    gender: Gender
    unit_and_title: str
    posts: tuple[str, ...]
    phone: str
    community: CommunityRef
    specialty: str = ""
    address: str = ""
    report_type: ReportType = ReportType.RESIDENCE
    rank: str = ""

    @property
    def person_key(self) -> tuple[str, str]:
        """A person is name + phone (DESIGN.md §6)."""
        return (self.name, self.phone)


@attrs.frozen
class DirectoryEntry:
    """One community of 附表4 (全市城市社区通讯录); ``district_code`` is the aggregator the
    县区 is linked to."""

    district: str
    street: str
    community: str
    phone: str = ""
    qq_group: str = ""
    secretary: str = ""
    mobile: str = ""
    address: str = ""
    district_code: OrgCode | None = None

    @property
    def ref(self) -> CommunityRef:
        """The community's three-part name."""
        return CommunityRef(self.district, self.street, self.community)


@attrs.frozen
class Activity:
    """One row of 附表3: who (name + phone), when, what, where, with whom, how long, how well.

    ``self_reported`` activities count only once an instructor confirms them.
    """

    name: str
    phone: str
    day: date
    content: str
    hours: float
    rating: Rating
    place: str = ""
    participants: str = ""
    kind: str = ""
    self_reported: bool = False

    @property
    def year(self) -> int:
        """The campaign year the activity counts for: the calendar year of its date."""
        return self.day.year

    @property
    def person_key(self) -> tuple[str, str]:
        """The member, as name + phone."""
        return (self.name, self.phone)


class SheetStatus(StrEnum):
    """A feedback sheet is filled as a draft, then confirmed (stamped) and locked."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"


@attrs.frozen
class FeedbackSheet:
    """附表3 whole: one member's service in one campaign year at one community.

    ``number`` is the sheet's serial (``2014-0012-0003``: year, community, sequence); once ``status`` is confirmed
    the sheet is locked and takes no new activities.
    """

    number: str
    year: int
    name: str
    phone: str
    unit_code: OrgCode
    unit_name: str
    community: CommunityRef
    activities: tuple[Activity, ...] = ()
    status: SheetStatus = SheetStatus.DRAFT
    confirmed_by: str = ""
    confirmed_on: date | None = None
    stamp: str = ""
    #: the member's points balance of the year, printed on the total line (``None``: not shown)
    points: float | None = None

    @property
    def total_hours(self) -> float:
        """Hours of the counted activities (self-reported ones are counted once confirmed)."""
        return round(sum(a.hours for a in self.activities), 2)

    @property
    def locked(self) -> bool:
        """Confirmed sheets take no changes until reopened with a reason."""
        return self.status is SheetStatus.CONFIRMED


MAX_RECORD_ID = 2**63 - 1
"""The largest id a store keeps (SQLite's INTEGER and PostgreSQL's bigint)."""


def record_id(text: str) -> int | None:
    """The record id ``text`` names (``17``, full-width ``１７`` too), or ``None`` when it is not a
    number at all; a number no store could hold is not found (``NotFoundError``), never a
    database overflow."""
    value = text.strip()
    if not value.isdigit():
        return None
    try:
        number = int(value)
    except ValueError:  # digits of other scripts that int() does not read
        return None
    if number > MAX_RECORD_ID:
        raise NotFoundError(
            "record.not_found",
            f"没有编号为 {shown(value, 24)} 的记录：编号超出了范围，请核对后再输入。",
        )
    return number
