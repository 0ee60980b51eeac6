"""The official-form exports (``partyreg export form1|form2|form3|form4``), registered through
``partyreg_register_exporters``.

Each exporter gathers its records through the facade, within the acting operator's scope, and
lays them out with :mod:`partyreg_plugins.official_forms`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from partyreg_core.errors import NotPermittedError, ValidationError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.members.model import MemberQuery
from partyreg_core.operators.model import Role
from partyreg_core.orgcodes import OrgCode, issuing_body
from partyreg_core.ports import Exporter
from partyreg_core.records import FeedbackSheet, Registration
from partyreg_plugins import official_forms
from partyreg_plugins.official_forms import ServiceColumns

if TYPE_CHECKING:  # annotations only: importing the plugin stays cheap (decision 0161)
    from partyreg_core.workspace import Workspace


def _scope_code(
    workspace: Workspace, options: Mapping[str, Any], *, within: bool = True
) -> OrgCode | None:
    """The ``--scope`` code; with ``within``, a code outside the operator's scope is refused
    (exit 2) instead of giving an empty form."""
    text = options.get("scope")
    if not text:
        return None
    code = workspace.code(str(text)).code
    scope = workspace.actor.scope
    if within and scope.role is not Role.CITY and not scope.covers_unit(code):
        raise NotPermittedError(
            "export.scope",
            f"--scope {code} 不在你的范围内（{scope.label}）：请去掉 --scope，"
            "或换成本范围内的单位代码。",
        )
    return code


def exporting_body(workspace: Workspace, code: OrgCode | None, day: date) -> str:
    """The 单位 line's name: the unit's official name, or for a city- or district-wide export
    the exporting body's (中共淮安市委组织部, 淮阴区委组织部), as on ``day``."""
    if code is not None:
        return issuing_body(workspace.code(code), day)
    scope = workspace.actor.scope
    tree = workspace.org_tree
    unit = tree.find(scope.code) if scope.code is not None else next(iter(tree), None)
    return issuing_body(unit, day) if unit is not None else ""


def _masking(workspace: Workspace, options: Mapping[str, Any]) -> bool:
    """Whether 附表1 masks phones and addresses: by default for the city and the districts
    (they supervise, decision 0070); ``--full`` with ``--reason`` (audited) writes them whole."""
    if options.get("full"):
        if not str(options.get("reason") or "").strip():
            raise ValidationError(
                "export.full_reason",
                "导出完整联系方式和住址须说明用途：请加 --reason 用途（会记入审计日志）。",
            )
        return False
    role = workspace.actor.scope.role
    return bool(options.get("mask")) or role in (Role.CITY, Role.DISTRICT)


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

    def masks(self, workspace: Workspace, options: Mapping[str, Any]) -> bool:
        """Whether the export masks phones and addresses (for the audit entry)."""
        return _masking(workspace, options)

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the members of the scope's units, ordered by unit code; a district's members
        of other districts' units who report to its communities go on a second sheet."""
        _xlsx(target)
        code = _scope_code(workspace, options)
        day = _on(workspace, options)
        mask = _masking(workspace, options)
        scope = workspace.actor.scope
        own: list[Registration] = []
        others: list[Registration] = []
        for member in workspace.resolved_registrations(MemberQuery(unit=code)):
            if (
                code is None
                and scope.role is Role.DISTRICT
                and not scope.covers_unit(member.unit_code)
            ):
                others.append(member.registration)
            else:
                own.append(member.registration)
        service = None
        if options.get("with_service"):
            # the ledger columns (note under 附表3): each member's confirmed service that year
            year = int(options.get("year") or day.year)
            service = ServiceColumns(
                year, {(s.name, s.phone): s for s in workspace.member_service(year)}
            )
        return official_forms.write_form1(
            target,
            own,
            unit_name=exporting_body(workspace, code, day),
            day=day,
            post_names={p.code: p.name for p in workspace.posts()},
            mask=mask,
            service=service,
            others=others,
        )


@attrs.frozen
class Form2Exporter:
    """附表2 单位党组织代码表: the children of ``--scope`` (default: the city's table)."""

    name: str = "form2"
    title: str = "附表2 单位党组织代码表"

    def export(self, workspace: Workspace, target: Path, options: Mapping[str, Any]) -> int:
        """Write the code table below the scope's code (the city by default), as it stood on
        ``--on`` when given."""
        _xlsx(target)
        code = _scope_code(workspace, options, within=False)
        on = options.get("on")
        parent = workspace.code(code) if code else workspace.codes()[0]
        if isinstance(on, date):
            units = workspace.codes_on(on, parent.code)  # the table as it stood that day
            title = parent.name_on(on)
        else:
            units = workspace.codes(parent.code)
            title = parent.name
        prefix = title if code else ""
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
        return official_forms.write_form3(
            target,
            sheets,
            mask=bool(options.get("mask")),
            check_code=workspace.issue_feedback_sheet,
        )


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
