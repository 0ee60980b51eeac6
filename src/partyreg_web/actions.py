"""The member's writes, as the site calls them: each a facade call acting for the member.

The text a member typed goes to the core's own parsers (the one date parser, the hours
normaliser) and then to the same workspace methods the CLI calls, so every rule — closed
years, 24 hours a day, members who left, posts valid in the district — refuses here exactly
as it refuses there. Nothing here adds a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from partyreg_core.changes import ChangeRequest
from partyreg_core.dates import not_after, parse_date
from partyreg_core.errors import NotFoundError, ValidationError
from partyreg_core.feedback.rules import ACTIVITY_DATE_FIX
from partyreg_core.normalize import normalize_hours
from partyreg_core.records import Rating
from partyreg_core.workspace import Workspace

#: The rating a self-report is stored with until the community rates it (``activity edit
#: ID --rating``; decision 0119): 附表3 needs one, and the member does not rate themself.
SELF_REPORT_RATING = Rating.GOOD


def _text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else ""


def report_activity(ws: Workspace, member_id: int, fields: Mapping[str, Any]) -> int:
    """Self-report an activity (``date``, ``hours``, ``content``, ``place``): stored as
    pending until the community confirms it. Returns its id."""
    # the date as activity add reads it: the one parser, then not after today
    day = parse_date(_text(fields, "date"), what="活动日期")
    day = not_after(day, ws.today(), what="活动日期", fix=ACTIVITY_DATE_FIX)
    hours = normalize_hours(_text(fields, "hours"))
    content = _text(fields, "content").strip()
    if not content:
        raise ValidationError("activity.content", "活动内容为空：请写明做了什么。")
    ids = ws.feedback.record_activity(
        member_id,
        day,
        content,
        hours,
        SELF_REPORT_RATING,
        place=_text(fields, "place"),
        self_reported=True,
        # the year the activity happened in (``activity add --year`` of its date): a member
        # reports a day, not a campaign year; a closed year is still refused
        year=day.year,
    )
    return ids[0]


def change_posts(ws: Workspace, member_id: int, post: str, *, claim: bool) -> list[str]:
    """Claim (``claim``) or drop a post: the member's 附表1 row is edited as ``members edit
    --posts`` edits it (at least one post, valid in the district). Returns the posts now."""
    member = ws.members.get(member_id)
    found = ws.post_catalog.get(post, member.district_code)
    if found is None:
        raise ValidationError(
            "posts.unknown", f"岗位“{post}”不在你所在县区可认领的岗位中：请从列表中选择。"
        )
    posts = list(member.posts)
    if claim and found.code not in posts:
        posts.append(found.code)
    elif not claim:
        if found.code not in posts:
            raise ValidationError("posts.not_claimed", f"你没有认领“{found.name}”。")
        posts.remove(found.code)
    saved, _warnings = ws.members.edit(member_id, {"posts": "、".join(posts)})
    return list(saved.posts)


def claim_need(ws: Workspace, member_id: int, need_id: int) -> list[str]:
    """Claim an open need of the member's community: its post joins the posts the member
    claims, which the community's next assignment weighs (decision 0118)."""
    member = ws.members.get(member_id)
    if member.community_id is None:
        raise NotFoundError("needs.not_found", "你还没有分配到社区：分配后才能认领社区的需求。")
    need = next(
        (
            n
            for n in ws.service.needs(member.community_id)
            if n.id == need_id and n.published_on is not None
        ),
        None,
    )
    if need is None:
        raise NotFoundError("needs.not_found", f"你所在社区没有编号为 {need_id} 的公开需求。")
    return change_posts(ws, member_id, need.post_code, claim=True)


def request_change(ws: Workspace, member_id: int, fields: Mapping[str, Any]) -> ChangeRequest:
    """Apply for a change of community (``to``: 县区/街道/社区 or a directory id; ``reason``)
    through the change-request flow that units and communities decide."""
    return ws.routing.request_change(member_id, _text(fields, "to"), _text(fields, "reason"))


def my_changes(ws: Workspace, member_id: int) -> list[ChangeRequest]:
    """The member's own change requests, newest first."""
    return [c for c in ws.routing.change_requests() if c.member_id == member_id]


def claim_wish(ws: Workspace, member_id: int, wish_id: int) -> int:
    """Claim an open resident's wish of the member's own community, as ``wishes claim ID
    --member ID`` claims it (the member must serve there). Returns the wish's id."""
    member = ws.members.get(member_id)
    if member.community_id is None:
        raise NotFoundError("wish.not_found", "你还没有分配到社区：分配后才能认领社区的微心愿。")
    open_ids = {w.id for w in ws.wishes.find(community=str(member.community_id), statuses=["open"])}
    if wish_id not in open_ids:
        raise NotFoundError("wish.not_found", f"你所在社区没有编号为 {wish_id} 的待认领微心愿。")
    return ws.wishes.claim(wish_id, member_id).id
