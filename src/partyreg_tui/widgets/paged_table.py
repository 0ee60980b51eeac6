"""A DataTable that shows one page of a longer query and asks for the next page at its edges.

The rows on screen are one page (a query's ``offset``/``limit``), never the whole result:
moving past the last row, or PgDn on it, posts :class:`PagedTable.PageRequested` with +1, and
moving above the first row -1; the screen runs the query and refills the table.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable


class PagedTable(DataTable[object]):
    """One page of rows; ``n``/``p`` (and the arrow and page keys at the edges) turn pages."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_page", "下页"),
        Binding("p", "previous_page", "上页"),
    ]

    class PageRequested(Message):
        """The operator asked for the next (``step`` = 1) or previous (-1) page."""

        def __init__(self, table: PagedTable, step: int) -> None:
            super().__init__()
            self.table = table
            self.step = step

        @property
        def control(self) -> PagedTable:
            """The table that asked."""
            return self.table

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", **kwargs)  # type: ignore[arg-type]
        self.has_next = False
        self.has_previous = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # the footer shows 下页/上页 only when there is such a page
        if action == "next_page":
            return self.has_next
        if action == "previous_page":
            return self.has_previous
        return True

    def set_pages(self, *, previous: bool, following: bool) -> None:
        """Say whether there are pages before and after this one (updates the footer)."""
        self.has_previous, self.has_next = previous, following
        self.refresh_bindings()

    def action_next_page(self) -> None:
        """Ask for the following page."""
        if self.has_next:
            self.post_message(self.PageRequested(self, 1))

    def action_previous_page(self) -> None:
        """Ask for the page before."""
        if self.has_previous:
            self.post_message(self.PageRequested(self, -1))

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1 and self.has_next:
            self.action_next_page()
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.has_previous:
            self.post_message(self.PageRequested(self, -1))
            return
        super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1 and self.has_next:
            self.action_next_page()
            return
        super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0 and self.has_previous:
            self.post_message(self.PageRequested(self, -1))
            return
        super().action_page_up()
