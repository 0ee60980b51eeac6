"""The ledger (台帐) columns of Table 1: each member's service in a year.

The note under 附表3 asks instructors to copy each member's service into 表1 (EXCEL版). partyreg
computes it from the confirmed activities: hours, the number of activities and how many were
rated 优, 良 and 一般. ``partyreg export form1 --with-service`` adds these as columns after the
form's own; the registration import recognises their headers and ignores them
(:data:`SERVICE_HEADERS`, decision 0056), so the sheet still re-imports with no change.
"""

from __future__ import annotations

import attrs

#: The headers of the service columns, in order (the import recognises and skips them).
SERVICE_HEADERS = (
    "服务年度",
    "服务总时长（小时）",
    "活动次数",
    "评价为优",
    "评价为良",
    "评价为一般",
)


@attrs.frozen
class MemberService:
    """One member's confirmed service in ``year``."""

    member_id: int
    name: str
    phone: str
    year: int
    hours: float = 0.0
    activities: int = 0
    excellent: int = 0
    good: int = 0
    fair: int = 0

    def cells(self) -> tuple[str, ...]:
        """The service columns as text, in :data:`SERVICE_HEADERS` order."""
        return (
            str(self.year),
            f"{self.hours:g}",
            str(self.activities),
            str(self.excellent),
            str(self.good),
            str(self.fair),
        )
