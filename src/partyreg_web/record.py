"""A member's own record as the site shows it (the same data for the page and ``/api/me``).

Everything is read through the workspace acting for the member; this module only arranges
it. Nothing here decides what the member may see beyond choosing their own rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from partyreg_core.communities import Community
from partyreg_core.errors import NotFoundError
from partyreg_core.members.model import Member, MemberStatus
from partyreg_core.service.model import Need
from partyreg_core.wishes.model import Wish
from partyreg_core.workspace import Workspace

STATUS_LABELS = {
    MemberStatus.REGISTERED: "已登记，待分配社区",
    MemberStatus.ROUTED: "已分配社区，待报到",
    MemberStatus.REPORTED_IN: "已到社区报到",
}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def community_json(community: Community) -> dict[str, Any]:
    """A community with its contacts as 附表4 lists them (an office's, not residents')."""
    return {
        "id": community.id,
        "district": community.district,
        "street": community.street,
        "name": community.name,
        "label": community.label,
        "phone": community.phone,
        "qq_group": community.qq_group,
        "secretary": community.secretary,
        "mobile": community.mobile,
        "address": community.address,
    }


def need_json(ws: Workspace, need: Need, community: Community) -> dict[str, Any]:
    """A row of a community's needs list (no residents' personal data is kept in one)."""
    return {
        "id": need.id,
        "year": need.year,
        "post_code": need.post_code,
        "post": ws.service.post_name(need.post_code, community.district_code),
        "people": need.people,
        "purpose": need.purpose,
        "start_on": _day(need.start_on),
        "end_on": _day(need.end_on),
        "published_on": _day(need.published_on),
    }


def wish_json(ws: Workspace, wish: Wish, community: Community) -> dict[str, Any]:
    """A resident's wish as a member sees it: what, which post, by when, where it stands —
    never the resident's name or phone (the community contacts the resident; decision 0130)."""
    return {
        "id": wish.id,
        "title": wish.title,
        "post": ws.service.post_name(wish.post_code, community.district_code)
        if wish.post_code
        else None,
        "due": _day(wish.due),
        "received_on": _day(wish.received_on),
        "status": wish.status.value,
        "status_label": wish.status.label,
        "rating": wish.rating.value if wish.rating else None,
    }


def open_needs(
    ws: Workspace, community: Community, year: int, today: date, read: list[Need] | None = None
) -> list[Need]:
    """The community's published needs of ``year`` that have not ended (of ``read``, the
    needs list already read, when given)."""
    found = read if read is not None else ws.service.needs(community.id, year=year)
    return [
        n for n in found if n.published_on is not None and (n.end_on is None or n.end_on >= today)
    ]


def registration_json(ws: Workspace, member: Member) -> dict[str, Any]:
    """The member's 附表1 row and where it stands."""
    district = member.district_code
    return {
        "id": member.id,
        "name": member.name,
        "gender": member.gender.value,
        "unit_code": str(member.unit_code),
        "unit_and_title": member.unit_and_title,
        "phone": member.phone,
        "address": member.address,
        "specialty": member.specialty,
        "rank": member.rank,
        "report_type": member.report_type.value,
        "community_registered": member.community.label,
        "posts": [{"code": p, "name": ws.service.post_name(p, district)} for p in member.posts],
        "status": member.status.value,
        "status_label": STATUS_LABELS.get(member.status, member.status.value),
        "registered_on": _day(member.registered_on),
        "routed_on": _day(member.routed_on),
        "reported_on": _day(member.reported_on),
        "left_on": _day(member.left_on),
    }


def rejected_reports(ws: Workspace, member_id: int, year: int) -> list[dict[str, Any]]:
    """The member's self-reports of ``year`` the community rejected, with its reason: a
    rejected report is removed (decision 0046), so the audit log is where it is kept."""
    found = []
    for entry in ws.audit(action="activity.reject", since=date(year, 1, 1)):
        before, after = entry.before or {}, entry.after or {}
        if before.get("member_id") != member_id or not str(before.get("day", "")).startswith(
            str(year)
        ):
            continue
        found.append(
            {
                "id": int(entry.subject.partition(":")[2] or 0),
                "date": before.get("day"),
                "content": before.get("content", ""),
                "hours": before.get("hours"),
                "reason": after.get("reason", ""),
                "status": "rejected",
                "status_label": "已退回",
                "rejected_on": entry.at.date().isoformat(),
            }
        )
    return found


#: How a community's shared part of a record is read: ``(ws, community_id, year, today)``.
CommunityView = Callable[[Workspace, int, int, date], dict[str, Any]]


def community_view(ws: Workspace, community_id: int, year: int, today: date) -> dict[str, Any]:
    """What every member of a community sees alike and only its operators change: the
    community and its contacts, its needs list, assignment, groups and open needs of ``year``
    (the site keeps it a few seconds for all of them)."""
    community = ws.service.communities_of([community_id])[0]
    needs = ws.service.needs(community.id, year=year)
    return {
        "community": community,
        "json": community_json(community),
        "post_names": {
            p.code: p.name for p in ws.post_catalog.for_district(community.district_code)
        },
        "needs": needs,
        "assignments": ws.service.assignments(community.id, year=year),
        "groups": ws.service.groups(community.id, year=year),
        "open_needs": [
            need_json(ws, n, community) for n in open_needs(ws, community, year, today, needs)
        ],
    }


def my_record(
    ws: Workspace, member_id: int, year: int | None = None, view: CommunityView | None = None
) -> dict[str, Any]:
    """What ``/api/me`` answers: registration, unit, community and contacts, claimed posts,
    groups and leader, assigned posts, the activities and hours of ``year`` (default: the
    campaign year). ``view`` reads the community's shared part (default: now)."""
    member = ws.members.get(member_id)
    year = year or ws.default_year()
    today = ws.today()
    try:
        unit_name = ws.code(member.unit_code).name
    except NotFoundError:
        unit_name = ""
    record: dict[str, Any] = {
        "year": year,
        "registration": registration_json(ws, member),
        "unit": {"code": str(member.unit_code), "name": unit_name},
        "community": None,
        "groups": [],
        "assignments": [],
        "open_needs": [],
        "open_wishes": [],
        "my_wishes": [],
    }
    if member.community_id is not None:
        shared = (view or community_view)(ws, member.community_id, year, today)
        community: Community = shared["community"]
        post_names: dict[str, str] = shared["post_names"]
        needs: list[Need] = shared["needs"]
        record["community"] = shared["json"]
        for assignment in shared["assignments"]:
            if assignment.member_id != member_id:
                continue
            of_post = [n for n in needs if n.post_code == assignment.post_code]
            record["assignments"].append(
                {
                    "post_code": assignment.post_code,
                    "post": post_names.get(assignment.post_code, assignment.post_code),
                    "reason": assignment.reason,
                    "assigned_on": _day(assignment.assigned_on),
                    "needs": [need_json(ws, n, community) for n in of_post],
                }
            )
        for group in shared["groups"]:
            if member_id not in group.member_ids:
                continue
            leader = None
            if group.leader_id is not None:
                leader = {
                    "id": group.leader_id,
                    "name": ws.members.get(group.leader_id).name,
                    "is_me": group.leader_id == member_id,
                }
            record["groups"].append(
                {
                    "id": group.id,
                    "name": group.name,
                    "post": post_names.get(group.post_code, group.post_code),
                    "size": len(group.member_ids),
                    "leader": leader,
                }
            )
        record["open_needs"] = shared["open_needs"]
        # members claim wishes: read now, never kept
        record["open_wishes"] = [
            wish_json(ws, w, community)
            for w in ws.wishes.find(community=str(community.id), statuses=["open"])
        ]
        record["my_wishes"] = [
            wish_json(ws, w, community)
            for w in ws.wishes.find(member_id=member_id)
            if w.community_id == community.id
        ]
    activities = ws.feedback.activities(member_id=member_id, year=year)
    record["activities"] = [
        {
            "id": a.id,
            "date": a.day.isoformat(),
            "hours": a.hours,
            "content": a.content,
            "place": a.place,
            "kind": a.kind,
            "rating": a.rating.value,
            "self_reported": a.self_reported,
            "status": "confirmed" if a.confirmed else "pending",
            "status_label": "已确认" if a.confirmed else "待社区确认",
        }
        for a in activities
    ]
    record["rejected"] = rejected_reports(ws, member_id, year)
    record["hours"] = {
        "confirmed": round(sum(a.hours for a in activities if a.confirmed), 2),
        "pending": round(sum(a.hours for a in activities if not a.confirmed), 2),
    }
    record["points"] = ws.points.show(member_id, year=year).balance
    return record
