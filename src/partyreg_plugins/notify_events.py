"""The built-in listener that turns committed changes into notifications.

It implements ``partyreg_on_changed`` for the events of the campaign's workflow and writes one
short Chinese message per target to the outbox (``Workspace.notify.queue``), which stores it first
and delivers it separately:

| event | to |
| --- | --- |
| ``route.routed`` | the community and each of its instructors |
| ``route.queued`` | the district whose queue holds the members |
| ``change.requested`` / ``approved`` / ``rejected`` | the member's unit, the old and the new community |
| ``progress.remind`` | the lagging unit or district (one summary each) |
| ``feedback.confirmed`` | the member's unit |
| ``needs.published`` | the community (its members' group robot) |

Messages name members but never carry a full phone number (free text is masked). Any other
action is ignored. :func:`notices_for` is pure and is what the tests check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from partyreg_core.errors import PartyregError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.notify.model import Notice, Target
from partyreg_core.notify.rules import mask_phones_in_text, name_list
from partyreg_core.orgcodes import parse_code
from partyreg_core.ports import Change

#: The events this plugin turns into messages.
EVENTS = (
    "route.routed",
    "route.queued",
    "change.requested",
    "change.approved",
    "change.rejected",
    "progress.remind",
    "feedback.confirmed",
    "needs.published",
)

#: ``names(kind, key)`` → a display name: ``("org", "008.001")`` → ``清河区委``,
#: ``("community", "12")`` → ``清河区 河下街道 河下社区``; ``None`` when unknown.
Names = Callable[[str, str], str | None]


def _no_names(_kind: str, _key: str) -> str | None:
    return None


def _unit(names: Names, code: str) -> str:
    found = names("org", code)
    return f"{found}（{code}）" if found else code


def _community(names: Names, community_id: int | None, fallback: str = "") -> str:
    if community_id is None:
        return fallback or "（未定社区）"
    return names("community", str(community_id)) or fallback or f"社区 {community_id}"


def _text(value: Any) -> str:
    return mask_phones_in_text(str(value or "").strip())


def _routed(change: Change, after: Mapping[str, Any], names: Names) -> list[Notice]:
    community_id = int(after["community_id"])
    community = str(after.get("community") or _community(names, community_id))
    people = list(after.get("members") or [])
    count = int(after.get("count", len(people)))
    listed = name_list([f"{p['name']}（{_unit(names, str(p['unit_code']))}）" for p in people])
    subject = f"【新分流】{count} 名在职党员到{community}报到"
    body = (
        f"{community}：本次分流到你社区的在职党员 {count} 名"
        + (f"：{listed}" if listed else "")
        + "。请联系他们报到、认领岗位，并在 partyreg 中确认报到。"
    )
    identity = ",".join(str(p["id"]) for p in sorted(people, key=lambda p: int(p["id"])))
    identity = identity or change.at.isoformat()
    district = str(after["district_code"]) if after.get("district_code") else None
    targets = [Target.community(community_id)] + [
        Target.instructor(int(i)) for i in after.get("instructor_ids") or []
    ]
    return [
        Notice(
            change.action,
            target,
            subject,
            body,
            identity,
            community_id=community_id,
            district_code=parse_code(district) if district else None,
        )
        for target in targets
    ]


def _queued(change: Change, after: Mapping[str, Any], names: Names) -> list[Notice]:
    code = str(after["district_code"])
    count = int(after["count"])
    district = names("org", code) or code
    return [
        Notice(
            change.action,
            Target.org(code),
            f"【待处理】{count} 名党员的报到社区待确认",
            f"{district}：有 {count} 名在职党员填写的报到社区在社区通讯录中找不到，"
            "正在本县区的队列中等待处理。请运行 partyreg route queue 查看并确认社区。",
            f"{code}|{count}|{change.at.isoformat()}",
        )
    ]


_CHANGE_TITLES = {
    "change.requested": (
        "变更申请",
        "申请将报到社区由{from_}变更为{to}",
        "请单位党组织审批（partyreg change list）。",
    ),
    "change.approved": (
        "变更已批准",
        "的报到社区变更已批准：由{from_}变更为{to}",
        "原社区请做好移交，新社区请接收。",
    ),
    "change.rejected": (
        "变更未批准",
        "申请将报到社区由{from_}变更为{to}，未获批准",
        "如有疑问请与单位党组织联系。",
    ),
}


def _change(change: Change, after: Mapping[str, Any], names: Names) -> list[Notice]:
    title, what, then = _CHANGE_TITLES[change.action]
    name = str(after["name"])
    unit_code = str(after["unit_code"])
    from_id = after.get("from_community_id")
    to_id = after.get("to_community_id")
    from_ = _community(names, int(from_id) if from_id is not None else None)
    to = str(after.get("to") or _community(names, int(to_id) if to_id is not None else None))
    reason = _text(after.get("reason"))
    decided = after.get("decided_by")
    body = f"{name}（{_unit(names, unit_code)}）" + what.format(from_=from_, to=to) + "。"
    if reason:
        body += f"理由：{reason}。"
    if decided and change.action != "change.requested":
        body += f"审批人：{decided}。"
    body += then
    targets = [Target.org(unit_code)]
    for community_id in (from_id, to_id):
        if community_id is not None and Target.community(int(community_id)) not in targets:
            targets.append(Target.community(int(community_id)))
    return [
        Notice(
            change.action,
            target,
            f"【{title}】{name} 的报到社区",
            body,
            str(after["id"]),
            community_id=target.id,
        )
        for target in targets
    ]


def _remind(change: Change, after: Mapping[str, Any], names: Names) -> list[Notice]:
    code = str(after["code"])
    name = str(after.get("name") or names("org", code) or code)
    label = str(after.get("deadline_label") or after.get("deadline"))
    due = date.fromisoformat(str(after["due"]))
    days = int(after["days_left"])
    if days > 0:
        when = f"还有 {days} 天（{due.month} 月 {due.day} 日）截止"
    elif days == 0:
        when = f"今天（{due.month} 月 {due.day} 日）截止"
    else:
        when = f"已逾期 {-days} 天（{due.month} 月 {due.day} 日截止）"
    expected = after.get("expected")
    figures = []
    if expected is not None:
        figures.append(f"应登记 {int(expected)} 人")
    figures += [
        f"已登记 {int(after['registered'])} 人",
        f"已分流 {int(after['routed'])} 人",
        f"已报到 {int(after['reported_in'])} 人",
    ]
    return [
        Notice(
            change.action,
            Target.org(code),
            f"【进度提醒】{label}{when}",
            f"{name}：{label}{when}。目前{'，'.join(figures)}。请抓紧推进，"
            "进度可用 partyreg progress 查看。",
            f"{code}|{after.get('deadline')}|{due.isoformat()}|{days}",
        )
    ]


def _confirmed(change: Change, after: Mapping[str, Any], names: Names) -> list[Notice]:
    unit_code = str(after["unit_code"])
    name = str(after["name"])
    year = int(after["year"])
    community_id = after.get("community_id")
    where = _community(names, int(community_id)) if community_id is not None else "社区"
    by = after.get("confirmed_by")
    return [
        Notice(
            change.action,
            Target.org(unit_code),
            f"【反馈单已确认】{name} {year} 年度实绩反馈单",
            f"{_unit(names, unit_code)}：{name} 的 {year} 年度在职党员进社区服务实绩反馈单"
            f"（编号 {after['number']}）已由{where}确认"
            + (f"（{by}）" if by else "")
            + "，请存入单位台帐并作为年度考核依据。",
            f"{after['number']}|{change.at.isoformat()}",
            community_id=int(community_id) if community_id is not None else None,
        )
    ]


def _needs(change: Change, after: Mapping[str, Any], names: Names) -> list[Notice]:
    community_id = int(after["community_id"])
    community = str(after.get("community") or _community(names, community_id))
    year = int(after["year"])
    needs: Sequence[Mapping[str, Any]] = after.get("needs") or []
    lines = [
        f"{i}. {n.get('post') or n.get('post_code')}：{int(n['people'])} 人"
        + (f"，{_text(n.get('purpose'))}" if n.get("purpose") else "")
        for i, n in enumerate(needs, start=1)
    ]
    digest = json.dumps(list(needs), ensure_ascii=False, sort_keys=True, default=str)
    return [
        Notice(
            change.action,
            Target.community(community_id),
            f"【服务需求】{community} {year} 年服务项目清单",
            f"{community} 发布了 {year} 年服务项目清单（{len(lines)} 项）：\n"
            + "\n".join(lines)
            + "\n请在职党员认领岗位、参加服务。",
            f"{community_id}|{year}|{digest}",
            community_id=community_id,
        )
    ]


_BUILDERS: dict[str, Callable[[Change, Mapping[str, Any], Names], list[Notice]]] = {
    "route.routed": _routed,
    "route.queued": _queued,
    "change.requested": _change,
    "change.approved": _change,
    "change.rejected": _change,
    "progress.remind": _remind,
    "feedback.confirmed": _confirmed,
    "needs.published": _needs,
}


def notices_for(change: Change, names: Names = _no_names) -> list[Notice]:
    """The messages a committed change sends, one per target (none for other actions)."""
    builder = _BUILDERS.get(change.action)
    if builder is None or change.after is None:
        return []
    return builder(change, change.after, names)


def workspace_names(workspace: Any) -> Names:
    """Display names from the workspace's org tree and community directory (looked up once
    per call of the listener)."""
    directory: dict[str, str] | None = None

    def names(kind: str, key: str) -> str | None:
        nonlocal directory
        try:
            if kind == "org":
                unit = workspace.org_tree.find(parse_code(key))
                return None if unit is None else str(unit.name)
            if directory is None:
                directory = {
                    str(c.id): f"{c.district} {c.street} {c.name}" for c in workspace.communities()
                }
            return directory.get(key)
        except PartyregError:
            return None

    return names


@hookimpl
def partyreg_on_changed(workspace: Any, change: Change) -> None:
    """Write the messages of a workflow event to the outbox (and try to send them at once)."""
    if change.action not in _BUILDERS:
        return
    notices = notices_for(change, workspace_names(workspace))
    if notices:
        workspace.notify.queue(notices)
