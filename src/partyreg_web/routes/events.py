"""Check-in at a community's event, the member's confirmed 附表3 as a download, and the public
check of a certificate's serial and code (``/verify``): decisions 0125, 0127, 0128.

Check-ins and checks are rate-limited on their own (a six-digit code, an eight-symbol check
code: guessing must stay slow); ``/verify`` shows only the kind of document, the name, the
unit, the community and the date.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from partyreg_core.errors import NotFoundError, PartyregError, ValidationError
from partyreg_core.events.model import CheckIn, Event
from partyreg_core.feedback.model import SheetState
from partyreg_core.workspace import Workspace
from partyreg_web.site import Site, client_address

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "community": event.community_name,
        "date": event.day.isoformat(),
        "start": f"{event.start:%H:%M}",
        "end": f"{event.end:%H:%M}",
        "content": event.content,
        "place": event.place,
    }


def _check_in_json(done: CheckIn, ws: Workspace) -> dict[str, Any]:
    at = (done.attendance.checked_out_at or done.attendance.checked_in_at).astimezone(
        ws.events.zone
    )
    return {"event": _event_json(done.event), "kind": done.kind.value, "at": f"{at:%H:%M}"}


# -- check-in ---------------------------------------------------------------------------------


async def check_in_page(request: Request) -> Response:
    """``GET /checkin``: today's open events of the member's community and the code form
    (``?code=`` from the event's QR code fills it in)."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    events = await site.run(ws.events.open_for_member, member_id)
    code = request.query_params.get("code", "")[:12]
    return site.render(
        request, "events/checkin.html", {"events": [_event_json(e) for e in events], "code": code}
    )


def _limit_check_in(site: Site, member_id: int) -> None:
    site.limit("checkin", f"member:{member_id}", site.settings.limits.check_in)


async def check_in(request: Request) -> Response:
    """``POST /checkin`` (``code``): check in, or out; the page again with what happened."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    form = await site.form(request, kind="checkin")
    _limit_check_in(site, member_id)
    events = [_event_json(e) for e in await site.run(ws.events.open_for_member, member_id)]
    try:
        done = await site.run(ws.events.check_in, member_id, form.get("code", ""))
    except PartyregError as exc:
        context = {"events": events, "code": form.get("code", "")[:12], "error": exc.message}
        return site.render(request, "events/checkin.html", context, status=400)
    return site.render(
        request, "events/checkin.html", {"events": events, "done": _check_in_json(done, ws)}
    )


async def api_check_in(request: Request) -> Response:
    """``POST /api/me/checkin`` (``code``): 201 with the event, ``in`` or ``out`` and the time."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    body = await site.body(request, kind="checkin")
    _limit_check_in(site, member_id)
    done = await site.run(ws.events.check_in, member_id, str(body.get("code", "")))
    return JSONResponse(_check_in_json(done, ws), status_code=201)


# -- 附表3 ------------------------------------------------------------------------------------


def _my_sheets(ws: Workspace, member_id: int) -> list[dict[str, Any]]:
    """The member's feedback sheets, one per year they have activities in (the campaign
    year's while they have none)."""
    years = {a.day.year for a in ws.feedback.activities(member_id=member_id)} or {ws.default_year()}
    found = []
    for year in sorted(years, reverse=True):
        for sheet in ws.feedback.sheets(year, member_id=member_id):
            confirmed = sheet.state is not SheetState.DRAFT
            found.append(
                {
                    "year": year,
                    "number": sheet.number,
                    "hours": sheet.hours,
                    "activities": sheet.activities,
                    "confirmed": confirmed,
                    "confirmed_on": sheet.confirmed_on.isoformat() if sheet.confirmed_on else None,
                    "download": f"/me/form3/{year}.xlsx" if confirmed else None,
                }
            )
    return found


async def form3_page(request: Request) -> Response:
    """``GET /me/form3``: the member's sheets by year, the confirmed ones to download."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    sheets = await site.run(_my_sheets, ws, member_id)
    return site.render(request, "events/form3.html", {"sheets": sheets})


async def api_form3(request: Request) -> Response:
    """``GET /api/me/form3``: the member's sheets by year (``download`` when confirmed)."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    return JSONResponse(await site.run(_my_sheets, ws, member_id))


def _form3_file(ws: Workspace, member_id: int, year: int) -> bytes:
    """The member's confirmed 附表3 of ``year``, written by the 附表3 export (audited as the
    member taking their own sheet)."""
    sheets = ws.feedback.sheets(year, member_id=member_id)
    if not sheets or sheets[0].state is SheetState.DRAFT:
        raise NotFoundError(
            "form3.not_confirmed",
            f"你 {year} 年的实绩反馈单还没有经社区盖章确认：确认后才能下载。",
        )
    with tempfile.TemporaryDirectory(prefix="partyreg-form3-") as folder:
        target = Path(folder) / f"form3-{year}.xlsx"
        ws.export("form3", target, {"member": member_id, "year": year}, reason="党员本人下载")
        return target.read_bytes()


async def form3_download(request: Request) -> Response:
    """``GET /me/form3/YEAR.xlsx``: the member's confirmed sheet of that year."""
    site = Site.of(request)
    member_id, ws = site.member(request)
    try:
        year = int(request.path_params["year"])
    except ValueError:
        raise ValidationError("form3.year", "年度应为四位数字，如 2014。") from None
    if not 2000 <= year <= 2100:
        raise ValidationError("form3.year", "年度应为四位数字，如 2014。")
    data = await site.run(_form3_file, ws, member_id, year)
    name = quote(f"实绩反馈单-{year}.xlsx")
    return Response(
        data,
        media_type=XLSX,
        headers={
            "content-disposition": f"attachment; filename=form3-{year}.xlsx; filename*=UTF-8''{name}"
        },
    )


# -- verify -----------------------------------------------------------------------------------


def _verify(ws: Workspace, serial: str, code: str) -> dict[str, Any]:
    document = ws.verify_document(serial, code)
    if document is None:
        return {"serial": serial.strip(), "genuine": False, "valid": False}
    facts = ws.verified_facts(document)
    return {
        "serial": document.serial,
        "genuine": True,
        "valid": document.holds,
        "status": document.status.value,
        "standing": document.standing(),
        "kind": facts.kind,
        "name": facts.name,
        "unit": facts.unit,
        "community": facts.community,
        "date": facts.day.isoformat(),
    }


def _checked(request: Request) -> tuple[str, str] | None:
    serial = request.query_params.get("serial", "").strip()[:64]
    code = request.query_params.get("code", "").strip()[:32]
    if not serial and not code:
        return None
    site = Site.of(request)
    site.limit("verify", client_address(request), site.settings.limits.verify)
    return serial, code


async def verify_page(request: Request) -> Response:
    """``GET /verify[?serial=…&code=…]``: the form, and the result for anyone."""
    site = Site.of(request)
    asked = _checked(request)
    result = await site.run(_verify, site.workspace, *asked) if asked else None
    serial, code = asked or ("", "")
    return site.render(
        request, "events/verify.html", {"result": result, "serial": serial, "code": code}
    )


async def api_verify(request: Request) -> Response:
    """``GET /api/verify?serial=…&code=…``: the same as JSON."""
    site = Site.of(request)
    asked = _checked(request)
    if asked is None:
        raise ValidationError("verify.missing", "请给出编号（serial）和校验码（code）。")
    return JSONResponse(await site.run(_verify, site.workspace, *asked))


routes = [
    Route("/checkin", check_in_page, methods=["GET"]),
    Route("/checkin", check_in, methods=["POST"]),
    Route("/api/me/checkin", api_check_in, methods=["POST"]),
    Route("/me/form3", form3_page, methods=["GET"]),
    Route("/api/me/form3", api_form3, methods=["GET"]),
    Route("/me/form3/{year}.xlsx", form3_download, methods=["GET"]),
    Route("/verify", verify_page, methods=["GET"]),
    Route("/api/verify", api_verify, methods=["GET"]),
]
