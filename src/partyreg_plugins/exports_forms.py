"""The official-form exports (``partyreg export form1|form2|form3|form4``), registered through
``partyreg_register_exporters``.

Each exporter gathers its records through the facade, within the acting operator's scope, and
lays them out with :mod:`partyreg_plugins.official_forms`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.members import MemberQuery
from partyreg_core.orgcodes import OrgCode, OrgUnit
from partyreg_core.ports import Exporter
from partyreg_core.records import FeedbackSheet
from partyreg_core.workspace import Workspace
from partyreg_plugins import official_forms
from partyreg_plugins.official_forms import ServiceColumns


def _scope_code(workspace: Workspace, options: Mapping[str, Any]) -> OrgCode | None:
    text = options.get("scope")
    if not text:
        return None
    return workspace.code(str(text)).code


def _on(workspace: Workspace, options: Mapping[str, Any]) -> date:
    on = options.get("on")
    return on if isinstance(on, date) else workspace.today()


def _xlsx(target: Path) -> None:
    if target.suffix.lower() != ".xlsx":
        raise ValidationError(
            "export.format",
            f"正式表格导出为 Excel 工作簿：请把文件名改为以 .xlsx 结尾（而不是 {target.suffix or '无扩展名'}）。",
        )


@attrs.frozen
class Form1Exporter:
    """附表1 参与党员信息登记表, for a unit (``--scope`` its code) or everything in scope;
    ``--with-service`` adds each member's service in ``--year`` (partyreg_core.ledger)."""

    name: str = "form1"
    title: str = "附表1 参与党员信息登记表"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the members of the scope's units, ordered by unit code."""
        _xlsx(target)
        code = _scope_code(workspace, options)
        unit_name = workspace.code(code).name if code else workspace.actor.scope.label
        registrations = workspace.official_registrations(MemberQuery(unit=code))
        service = None
        if options.get("with_service"):
            # the ledger columns (note under 附表3): each member's confirmed service that year
            year = int(options.get("year") or _on(workspace, options).year)
            service = ServiceColumns(
                year, {(s.name, s.phone): s for s in workspace.member_service(year)}
            )
        return official_forms.write_form1(
            target,
            registrations,
            unit_name=unit_name,
            day=_on(workspace, options),
            post_names={p.code: p.name for p in workspace.posts()},
            mask=bool(options.get("mask")),
            service=service,
        )


@attrs.frozen
class Form2Exporter:
    """附表2 单位党组织代码表: the children of ``--scope`` (default: the city's table)."""

    name: str = "form2"
    title: str = "附表2 单位党组织代码表"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the code table below the scope's code (the city by default)."""
        _xlsx(target)
        code = _scope_code(workspace, options)
        parent: OrgUnit = workspace.code(code) if code else workspace.codes()[0]
        units = workspace.codes(parent.code)
        prefix = f"{parent.name}" if code else ""
        return official_forms.write_form2(target, units, title_parent=prefix)


@attrs.frozen
class Form3Exporter:
    """附表3 实绩反馈单: one printable sheet per member and year."""

    name: str = "form3"
    title: str = "附表3 实绩反馈单"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the feedback sheets of a member (``--member ID``) or of every member in scope
        (``--scope`` narrows to a unit; ``--community`` to a community), for ``--year``."""
        _xlsx(target)
        year = int(options.get("year") or _on(workspace, options).year)
        sheets: Iterable[FeedbackSheet] = workspace.feedback_sheets(
            year,
            member_id=options.get("member"),
            unit=_scope_code(workspace, options),
            community=options.get("community"),
        )
        return official_forms.write_form3(target, sheets, mask=bool(options.get("mask")))


@attrs.frozen
class Form4Exporter:
    """附表4 全市城市社区通讯录: the directory, or one district's part of it."""

    name: str = "form4"
    title: str = "附表4 全市城市社区通讯录"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the community directory (``--scope`` a district's code for its part)."""
        _xlsx(target)
        communities = workspace.communities(_scope_code(workspace, options))
        return official_forms.write_form4(
            target, (c.entry for c in communities), mask=bool(options.get("mask"))
        )


@hookimpl
def partyreg_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Register form1–form4."""
    for exporter in (Form1Exporter(), Form2Exporter(), Form3Exporter(), Form4Exporter()):
        register(exporter)
