"""One member: every field of 附表1, where the registration stands, its history (the audit
entries about the member, newest first, ending with the batch that registered it), and the
edit form."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from partyreg_core.audit import AuditEntry
from partyreg_core.members.fields import MEMBER_FIELDS, REGISTRATION_FIELDS, labels
from partyreg_core.members.model import Member
from partyreg_core.operators.model import Scope
from partyreg_core.posts import PostCatalog
from partyreg_tui.screens.audit import action_label
from partyreg_tui.screens.base import PartyregScreen, Read
from partyreg_tui.text import fit, literal, local_time

#: How many of the member's audit entries the detail view shows.
HISTORY_LIMIT = 50

#: 附表1's columns in the form's order, as the detail view and the edit form label them
#: (from the field table, :mod:`partyreg_core.members.fields`).
FIELD_LABELS = tuple(labels().items())


def post_names(member: Member, catalog: PostCatalog) -> str:
    """``3 社情民意收集岗、8 …`` — codes with their names."""
    named = []
    for code in member.posts:
        post = catalog.get(code, member.district_code)
        named.append(f"{code} {post.name}" if post is not None else code)
    return "、".join(named)


def detail_rows(member: Member, catalog: PostCatalog, unit_name: str) -> list[tuple[str, Text]]:
    """The detail view's lines: label, value (literal)."""
    if member.community_id is None:
        resolved = Text("? 不在社区通讯录中，待县区确认", style="bold")
    else:
        resolved = Text(f"已在通讯录中（社区编号 {member.community_id}）")
    dates = [
        ("登记日期", member.registered_on),
        ("分流日期", member.routed_on),
        ("报到日期", member.reported_on),
    ]
    rows: list[tuple[str, Text]] = [("编号", literal(member.id))]
    for spec in MEMBER_FIELDS:  # 附表1's fields in the form's order (the field table)
        if spec.key == "unit_code":
            value = literal(f"{member.unit_code} {unit_name}".strip())
        elif spec.key == "name":
            value = literal(member.name, "bold")
        elif spec.key == "posts":
            value = literal(post_names(member, catalog))
        else:
            value = literal(spec.cell(member))
        rows.append((spec.shown_as, value))
        if spec.key == "district":
            rows.append(("社区确认", resolved))
    rows.append(("状态", literal(member.status.label, "bold")))
    rows += [(label, literal(day.isoformat() if day else "")) for label, day in dates]
    rows.append(("导入批次", literal(member.batch_id or "")))
    return rows


_LABELS = dict(FIELD_LABELS)


def _value(key: str, value: object, scope: Scope) -> str:
    """A field's value in a history line, masked as the detail view masks it."""
    if isinstance(value, list | tuple):
        text = "、".join(str(v) for v in value)
    else:
        text = "" if value is None else str(value)
    if key == "phone" and text:
        return scope.phone(text)
    if key == "address" and text:
        return scope.address(text)
    return text


def change_text(entry: AuditEntry, scope: Scope) -> str:
    """``联系方式 139****0000→138****5678；特长 →摄影`` — an edit's fields before and after."""
    before, after = entry.before or {}, entry.after or {}
    if entry.action == "member.edit":
        keys = [k for k in REGISTRATION_FIELDS if k in before or k in after]
        keys += [k for k in {**before, **after} if k not in keys]
        return "；".join(
            f"{_LABELS.get(k, k)} {_value(k, before.get(k), scope)}→{_value(k, after.get(k), scope)}"
            for k in keys
        )
    if entry.action == "member.remove":
        return f"原因：{after.get('reason', '')}"
    data = after or before
    return "；".join(f"{_LABELS.get(k, k)} {_value(k, v, scope)}" for k, v in data.items())


def history_rows(
    member: Member, entries: list[AuditEntry], scope: Scope
) -> list[tuple[Text, Text, Text, Text]]:
    """The history table's lines, newest first: the member's audit entries, then the
    registration (from the member's batch and date, not from the batch entry's JSON)."""
    rows = [
        (
            literal(local_time(e.at)),
            literal(e.actor if e.on_behalf_of is None else f"{e.actor}（代 {e.on_behalf_of}）"),
            literal(action_label(e.action)),
            literal(change_text(e, scope)),
        )
        for e in entries
    ]
    registered = member.registered_on.isoformat() if member.registered_on else ""
    batch = f"导入批次 {member.batch_id}" if member.batch_id else "手工登记"
    rows.append((literal(registered), literal(""), literal("登记"), literal(batch)))
    return rows


class MemberScreen(PartyregScreen):
    """Every field of one member; ``e`` edits them (checked as an import checks a row)."""

    MODE = "members"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "修改"),
        Binding("escape", "back", "返回"),
        # the whole page scrolls, whichever table has the cursor (no Tab needed)
        Binding("pagedown", "page(1)", "翻页", key_display="PgDn", priority=True),
        Binding("pageup", "page(-1)", "上页", key_display="PgUp", priority=True, show=False),
    ]

    class Loaded(Read):
        """The member was read."""

        def __init__(self, member: Member, unit_name: str, history: list[AuditEntry]) -> None:
            super().__init__()
            self.member = member
            self.unit_name = unit_name
            self.history = history

    def __init__(self, member_id: int, *, edit: bool = False) -> None:
        super().__init__()
        self.member_id = member_id
        self.member: Member | None = None
        self._edit_when_loaded = edit

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="member"):
            yield Static("正在读取…", id="member-title", markup=False)
            table: DataTable[object] = DataTable(
                id="member-fields", cursor_type="row", show_header=False
            )
            yield table
            yield Static("历史记录（最新在前）", id="member-history-title", markup=False)
            history: DataTable[object] = DataTable(id="member-history", cursor_type="row")
            yield history

    def action_page(self, pages: int) -> None:
        """Scroll the member's page (fields and history) by a screenful."""
        scroll = self.query_one("#member", VerticalScroll)
        if pages > 0:
            scroll.scroll_page_down()
        else:
            scroll.scroll_page_up()

    def on_mount(self) -> None:
        table = self.query_one("#member-fields", DataTable)
        table.add_column("", width=18, key="label")
        table.add_column("", key="value")
        table.focus()
        history = self.query_one("#member-history", DataTable)
        history.add_column("时间", width=16, key="at")
        history.add_column("操作人", width=10, key="actor")
        history.add_column("操作", width=8, key="action")
        # a fixed width (what the other columns leave), so the table never waits on a
        # re-measure after its rows arrive; longer changes end in an ellipsis
        history.add_column("内容", width=self._change_width(), key="change")
        self.load()

    def _change_width(self) -> int:
        return max(8, self.app.size.width - (16 + 10 + 8) - 4 * 2 - 2 - 2)

    def load(self) -> None:
        """Read the member again (in a worker)."""
        self._read(self.ticket("member"))

    @work(thread=True, group="member", exit_on_error=False)
    def _read(self, ticket: int) -> None:
        """Read the member (worker thread)."""
        ws = self.workspace
        try:
            member = ws.members.get(self.member_id)
            unit = ws.org_tree.find(member.unit_code)
            history = list(
                ws.audit(subject=f"member:{member.id}", newest_first=True, limit=HISTORY_LIMIT)
            )
        except Exception as error:
            self.show_error(error)
            return
        loaded = self.Loaded(member, unit.name if unit is not None else "", history)
        self.post_read("member", ticket, loaded)

    def on_member_screen_loaded(self, message: Loaded) -> None:
        if not self.is_fresh(message):
            return  # a newer read has started since this one
        self.member = message.member
        title = Text(no_wrap=True, end="")
        title.append("党员 ")
        title.append_text(literal(message.member.name, "bold"))
        title.append(f"（编号 {message.member.id}）  e 修改  Esc 返回")
        self.query_one("#member-title", Static).update(title)
        table = self.query_one("#member-fields", DataTable)
        table.clear()
        catalog = self.workspace.post_catalog
        for label, value in detail_rows(message.member, catalog, message.unit_name):
            table.add_row(Text(label, style="dim"), value, key=label)
        history = self.query_one("#member-history", DataTable)
        history.clear()
        scope = self.workspace.actor.scope
        width = self._change_width()
        for at, actor, action, change in history_rows(message.member, message.history, scope):
            history.add_row(at, actor, action, literal(fit(change.plain, width)))
        if self._edit_when_loaded:
            self._edit_when_loaded = False
            self.action_edit()

    def action_edit(self) -> None:
        """Open the edit form."""
        from partyreg_tui.dialogs.edit_member import EditMemberDialog

        if self.member is None:
            return
        self.app.push_screen(EditMemberDialog(self.member), self._edited)

    def _edited(self, member: Member | None) -> None:
        if member is not None:
            self.load()

    def action_back(self) -> None:
        """Back to the list."""
        self.app.pop_screen()
