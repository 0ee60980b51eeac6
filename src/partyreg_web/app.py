"""The app factory: :func:`create_app` builds the members' site over one workspace."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from partyreg_core.errors import (
    PartyregError,
)
from partyreg_core.signin.rules import SIGNIN_PATH
from partyreg_core.workspace import Workspace
from partyreg_web.routes import collect_routes
from partyreg_web.site import Refused, SignedOut, Site, SiteSettings, is_api, status_of

log = logging.getLogger("partyreg_web")

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "partyreg_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: what every response carries: no framing, no sniffing, no referrer to other sites (a sign-in link's token
#: must not leak to another site), scripts and styles from the site only
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
]


def logged_path(path: str) -> str:
    """``path`` as the access log writes it: a sign-in token is cut off (the log keeps no
    personal data and nothing that signs anyone in)."""
    if path.startswith(SIGNIN_PATH):
        return SIGNIN_PATH + "…"
    return path


class Guard:
    """Pure ASGI middleware in front of everything: a cross-origin write is refused (403)
    before any handler runs, every response gets :data:`SECURITY_HEADERS` (and pages with
    personal data ``Cache-Control: no-store``), and each request is logged as method, path
    (:func:`logged_path`, never a query string), status and milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        status = 500
        if method in UNSAFE and not _same_origin(scope):
            status = 403
            await _refuse(scope, send)
            _log(method, scope, status, started)
            return

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            _log(method, scope, status, started)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _same_origin(scope: Scope) -> bool:
    """Whether an unsafe request comes from the site's own pages: its ``Origin`` (or, without
    one, its ``Referer``) names this host. A request naming neither (a script, curl) passes
    here and still needs the session's CSRF token."""
    host = _header(scope, b"host")
    source = _header(scope, b"origin") or _header(scope, b"referer")
    if source is None:
        return True
    if source == "null" or host is None:
        return False
    return urlsplit(source).netloc.lower() == host.lower()


async def _refuse(scope: Scope, send: Send) -> None:
    path = scope["path"]
    message = "请求来源不是本网站：为保护你的账号，已拒绝。请在本网站页面上操作。"
    if path.startswith("/api/"):
        body = ('{"error": {"code": "csrf.origin", "message": "' + message + '"}}').encode()
        kind = b"application/json"
    else:
        body = f"<!doctype html><meta charset=utf-8><title>已拒绝</title><p>{message}</p>".encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", kind), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _log(method: str, scope: Scope, status: int, started: float) -> None:
    elapsed = (time.perf_counter() - started) * 1000
    log.info("%s %s %d %.0fms", method, logged_path(scope["path"]), status, elapsed)


def create_app(
    workspace_factory: Callable[[], Workspace],
    *,
    settings: SiteSettings | None = None,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The members' site over the workspace ``workspace_factory`` makes (once, now): the
    routers of :data:`partyreg_web.routes.ROUTERS` plus ``routes``, the static files, the
    session cookie signed with the store's key, CSRF and origin checks, the error pages.

    The workspace acts as the account the site runs as (``partyreg serve``'s OS user, or its
    PostgreSQL login); the site serves the members within that account's scope."""
    chosen = settings or SiteSettings()
    workspace = workspace_factory()
    workspace.actor  # noqa: B018 — an unknown account or a missing store fails here, once
    workspace.org_tree  # noqa: B018 — read once, shared by the members' requests
    site = Site(workspace, chosen)
    key = workspace.signin.session_key()

    async def partyreg_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PartyregError)
        return site.error(request, status_of(exc), exc.code, exc.message)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return site.error(request, exc.status, exc.code, exc.message)

    async def signed_out(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return site.error(request, 401, "signin.required", "请先登录。")
        return site.render(request, "signin.html", {"next": request.url.path}, status=401)

    handlers: dict[Any, Callable[..., Any]] = {
        PartyregError: partyreg_error,
        Refused: refused,
        SignedOut: signed_out,
    }
    app = Starlette(
        routes=[
            *collect_routes(),
            *routes,
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(Guard),
            Middleware(
                SessionMiddleware,
                secret_key=key.hex(),
                session_cookie=SESSION_COOKIE,
                max_age=chosen.session_days * 86400,
                same_site="lax",
                https_only=chosen.secure,
            ),
        ],
        exception_handlers=handlers,
    )
    app.state.site = site
    return app
