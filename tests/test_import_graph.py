"""No import circles between the modules of src/ (issue 17).

Every import counts: at the top of a module, inside a function (a deferred import still ties
the two modules together) and under ``if TYPE_CHECKING:`` (mypy and a reader follow it).
A circle is a strongly connected set of modules; the test names each one with the imports
that close it.

The circles that were there when this test came are listed in :data:`KNOWN`, to be taken
apart slice by slice; the test fails when a new one appears, when a known one takes in more
modules, and when a known one is gone (so that its entry is removed and it cannot return).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGES = ("partyreg_core", "partyreg_plugins", "partyreg_cli", "partyreg_tui", "partyreg_web")

#: Circles still there, by the modules each may hold at most (decision 0206).
KNOWN: dict[str, frozenset[str]] = {
    # the SQL store and its mixins (h-store: repositories replace the mixins)
    "sqlstore": frozenset(
        "partyreg_plugins.sqlstore." + name
        for name in [
            "activities",
            "db",
            "events",
            "members",
            "operators",
            "feedback",
            "notify",
            "nudges",
            "orgchanges",
            "points",
            "progress",
            "routing",
            "service",
            "signin",
            "store",
            "wishes",
            "years",
            "documents",
            "search",
            "bulk",
            "journal",
            "history",
            "scoping",
        ]
    ),
    # the facade and the hooks that are handed it
    "facade": frozenset(
        {
            "partyreg_core.hookspecs",
            "partyreg_core.plugins",
            "partyreg_core.signin.service",
            "partyreg_core.workspace",
        }
    ),
    # the terminal app and the screens that reach back to it for its type
    "tui": frozenset(
        {
            "partyreg_tui.app",
            "partyreg_tui.dialogs.edit_member",
            "partyreg_tui.dialogs.entry",
            "partyreg_tui.screens.audit",
            "partyreg_tui.screens.base",
            "partyreg_tui.screens.dashboard",
            "partyreg_tui.screens.feedback",
            "partyreg_tui.screens.member",
            "partyreg_tui.screens.members",
            "partyreg_tui.screens.work",
            "partyreg_tui.widgets.topbar",
        }
    ),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p for package in PACKAGES for p in sorted((SRC / package).rglob("*.py"))
    }


def _imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of src/ that module ``name`` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            # ``from package import module`` imports the module
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                yield target


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: set(_imported(name, path, modules)) for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected sets of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = set()
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    members.add(top)
                    if top == node:
                        break
                if len(members) > 1:
                    found.append(frozenset(members))
    return found


def _describe(graph: dict[str, set[str]], circle: frozenset[str]) -> str:
    edges = [f"{a} -> {b}" for a in sorted(circle) for b in sorted(graph[a] & circle)]
    return "\n    ".join(edges)


def test_the_graph_sees_the_packages() -> None:
    graph = _graph()
    assert "partyreg_core.workspace" in graph
    assert "partyreg_core.ports" in graph["partyreg_core.workspace"]


def test_the_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _circles(graph) == [frozenset({"a", "b", "c"})]


def test_no_import_circles_but_the_known_ones_shrinking() -> None:
    graph = _graph()
    problems = []
    seen: set[str] = set()
    for circle in _circles(graph):
        known = [key for key, allowed in KNOWN.items() if circle <= allowed]
        if not known:
            problems.append(f"an import circle:\n    {_describe(graph, circle)}")
        seen.update(known)
    for key in sorted(set(KNOWN) - seen):
        problems.append(f"the known circle {key!r} is gone: remove it from KNOWN")
    if problems:
        pytest.fail("\n".join(problems))
