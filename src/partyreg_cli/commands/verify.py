"""``partyreg verify SERIAL CODE``: is a printed document's check code genuine?

Exit 0 and what the document certifies when it is; exit 1 when it is not (a code that does not
match, or a serial never issued) and when a genuine document no longer holds (revoked, or
superseded by a newer revision), saying so. Decisions 0068, 0127.
"""

from __future__ import annotations

import click

from partyreg_cli.app import App
from partyreg_cli.output import emit_json


@click.command()
@click.argument("serial")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def verify(app: App, serial: str, code: str, as_json: bool) -> None:
    """核验纸质表格上的编号和校验码（如实绩反馈单）：partyreg verify 编号 校验码。"""
    document = app.workspace.verify_document(serial, code)
    if as_json:
        emit_json(
            {
                "serial": serial.strip(),
                "genuine": document is not None,
                "valid": document is not None and document.holds,
                "status": document.status.value if document else None,
                "replaced_by": document.replaced_by if document else None,
                "kind": document.kind if document else None,
                "issued_on": document.issued_on.isoformat() if document else None,
                "certifies": document.summary if document else None,
            }
        )
    elif document is not None and document.holds:
        click.echo(f"核验通过：{document.summary}。")
    elif document is not None:
        click.echo(f"核验未通过：编号和校验码是系统出具的，但{document.standing()}。")
        click.echo(f"原文书：{document.summary}。")
    else:
        click.echo(
            f"核验未通过：编号 {serial.strip()} 与校验码 {code.strip()} 不符，"
            "或系统没有出具过这份表格。请核对纸质表格上的编号和校验码。"
        )
    if document is None or not document.holds:
        raise click.exceptions.Exit(1)
