"""``partyreg export needs -o 服务需求清单.xlsx --community …``: a community's needs list
(服务项目清单) as a printable workbook, laid out like the official forms
(:mod:`partyreg_plugins.official_forms`: title, the community line, bordered table, note).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import Exporter
from partyreg_core.service.model import Need
from partyreg_plugins.official_forms import (
    CAMPAIGN,
    _date_line,
    _row,
    _setup,
    _Styles,
    _title,
    _workbook,
    merged,
    put,
)

if TYPE_CHECKING:  # annotations only: importing the plugin stays cheap (decision 0161)
    from partyreg_core.workspace import Workspace

NEEDS_TITLE = f"{CAMPAIGN}社区服务项目清单"
NEEDS_HEADERS = ("序号", "服务岗位", "需要人数", "服务内容（用途）", "开始日期", "结束日期")
NEEDS_WIDTHS = (6, 22, 10, 46, 13, 13)
NEEDS_NOTE = (
    "说明：社区党组织根据群众服务需求列出服务项目清单、设定服务岗位，动态收集、定期公布；"
    "在职党员按个人特长和意愿认领岗位，社区据此安排编组、明确小组组长。"
)


def write_needs(
    target: Path,
    rows: Iterable[tuple[Need, str]],
    *,
    community: str,
    year: int,
    published_on: date | None,
) -> int:
    """Write a community's needs list (each row with its post's name); returns the rows."""
    wb = _workbook(target)
    st = _Styles(wb)
    ws = wb.add_worksheet("服务需求清单")
    columns = len(NEEDS_HEADERS)
    _setup(ws, NEEDS_WIDTHS, 2, landscape=False)
    _title(ws, st, NEEDS_TITLE, columns)
    merged(ws, 1, 0, 3, f"社区：{community}    {year} 年度", st.line)
    merged(ws, 1, 4, 5, _date_line(published_on) if published_on else "（未发布）", st.line_right)
    ws.set_row(2, 32)
    _row(ws, 2, NEEDS_HEADERS, st.header)
    count = 0
    total = 0
    for need, post in rows:
        values = (
            str(count + 1),
            f"{need.post_code}、{post}",
            str(need.people),
            need.purpose,
            need.start_on.isoformat() if need.start_on else "",
            need.end_on.isoformat() if need.end_on else "",
        )
        for col, value in enumerate(values):
            put(ws, count + 3, col, value, st.body)
        count += 1
        total += need.people
    row = count + 3
    _row(ws, row, ("合计", "", str(total), "", "", ""), st.header)
    ws.set_row(row + 1, 45)
    merged(ws, row + 1, 0, columns - 1, NEEDS_NOTE, st.note)
    wb.close()
    return count


@attrs.frozen
class NeedsExporter:
    """A community's needs list of a year (``--community``, ``--year``)."""

    name: str = "needs"
    title: str = "社区服务项目清单（需求清单）"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the needs list of ``--community`` for ``--year`` (default this year)."""
        if target.suffix.lower() != ".xlsx":
            raise ValidationError(
                "export.format",
                f"需求清单导出为 Excel 工作簿：请把文件名改为以 .xlsx 结尾（而不是 {target.suffix or '无扩展名'}）。",
            )
        text = options.get("community")
        if not text:
            raise ValidationError(
                "export.community", "请用 --community 县区/街道/社区（或社区编号）指定社区。"
            )
        community = workspace.community(str(text))
        on = options.get("on")
        year = int(
            options.get("year") or (on.year if isinstance(on, date) else workspace.default_year())
        )
        needs = workspace.service.needs(community.id, year=year)
        published = [n.published_on for n in needs if n.published_on]
        return write_needs(
            target,
            ((n, workspace.service.post_name(n.post_code, community.district_code)) for n in needs),
            community=community.label,
            year=year,
            published_on=max(published) if published else None,
        )


@hookimpl
def partyreg_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register the needs list export."""
    register(NeedsExporter())
