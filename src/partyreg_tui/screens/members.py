"""Members in scope: search as you type, filter, page through, open one.

The search box takes a name (``王建``), pinyin initials (``wjw``), digits of a phone or a unit
code (``008.010``); words combine (``008.010 wj``). A keystroke starts one query in a worker — a
page of rows and the total, never the whole list — so 100,000 members stay quick. At most one
query runs at a time: keys typed meanwhile only change what is wanted, and when the running
query ends one more starts for the latest text (its own result is then dropped). Typing never
waits on the store, and fast typing does not pile up queries that compete with the screen
(decision 0151).
"""

from __future__ import annotations

import time
from typing import ClassVar

import attrs
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Select, Static

from partyreg_core.communities import Community
from partyreg_core.members.model import Member, MemberPage, MemberQuery, MemberStatus
from partyreg_core.orgcodes import OrgCode
from partyreg_core.posts import Post
from partyreg_tui.screens.base import PartyregScreen
from partyreg_tui.text import fit, literal, number
from partyreg_tui.widgets.inputs import SearchInput
from partyreg_tui.widgets.paged_table import PagedTable

PAGE_SIZE = 100
#: Terminal width from which the table also shows 单位及职务 and 认领岗位.
WIDE = 110
UNRESOLVED = "unresolved"


@attrs.frozen
class MemberFilter:
    """What the operator asked for: search text, status, community, post, unit, page."""

    text: str = ""
    status: MemberStatus | None = None
    community: int | str | None = None  # a community id, or UNRESOLVED
    post: str | None = None  # a post code (认领岗位)
    unit: OrgCode | None = None
    offset: int = 0

    def query(self) -> MemberQuery:
        """The store query for one page."""
        return MemberQuery(
            unit=self.unit,
            status=self.status,
            community_id=self.community if isinstance(self.community, int) else None,
            community_resolved=False if self.community == UNRESOLVED else None,
            post=self.post,
            text=self.text or None,
            offset=self.offset,
            limit=PAGE_SIZE,
        )


def community_options(communities: list[Community]) -> list[tuple[str, int | str]]:
    """The community filter's choices: the unresolved queue, then the directory."""
    options: list[tuple[str, int | str]] = [("未确认的社区（不在通讯录中）", UNRESOLVED)]
    options += [(c.label, c.id) for c in sorted(communities, key=lambda c: c.label)]
    return options


#: How much of ``3 社情民意收集岗`` the post drop-down shows on one line.
POST_LABEL_WIDTH = 11


def post_options(posts: list[Post]) -> list[tuple[str, str]]:
    """The post filter's choices: ``3 社情民意收集岗`` by code (city posts first; districts'
    local posts that share a code are listed under it once, their names joined)."""
    names: dict[str, list[str]] = {}
    for post in posts:
        names.setdefault(post.code, [])
        if post.name not in names[post.code]:
            names[post.code].append(post.name)

    def order(code: str) -> tuple[int, int, str]:
        return (0, int(code), "") if code.isdigit() else (1, 0, code)

    return [(f"{code} {'/'.join(names[code])}", code) for code in sorted(names, key=order)]


class MembersScreen(PartyregScreen):
    """Search, filters, one page of members, and their details."""

    MODE = "members"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "详情", show=False),
        Binding("e", "edit", "修改"),
        Binding("slash", "focus_search", "搜索", priority=True),
        Binding("g", "post_filter", "岗位"),
        Binding("x", "clear_filters", "清除筛选"),
        Binding("escape", "focus_table", "到列表", show=False),
    ]

    class Loaded(Message):
        """A page of members was read for ``wanted`` in ``seconds`` (``page`` is ``None`` when
        the query failed: the operator was told)."""

        def __init__(self, wanted: MemberFilter, page: MemberPage | None, seconds: float) -> None:
            super().__init__()
            self.wanted = wanted
            self.page = page
            self.seconds = seconds

    class CommunitiesLoaded(Message):
        """The community directory (for the filter) was read."""

        def __init__(self, communities: list[Community], repeated: frozenset[str]) -> None:
            super().__init__()
            self.communities = communities
            self.repeated = repeated

    def __init__(self) -> None:
        super().__init__()
        self.wanted = MemberFilter()
        self.page: MemberPage | None = None
        self.last_seconds = 0.0
        #: The filter whose results are on screen, and when they were put there.
        self.shown: tuple[MemberFilter, float] | None = None
        self._wide: bool | None = None
        self._communities_loaded = False
        self._page_step = 0
        self._pending: dict[str, object] | None = None
        #: A query is running; another was asked for meanwhile (see the module's docstring).
        self._searching = False
        self._search_again = False
        #: Community names the directory holds more than once (健康社区 in three districts):
        #: rows name those with their 县区.
        self.repeated: frozenset[str] = frozenset()

    def compose_body(self) -> ComposeResult:
        with Vertical(id="members"):
            with Horizontal(id="filters"):
                yield Label("搜索", classes="field-label")
                yield SearchInput(
                    placeholder="姓名、拼音首字母 wjw、手机号或单位代码",
                    id="search",
                    compact=True,
                )
                yield Select[MemberStatus](
                    [(s.label, s) for s in MemberStatus],
                    prompt="全部状态",
                    id="status",
                    compact=True,
                )
                yield Select[int | str]([], prompt="全部社区", id="community", compact=True)
                yield Select[str](self._post_options(), prompt="全部岗位", id="post", compact=True)
            yield PagedTable(id="member-table")
            yield Static("", id="member-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#search", Input).focus()
        self._columns()
        self.load_communities()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.apply_filters(**pending)  # type: ignore[arg-type]
        else:
            self.search()

    def on_return(self) -> None:
        if self.page is not None:
            self.search()  # an edit or an import may have changed the page

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE
        if wide != self._wide:
            self._columns()
            if self.page is not None:
                self._fill(self.page)

    # -- filters ----------------------------------------------------------------------------

    def apply_filters(
        self, *, unit: str | None = None, resolved: bool | None = None, text: str = ""
    ) -> None:
        """Start over with these filters (from the dashboard; kept until the screen is
        mounted when it is new)."""
        if not self.is_mounted:
            self._pending = {"unit": unit, "resolved": resolved, "text": text}
            return
        code = self.workspace.code(unit).code if unit else None
        community: str | None = UNRESOLVED if resolved is False else None
        self.wanted = MemberFilter(text=text, unit=code, community=community)
        self.query_one("#search", Input).value = text
        self.query_one("#status", Select).clear()
        self.query_one("#post", Select).clear()
        select = self.query_one("#community", Select)
        if community is None:
            select.clear()
        elif self._communities_loaded:
            select.value = UNRESOLVED  # else set when the directory arrives
        self.search()
        self.query_one("#member-table", PagedTable).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.wanted = attrs.evolve(self.wanted, text=event.value.strip(), offset=0)
        self.search()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.action_focus_table()

    @on(Select.Changed, "#status")
    def _status_changed(self, event: Select.Changed) -> None:
        value = event.value
        status = value if isinstance(value, MemberStatus) else None
        if status != self.wanted.status:
            self.wanted = attrs.evolve(self.wanted, status=status, offset=0)
            self.search()

    @on(Select.Changed, "#post")
    def _post_changed(self, event: Select.Changed) -> None:
        value = event.value
        post = value if isinstance(value, str) else None
        if post != self.wanted.post:
            self.wanted = attrs.evolve(self.wanted, post=post, offset=0)
            self.search()

    @on(Select.Changed, "#community")
    def _community_changed(self, event: Select.Changed) -> None:
        value = event.value
        community = value if isinstance(value, int | str) else None
        if community != self.wanted.community:
            self.wanted = attrs.evolve(self.wanted, community=community, offset=0)
            self.search()

    def on_paged_table_page_requested(self, event: PagedTable.PageRequested) -> None:
        offset = max(0, self.wanted.offset + event.step * PAGE_SIZE)
        self.wanted = attrs.evolve(self.wanted, offset=offset)
        self._page_step = event.step
        self.search()

    def _post_options(self) -> list[tuple[str, str]]:
        """The posts members in the operator's scope may have claimed: a district's own and
        the city's for a district operator, every post for the others."""
        options = post_options(self.workspace.members.visible_posts())
        # one line a post in the narrow drop-down: the code and as much of the name as fits
        return [(fit(label, POST_LABEL_WIDTH), code) for label, code in options]

    # -- queries ------------------------------------------------------------------------------

    def search(self) -> None:
        """Read the page the filters ask for: now, or when the query running ends."""
        if self._searching:
            self._search_again = True
            return
        self._searching = True
        self._search(self.wanted)

    @work(thread=True, group="members", exit_on_error=False)
    def _search(self, wanted: MemberFilter) -> None:
        """Read the page for ``wanted`` (worker thread) and post it back."""
        started = time.perf_counter()
        page: MemberPage | None = None
        try:
            page = self.workspace.members.page(wanted.query())
        except Exception as error:
            self.show_error(error)
        self.post_message(self.Loaded(wanted, page, time.perf_counter() - started))

    @work(thread=True, exclusive=True, group="communities", exit_on_error=False)
    def load_communities(self) -> None:
        """Read the communities the operator may filter by (worker thread)."""
        ws = self.workspace
        try:
            found = ws.members.visible_communities()
            seen: dict[str, int] = {}
            for community in ws.communities():
                seen[community.name] = seen.get(community.name, 0) + 1
            repeated = frozenset(name for name, count in seen.items() if count > 1)
        except Exception as error:
            self.show_error(error)
            return
        self.post_message(self.CommunitiesLoaded(found, repeated))

    def on_members_screen_communities_loaded(self, message: CommunitiesLoaded) -> None:
        select = self.query_one("#community", Select)
        select.set_options(community_options(message.communities))
        self._communities_loaded = True
        if message.repeated != self.repeated:
            self.repeated = message.repeated
            if self.page is not None:
                self._fill(self.page)
        if self.wanted.community == UNRESOLVED:
            select.value = UNRESOLVED

    def on_members_screen_loaded(self, message: Loaded) -> None:
        self._searching = False
        if self._search_again:
            # asked for again while this query ran (a key, an edit): its result may be stale
            self._search_again = False
            self.search()
            return
        if message.page is None or message.wanted != self.wanted:
            return
        self.page = message.page
        self.last_seconds = message.seconds
        self._fill(message.page)
        self.shown = (message.wanted, time.perf_counter())  # for bench/tui_bench.py

    # -- drawing ------------------------------------------------------------------------------

    def _columns(self) -> None:
        table = self.query_one("#member-table", PagedTable)
        self._wide = self.size.width >= WIDE
        table.clear(columns=True)
        table.add_column(Text("编号", justify="right"), width=6, key="id")
        table.add_column("单位代码", width=11, key="unit")
        table.add_column("姓名", width=self._name_width(), key="name")
        if self._wide:
            table.add_column("性别", width=4, key="gender")
            table.add_column("单位及职务", width=22, key="title")
            table.add_column("认领岗位", width=8, key="posts")
        table.add_column("联系方式", width=13, key="phone")
        table.add_column("报到社区", width=self._community_width(), key="community")
        table.add_column("状态", width=6, key="status")

    def _name_width(self) -> int:
        # four Chinese characters at 80 columns, six when wide; longer names end in "…"
        return 12 if self._wide else 10

    def _community_width(self) -> int:
        return 22 if self._wide else 16

    def community_text(self, member: Member) -> str:
        """The community's name, unique: with its 县区 when the directory has the name more than
        once; ``?`` marks one not in the directory yet (a sign, not colour)."""
        written = member.community
        name = written.community
        if name in self.repeated or (member.community_id is None and written.district):
            name = f"{written.district}·{name}" if written.district else name
        return name if member.community_id is not None else "?" + name

    def _row(self, member: Member) -> list[Text]:
        cells = [
            Text(str(member.id), justify="right"),
            literal(member.unit_code),
            literal(fit(member.name, self._name_width())),
        ]
        if self._wide:
            cells += [
                literal(member.gender.value),
                literal(fit(member.unit_and_title, 22)),
                literal("、".join(member.posts)),
            ]
        cells += [
            literal(member.phone),
            literal(fit(self.community_text(member), self._community_width())),
            literal(member.status.label),
        ]
        return cells

    def _fill(self, page: MemberPage) -> None:
        table = self.query_one("#member-table", PagedTable)
        step, self._page_step = self._page_step, 0
        table.clear()
        for member in page.members:
            table.add_row(*self._row(member), key=str(member.id))
        table.set_pages(
            previous=page.offset > 0, following=page.offset + len(page.members) < page.total
        )
        if step < 0 and table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self.query_one("#member-status", Static).update(self._status_text(page))

    def _status_text(self, page: MemberPage) -> Text:
        text = Text(no_wrap=True, end="")
        if not page.total:
            text.append("没有符合条件的党员。")
        else:
            first = page.offset + 1
            last = page.offset + len(page.members)
            text.append(f"第 {number(first)}–{number(last)} 人，共 {number(page.total)} 人")
            if page.total > PAGE_SIZE:
                pages = (page.total + PAGE_SIZE - 1) // PAGE_SIZE
                text.append(f" · 第 {page.offset // PAGE_SIZE + 1}/{number(pages)} 页")
        if self.wanted.unit is not None:
            text.append(f" · 单位 {self.wanted.unit} 及下级（x 清除）")
        text.append("  ? 社区不在通讯录中", style="dim")
        return text

    # -- actions ------------------------------------------------------------------------------

    def _current_id(self) -> int | None:
        table = self.query_one("#member-table", PagedTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    def action_open(self) -> None:
        """Show the member under the cursor."""
        from partyreg_tui.screens.member import MemberScreen

        member_id = self._current_id()
        if member_id is not None:
            self.app.push_screen(MemberScreen(member_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_edit(self) -> None:
        """Edit the member under the cursor."""
        from partyreg_tui.screens.member import MemberScreen

        member_id = self._current_id()
        if member_id is not None:
            self.app.push_screen(MemberScreen(member_id, edit=True))

    def action_focus_search(self) -> None:
        """Back to the search box."""
        self.query_one("#search", Input).focus()

    def action_focus_table(self) -> None:
        """To the list."""
        self.query_one("#member-table", PagedTable).focus()

    def action_post_filter(self) -> None:
        """Open the post filter (its first choice, 全部岗位, clears it)."""
        select = self.query_one("#post", Select)
        select.focus()
        select.expanded = True

    def action_clear_filters(self) -> None:
        """Every member in scope again."""
        self.apply_filters()
        self.query_one("#search", Input).focus()
