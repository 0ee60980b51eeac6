"""服务 community work: one community's needs list with its capacity, the post assignment with
each member's explanation (previewed, then accepted — or the needs adjusted and run again), the
service groups with their leaders, and the activities recorded for one member or a whole group,
listed, corrected and removed."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.communities import Community
from partyreg_core.errors import ValidationError
from partyreg_core.feedback.model import StoredActivity
from partyreg_core.progress import parse_day
from partyreg_core.service.model import Assignment, AssignmentRun, Group, GroupingRun, Need
from partyreg_tui.screens.base import WorkScreen, keep_cursor, row_key
from partyreg_tui.text import fit, literal, number

#: The views: key → (name, label).
VIEWS = {
    "1": ("needs", "需求"),
    "2": ("assign", "分配"),
    "3": ("groups", "小组"),
    "4": ("activities", "活动"),
}
#: The fields of an activity, as the forms ask them.
ACTIVITY_FIELDS = (
    ("day", "日期"),
    ("content", "内容"),
    ("hours", "时长"),
    ("rating", "评价"),
    ("kind", "类型"),
    ("place", "地点"),
)


def hours_of(text: str) -> float:
    """The hours as typed, or a Chinese refusal."""
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(
            "activity.hours", f"时长“{text}”不是数字：请填 0 到 24 之间的小时数，如 2 或 1.5。"
        ) from None
    return value


def member_ids(text: str, what: str) -> list[int]:
    """``12, 13 14`` → ``[12, 13, 14]``, or a Chinese refusal."""
    parts = [
        p for p in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if p
    ]
    if not all(p.isdigit() for p in parts):
        raise ValidationError("member.id", f"{what}应为党员编号（数字），用逗号分开：如 12,15。")
    return [int(p) for p in parts]


def assignment_text(run: AssignmentRun) -> Text:
    """The assignment's preview: who goes to which post and why, who is left over."""
    result = run.result
    text = Text(end="")
    text.append(
        f"{run.community.label} {run.year} 年度：{run.candidates} 名党员，安排 {len(result.placements)} 人，"
        f"未安排 {len(result.left_over)} 人\n\n",
        style="bold",
    )
    for opening in result.openings:
        text.append(
            f"{opening.post_name}（需 {opening.people} 人，安排 {result.filled(opening.post_code)} 人）\n",
            style="bold",
        )
        for p in result.placements:
            if p.post_code == opening.post_code:
                text.append(f"  {p.member_id:>6} {p.name}：{p.reason}\n")
    if result.left_over:
        text.append("未安排\n", style="bold")
        for left in result.left_over:
            text.append(f"  {left.member_id:>6} {left.name}：{left.reason}\n")
    return text


def grouping_text(run: GroupingRun) -> Text:
    """The grouping's preview: each group, its leader and why, its members."""
    text = Text(end="")
    text.append(
        f"{run.community.label} {run.year} 年度：{len(run.planned)} 个服务小组\n\n", style="bold"
    )
    for g in run.planned:
        leader = run.names.get(g.leader_id, str(g.leader_id))
        text.append(f"{g.name}（{len(g.member_ids)} 人）", style="bold")
        text.append(f" 组长 {leader}：{g.leader_reason}\n")
        names = "、".join(run.names.get(m, str(m)) for m in g.member_ids)
        text.append(f"  {names}\n")
    return text


class CommunityWorkScreen(WorkScreen):
    """服务：社区的岗位需求、岗位分配（附说明）、服务小组和组长；记录、更正、删除活动。"""

    MODE = "work"
    HELP = """
c 选择社区，[ 和 ] 换年度（默认当前活动年度）。1 需求、2 分配、3 小组、4 活动。

需求：n 新增岗位需求，+ 和 - 增减光标所在岗位的人数，x 删除。
分配：g 按志愿和特长试分配，先列出每人的岗位和理由；确认后保存（替换该年度的分配）。
      不满意时取消，调整需求人数后再按 g。
小组：g 按岗位试分组并推选组长（附理由），确认后保存；i 为光标所在小组的全体成员记录一次
      活动（可填缺席党员的编号）。
活动：i 为一名党员记录活动，e 更正光标所在的活动，x 删除（需说明原因）。已盖章确认的反馈单
      和已关闭年度的活动不能改动，屏幕会说明怎么办。
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"view('{name}')", label) for key, (name, label) in VIEWS.items()),
        Binding("c", "community", "社区"),
        Binding("left_square_bracket", "year(-1)", "上一年", key_display="[", show=False),
        Binding("right_square_bracket", "year(1)", "下一年", key_display="]", show=False),
        Binding("g", "plan", "试运行"),
        Binding("n", "new_need", "新需求", show=False),
        Binding("plus", "people(1)", "人数+1", show=False, key_display="+"),
        Binding("minus", "people(-1)", "人数-1", show=False, key_display="-"),
        Binding("i", "record", "记录"),
        Binding("e", "edit", "更正", show=False),
        Binding("x", "remove", "删除", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "needs"
        self.year: int | None = None
        self.community: Community | None = None
        self.rows: list[Any] | None = None
        self.names: dict[int, str] = {}

    def compose_body(self) -> ComposeResult:
        with Vertical(id="work", classes="work"):
            yield Static("", id="work-title", classes="work-title", markup=False)
            yield DataTable(id="work-table", cursor_type="row")
            yield Static("", id="work-detail", markup=False)

    def mount_body(self) -> None:
        self.year = self.workspace.default_year()
        self.query_one("#work-table", DataTable).focus()
        ws = self.workspace

        def first() -> Community | None:
            mine = ws.service.communities_of()
            return mine[0] if mine else None

        self.run("正在读取社区……", first, self._chose, latest="community")

    def on_return(self) -> None:
        if self.community is not None:
            self.load()

    def _chose(self, community: Community | None) -> None:
        self.community = community
        self.load()

    def _width(self, used: int) -> int:
        return max(10, self.app.size.width - used)

    def load(self) -> None:
        """Read the view's rows for the community and year."""
        community, year, view, ws = self.community, self.year, self.view, self.workspace
        if community is None:
            return
        cid = community.id

        def read() -> tuple[str, list[Any], dict[int, str]]:
            names = {m.id: m.name for m in ws.routing.report_in_members(community=str(cid))}
            rows: list[Any]
            if view == "needs":
                needs = ws.service.needs(cid, year=year)
                assigned = ws.service.assignments(cid, year=year)
                rows = [(n, sum(1 for a in assigned if a.post_code == n.post_code)) for n in needs]
            elif view == "assign":
                rows = list(ws.service.assignments(cid, year=year))
            elif view == "groups":
                rows = list(ws.service.groups(cid, year=year))
            else:
                rows = list(ws.feedback.activities(community=str(cid), year=year))
            return view, rows, names

        self.run("正在读取……", read, self._loaded, latest="rows")

    def _post(self, code: str) -> str:
        district = self.community.district_code if self.community else None
        return self.workspace.service.post_name(code, district)

    def _loaded(self, result: tuple[str, list[Any], dict[int, str]]) -> None:
        view, rows, self.names = result
        if view != self.view:
            return
        self.rows = rows
        table = self.query_one("#work-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        getattr(self, f"_fill_{view}")(table, rows)
        if not rows:
            table.add_row("", Text("（没有）", style="dim"), *[""] * (len(table.columns) - 2))
        keep_cursor(table, row)
        label = dict(VIEWS.values())[view]
        where = self.community.label if self.community else "（你的范围内没有社区）"
        self.query_one("#work-title", Static).update(
            Text(
                f"{where}（编号 {self.community.id if self.community else ''}）· {self.year} 年度 · {label}",
                style="bold",
            )
        )

    def _fill_needs(self, table: DataTable[Any], rows: list[tuple[Need, int]]) -> None:
        table.add_column("编号", width=5, key="id")
        table.add_column("岗位", width=self._width(5 + 6 + 6 + 20 + 12), key="post")
        table.add_column(Text("需要", justify="right"), width=6, key="people")
        table.add_column(Text("已分配", justify="right"), width=6, key="assigned")
        table.add_column("说明", width=20, key="purpose")
        for need, assigned in rows:
            table.add_row(
                Text(str(need.id)),
                literal(fit(self._post(need.post_code), table.columns["post"].width)),  # type: ignore[index]
                Text(number(need.people), justify="right"),
                Text(
                    number(assigned),
                    justify="right",
                    style="bold" if assigned < need.people else "",
                ),
                literal(fit(need.purpose, 20)),
                key=str(need.id),
            )
        total = sum(n.people for n, _a in rows)
        self._detail(f"需求合计 {total} 人：n 新增，+/- 调整人数，x 删除；2 查看分配")

    def _fill_assign(self, table: DataTable[Any], rows: list[Assignment]) -> None:
        table.add_column("编号", width=6, key="id")
        table.add_column("姓名", width=10, key="name")
        table.add_column("岗位", width=16, key="post")
        table.add_column("理由", width=self._width(6 + 10 + 16 + 12), key="reason")
        for a in rows:
            table.add_row(
                Text(str(a.member_id)),
                literal(fit(self.names.get(a.member_id, ""), 10)),
                literal(fit(self._post(a.post_code), 16)),
                literal(fit(a.reason, table.columns["reason"].width)),  # type: ignore[index]
                key=str(a.member_id),
            )
        self._detail(f"已分配 {len(rows)} 人：g 重新试分配（先预览，确认后替换）")

    def _fill_groups(self, table: DataTable[Any], rows: list[Group]) -> None:
        table.add_column("小组", width=5, key="id")
        table.add_column("名称", width=self._width(5 + 16 + 10 + 5 + 10), key="name")
        table.add_column("岗位", width=16, key="post")
        table.add_column("组长", width=10, key="leader")
        table.add_column(Text("人数", justify="right"), width=5, key="size")
        for g in rows:
            table.add_row(
                Text(str(g.id)),
                literal(fit(g.name, table.columns["name"].width)),  # type: ignore[index]
                literal(fit(self._post(g.post_code), 16)),
                literal(fit(self.names.get(g.leader_id or 0, ""), 10)),
                Text(str(len(g.member_ids)), justify="right"),
                key=str(g.id),
            )
        self._detail(f"服务小组 {len(rows)} 个：g 重新试分组，i 为整个小组记录活动")

    def _fill_activities(self, table: DataTable[Any], rows: list[StoredActivity]) -> None:
        table.add_column("编号", width=6, key="id")
        table.add_column("日期", width=10, key="day")
        table.add_column("党员", width=12, key="member")
        table.add_column("内容", width=self._width(6 + 10 + 12 + 5 + 4 + 14), key="content")
        table.add_column(Text("时长", justify="right"), width=5, key="hours")
        table.add_column("评价", width=4, key="rating")
        for a in rows:
            table.add_row(
                Text(str(a.id)),
                Text(a.day.isoformat()),
                literal(fit(f"{a.name}({a.member_id})", 12)),
                literal(
                    fit(
                        a.content + ("（自报待确认）" if not a.confirmed else ""),
                        table.columns["content"].width,
                    )
                ),  # type: ignore[index]
                Text(f"{a.hours:g}", justify="right"),
                Text(a.rating.value),
                key=str(a.id),
            )
        hours = sum(a.hours for a in rows)
        self._detail(f"活动 {len(rows)} 次、{hours:g} 小时：i 记录，e 更正，x 删除")

    def _detail(self, text: str) -> None:
        self.query_one("#work-detail", Static).update(Text(text, style="dim"))

    def _current(self) -> Any:
        key = row_key(self.query_one("#work-table", DataTable))
        for row in self.rows or []:
            item = row[0] if isinstance(row, tuple) else row
            ident = item.member_id if isinstance(item, Assignment) else item.id
            if str(ident) == key:
                return item
        return None

    # -- actions --------------------------------------------------------------------------------

    def action_view(self, view: str) -> None:
        """Another view of the same community."""
        self.view = view
        self.load()

    def action_year(self, step: int) -> None:
        """The year before or after."""
        self.year = (self.year or self.workspace.default_year()) + step
        self.load()

    def action_community(self) -> None:
        """Choose the community (within the scope)."""
        from partyreg_tui.dialogs.choose import ChooseDialog

        def chosen_list(found: list[Community]) -> None:
            by_id = {str(c.id): c for c in found}

            def chosen(value: str | None) -> None:
                if value in by_id:
                    self.community = by_id[value]
                    self.load()

            self.app.push_screen(
                ChooseDialog("选择社区", [(str(c.id), f"{c.label}（编号 {c.id}）") for c in found]),
                chosen,
            )

        self.run(
            "正在读取社区……", self.workspace.service.communities_of, chosen_list, latest="choose"
        )

    def _write(self, label: str, task: Any, message: str) -> None:
        def done(_result: Any) -> None:
            self.notify(message, markup=False)
            self.load()

        self.run(label, task, done)

    def action_plan(self) -> None:
        """Assignment or grouping: the dry run first, written after a confirmation."""
        community, year, ws = self.community, self.year, self.workspace
        if community is None:
            return
        if self.view in ("needs", "assign"):

            def preview(run: AssignmentRun) -> None:
                self.ask(
                    "保存这个分配？",
                    assignment_text(run),
                    lambda: self._write(
                        "正在保存分配……",
                        lambda: ws.service.assign(community.id, year=year),
                        f"已保存 {community.label} 的岗位分配。",
                    ),
                    yes="保存",
                )

            self.view = "assign"
            self.run(
                "正在试分配……",
                lambda: ws.service.assign(community.id, year=year, dry_run=True),
                preview,
                latest="preview",
            )
        elif self.view == "groups":

            def preview_groups(run: GroupingRun) -> None:
                self.ask(
                    "保存这些服务小组？",
                    grouping_text(run),
                    lambda: self._write(
                        "正在保存小组……",
                        lambda: ws.service.group(community.id, year=year),
                        f"已保存 {community.label} 的服务小组。",
                    ),
                    yes="保存",
                )

            self.run(
                "正在试分组……",
                lambda: ws.service.group(community.id, year=year, dry_run=True),
                preview_groups,
                latest="preview",
            )
        else:
            self.notify("试运行用于分配（2）和小组（3）。", markup=False)

    def action_new_need(self) -> None:
        """Add a need to the community's list."""
        from partyreg_tui.dialogs.form import FormDialog

        community, year, ws = self.community, self.year, self.workspace
        if community is None or self.view != "needs":
            return

        def saved(values: dict[str, str] | None) -> None:
            if not values:
                return
            try:
                people = int(values["people"])
            except ValueError:
                self.show_error(
                    ValidationError("need.people", f"人数“{values['people']}”不是整数：请填如 3。")
                )
                return
            self._write(
                "正在保存需求……",
                lambda: ws.service.add_need(
                    community.id, values["post"], people, purpose=values["purpose"], year=year
                ),
                "已新增岗位需求。",
            )

        self.app.push_screen(
            FormDialog(
                f"{community.label} 新增岗位需求",
                [("post", "岗位代码", ""), ("people", "人数", "1"), ("purpose", "说明", "")],
                hint="岗位代码见 partyreg posts list（如 3 或 8）。Enter 保存，Esc 取消。",
            ),
            saved,
        )

    def action_people(self, step: int) -> None:
        """One more or one fewer person for the need under the cursor."""
        need = self._current()
        community, year, ws = self.community, self.year, self.workspace
        if (
            self.view != "needs"
            or not isinstance(need, Need)
            or community is None
            or need.id is None
        ):
            return
        self._write(
            "正在调整人数……",
            lambda: ws.service.edit_need(
                community.id, need.id, people=need.people + step, year=year
            ),  # type: ignore[arg-type]
            f"{self._post(need.post_code)}：需要 {need.people + step} 人（按 g 重新试分配）。",
        )

    def action_record(self) -> None:
        """Record an activity: for the group under the cursor (小组), or for one member."""
        from partyreg_tui.dialogs.form import FormDialog

        ws, year = self.workspace, self.year
        today = ws.today()
        group = self._current() if self.view == "groups" else None
        defaults = {"day": today.isoformat(), "hours": "2", "rating": "优"}
        fields = [(k, label, defaults.get(k, "")) for k, label in ACTIVITY_FIELDS]
        if isinstance(group, Group):
            fields.append(("absent", "缺席党员编号", ""))
            title = f"为“{group.name}”全体成员记录活动（{len(group.member_ids)} 人）"
        else:
            fields.insert(0, ("member", "党员编号", ""))
            title = "为一名党员记录活动"

        def saved(values: dict[str, str] | None) -> None:
            if not values:
                return
            try:
                day = parse_day(values["day"], "日期")
                hours = hours_of(values["hours"])
                if isinstance(group, Group):
                    absent = member_ids(values["absent"], "缺席党员")
                else:
                    ids = member_ids(values["member"], "党员编号")
                    if len(ids) != 1:
                        raise ValidationError("member.id", "请填一名党员的编号（如 12）。")
            except Exception as error:
                self.show_error(error)
                return
            kind, place = values["kind"], values["place"]
            content, rating = values["content"], values["rating"]

            def task() -> list[int]:
                if isinstance(group, Group) and group.id is not None:
                    return ws.feedback.record_group_activity(
                        group.id, day, content, hours, rating,
                        kind=kind, place=place, absent=absent, year=year,
                    )  # fmt: skip
                return ws.feedback.record_activity(
                    ids[0], day, content, hours, rating, kind=kind, place=place, year=year
                )

            def done(written: list[int]) -> None:
                self.notify(f"已记录 {len(written)} 条活动。", markup=False)
                if self.view == "activities":
                    self.load()

            self.run("正在记录活动……", task, done)

        self.app.push_screen(
            FormDialog(
                title, fields, hint="评价：优、良或一般；时长 0 到 24 小时。Enter 保存，Esc 取消。"
            ),
            saved,
        )

    def action_edit(self) -> None:
        """Correct the activity under the cursor."""
        from partyreg_tui.dialogs.form import FormDialog

        activity = self._current()
        if self.view != "activities" or not isinstance(activity, StoredActivity):
            self.notify("更正用于活动（按 4）：选中一条活动再按 e。", markup=False)
            return
        ws = self.workspace
        current = {
            "day": activity.day.isoformat(),
            "content": activity.content,
            "hours": f"{activity.hours:g}",
            "rating": activity.rating.value,
            "kind": activity.kind,
            "place": activity.place,
        }
        fields = [(k, label, current[k]) for k, label in ACTIVITY_FIELDS] + [
            ("reason", "更正原因", "")
        ]

        def saved(values: dict[str, str] | None) -> None:
            if not values:
                return
            changes: dict[str, Any] = {}
            try:
                for key, _label in ACTIVITY_FIELDS:
                    if values[key] == current[key]:
                        continue
                    if key == "day":
                        changes[key] = parse_day(values[key], "日期")
                    elif key == "hours":
                        changes[key] = hours_of(values[key])
                    else:
                        changes[key] = values[key]
            except Exception as error:
                self.show_error(error)
                return
            self._write(
                "正在更正……",
                lambda: ws.feedback.edit_activity(activity.id, changes, values["reason"]),
                f"已更正活动 {activity.id}。",
            )

        self.app.push_screen(
            FormDialog(f"更正活动 {activity.id}（{activity.name}）", fields), saved
        )

    def action_remove(self) -> None:
        """Remove the activity (with a reason) or the need under the cursor."""
        item = self._current()
        ws = self.workspace
        if self.view == "activities" and isinstance(item, StoredActivity):
            self.ask_text(
                f"删除活动 {item.id}（{item.name} {item.day} {item.hours:g} 小时）：原因",
                lambda reason: self._write(
                    "正在删除……",
                    lambda: ws.feedback.remove_activity(item.id, reason),
                    f"已删除活动 {item.id}。",
                ),
                hint="原因记入审计日志，Enter 确认，Esc 取消。",
            )
        elif self.view == "needs" and isinstance(item, Need) and self.community is not None:
            community = self.community
            self.ask(
                "删除这条岗位需求？",
                f"{self._post(item.post_code)}，需要 {item.people} 人。",
                lambda: self._write(
                    "正在删除……",
                    lambda: ws.service.remove_need(community.id, item.id or 0),
                    "已删除岗位需求。",
                ),
                yes="删除",
            )
