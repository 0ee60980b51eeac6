"""The audit log within the operator's scope: newest first, a page at a time."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.audit import AuditEntry
from partyreg_tui.screens.base import PartyregScreen, Read
from partyreg_tui.text import fit, literal, local_time, printable
from partyreg_tui.widgets.paged_table import PagedTable

PAGE_SIZE = 100

#: What the dotted actions mean, for operators; unknown ones are shown as they are.
ACTION_LABELS = {
    "store.init": "创建存储",
    "store.upgrade": "升级存储",
    "operator.add": "添加操作员",
    "operator.change": "修改操作员",
    "member.add": "登记党员",
    "member.edit": "修改党员",
    "member.remove": "删除党员",
    "member.route": "分流党员",
    "import.registrations": "导入登记表",
    "import.codes": "导入代码表",
    "import.directory": "导入通讯录",
    "import.activities": "导入活动",
    "import.undo": "撤销导入",
    "setting.change": "修改设置",
    "route.routed": "分流到社区",
    "route.queued": "进入待认定队列",
    "route.run": "执行分流",
    "route.resolve": "认定社区",
    "report_in.confirm": "确认报到",
    "progress.remind": "催办",
    "progress.expect": "申报预计人数",
    "assign.replace": "分配岗位",
    "group.replace": "编组服务小组",
    "activity.record": "记录活动",
}


#: The things actions act on, for the labels of the actions the table above does not name.
ACTION_NOUNS = {
    "activity": "活动", "assign": "岗位分配", "change": "社区变更申请", "community": "社区",
    "document": "证明文件", "event": "社区活动", "feedback": "反馈单", "group": "服务小组",
    "import": "导入", "instructor": "社区工作指导员", "member": "党员", "needs": "岗位需求",
    "notify": "通知", "nudge": "提醒", "operator": "操作员", "org": "组织机构",
    "points": "积分", "progress": "进度", "report_in": "报到", "retention": "数据保留",
    "route": "分流", "setting": "设置", "signin": "登录链接", "store": "存储", "wish": "微心愿",
    "year": "年度", "calendar": "日程", "channel": "发送渠道",
}  # fmt: skip
#: What was done, in the same way.
ACTION_VERBS = {
    "add": "新增", "edit": "修改", "remove": "删除", "record": "记录", "confirm": "确认",
    "confirmed": "确认", "reject": "退回", "rejected": "驳回", "approve": "通过",
    "approved": "通过", "request": "申请", "requested": "申请", "reopen": "退回",
    "reopened": "退回", "deliver": "交付", "delivered": "交付", "replace": "重新生成",
    "routed": "分流到社区", "queued": "进入待认定队列", "resolve": "认定", "run": "执行",
    "remind": "催办", "expect": "申报预计人数", "leave": "离开", "retire": "退休",
    "transfer": "调动", "assign": "分配", "unassign": "取消分配", "publish": "发布",
    "close": "结束", "check_in": "签到", "check_out": "签退", "claim": "认领", "done": "完成",
    "rate": "评价", "cancel": "取消", "open": "开启", "issue": "出具", "revoke": "作废",
    "retry": "重发", "change": "修改", "apply": "应用", "adjust": "调整", "use": "使用",
    "link": "生成", "undo": "撤销", "optin": "订阅", "optout": "退订",
}  # fmt: skip
#: The fields of the audit's before/after, as operators read them.
FIELD_LABELS = {
    "id": "编号", "ids": "编号", "name": "姓名", "phone": "联系方式", "unit_code": "单位代码",
    "unit": "单位", "community": "社区", "community_id": "社区编号", "member_id": "党员编号",
    "members": "党员", "reason": "原因", "year": "年度", "count": "人数", "day": "日期",
    "hours": "时长", "on": "日期", "number": "编号", "numbers": "编号", "status": "状态",
    "district_code": "县区代码", "instructor_ids": "指导员", "file": "文件", "records": "记录数",
    "role": "角色", "scope": "范围", "post_code": "岗位", "people": "人数", "purpose": "说明",
    "assigned": "已分配", "left_over": "未安排", "groups": "小组数", "content": "内容",
    "rating": "评价", "kind": "类型", "place": "地点", "self_reported": "自报",
    "confirmed_by": "确认人", "address": "住址", "gender": "性别", "posts": "认领岗位",
    "specialty": "特长", "unit_and_title": "单位及职务", "absent": "缺席", "key": "设置项",
    "value": "值", "masked": "已隐藏", "expected": "预计人数", "days": "天数", "orgs": "组织",
    "to": "转到", "from": "原社区", "note": "意见", "title": "标题", "deadline": "截止事项",
    "written": "写入", "removed": "删除", "restored": "恢复", "batch_id": "批次",
}  # fmt: skip


def action_label(action: str) -> str:
    """``member.edit`` → ``修改党员``; exports as ``导出 form1``; an action of a known kind
    by its parts (``wish.claim`` → ``认领微心愿``); anything else as it is."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("export."):
        return f"导出 {action.removeprefix('export.')}"
    noun, _dot, verb = action.partition(".")
    if noun in ACTION_NOUNS and verb in ACTION_VERBS:
        return f"{ACTION_VERBS[verb]}{ACTION_NOUNS[noun]}"
    if noun in ACTION_NOUNS:
        return f"{ACTION_NOUNS[noun]}（{verb}）"
    return action


def value_text(value: object) -> str:
    """A field's value in words: lists joined (long ones counted), booleans as 是/否,
    nested records as ``字段 值``."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "（空）"
    if isinstance(value, list):
        if len(value) > 5:
            return f"{len(value)} 项"
        return "、".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{FIELD_LABELS.get(k, k)} {value_text(v)}" for k, v in value.items())
    return printable(value)


def field_lines(data: dict[str, object]) -> list[tuple[str, str]]:
    """``(label, value)`` per field, in the record's order."""
    return [(FIELD_LABELS.get(k, k), value_text(v)) for k, v in data.items()]


def summary(entry: AuditEntry, width: int = 200) -> str:
    """What changed, in one line of fields (the details show all of it): for an edit, the
    fields whose value changed, ``old → new``."""
    before, after = entry.before, entry.after
    if before is not None and after is not None:
        changed = [
            f"{FIELD_LABELS.get(k, k)} {value_text(before.get(k))}→{value_text(v)}"
            for k, v in after.items()
            if before.get(k) != v
        ]
        return fit("；".join(changed), width)
    data = after if after is not None else before
    if data is None:
        return ""
    return fit("；".join(f"{label} {value}" for label, value in field_lines(data)), width)


class AuditScreen(PartyregScreen):
    """Newest entries first; ``n``/``p`` page, Enter shows an entry in full."""

    MODE = "audit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "刷新"),
    ]

    class Loaded(Read):
        """A page of entries was read (``before``: the id the page starts below)."""

        def __init__(self, entries: list[AuditEntry], before: int | None, more: bool) -> None:
            super().__init__()
            self.entries = entries
            self.before = before
            self.more = more

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[int, AuditEntry] = {}
        self.starts: list[int | None] = [None]  # the `before` of each page shown so far

    def compose_body(self) -> ComposeResult:
        with Vertical(id="audit"):
            yield Static("审计日志：谁、何时、做了什么（最新的在前；只能追加，不能修改）。",
                         id="audit-title", markup=False)  # fmt: skip
            yield PagedTable(id="audit-table")
            yield Static("", id="audit-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", PagedTable)
        table.add_column(Text("编号", justify="right"), width=6, key="id")
        table.add_column("时间", width=11, key="at")
        table.add_column("操作员", width=10, key="actor")
        table.add_column("操作", width=14, key="action")
        table.add_column("对象", width=12, key="subject")
        table.add_column("内容", width=self._summary_width(), key="summary")
        table.focus()
        self.load(None)

    def on_return(self) -> None:
        self.starts = [None]
        self.load(None)

    def load(self, before: int | None) -> None:
        """Read the page below ``before`` (in a worker)."""
        self._read(before, self.ticket("audit"))

    @work(thread=True, group="audit", exit_on_error=False)
    def _read(self, before: int | None, ticket: int) -> None:
        """Read one page below ``before`` (worker thread); one extra entry says whether there
        is a next page."""
        try:
            entries = list(
                self.workspace.audit(newest_first=True, before=before, limit=PAGE_SIZE + 1)
            )
        except Exception as error:
            self.show_error(error)
            return
        page = self.Loaded(entries[:PAGE_SIZE], before, len(entries) > PAGE_SIZE)
        self.post_read("audit", ticket, page)

    def on_audit_screen_loaded(self, message: Loaded) -> None:
        if not self.is_fresh(message):
            return  # a newer read has started since this one
        table = self.query_one("#audit-table", PagedTable)
        table.clear()
        self.entries = {e.id: e for e in message.entries}
        width = self._summary_width()
        for entry in message.entries:
            actor = entry.actor + (f"代{entry.on_behalf_of}" if entry.on_behalf_of else "")
            table.add_row(
                Text(str(entry.id), justify="right"),
                literal(local_time(entry.at)[5:]),
                literal(fit(actor, 10)),
                literal(fit(action_label(entry.action), 14)),
                literal(fit(entry.subject, 12)),
                literal(summary(entry, width)),
                key=str(entry.id),
            )
        table.set_pages(previous=len(self.starts) > 1, following=message.more)
        page = len(self.starts)
        self.query_one("#audit-detail", Static).update(
            Text(f"第 {page} 页 · n 更早 · p 更新 · 回车看全部内容", style="dim")
        )

    def _summary_width(self) -> int:
        # what the fixed columns and their padding leave of the screen, so nothing scrolls
        return max(8, self.app.size.width - (6 + 11 + 10 + 14 + 12) - 6 * 2 - 2 - 2)

    def on_paged_table_page_requested(self, event: PagedTable.PageRequested) -> None:
        if event.step > 0 and self.entries:
            before = min(self.entries)
            self.starts.append(before)
            self.load(before)
        elif event.step < 0 and len(self.starts) > 1:
            self.starts.pop()
            self.load(self.starts[-1])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        entry = self.entries.get(int(key)) if key and key.isdigit() else None
        if entry is None:
            return
        from partyreg_tui.dialogs.entry import EntryDialog

        self.app.push_screen(EntryDialog(entry))

    def action_refresh(self) -> None:
        """Back to the newest entries."""
        self.starts = [None]
        self.load(None)


def entry_text(entry: AuditEntry) -> Text:
    """An entry in full: who, when, what, before and after (values literal)."""
    text = Text(end="")
    text.append(f"编号 {entry.id}  {local_time(entry.at)}\n", style="bold")
    text.append("操作员 ")
    text.append_text(literal(entry.actor))
    if entry.on_behalf_of:
        text.append(" 代 ")
        text.append_text(literal(entry.on_behalf_of))
    if entry.os_user:
        text.append("（系统用户 ")
        text.append_text(literal(entry.os_user))
        text.append("）")
    text.append(f"\n操作 {action_label(entry.action)}（{printable(entry.action)}）\n对象 ")
    text.append_text(literal(entry.subject))
    if entry.batch_id:
        text.append(f"\n批次 {printable(entry.batch_id)}")
    for label, data in (("改动前", entry.before), ("改动后", entry.after)):
        if data is not None:
            text.append(f"\n{label}：", style="bold")
            for field, value in field_lines(data):
                text.append(f"\n  {field}：")
                text.append_text(literal(value))
    return text


def printable_block(text: str) -> str:
    """Several lines, each with control characters escaped (newlines kept)."""
    return "\n".join(printable(line) for line in text.splitlines())
