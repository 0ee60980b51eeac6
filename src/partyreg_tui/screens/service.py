"""Service summaries within the operator's scope (``partyreg feedback summary`` on a screen):
hours, activities, ratings and members without service, by district, unit, community, member,
post or month, for one campaign year or all of them."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from partyreg_core.feedback.model import SummaryRow
from partyreg_tui.screens.base import PartyregScreen, Read
from partyreg_tui.text import fit, literal, number

#: The groupings: ``feedback summary --by`` value → (key, label).
GROUPINGS = {
    "district": ("d", "县区"),
    "unit": ("u", "单位"),
    "community": ("c", "社区"),
    "member": ("m", "党员"),
    "post": ("p", "岗位"),
    "month": ("t", "月份"),
}
#: By member a city has 100,000 rows: the screen shows the most hours first, this many.
MEMBER_ROWS = 500
#: Terminal width from which the 优/良/一般 columns are shown too.
WIDE = 100


def hours_text(value: float) -> str:
    """``12.5`` → ``12.5``; ``12.0`` → ``12``; thousands separated."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def shown_rows(by: str, rows: list[SummaryRow]) -> tuple[list[SummaryRow], bool]:
    """The rows the table shows and whether some were left out: by member the
    :data:`MEMBER_ROWS` with the most hours (ties by id), every row otherwise."""
    if by != "member" or len(rows) <= MEMBER_ROWS:
        return rows, False
    ranked = sorted(rows, key=lambda r: (-r.hours, -r.activities, len(r.key), r.key))
    return ranked[:MEMBER_ROWS], True


class ServiceScreen(PartyregScreen):
    """One summary at a time: ``d u c m p t`` choose the grouping, ``[`` and ``]`` the year,
    ``a`` all years together."""

    MODE = "service"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"group('{by}')", label) for by, (key, label) in GROUPINGS.items()),
        Binding("left_square_bracket", "year(-1)", "上一年", key_display="["),
        Binding("right_square_bracket", "year(1)", "下一年", key_display="]"),
        Binding("a", "all_years", "全部年度"),
        Binding("r", "refresh", "刷新"),
    ]

    class Loaded(Read):
        """A summary was read."""

        def __init__(self, by: str, year: int | None, rows: list[SummaryRow]) -> None:
            super().__init__()
            self.by = by
            self.year = year
            self.rows = rows

    def __init__(self) -> None:
        super().__init__()
        self.by = "district"
        self.year: int | None = None
        self.rows: list[SummaryRow] | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="service"):
            yield Static("", id="service-title", markup=False)
            yield DataTable(id="service-table", cursor_type="row")
            yield Static("", id="service-detail", markup=False)

    def on_mount(self) -> None:
        self.year = self.workspace.default_year()
        table = self.query_one("#service-table", DataTable)
        table.add_column("代码", width=12, key="key")
        table.add_column("名称", width=self._label_width(), key="label")
        table.add_column(Text("时长", justify="right"), width=9, key="hours")
        table.add_column(Text("次数", justify="right"), width=6, key="activities")
        if self._wide():
            for key, label in (("excellent", "优"), ("good", "良"), ("fair", "一般")):
                table.add_column(Text(label, justify="right"), width=5, key=key)
        table.add_column(Text("党员", justify="right"), width=6, key="members")
        table.add_column(Text("无活动", justify="right"), width=6, key="idle")
        table.focus()
        self.load()

    def on_return(self) -> None:
        self.load()

    def _wide(self) -> bool:
        return self.app.size.width >= WIDE

    def _label_width(self) -> int:
        # what the other columns and their padding leave of the screen, so nothing scrolls
        others = 12 + 9 + 6 + 6 + 6 + (3 * 5 if self._wide() else 0)
        columns = 9 if self._wide() else 6
        return max(8, self.app.size.width - others - columns * 2 - 2 - 2)

    def load(self) -> None:
        """Read the summary chosen again (in a worker)."""
        self._read(self.by, self.year, self.ticket("summary"))

    @work(thread=True, group="service", exit_on_error=False)
    def _read(self, by: str, year: int | None, ticket: int) -> None:
        """Read the summary chosen (worker thread)."""
        try:
            rows = self.workspace.feedback.summary(by, year=year)
        except Exception as error:
            self.show_error(error)
            return
        self.post_read("summary", ticket, self.Loaded(by, year, rows))

    def on_service_screen_loaded(self, message: Loaded) -> None:
        if not self.is_fresh(message):
            return  # an older choice's answer, or a read overtaken by a newer one
        self.rows = message.rows
        table = self.query_one("#service-table", DataTable)
        table.clear()
        shown, cut = shown_rows(message.by, message.rows)
        width = self._label_width()
        for row in shown:
            ratings = (row.excellent, row.good, row.fair) if self._wide() else ()
            table.add_row(
                literal(fit(row.key or "（无）", 12)),
                literal(fit(row.label, width)),
                Text(hours_text(row.hours), justify="right"),
                Text(number(row.activities), justify="right"),
                *(Text(number(n), justify="right") for n in ratings),
                Text("" if row.members is None else number(row.members), justify="right"),
                Text("" if row.idle is None else number(row.idle), justify="right"),
            )
        if not message.rows:
            table.add_row("", Text("没有记录", style="dim"), *[""] * (len(table.columns) - 2))
        _, label = GROUPINGS[message.by]
        when = "全部年度" if message.year is None else f"{message.year} 年度"
        hours = sum(r.hours for r in message.rows)
        count = sum(r.activities for r in message.rows)
        title = (
            f"服务汇总 · {when} · 按{label} · {number(len(message.rows))} 行 · "
            f"合计 {hours_text(hours)} 小时、{number(count)} 次"
        )
        self.query_one("#service-title", Static).update(Text(title, style="bold"))
        detail = "时长、次数：已确认的活动；无活动：已分流、该年度还没有已确认活动的党员"
        if cut:
            detail = (
                f"按时长显示前 {number(MEMBER_ROWS)} 名；完整名单："
                "partyreg feedback summary --by member"
            )
        self.query_one("#service-detail", Static).update(Text(detail, style="dim"))

    def action_group(self, by: str) -> None:
        """Summarise by ``by`` (a key of :data:`GROUPINGS`)."""
        self.by = by
        self.load()

    def action_year(self, step: int) -> None:
        """The year before or after the one shown (from all years: this year)."""
        today = self.workspace.default_year()
        self.year = today if self.year is None else self.year + step
        self.load()

    def action_all_years(self) -> None:
        """All years together (codes as they are today)."""
        self.year = None
        self.load()

    def action_refresh(self) -> None:
        """Read the summary again."""
        self.load()
