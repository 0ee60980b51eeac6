"""``GET /healthz``: ``ok`` while the store answers (for nginx and monitoring)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from partyreg_web.site import Site


async def healthz(request: Request) -> Response:
    """``ok`` (200) when the store answers, else 503 with a short reason."""
    site = Site.of(request)
    await site.run(site.workspace.store.locked_before)
    return PlainTextResponse("ok")


routes = [Route("/healthz", healthz, methods=["GET"])]
