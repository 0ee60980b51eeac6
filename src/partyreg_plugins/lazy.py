"""The built-in plugins as the ``partyreg`` entry points see them: each hook's module is imported
when the hook is first called (decision 0161).

Loading every plugin used to import fpdf, SciPy, SQLAlchemy, Alembic and xlsxwriter before any
command ran (``partyreg --help`` took over a second). Each entry point now names an object here
whose hook implementations import the plugin's own module on their first call and hand the
call on to the module's implementation, so a command pays only for the plugins it uses. The
modules themselves are unchanged plugins: a test or an embedder may still register
``partyreg_plugins.exports_forms`` directly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from partyreg_core.hookspecs import hookimpl


class LazyPlugin:
    """A plugin whose hook implementations live in ``module``, imported on the first call."""

    def __init__(self, module: str) -> None:
        self.__name__ = module
        self.module = module

    def __repr__(self) -> str:
        return f"<LazyPlugin {self.module}>"

    def implementation(self, hook: str) -> Callable[..., Any]:
        """The module's own implementation of ``hook`` (importing the module the first time)."""
        function: Callable[..., Any] = getattr(importlib.import_module(self.module), hook)
        return function


def _registering(plugin: LazyPlugin, hook: str) -> None:
    """Add the ``register``-style hook ``hook`` to ``plugin``."""

    def implementation(register: Callable[..., None]) -> None:
        plugin.implementation(hook)(register=register)

    implementation.__name__ = implementation.__qualname__ = hook
    setattr(plugin, hook, hookimpl(implementation))


def _plugin(module: str, *hooks: str) -> LazyPlugin:
    plugin = LazyPlugin(f"partyreg_plugins.{module}")
    for hook in hooks:
        _registering(plugin, hook)
    return plugin


posts_builtin = _plugin("posts_builtin", "partyreg_register_posts")
formats_xlsx = _plugin("formats_xlsx", "partyreg_register_formats")
formats_csv = _plugin("formats_csv", "partyreg_register_formats")
storage_sqlite = _plugin("storage_sqlite", "partyreg_register_storage")
storage_postgres = _plugin("storage_postgres", "partyreg_register_storage")
notifiers = _plugin("notifiers", "partyreg_register_notifiers")
exports_forms = _plugin("exports_forms", "partyreg_register_exporters")
exports_circular = _plugin("exports_circular", "partyreg_register_exporters")
exports_service = _plugin("exports_service", "partyreg_register_exporters")
exports_ledger = _plugin("exports_ledger", "partyreg_register_exporters")
exports_templates = _plugin("templates", "partyreg_register_exporters")
exports_certificate = _plugin("exports_certificate", "partyreg_register_exporters")

errors_xlsx = LazyPlugin("partyreg_plugins.error_workbook")
solver_scipy = LazyPlugin("partyreg_plugins.solver_scipy")
notify_events = LazyPlugin("partyreg_plugins.notify_events")


@hookimpl
def _write_rejected_rows(target: Path, headers: Any, rows: Any) -> int | None:
    answer: int | None = errors_xlsx.implementation("partyreg_write_rejected_rows")(
        target=target, headers=headers, rows=rows
    )
    return answer


@hookimpl
def _assignment_solver() -> Any:
    return solver_scipy.implementation("partyreg_assignment_solver")()


@hookimpl
def _on_changed(workspace: Any, change: Any) -> None:
    notify_events.implementation("partyreg_on_changed")(workspace=workspace, change=change)


errors_xlsx.partyreg_write_rejected_rows = _write_rejected_rows  # type: ignore[attr-defined]
solver_scipy.partyreg_assignment_solver = _assignment_solver  # type: ignore[attr-defined]
notify_events.partyreg_on_changed = _on_changed  # type: ignore[attr-defined]

__all__ = [
    "LazyPlugin",
    "errors_xlsx",
    "exports_certificate",
    "exports_circular",
    "exports_forms",
    "exports_ledger",
    "exports_service",
    "exports_templates",
    "formats_csv",
    "formats_xlsx",
    "notifiers",
    "notify_events",
    "posts_builtin",
    "solver_scipy",
    "storage_postgres",
    "storage_sqlite",
]
