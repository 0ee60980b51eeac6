"""One-line inputs whose Enter (and Down) are named in the footer: an Input takes every
printable key, so the screen's letter keys are hidden while it has focus — these say what the
keys that still work do."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class SearchInput(Input):
    """The members search box: Enter or Down goes to the list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "到列表"),
        Binding("down", "submit", "到列表", show=False),
    ]


class PathInput(Input):
    """The import screen's file path: Enter checks the file (a dry run)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "试运行"),
        Binding("tab", "app.focus_next", "浏览文件"),
    ]
