"""The facade: what embedders, the CLI and the TUI call.

A :class:`Workspace` binds a plugin manager (and so the storage, formats, exporters, notifiers
and local posts the plugins provide) to a store URL and an acting operator. It returns core
values and raises :class:`partyreg_core.errors.PartyregError`; it never formats for a screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from partyreg_core import builtin
from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.orgcodes import OrgCode, OrgTree, OrgUnit, TableProblem, check_table, parse_code
from partyreg_core.plugins import (
    PluginInfo,
    PluginManager,
    collect_posts,
    list_plugins,
    make_plugin_manager,
)
from partyreg_core.posts import Post, PostCatalog

DEFAULT_DB = "sqlite:///partyreg.db"


class Workspace:
    """One operator's view of one partyreg store.

    :param db_url: the store URL (``sqlite:///path`` or ``postgresql://…``).
    :param operator: the acting operator's account name (``None``: the OS user).
    :param plugin_manager: a prepared manager (tests pass one with extra plugins).
    """

    def __init__(
        self,
        db_url: str = DEFAULT_DB,
        *,
        operator: str | None = None,
        plugin_manager: PluginManager | None = None,
    ) -> None:
        self.db_url = db_url
        self.operator = operator
        self.pm = plugin_manager if plugin_manager is not None else make_plugin_manager()

    # -- plugins --------------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """The loaded plugins with their versions and hooks."""
        return list_plugins(self.pm)

    # -- posts ----------------------------------------------------------------------------

    @cached_property
    def post_catalog(self) -> PostCatalog:
        """Every post the plugins provide (the 15 city posts and the districts' local ones)."""
        return collect_posts(self.pm)

    def posts(
        self, district: OrgCode | str | None = None, *, all_districts: bool = False
    ) -> list[Post]:
        """The posts valid in ``district`` (city-wide posts only when ``None``), or every post
        when ``all_districts``."""
        if all_districts:
            return self.post_catalog.all()
        code = self._code(district) if district is not None else None
        if code is not None:
            self.code(code)  # an unknown district is an error, not an empty list
        return self.post_catalog.for_district(code)

    # -- org codes ------------------------------------------------------------------------

    @cached_property
    def org_tree(self) -> OrgTree:
        """The org tree: the 2014 code table of 附表2."""
        return builtin.code_table()

    def code(self, code: OrgCode | str) -> OrgUnit:
        """The unit with ``code`` (typed as operators type it)."""
        return self.org_tree.get(self._code(code))

    def codes(self, parent: OrgCode | str | None = None) -> list[OrgUnit]:
        """Every unit, or the direct children of ``parent``."""
        if parent is None:
            return list(self.org_tree)
        return self.org_tree.children(self.code(parent).code)

    def next_code(self, parent: OrgCode | str) -> OrgCode:
        """The code a new unit under ``parent`` gets (never one used before)."""
        return self.org_tree.next_child(self.code(parent).code)

    def find_codes(self, name: str) -> list[OrgUnit]:
        """Units whose name is ``name``."""
        found = self.org_tree.by_name(name)
        if not found:
            raise NotFoundError("code.name_unknown", f"代码表中没有名为“{name}”的单位。")
        return found

    def check_codes(self, rows: Iterable[tuple[str, str]]) -> list[TableProblem]:
        """Every problem of a code table (``(code, name)`` rows) against the current tree."""
        return check_table(rows, known=self.org_tree)

    @staticmethod
    def _code(code: OrgCode | str) -> OrgCode:
        if isinstance(code, OrgCode):
            return code
        if not isinstance(code, str):
            raise ValidationError("code.invalid", f"单位代码应为文本：{code!r}")
        return parse_code(code)
