"""``partyreg certificate ID -o 报到证.pdf``: the unit's report-in certificate with the
community's receipt, as a PDF with a serial and a check code (decisions 0126, 0127).

Printing it again gives the same document while nothing it certifies changed; after a change
(another community, other posts) a new revision is issued and the earlier one verifies as
superseded. ``--revoke --reason …`` withdraws it.
"""

from __future__ import annotations

from pathlib import Path

import click

from partyreg_cli.app import App
from partyreg_cli.output import emit_json
from partyreg_cli.params import RECORD_ID


@click.command("certificate")
@click.argument("member_id", type=RECORD_ID, metavar="党员编号")
@click.option(
    "-o", "--output", "target", type=click.Path(path_type=Path, dir_okay=False),
    help="输出文件（.pdf）。",
)  # fmt: skip
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖它。")
@click.option("--revoke", is_flag=True, help="作废该党员的报到证（须写 --reason）。")
@click.option("--reason", default="", metavar="原因", help="作废的原因（记入审计日志）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def certificate(app: App, member_id: int, target: Path | None, force: bool, revoke: bool,
                reason: str, as_json: bool) -> None:  # fmt: skip
    """出具在职党员到社区报到证（含社区回执）：partyreg certificate 党员编号 -o 报到证.pdf。

    PDF 上有编号、校验码和核验二维码，可用 partyreg verify 编号 校验码 或党员网站核验。
    """
    ws = app.workspace
    if revoke:
        revoked = ws.revoke_certificate(member_id, reason)
        if as_json:
            emit_json({"serial": revoked.serial, "status": revoked.status.value,
                       "revoked_on": revoked.revoked_on.isoformat() if revoked.revoked_on else None})  # fmt: skip
            return
        click.echo(f"已作废报到证 {revoked.serial}：核验时将显示“已作废（{revoked.reason}）”。")
        return
    if target is None:
        raise click.UsageError("请用 -o 报到证.pdf 指定输出文件。")
    ws.export("certificate", target, {"member": member_id}, force=force, reason="出具报到证")
    _cert, document, code = ws.report_in_certificate(member_id)
    if as_json:
        emit_json({"serial": document.serial, "check_code": code, "file": str(target),
                   "issued_on": document.issued_on.isoformat(), "certifies": document.summary})  # fmt: skip
        return
    click.echo(f"已出具报到证 {target}：编号 {document.serial}，校验码 {code}。")
    click.echo("请单位党组织盖章后交党员本人到社区报到；回执由社区盖章后交回。")
