"""The application object the root command puts in ``ctx.obj``."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from partyreg_core.operators.identity import IdentityProvider, OsIdentity
from partyreg_core.plugins import PluginManager, make_plugin_manager

if TYPE_CHECKING:  # the facade imports the whole core: only a command that opens it pays
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
        #: set by the set-up commands (init, operator add|disable|enable|scope) before the
        #: workspace is opened: on PostgreSQL they need the admin login, daily work refuses it
        self.administration = False
        #: set by the commands whose writes cross scopes (decision 0081): they also take the
        #: admin login on PostgreSQL
        self.admin_login_ok = False
        self.json = False

    @cached_property
    def pm(self) -> PluginManager:
        """The plugin manager (entry points loaded once per process)."""
        return self._pm if self._pm is not None else make_plugin_manager()

    @cached_property
    def workspace(self) -> Workspace:
        """The facade, bound to ``--db`` and ``--as``."""
        from partyreg_core.workspace import Workspace

        return Workspace(
            self.db_url,
            operator=self.operator,
            plugin_manager=self.pm,
            identity=self.identity,
            administration=self.administration,
            admin_login_ok=self.admin_login_ok,
        )
