"""``partyreg change``: change of community — request, list, approve, reject (decision 0025)."""

from __future__ import annotations

from datetime import date

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.commands.members import _one
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.params import RECORD_ID
from partyreg_core.changes import ChangeRequest, ChangeStatus


def request_json(request: ChangeRequest) -> dict[str, object]:
    """A change request as ``change … --json`` writes it."""
    return {
        "id": request.id,
        "member_id": request.member_id,
        "name": request.name,
        "unit_code": str(request.unit_code),
        "from_community_id": request.from_community_id,
        "to_community_id": request.to_community_id,
        "to": request.to.label,
        "reason": request.reason,
        "status": request.status.value,
        "requested_on": request.requested_on.isoformat(),
        "requested_by": request.requested_by,
        "decided_on": request.decided_on.isoformat() if request.decided_on else None,
        "decided_by": request.decided_by,
        "decision_reason": request.decision_reason,
        "batch_id": request.batch_id,
    }


def _show(request: ChangeRequest, done: str, as_json: bool) -> None:
    if as_json:
        emit_json(request_json(request))
        return
    click.echo(
        f"{done}：变更申请 {request.id}，{request.name}（{request.unit_code}）→ {request.to.label}。"
    )


@click.group()
def change() -> None:
    """变更报到社区：党员居住地变化后向单位申请，单位审批。"""


@change.command("request")
@click.argument("who", metavar="党员编号|姓名")
@click.option("--to", "to", required=True, metavar="'县区 街道 社区'|编号", help="新社区。")
@click.option("--reason", required=True, help="变更原因（如 搬家到新小区）。")
@click.option("--phone", help="同名时用联系方式区分。")
@click.option("--date", "on", type=DAY, help="申请日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def request(
    app: App, who: str, to: str, reason: str, phone: str | None, on: date | None, as_json: bool
) -> None:
    """为已分流的党员提出变更报到社区的申请（交单位审批）。"""
    ws = app.workspace
    member = _one(ws, who, phone)
    filed = ws.routing.request_change(member.id, to, reason, on=on)
    _show(filed, "已提交，待单位审批", as_json)


@change.command("list")
@click.option(
    "--status", type=click.Choice([s.value for s in ChangeStatus]), help="只列出该状态的申请。"
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def list_requests(app: App, status: str | None, as_json: bool) -> None:
    """列出你范围内党员的变更申请，最新的在前。"""
    found = app.workspace.routing.change_requests(status)
    if as_json:
        emit_json([request_json(r) for r in found])
        return
    emit_table(
        ["编号", "党员", "单位代码", "新社区", "原因", "状态", "申请日期", "审批人"],
        [
            (
                r.id,
                f"{r.name}（{r.member_id}）",
                str(r.unit_code),
                r.to.label,
                r.reason if r.status is not ChangeStatus.REJECTED else f"驳回：{r.decision_reason}",
                r.status.label,
                r.requested_on.isoformat(),
                r.decided_by or "",
            )
            for r in found
        ],
    )


@change.command("approve")
@click.argument("request_id", metavar="申请编号", type=RECORD_ID)
@click.option("--note", help="审批意见（可选）。")
@click.option("--date", "on", type=DAY, help="审批日期（默认今天）：原社区的分流记录在这天结束。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def approve(app: App, request_id: int, note: str | None, on: date | None, as_json: bool) -> None:
    """批准变更：原社区移交，新社区接收（待新社区确认报到）。"""
    decided = app.workspace.routing.approve_change(request_id, on=on, note=note)
    _show(decided, "已批准，党员已转到新社区，待新社区确认报到", as_json)


@change.command("reject")
@click.argument("request_id", metavar="申请编号", type=RECORD_ID)
@click.option("--reason", required=True, help="驳回理由。")
@click.option("--date", "on", type=DAY, help="审批日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def reject(app: App, request_id: int, reason: str, on: date | None, as_json: bool) -> None:
    """驳回变更申请，写明理由；党员留在原社区。"""
    decided = app.workspace.routing.reject_change(request_id, reason, on=on)
    _show(decided, "已驳回", as_json)
