"""What every page handler uses: the workspace, the signed-in member, checked forms, pages.

:class:`Site` is made once per app (``request.app.state.site``). Its helpers are the site's
security boundary: :meth:`Site.member` is the only way to the signed-in member's workspace,
and :meth:`Site.form` / :meth:`Site.body` the only way to a write's input — both check the
CSRF token and count the write against the member's rate limit.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from partyreg_core.errors import (
    ConflictError,
    NotFoundError,
    NotPermittedError,
    PartyregError,
    TemporaryError,
)
from partyreg_core.workspace import Workspace
from partyreg_web.limits import Limit, RateLimiter, SiteLimits

T = TypeVar("T")

TEMPLATES = Path(__file__).parent / "templates"
#: How long the org tree and the site's account are kept between reads.
REFRESH_SECONDS = 60.0
SESSION_MEMBER = "m"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class SignedOut(Exception):
    """No member is signed in (401 under ``/api/``, the sign-in page otherwise)."""


class Refused(Exception):
    """A request refused before it reached the facade: bad CSRF token or origin (403), a
    full rate-limit window (429), a malformed body (400)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@attrs.frozen
class SiteSettings:
    """How the site runs: cookies only over HTTPS (``secure``; on behind TLS), how long a
    session lasts, the rate limits."""

    secure: bool = False
    session_days: int = 14
    limits: SiteLimits = attrs.field(factory=SiteLimits)


def status_of(error: PartyregError) -> int:
    """The HTTP status of a refusal from the facade."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, NotPermittedError):
        return 403
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, TemporaryError):
        return 503
    return 400


def hours_text(value: float) -> str:
    """Hours as people write them: ``2``, ``1.5``, ``0.25``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API."""
    return request.url.path.startswith("/api/")


def client_address(request: Request) -> str:
    """The client's address (behind nginx: the one uvicorn's proxy headers give)."""
    return request.client.host if request.client is not None else "-"


class Site:
    """The app's shared state and helpers (see the module docstring)."""

    def __init__(self, workspace: Workspace, settings: SiteSettings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.limiter = RateLimiter()
        self._refreshed = time.monotonic()
        self._refresh_lock = threading.Lock()
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["hours"] = hours_text

    @staticmethod
    def of(request: Request) -> Site:
        """The site of the app serving ``request``."""
        site: Site = request.app.state.site
        return site

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking workspace call in the thread pool (the shared reads refreshed first
        when they are due)."""

        def call() -> T:
            self.fresh_workspace()
            return fn(*args, **kwargs)

        return await run_in_threadpool(call)

    # -- the session ------------------------------------------------------------------------

    def member_id(self, request: Request) -> int | None:
        """The signed-in member's id, or ``None``."""
        value = request.session.get(SESSION_MEMBER)
        return value if isinstance(value, int) else None

    def member(self, request: Request) -> tuple[int, Workspace]:
        """The signed-in member and the workspace acting for them (:class:`SignedOut`)."""
        member_id = self.member_id(request)
        if member_id is None:
            raise SignedOut
        return member_id, self.workspace.for_member(member_id)

    def fresh_workspace(self) -> None:
        """Read the org tree and the site's account again every :data:`REFRESH_SECONDS`
        (renamed units, a disabled account); in between the members' requests share them."""
        if time.monotonic() - self._refreshed < REFRESH_SECONDS:
            return
        with self._refresh_lock:
            if time.monotonic() - self._refreshed < REFRESH_SECONDS:
                return
            self.workspace.refresh()
            self.workspace.actor  # noqa: B018 — a disabled account is refused here
            self.workspace.org_tree  # noqa: B018
            self._refreshed = time.monotonic()

    def sign_in(self, request: Request, member_id: int) -> None:
        """Start a session for ``member_id`` (a fresh CSRF token with it)."""
        request.session.clear()
        request.session[SESSION_MEMBER] = member_id
        request.session[SESSION_CSRF] = secrets.token_urlsafe(24)

    def sign_out(self, request: Request) -> None:
        """End the session."""
        request.session.clear()

    def csrf_token(self, request: Request) -> str:
        """The session's CSRF token (made on first use, signed-in or not)."""
        token = request.session.get(SESSION_CSRF)
        if not isinstance(token, str):
            token = secrets.token_urlsafe(24)
            request.session[SESSION_CSRF] = token
        return token

    # -- writes -------------------------------------------------------------------------------

    def limit(self, kind: str, key: str, limit: Limit) -> None:
        """Count one event against ``limit``; :class:`Refused` (429) when the window is full."""
        if not self.limiter.allow(kind, key, limit):
            minutes = max(1, round(limit.seconds / 60))
            raise Refused(
                429, "rate.limited", f"操作太频繁：请 {minutes} 分钟后再试（每 {minutes} 分钟"
                f"最多 {limit.events} 次）。"
            )  # fmt: skip

    def _check_csrf(self, request: Request, given: object) -> None:
        expected = request.session.get(SESSION_CSRF)
        if (
            not isinstance(expected, str)
            or not isinstance(given, str)
            or not hmac.compare_digest(expected.encode(), given.encode())
        ):
            raise Refused(
                403, "csrf.invalid", "页面已过期或请求来源不明：请返回上一页刷新后重新提交。"
            )

    def _count_write(self, request: Request, kind: str | None) -> None:
        member_id = self.member_id(request)
        key = f"member:{member_id}" if member_id is not None else client_address(request)
        if kind is None:
            self.limit("write", key, self.settings.limits.write)

    async def form(self, request: Request, *, kind: str | None = None) -> dict[str, str]:
        """A submitted form's fields (text only), its CSRF token checked, the write counted
        (``kind``: the caller counts it against a limit of its own)."""
        form = await request.form()
        self._check_csrf(request, form.get(CSRF_FIELD))
        self._count_write(request, kind)
        return {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}

    async def body(self, request: Request, *, kind: str | None = None) -> dict[str, Any]:
        """A write's input under ``/api/``: a JSON object (or a form), the CSRF token from the
        ``X-CSRF-Token`` header (or the form), the write counted."""
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            self._check_csrf(request, request.headers.get(CSRF_HEADER))
            try:
                data = json.loads(await request.body() or b"{}")
            except ValueError:
                raise Refused(400, "request.json", "请求内容不是有效的 JSON。") from None
            if not isinstance(data, dict):
                raise Refused(400, "request.json", "请求内容应为 JSON 对象。")
            self._count_write(request, kind)
            return data
        form = await request.form()
        self._check_csrf(request, request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD))
        self._count_write(request, kind)
        return {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}

    # -- responses ----------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
    ) -> HTMLResponse:
        """A page: ``template`` with ``context``, the CSRF token and who is signed in."""
        values = {
            "request": request,
            "csrf": self.csrf_token(request),
            "signed_in": self.member_id(request) is not None,
            **(context or {}),
        }
        html = self.templates.get_template(template).render(values)
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, status: int, code: str, message: str) -> Response:
        """A refusal: JSON under ``/api/``, the error page otherwise."""
        if is_api(request):
            return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
        return self.render(request, "error.html", {"code": code, "message": message}, status=status)
