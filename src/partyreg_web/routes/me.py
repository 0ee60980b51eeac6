"""The signed-in member's own pages and their JSON twins under ``/api/``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from partyreg_core.errors import NotFoundError, PartyregError
from partyreg_web import actions
from partyreg_web.record import my_record
from partyreg_web.site import Site, status_of


def _record(site: Site, ws: Any, member_id: int, year: int | None) -> dict[str, Any]:
    """The member's record of ``year`` (default: the campaign year), the community's shared
    part kept a few seconds for all its members."""
    return my_record(ws, member_id, year or site.campaign_year(), site.community_view)


def _year(request: Request) -> int | None:
    """``?year=2014``: another campaign year's activities (default: the current one)."""
    text = request.query_params.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


def _change_json(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "to": c.to.label,
        "reason": c.reason,
        "status": c.status.value,
        "requested_on": c.requested_on.isoformat(),
        "decided_on": c.decided_on.isoformat() if c.decided_on else None,
        "decision_reason": c.decision_reason,
    }


async def me_page(request: Request) -> Response:
    """我的登记: the member's record."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    record = await site.run(_record, site, ws, member_id, _year(request))
    notice = {
        "reported": "已提交，待社区确认后计入服务时长。",
        "changed": "已提交变更申请。",
        "wish": "已认领微心愿：请与社区联系，了解居民的具体情况。",
    }
    return site.render(
        request,
        "me.html",
        {"r": record, "notice": notice.get(request.query_params.get("done", ""))},
    )


async def api_me(request: Request) -> Response:
    """``GET /api/me``: the record as JSON (401 without a session), with the CSRF token the
    API's writes send back in ``X-CSRF-Token``."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    record = await site.run(_record, site, ws, member_id, _year(request))
    return JSONResponse({**record, "csrf": site.csrf_token(request)})


async def api_member(request: Request) -> Response:
    """``GET /api/members/ID``: one's own record; anyone else's is not found (404)."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    try:
        wanted = int(request.path_params["member_id"])
    except ValueError:
        wanted = -1
    if wanted != member_id:
        raise NotFoundError("member.not_found", "没有这个党员的记录。")
    return JSONResponse(await site.run(_record, site, ws, member_id, None))


async def new_activity_page(request: Request) -> Response:
    """The self-report form."""
    site = Site.of(request)
    _member_id, ws = site.member(request)
    return site.render(request, "activity_new.html", {"today": ws.today().isoformat()})


async def report_activity(request: Request) -> Response:
    """``POST /me/activities``: a self-report from the form (back to the form on a refusal,
    with the message and what was typed)."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    form = await site.form(request)
    try:
        await site.run(actions.report_activity, ws, member_id, form)
    except PartyregError as exc:
        return site.render(
            request,
            "activity_new.html",
            {"today": ws.today().isoformat(), "form": form, "error": exc.message},
            status=status_of(exc),
        )
    return RedirectResponse("/me?done=reported", status_code=303)


async def api_report_activity(request: Request) -> Response:
    """``POST /api/me/activities`` (``date``, ``hours``, ``content``, ``place``): 201 with the
    new activity's id, status ``pending``."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    body = await site.body(request)
    activity_id = await site.run(actions.report_activity, ws, member_id, body)
    return JSONResponse({"id": activity_id, "status": "pending"}, status_code=201)


async def posts_page(request: Request) -> Response:
    """The posts the member may claim in their district, theirs marked."""
    site = Site.of(request)
    member_id, ws = site.member(request)

    def read() -> dict[str, Any]:
        member = ws.members.get(member_id)
        return {
            "posts": ws.post_catalog.for_district(member.district_code),
            "mine": set(member.posts),
        }

    return site.render(request, "posts.html", await site.run(read))


async def change_post(request: Request) -> Response:
    """``POST /me/posts`` (``post``, ``action`` claim|drop) from the posts page."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    form = await site.form(request)
    claim = form.get("action") != "drop"
    await site.run(actions.change_posts, ws, member_id, form.get("post", ""), claim=claim)
    return RedirectResponse("/me/posts", status_code=303)


async def api_change_post(request: Request) -> Response:
    """``POST /api/me/posts`` (``post``, ``action`` claim|drop): the posts now."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    body = await site.body(request)
    claim = body.get("action", "claim") != "drop"
    posts = await site.run(
        actions.change_posts, ws, member_id, str(body.get("post", "")), claim=claim
    )
    return JSONResponse({"posts": posts})


def _need_id(request: Request) -> int:
    try:
        return int(request.path_params["need_id"])
    except ValueError:
        raise NotFoundError("needs.not_found", "没有这条需求。") from None


async def claim_need(request: Request) -> Response:
    """``POST /me/needs/ID/claim``: claim an open need of one's community."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    await site.form(request)
    await site.run(actions.claim_need, ws, member_id, _need_id(request))
    return RedirectResponse("/me/posts", status_code=303)


async def api_claim_need(request: Request) -> Response:
    """``POST /api/me/needs/ID/claim``: the posts now."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    await site.body(request)
    posts = await site.run(actions.claim_need, ws, member_id, _need_id(request))
    return JSONResponse({"posts": posts})


def _wish_id(request: Request) -> int:
    try:
        return int(request.path_params["wish_id"])
    except ValueError:
        raise NotFoundError("wish.not_found", "没有这个微心愿。") from None


async def claim_wish(request: Request) -> Response:
    """``POST /me/wishes/ID/claim``: claim an open resident's wish of one's community."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    await site.form(request)
    await site.run(actions.claim_wish, ws, member_id, _wish_id(request))
    return RedirectResponse("/me?done=wish", status_code=303)


async def api_claim_wish(request: Request) -> Response:
    """``POST /api/me/wishes/ID/claim``: the wish, now claimed (resident not shown)."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    await site.body(request)
    wish_id = await site.run(actions.claim_wish, ws, member_id, _wish_id(request))
    return JSONResponse({"id": wish_id, "status": "claimed"})


def _change_context(ws: Any, member_id: int) -> dict[str, Any]:
    member = ws.members.get(member_id)
    return {
        "current": member.community.label,
        "changes": [_change_json(c) for c in actions.my_changes(ws, member_id)],
    }


async def change_page(request: Request) -> Response:
    """The change-of-community form and the member's requests."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    return site.render(request, "change.html", await site.run(_change_context, ws, member_id))


async def request_change(request: Request) -> Response:
    """``POST /me/change`` (``to``, ``reason``); a refusal shows the form again with it."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    form = await site.form(request)
    try:
        await site.run(actions.request_change, ws, member_id, form)
    except PartyregError as exc:
        context = await site.run(_change_context, ws, member_id)
        values = {**context, "form": form, "error": exc.message}
        return site.render(request, "change.html", values, status=status_of(exc))
    return RedirectResponse("/me?done=changed", status_code=303)


async def api_request_change(request: Request) -> Response:
    """``POST /api/me/change`` (``to``, ``reason``): 201 with the request."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    body = await site.body(request)
    change = await site.run(actions.request_change, ws, member_id, body)
    return JSONResponse(_change_json(change), status_code=201)


async def api_changes(request: Request) -> Response:
    """``GET /api/me/changes``: the member's change requests."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    changes = await site.run(actions.my_changes, ws, member_id)
    return JSONResponse([_change_json(c) for c in changes])


routes = [
    Route("/me", me_page, methods=["GET"]),
    Route("/me/activities/new", new_activity_page, methods=["GET"]),
    Route("/me/activities", report_activity, methods=["POST"]),
    Route("/me/posts", posts_page, methods=["GET"]),
    Route("/me/posts", change_post, methods=["POST"]),
    Route("/me/needs/{need_id}/claim", claim_need, methods=["POST"]),
    Route("/me/wishes/{wish_id}/claim", claim_wish, methods=["POST"]),
    Route("/me/change", change_page, methods=["GET"]),
    Route("/me/change", request_change, methods=["POST"]),
    Route("/api/me", api_me, methods=["GET"]),
    Route("/api/members/{member_id}", api_member, methods=["GET"]),
    Route("/api/me/activities", api_report_activity, methods=["POST"]),
    Route("/api/me/posts", api_change_post, methods=["POST"]),
    Route("/api/me/needs/{need_id}/claim", api_claim_need, methods=["POST"]),
    Route("/api/me/wishes/{wish_id}/claim", api_claim_wish, methods=["POST"]),
    Route("/api/me/change", api_request_change, methods=["POST"]),
    Route("/api/me/changes", api_changes, methods=["GET"]),
]
