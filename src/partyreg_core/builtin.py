"""The data partyreg ships: the 2014 code table of 附表2 and the 15 posts of 附表1's note.

Kept as package data (``partyreg_core/data/*.tsv``) so operators and reviewers can read it; this
module is the one place that reads it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from partyreg_core.orgcodes import OrgTree, tree_from_rows
from partyreg_core.posts import Post


def _rows(filename: str) -> list[list[str]]:
    text = resources.files("partyreg_core").joinpath("data", filename).read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@cache
def _code_rows() -> tuple[tuple[str, str, str], ...]:
    return tuple((code, name, kind) for code, name, kind in _rows("codes.tsv"))


def code_table() -> OrgTree:
    """A fresh org tree holding the 2014 code table (附表2): 淮安市 and its 20 entries."""
    return tree_from_rows(_code_rows())


@cache
def city_posts() -> tuple[Post, ...]:
    """The 15 city-wide service posts, codes ``"1"``–``"15"``."""
    return tuple(Post(code, name) for code, name in _rows("posts.tsv"))
