"""Finding and loading plugins, and collecting what they provide.

Built-in plugins are found through the ``partyreg`` entry-point group exactly like third-party
ones. ``PARTYREG_LOAD_PLUGINS`` (comma-separated entry-point names) limits which load.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from partyreg_core import hookspecs
from partyreg_core.errors import PluginError

if TYPE_CHECKING:  # loading the plugins stays cheap: the CLI's --help loads them (decision 0161)
    from partyreg_core.ports import Exporter, NotifierFactory, StoreOpener, TableFormat
    from partyreg_core.posts import Post, PostCatalog

ENTRY_POINT_GROUP = "partyreg"
LOAD_ENV = "PARTYREG_LOAD_PLUGINS"


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering which distribution each entry-point plugin came from."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.distributions: dict[str, metadata.Distribution] = {}


def make_plugin_manager(
    extra_plugins: Iterable[object] = (),
    *,
    load_entrypoints: bool = True,
    only: Sequence[str] | None = None,
) -> PluginManager:
    """A plugin manager with partyreg's hook specs, the ``partyreg`` entry points and
    ``extra_plugins`` (modules or objects with ``@hookimpl`` functions; tests use these).

    ``only`` (default: ``$PARTYREG_LOAD_PLUGINS`` if set) names the entry points to load.
    A misspelt hook implementation fails here, not silently later.
    """
    pm = PluginManager()
    if only is None and os.environ.get(LOAD_ENV):
        only = [n.strip() for n in os.environ[LOAD_ENV].split(",") if n.strip()]
    if load_entrypoints:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if only is not None and ep.name not in only:
                continue
            if pm.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken third-party plugin must say which one it is
                raise PluginError(
                    "plugin.load", f"插件 {ep.name} 无法加载：{exc}（请检查该插件的安装）。"
                ) from exc
            pm.register(plugin, name=ep.name)
            if ep.dist is not None:
                pm.distributions[ep.name] = ep.dist
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm


@attrs.frozen
class PluginInfo:
    """A loaded plugin: its name, the distribution and version it comes from, and its hooks."""

    name: str
    package: str
    version: str
    hooks: tuple[str, ...]


def list_plugins(pm: PluginManager) -> list[PluginInfo]:
    """Every loaded plugin with its version and the hooks it implements, sorted by name."""
    dists = pm.distributions
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or []))
        dist = dists.get(name)
        if dist is not None:
            package, version = dist.metadata["Name"], dist.version
        else:
            package, version = getattr(plugin, "__name__", name), "-"
        infos.append(PluginInfo(name, str(package), str(version), hooks))
    return sorted(infos, key=lambda i: i.name)


def _per_plugin(hook: Any) -> list[tuple[str, Callable[..., Any]]]:
    """Each implementation of ``hook`` with its plugin name, in call order."""
    return [(impl.plugin_name, impl.function) for impl in reversed(hook.get_hookimpls())]


def collect_posts(pm: pluggy.PluginManager) -> PostCatalog:
    """Build the post catalog from every plugin's ``partyreg_register_posts``.

    The plugin name is stamped on each post; a clash refuses start-up naming both plugins.
    """
    from partyreg_core.posts import Post, PostCatalog

    catalog = PostCatalog()
    for plugin_name, function in _per_plugin(pm.hook.partyreg_register_posts):

        def register(post: Post, _plugin: str = plugin_name) -> None:
            if not isinstance(post, Post):
                raise PluginError("plugin.invalid", f"插件 {_plugin} 登记的岗位不是 Post：{post!r}")
            catalog.add(attrs.evolve(post, plugin=_plugin))

        function(register=register)
    return catalog


def _collect_named(hook: Any, what: str) -> dict[str, tuple[str, Any]]:
    found: dict[str, tuple[str, Any]] = {}
    for plugin_name, function in _per_plugin(hook):

        def register(key: str, value: Any, _plugin: str = plugin_name) -> None:
            if key in found:
                raise PluginError(
                    "plugin.clash",
                    f"{what}“{key}”被插件 {found[key][0]} 和 {_plugin} 重复提供：请停用其中一个。",
                )
            found[key] = (_plugin, value)

        function(register=register)
    return found


def collect_storage(pm: pluggy.PluginManager) -> dict[str, StoreOpener]:
    """URL scheme → store opener, from every plugin's ``partyreg_register_storage``."""
    found = _collect_named(pm.hook.partyreg_register_storage, "存储后端")
    return {scheme: opener for scheme, (_p, opener) in found.items()}


def collect_notifiers(pm: pluggy.PluginManager) -> dict[str, NotifierFactory]:
    """Channel type → notifier factory, from every plugin's ``partyreg_register_notifiers``."""
    found = _collect_named(pm.hook.partyreg_register_notifiers, "通知渠道")
    return {kind: factory for kind, (_p, factory) in found.items()}


def collect_formats(pm: pluggy.PluginManager) -> list[TableFormat]:
    """Every registered input format, in registration order."""
    formats: list[TableFormat] = []
    for _plugin, function in _per_plugin(pm.hook.partyreg_register_formats):
        function(register=formats.append)
    return formats


def collect_exporters(pm: pluggy.PluginManager) -> dict[str, Exporter]:
    """Export name → exporter; two with the same name refuse start-up naming both plugins."""
    found: dict[str, tuple[str, Exporter]] = {}
    for plugin_name, function in _per_plugin(pm.hook.partyreg_register_exporters):

        def register(exporter: Exporter, _plugin: str = plugin_name) -> None:
            if exporter.name in found:
                raise PluginError(
                    "plugin.clash",
                    f"导出“{exporter.name}”被插件 {found[exporter.name][0]} 和 {_plugin} "
                    "重复提供：请停用其中一个。",
                )
            found[exporter.name] = (_plugin, exporter)

        function(register=register)
    return {name: exporter for name, (_p, exporter) in found.items()}
