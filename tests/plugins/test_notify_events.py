"""The built-in listener: each event of the contract → the right targets and a short Chinese
text without full phone numbers; other events → nothing. Then through a real workspace: the
events fired with ``Workspace._changed`` land in the outbox addressed as the table says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.notify.model import NotifyConfig, OutboxStatus, Target
from partyreg_core.notify.rules import mask_phones_in_text
from partyreg_core.operators.model import Role
from partyreg_core.ports import Change
from partyreg_core.workspace import Workspace
from partyreg_plugins.notify_events import notices_for
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support

AT = datetime(2024, 9, 8, 2, 0, tzinfo=UTC)
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
NAMES = {
    ("org", "008.001"): "清河区委",
    ("org", "008.001.004"): "清河区民政局党组",
    ("community", "12"): "清河区 河下街道 河下社区",
    ("community", "15"): "清河区 水渡口街道 东湖社区",
}


def names(kind: str, key: str) -> str | None:
    return NAMES.get((kind, key))


def change(action: str, subject: str, after: dict[str, Any]) -> Change:
    return Change(actor="qinghe", at=AT, action=action, subject=subject, after=after)


ROUTED = {
    "community_id": 12,
    "community": "清河区 河下街道 河下社区",
    "district_code": "008.001",
    "instructor_ids": [3, 4],
    "count": 2,
    "members": [
        {"id": 31, "name": "张三", "unit_code": "008.001.004"},
        {"id": 30, "name": "李四", "unit_code": "008.001.004"},
    ],
}
CHANGE = {
    "id": 9,
    "member_id": 31,
    "name": "张三",
    "unit_code": "008.001.004",
    "from_community_id": 12,
    "to_community_id": 15,
    "to": "清河区 水渡口街道 东湖社区",
    "reason": "搬家，联系 13912345678",
    "decided_by": None,
}
REMIND = {
    "code": "008.001.004",
    "name": "清河区民政局党组",
    "deadline": "registration",
    "deadline_label": "登记上报",
    "due": "2024-08-30",
    "days_left": 3,
    "expected": 40,
    "registered": 31,
    "routed": 0,
    "reported_in": 0,
}
FEEDBACK = {
    "number": "2024-000031",
    "member_id": 31,
    "name": "张三",
    "unit_code": "008.001.004",
    "year": 2024,
    "community_id": 12,
    "confirmed_by": "王书记",
}
NEEDS = {
    "community_id": 12,
    "community": "清河区 河下街道 河下社区",
    "year": 2024,
    "needs": [
        {
            "post_code": "1",
            "post": "政策宣传岗",
            "people": 3,
            "purpose": "宣讲，咨询 0517-83601234",
        },
        {"post_code": "8", "post": "医疗卫生保健岗", "people": 2, "purpose": ""},
    ],
}


def test_route_routed_goes_to_the_community_and_each_instructor() -> None:
    found = notices_for(change("route.routed", "community:12", ROUTED), names)
    assert [n.target for n in found] == [
        Target.community(12),
        Target.instructor(3),
        Target.instructor(4),
    ]
    first = found[0]
    assert first.subject == "【新分流】2 名在职党员到清河区 河下街道 河下社区报到"
    assert "张三（清河区民政局党组（008.001.004））" in first.body and "李四" in first.body
    assert {n.community_id for n in found} == {12}
    assert {str(n.district_code) for n in found} == {"008.001"}
    # the same members routed again is the same event; other members are another
    again = notices_for(change("route.routed", "community:12", dict(ROUTED)), names)
    assert again[0].identity == first.identity
    other = dict(ROUTED, members=[{"id": 32, "name": "王五", "unit_code": "008.001.004"}])
    assert notices_for(change("route.routed", "community:12", other), names)[0].identity != (
        first.identity
    )


def test_route_queued_goes_to_the_district() -> None:
    [notice] = notices_for(
        change("route.queued", "org:008.001", {"district_code": "008.001", "count": 5}), names
    )
    assert notice.target == Target.org("008.001")
    assert notice.subject == "【待处理】5 名党员的报到社区待确认"
    assert notice.body.startswith("清河区委：有 5 名") and "partyreg route queue" in notice.body


def test_change_events_go_to_the_unit_and_both_communities() -> None:
    for action, title in (
        ("change.requested", "【变更申请】"),
        ("change.approved", "【变更已批准】"),
        ("change.rejected", "【变更未批准】"),
    ):
        after = dict(CHANGE, decided_by=None if action == "change.requested" else "民政局党组")
        found = notices_for(change(action, "change:9", after), names)
        assert [n.target for n in found] == [
            Target.org("008.001.004"),
            Target.community(12),
            Target.community(15),
        ]
        body = found[0].body
        assert found[0].subject == f"{title}张三 的报到社区"
        assert "清河区 河下街道 河下社区" in body and "清河区 水渡口街道 东湖社区" in body
        assert "139****5678" in body and not FULL_PHONE.search(body)
        assert ("审批人：民政局党组" in body) == (action != "change.requested")
    # a member without a community yet: only the unit and the new community
    first = dict(CHANGE, from_community_id=None)
    assert [n.target for n in notices_for(change("change.requested", "change:9", first))] == [
        Target.org("008.001.004"),
        Target.community(15),
    ]


def test_progress_remind_is_one_summary_for_the_unit() -> None:
    [notice] = notices_for(change("progress.remind", "org:008.001.004", REMIND), names)
    assert notice.target == Target.org("008.001.004")
    assert notice.subject == "【进度提醒】登记上报还有 3 天（8 月 30 日）截止"
    assert "应登记 40 人，已登记 31 人，已分流 0 人，已报到 0 人" in notice.body
    late = notices_for(
        change("progress.remind", "org:008.001", dict(REMIND, code="008.001", days_left=-2))
    )[0]
    assert late.target == Target.org("008.001") and "已逾期 2 天" in late.subject
    today = notices_for(change("progress.remind", "org:008.001", dict(REMIND, days_left=0)))[0]
    assert "今天（8 月 30 日）截止" in today.subject
    # reminding twice on the same day is the same message
    assert notice.identity == notices_for(change("progress.remind", "x", dict(REMIND)))[0].identity


def test_feedback_confirmed_goes_to_the_unit() -> None:
    [notice] = notices_for(change("feedback.confirmed", "feedback:2024-000031", FEEDBACK), names)
    assert notice.target == Target.org("008.001.004")
    assert notice.subject == "【反馈单已确认】张三 2024 年度实绩反馈单"
    assert "2024-000031" in notice.body and "清河区 河下街道 河下社区确认（王书记）" in notice.body


def test_needs_published_goes_to_the_community() -> None:
    [notice] = notices_for(change("needs.published", "community:12", NEEDS), names)
    assert notice.target == Target.community(12)
    assert notice.subject == "【服务需求】清河区 河下街道 河下社区 2024 年服务项目清单"
    assert "1. 政策宣传岗：3 人，宣讲，咨询 0517-****1234" in notice.body
    assert "2. 医疗卫生保健岗：2 人" in notice.body


def test_other_events_send_nothing() -> None:
    for action in ("member.add", "operator.add", "setting.change", "notify.retry"):
        assert notices_for(change(action, "x", {"id": 1})) == []


@given(st.text(alphabet="0123456789-+ 电话联系abc，", max_size=60))
def test_masking_leaves_no_full_mobile_number(text: str) -> None:
    masked = mask_phones_in_text(text)
    assert not FULL_PHONE.search(masked)
    assert len(masked) == len(text)


# ---------------------------------------------------------------------------------------------
# through the workspace
# ---------------------------------------------------------------------------------------------


def test_each_event_reaches_the_outbox_addressed_to_its_targets(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = SqlStore(url)
    support.init_store(store)
    d = support.make_district(store, units=2, communities=2)
    store.close()
    ws = Workspace(url, os_user=support.OS_USER, clock=lambda: AT)
    ws.notify.config = NotifyConfig(deliver_immediately=False)
    c1, c2 = d.communities
    unit = str(d.units[0])
    events = [
        ("route.routed", dict(ROUTED, community_id=c1.id, district_code=str(d.code))),
        ("route.queued", {"district_code": str(d.code), "count": 2}),
        (
            "change.approved",
            dict(
                CHANGE,
                unit_code=unit,
                from_community_id=c1.id,
                to_community_id=c2.id,
                decided_by="x",
            ),
        ),
        ("progress.remind", dict(REMIND, code=unit)),
        ("feedback.confirmed", dict(FEEDBACK, unit_code=unit, community_id=c2.id)),
        ("needs.published", dict(NEEDS, community_id=c2.id)),
    ]
    for action, after in events:
        ws._changed(action, "subject", None, after)
    messages = ws.notify.messages()
    by_event: dict[str, list[str]] = {}
    for m in sorted(messages, key=lambda m: m.id):
        by_event.setdefault(m.event, []).append(str(m.target))
    assert by_event == {
        "route.routed": [f"community:{c1.id}", "instructor:3", "instructor:4"],
        "route.queued": [f"org:{d.code}"],
        "change.approved": [f"org:{unit}", f"community:{c1.id}", f"community:{c2.id}"],
        "progress.remind": [f"org:{unit}"],
        "feedback.confirmed": [f"org:{unit}"],
        "needs.published": [f"community:{c2.id}"],
    }
    # no channel anywhere: all skipped, and said so
    assert {m.status for m in messages} == {OutboxStatus.SKIPPED}
    assert ws.notify.counts()[OutboxStatus.SKIPPED] == len(messages) == 10
    # a district operator sees what is addressed within its district
    store = SqlStore(url)
    district_op = support.add_operator(store, Role.DISTRICT, d.code)
    store.close()
    seen = Workspace(url, os_user=district_op.name, clock=lambda: AT).notify.messages()
    assert {m.id for m in seen} >= {
        m.id for m in messages if m.district_code == d.code or str(m.target).startswith("org:")
    }
    ws.close()
