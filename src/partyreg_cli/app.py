"""The application object the root command puts in ``ctx.obj``."""

from __future__ import annotations

from functools import cached_property

from partyreg_core.identity import IdentityProvider, OsIdentity
from partyreg_core.plugins import PluginManager, make_plugin_manager
from partyreg_core.workspace import Workspace


class App:
    """Global options plus a lazily opened workspace."""

    def __init__(
        self,
        db_url: str,
        operator: str | None,
        pm: PluginManager | None = None,
        *,
        identity: IdentityProvider | None = None,
    ) -> None:
        self.db_url = db_url
        self.operator = operator
        self._pm = pm
        # who is at the keyboard: the kernel's user id, never USER/LOGNAME
        self.identity = identity if identity is not None else OsIdentity()
        self.json = False

    @cached_property
    def pm(self) -> PluginManager:
        """The plugin manager (entry points loaded once per process)."""
        return self._pm if self._pm is not None else make_plugin_manager()

    @cached_property
    def workspace(self) -> Workspace:
        """The facade, bound to ``--db`` and ``--as``."""
        return Workspace(
            self.db_url, operator=self.operator, plugin_manager=self.pm, identity=self.identity
        )
