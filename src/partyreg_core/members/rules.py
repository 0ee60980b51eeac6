"""The rules about a member, each with its Chinese message, on every path (the command line,
the terminal UI's form, an import; decisions 0074, 0075, 0111): who serves, what an edit may
change, and what changed between two registrations."""

from __future__ import annotations

import shlex

from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError
from partyreg_core.members.fields import REGISTRATION_FIELDS
from partyreg_core.members.model import Member, MemberStatus
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, Registration
from partyreg_core.retention import ANONYMOUS_NAME


def registration_changes(old: Registration, new: Registration) -> dict[str, tuple[object, object]]:
    """The fields of 附表1 that differ between ``old`` and ``new``: name → (before, after)."""
    changes: dict[str, tuple[object, object]] = {}
    for name in REGISTRATION_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes[name] = (before, after)
    return changes


def serves_in(member: Member, year: int | None = None) -> bool:
    """Whether ``member`` takes part in current work (decision 0075): the rosters that
    assignments and groups are made of, and — for ``year`` — the year's feedback sheets. A
    member who left (or was anonymised) is out of current work; for a year, one who left
    during it still has that year's sheet. Stores apply the same rule in SQL
    (``partyreg_plugins.sqlstore.scoping.serving``)."""
    if member.left_on is None:
        return True
    return year is not None and member.left_on.year >= year


# -- the rules an edit obeys on every path (decision 0074) ------------------------------------


def refuse_unit_edit(member: Member, new_unit: OrgCode) -> None:
    """A member's unit changes only through a transfer (date, reason, history): an edit of
    附表1's 单位代码 — on the command line, in the terminal UI's form, or by an import that
    names another unit — is refused with the command to use (``member.unit_by_transfer``)."""
    if new_unit != member.unit_code:
        command = shlex.join(
            ["partyreg", "members", "transfer", str(member.id), "--to", str(new_unit)]
        )
        raise ConflictError(
            "member.unit_by_transfer",
            f"党员 {member.name}（编号 {member.id}）的单位不能直接修改：调动请用 "
            f"{command} --reason 调动原因（记录调动日期、原因和历史）。",
        )


def refuse_departed_edit(member: Member) -> None:
    """A member who left is out of current work (decision 0075) and their registration is
    history — last year's sheets and ledger were made from it: an edit on any path (the
    command line, the terminal UI's form, an import) is refused (``member.left``), as a
    transfer or a second leaving is; an anonymised member's row can never be filled in again
    (decision 0079)."""
    if member.left_on is None:
        return
    if member.name == ANONYMOUS_NAME:
        raise ConflictError(
            "member.left",
            f"编号 {member.id} 的党员离开后已超过保留期限，个人信息已按规定匿名化：不能再修改或填回。",
        )
    raise ConflictError(
        "member.left",
        f"{member.name}（编号 {member.id}）已于 {member.left_on} 离开（{member.left_reason}）："
        "登记不再修改（往年的反馈单和台账按原样保留）。",
    )


def refuse_routed_community_edit(member: Member, new_community: CommunityRef) -> None:
    """A routed member's community changes only through a change request (the two
    communities and the aggregator see it): an edit of 报到社区 for a member who is routed or
    reported in is refused with the command to use (``member.community_by_change``). Before
    routing the edit is an ordinary correction of the registration."""
    if member.status is MemberStatus.REGISTERED or new_community == member.community:
        return
    command = shlex.join(
        ["partyreg", "change", "request", str(member.id), "--to", new_community.label]
    )
    raise ConflictError(
        "member.community_by_change",
        f"党员 {member.name}（编号 {member.id}）{member.status.label}，报到社区不能直接修改："
        f"请提出变更申请 {command} --reason 变更原因，由县区审批。",
    )


# -- the refusals a store raises about one member ---------------------------------------------


def member_not_found(member_id: int) -> NotFoundError:
    """No member ``member_id`` within the scope (nothing about one outside it is revealed)."""
    return NotFoundError("member.not_found", f"没有编号为 {member_id} 的党员（或不在你的范围内）。")


def registration_denied(code: OrgCode, verb: str) -> NotPermittedError:
    """The registrations of unit ``code`` are outside the scope: ``verb`` (修改, 删除) is
    left to that unit or one above it."""
    return NotPermittedError(
        "scope.denied",
        f"单位 {code} 的党员登记不在你的管理范围内：请交由该单位或其上级{verb}。",
    )


def person_taken(registration: Registration) -> ConflictError:
    """An edit would give a member the name and phone of another member (one person, one
    member)."""
    return ConflictError(
        "member.conflict",
        f"{registration.name}（{registration.phone}）已登记为另一名党员：请核对后再改。",
    )


def member_in_use(member: Member, blockers: list[str]) -> ConflictError:
    """A member something has been built on (``blockers``: what, in Chinese) is not removed:
    one who left is recorded as leaving."""
    return ConflictError(
        "member.in_use",
        f"不能删除党员 {member.name}：已有{'、'.join(blockers)}。如该党员已离开，请改用变更或离开登记。",
    )
