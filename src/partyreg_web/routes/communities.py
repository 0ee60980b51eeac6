"""A community's public page: its office contacts (附表4) and open needs — no residents'
personal data, readable without signing in."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from partyreg_core.errors import NotFoundError
from partyreg_web.record import community_json, need_json, open_needs
from partyreg_web.site import Site


def _public(site: Site, community_id: int) -> dict[str, Any]:
    ws = site.workspace
    community = ws.service.communities_of([community_id])[0]
    if not ws.actor.scope.covers_community(community.id, community.district_code):
        raise NotFoundError("community.unknown", f"没有编号为 {community_id} 的社区。")
    year = ws.default_year()
    needs = open_needs(ws, community, year, ws.today())
    return {
        "community": community_json(community),
        "year": year,
        "needs": [need_json(ws, n, community) for n in needs],
    }


def _community_id(request: Request) -> int:
    try:
        return int(request.path_params["community_id"])
    except ValueError:
        raise NotFoundError("community.unknown", "没有这个社区。") from None


async def community_page(request: Request) -> Response:
    """``GET /communities/ID``."""
    site = Site.of(request)
    data = await site.run(_public, site, _community_id(request))
    mine, posts = None, set()
    member_id = site.member_id(request)
    if member_id is not None:
        member = await site.run(site.workspace.for_member(member_id).members.get, member_id)
        mine, posts = member.community_id, set(member.posts)
    return site.render(request, "community.html", {**data, "my_community": mine, "my_posts": posts})


async def api_community(request: Request) -> Response:
    """``GET /api/communities/ID``."""
    site = Site.of(request)
    return JSONResponse(await site.run(_public, site, _community_id(request)))


routes = [
    Route("/communities/{community_id}", community_page, methods=["GET"]),
    Route("/api/communities/{community_id}", api_community, methods=["GET"]),
]
