"""Change of community (DESIGN.md §3 step 6): a member who moves applies to the unit; on
approval the old community releases them and the new one takes them in.

The values here cross the storage port; :func:`parse_target` reads the new community as
operators type it. Who may file and who decides is decision 0025.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, record_id
from partyreg_core.text import nfkc


class ChangeStatus(StrEnum):
    """Where a change-of-community request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}[self.value]


@attrs.frozen
class ChangeRequest:
    """A request to move a member to another community, and its decision.

    ``to`` is the new community as 县区/街道/社区; ``to_community_id`` is its directory entry
    once found (a request a re-imported 附表1 filed may name one not yet in the directory).
    ``reason`` is why the member moves; ``decision_reason`` why it was rejected (or a note on
    the approval).
    """

    id: int
    member_id: int
    name: str
    unit_code: OrgCode
    from_community_id: int | None
    to_community_id: int | None
    to: CommunityRef
    reason: str
    status: ChangeStatus
    requested_on: date
    requested_by: str | None = None
    decided_on: date | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    batch_id: str | None = None

    def event(self) -> dict[str, object]:
        """The ``after`` of the ``change.*`` events (the event contract; ``reason`` is the
        rejection's reason for ``change.rejected``, the member's reason otherwise)."""
        rejected = self.status is ChangeStatus.REJECTED
        return {
            "id": self.id,
            "member_id": self.member_id,
            "name": self.name,
            "unit_code": str(self.unit_code),
            "from_community_id": self.from_community_id,
            "to_community_id": self.to_community_id,
            "to": " ".join((self.to.district, self.to.street, self.to.community)),
            "reason": (self.decision_reason or "") if rejected else self.reason,
            "decided_by": self.decided_by,
        }


_SEPARATORS = re.compile(r"[/\s]+")


def parse_target(text: str) -> int | CommunityRef:
    """The new community as typed: a directory id (``17``), or its three names separated by
    ``/`` or spaces (``清河区 清河街道 A社区``, ``清河区/清河街道/A社区``; full-width forms too).

    Raises :class:`ValidationError` for anything else."""
    value = nfkc(text).strip()
    number = record_id(value)
    if number is not None:
        return number
    parts = [p for p in _SEPARATORS.split(value) if p]
    if len(parts) != 3:
        raise ValidationError(
            "change.to",
            f"新社区“{text}”应写成 县区 街道 社区（用空格或 / 分开，如 清河区 清河街道 A社区），"
            "或写社区编号。",
        )
    return CommunityRef(*parts)


def clean_reason(text: str | None, *, what: str = "变更原因") -> str:
    """A reason as typed: control characters removed, trimmed, 1–200 characters."""
    value = "".join(ch for ch in nfkc(text or "") if ch.isprintable()).strip()
    if not value:
        raise ValidationError("change.reason", f"请写明{what}：--reason …。")
    if len(value) > 200:
        raise ValidationError("change.reason", f"{what}最多 200 个字：现在有 {len(value)} 个字。")
    return value
