"""The 15 city-wide service posts of the note under 附表1."""

from __future__ import annotations

from collections.abc import Callable

from partyreg_core import builtin
from partyreg_core.hookspecs import hookimpl
from partyreg_core.posts import Post


@hookimpl
def partyreg_register_posts(register: Callable[[Post], None]) -> None:
    """Register 1 党建工作指导岗 … 15 文体娱乐实践岗."""
    for post in builtin.city_posts():
        register(post)
