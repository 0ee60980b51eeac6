"""``partyreg export NAME -o FILE``: the official forms (附表1–4) and the other exports
plugins provide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.params import RECORD_ID


@click.command("export")
@click.argument("name", required=False)
@click.argument("kind", required=False)
@click.option(
    "-o", "--output", "target", type=click.Path(path_type=Path, dir_okay=False),
    help="输出文件（.xlsx）。",
)  # fmt: skip
@click.option("--scope", metavar="CODE", help="单位或县区代码：只导出该范围。")
@click.option("--mask", is_flag=True, help="隐去手机号中间四位和门牌号（用于通报）。")
@click.option(
    "--full", is_flag=True,
    help="附表1：县区、市级导出完整联系方式和住址（默认部分隐藏；须同时写 --reason）。",
)  # fmt: skip
@click.option(
    "--with-members", "with_members", is_flag=True,
    help="template activities：预先填好本社区党员的编号和姓名。",
)  # fmt: skip
@click.option(
    "--date", "--on", "on", type=DAY,
    help="表头日期，如 2014-09-15 或 2014/9/15（默认今天；进度通报：截至该日）。",
)  # fmt: skip
@click.option("--year", type=int, help="年度（附表3，默认今年）。")
@click.option("--member", type=RECORD_ID, help="党员编号（附表3：只导出此人）。")
@click.option("--community", metavar="县区/街道/社区", help="社区（附表3：只导出该社区）。")
@click.option(
    "--unit", metavar="CODE",
    help="单位代码（ledger 台帐：导出该单位；template form1：下发给哪个单位）。",
)  # fmt: skip
@click.option("--rows", type=int, help="模板预留的填写行数（template，默认 200）。")
@click.option(
    "--with-service", "with_service", is_flag=True,
    help="附表1 加上每名党员的服务时长、活动次数和评价（--year 年度，默认今年）。",
)  # fmt: skip
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖它。")
@click.option(
    "--reason", metavar="用途",
    help="导出的用途（记入审计日志），如：报送区委组织部；--full 必须写明。",
)  # fmt: skip
@click.option("--list", "list_only", is_flag=True, help="列出可用的导出。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def export(
    app: App,
    name: str | None,
    target: Path | None,
    force: bool,
    list_only: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """导出正式表格：partyreg export 表格名 -o 文件.xlsx。

    \b
    form1 党员信息登记表（附表1）   form2 单位党组织代码表（附表2）
    form3 实绩反馈单（附表3）       form4 全市城市社区通讯录（附表4）
    ledger 单位党员回社区活动台帐（--unit 单位代码 --year 年度）
    template form1 --unit 代码      下发给单位的空白登记表（带下拉列表和填写提示）
    template activities --community 社区   下发给指导员的空白活动记录表
    partyreg export --list 列出所有可用的导出（含插件提供的）。
    """
    if list_only or name is None:
        exporters = app.workspace.exporters()
        if as_json:
            emit_json([{"name": e.name, "title": e.title} for e in exporters])
        else:
            emit_table(["名称", "说明"], [(e.name, e.title) for e in exporters])
        return
    if target is None:
        raise click.UsageError("请用 -o 文件.xlsx 指定输出文件。")
    if options.get("kind") and name != "template":
        raise click.UsageError(
            f"{name} 后面不需要再写“{options['kind']}”（只有 template 要写模板名：form1 或 activities）。"
        )
    count = app.workspace.export(name, target, {k: v for k, v in options.items() if v}, force=force)
    if as_json:
        emit_json({"export": name, "file": str(target), "records": count})
        return
    if name == "template":
        click.echo(f"已生成 {options.get('kind')} 模板 {target}（预留 {count} 行填写）。")
        return
    click.echo(f"已导出 {count} 条记录到 {target}。")
