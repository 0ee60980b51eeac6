"""Signing in with a one-time link, asking for one with name + phone, signing out.

``GET /s/TOKEN`` only shows a button: the token is used by ``POST /s/TOKEN`` from that page,
so that a chat app's link preview (WeChat fetches links it is shown) does not use it up.
"""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from partyreg_core.errors import PartyregError
from partyreg_web.site import Site, client_address


async def home(request: Request) -> Response:
    """The start page: the member's own page when signed in, else the sign-in page."""
    site = Site.of(request)
    if site.member_id(request) is not None:
        return RedirectResponse("/me", status_code=303)
    return site.render(request, "signin.html")


async def signin_page(request: Request) -> Response:
    """The sign-in page: ask for a link with name and mobile."""
    return Site.of(request).render(request, "signin.html")


async def request_link(request: Request) -> Response:
    """Send a link to the member with this name and mobile, if there is exactly one; the
    answer is the same either way (nobody learns who is registered)."""
    site = Site.of(request)
    site.limit("link_request", client_address(request), site.settings.limits.link_request)
    form = await site.form(request, kind="link_request")
    name, phone = form.get("name", ""), form.get("phone", "")
    # the same answer either way: whether it failed would say who is registered
    with contextlib.suppress(PartyregError):
        await site.run(site.workspace.signin.request_link, name, phone)
    return site.render(request, "link_sent.html")


async def link_page(request: Request) -> Response:
    """The page a sign-in link opens: a button that uses the link."""
    site = Site.of(request)
    token = request.path_params["token"]
    return site.render(request, "link.html", {"token": token})


async def use_link(request: Request) -> Response:
    """Use a one-time link: start the member's session (refused: used, expired, unknown)."""
    site = Site.of(request)
    site.limit("signin", client_address(request), site.settings.limits.signin)
    await site.form(request, kind="signin")
    member_id = await site.run(site.workspace.signin.redeem, request.path_params["token"])
    site.sign_in(request, member_id)
    return RedirectResponse("/me", status_code=303)


async def sign_out(request: Request) -> Response:
    """End the session."""
    site = Site.of(request)
    await site.form(request, kind="signout")
    site.sign_out(request)
    return RedirectResponse("/signin", status_code=303)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/signin", signin_page, methods=["GET"]),
    Route("/signin", request_link, methods=["POST"]),
    Route("/s/{token}", link_page, methods=["GET"]),
    Route("/s/{token}", use_link, methods=["POST"]),
    Route("/signout", sign_out, methods=["POST"]),
]
