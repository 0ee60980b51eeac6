"""The site's routers: each module named in :data:`ROUTERS` exposes ``routes`` (a list of
Starlette routes); see :mod:`partyreg_web` for how to add one."""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute

#: The router modules of :mod:`partyreg_web.routes`, in the order their routes are tried.
ROUTERS: tuple[str, ...] = ("health", "signin", "me", "communities", "events")


def collect_routes() -> list[BaseRoute]:
    """Every route of every router in :data:`ROUTERS`."""
    found: list[BaseRoute] = []
    for name in ROUTERS:
        module = importlib.import_module(f"partyreg_web.routes.{name}")
        found.extend(module.routes)
    return found
