"""Residents' wishes, the points ledger and nudges through the facade, on SQLite and on
PostgreSQL (each operator logged in as its own role there, so row-level security checks every
row the features write): the loop and its points in one transaction, masking by scope, the
append-only ledger, district rules where the city allows them, and a day's nudges planned,
queued and sent through real local servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import attrs
import pytest

from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, PartyregError
from partyreg_core.notify.model import NotifyConfig
from partyreg_core.nudges.model import NudgeKind, NudgeStatus
from partyreg_core.operators.model import Role
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.notifiers.conftest import RecordingServer, _serve
from tests.plugins.storage import support

# 2024-10-05 10:00 in Beijing (a Saturday)
MORNING = datetime(2024, 10, 5, 2, 0, tzinfo=UTC)
# 22:30 in Beijing: inside the default quiet hours
EVENING = datetime(2024, 10, 5, 14, 30, tzinfo=UTC)


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    yield from _serve(RecordingServer())


@attrs.define
class Place:
    store: SqlStore
    url: str
    district: support.District
    members: list[int]
    community: int
    operator: str

    def ws(self, name: str | None = None, clock: datetime = MORNING) -> Any:
        ws = support.operator_workspace(
            self.url, self.store, name or self.operator, clock=lambda: clock
        )
        ws.notify.config = NotifyConfig(deliver_immediately=False)
        return ws

    def city(self, clock: datetime = MORNING) -> Any:
        return self.ws(support.OS_USER, clock)


@pytest.fixture
def place(store: SqlStore, store_url: str) -> Place:
    district = support.make_district(store, units=1, communities=2)
    city = support.city(store)
    regs = [support.registration(district.units[0], district.communities[0]) for _ in range(3)]
    ids = support.register(store, city, regs)
    support.route(store, ids, district)  # routed 2024-09-05
    community = district.communities[0].id
    op = support.add_operator(store, Role.COMMUNITY, communities=[community])
    return Place(store, store_url, district, ids, community, op.name)


def _loop(ws: Any, member: int, community: int) -> int:
    wish = ws.wishes.add(str(community), "帮独居老人换灯泡", resident="王大妈",
                         phone="13912340077", received_on=date(2024, 10, 1))  # fmt: skip
    ws.wishes.claim(wish.id, member, on=date(2024, 10, 2))
    ws.wishes.done(wish.id, "已换好", on=date(2024, 10, 3))
    ws.wishes.rate(wish.id, "基本满意", on=date(2024, 10, 4))
    return int(wish.id)


def test_the_loop_earns_points_and_is_counted(place: Place) -> None:
    ws = place.ws()
    member = place.members[0]
    wish = _loop(ws, member, place.community)
    activity = ws.wishes.record_activity(wish, 2)
    assert ws.feedback.activity(activity).hours == 2
    shown = ws.points.show(member, year=2024)
    assert shown.balance == 5 + 1 + 2  # the wish, 基本满意, two hours
    assert {e.source.value for e in shown.entries} == {"wish", "rating", "activity"}
    tally = {t.key: t for t in ws.wishes.tally("community", year=2024)}
    line = tally[str(place.community)]
    assert (line.received, line.claimed, line.done, line.rated, line.basic) == (1, 1, 1, 1, 1)
    assert line.satisfaction_rate == 1.0
    with pytest.raises(ConflictError) as caught:
        ws.wishes.record_activity(wish, 1)
    assert caught.value.code == "wish.recorded"


def test_the_resident_is_masked_outside_the_community(place: Place, store: SqlStore) -> None:
    wish = _loop(place.ws(), place.members[0], place.community)
    assert place.ws().wishes.get(wish).resident_phone == "13912340077"
    district = support.add_operator(store, Role.DISTRICT, place.district.code)
    seen = place.ws(district.name).wishes.get(wish)
    assert (seen.resident_name, seen.resident_phone, seen.masked) == ("王**", "139****0077", True)
    other = support.add_operator(
        store, Role.COMMUNITY, communities=[place.district.communities[1].id]
    )
    with pytest.raises(NotFoundError):
        place.ws(other.name).wishes.get(wish)
    unit = support.add_operator(store, Role.UNIT, place.district.units[0])
    assert [w.id for w in place.ws(unit.name).wishes.find()] == [wish]  # its member's
    with pytest.raises(NotPermittedError):
        place.ws(unit.name).wishes.add(str(place.community), "x")


def test_the_ledger_is_append_only(place: Place) -> None:
    ws = place.ws()
    ws.points.adjust(place.members[1], 3, "社区表彰", on=date(2024, 10, 1))
    with support.raw_sql(place.store) as conn:
        for statement in ("UPDATE points_entries SET points = 100",
                          "DELETE FROM points_entries"):  # fmt: skip
            with pytest.raises(Exception, match="append-only"):
                conn.execute(statement)
    assert ws.points.show(place.members[1], year=2024).balance == 3


def test_a_district_sets_its_own_rules_only_where_the_city_allows(
    place: Place, store: SqlStore
) -> None:
    district = support.add_operator(store, Role.DISTRICT, place.district.code)
    dws = place.ws(district.name)
    with pytest.raises(PartyregError):
        dws.points.set_rules(["districts=yes"], effective_from=date(2024, 1, 1))
    place.city().points.set_rules(["districts=yes"], effective_from=date(2000, 1, 1))
    version = dws.points.set_rules(["per_hour=3"], effective_from=date(2024, 10, 2))
    assert version.district == place.district.code
    ws = place.ws()
    member = place.members[2]
    ws.feedback.record_activity(member, date(2024, 10, 1), "清扫", 2, "优", year=2024)
    ws.feedback.record_activity(member, date(2024, 10, 3), "清扫", 2, "优", year=2024)
    entries = ws.points.show(member, year=2024).entries
    assert [e.points for e in entries] == [2.0, 6.0]  # before and after the district's date
    assert entries[1].rule_id == version.id


def _channels(place: Place, server: RecordingServer) -> None:
    tag = uuid.uuid4().hex[:6]
    city = place.city()
    city.notify.add_channel(
        f"members:{place.district.code}", "sms", {"url": server.url + "/sms"}, name=f"sms-{tag}"
    )
    city.notify.add_channel(
        f"community:{place.community}", "webhook", {"url": server.url + "/community"},
        name=f"hook-{tag}",
    )  # fmt: skip


def test_a_days_nudges_are_planned_capped_opted_out_queued_and_sent(
    place: Place, http_server: RecordingServer
) -> None:
    first, second, third = place.members
    city = place.city()
    city.nudges.set_settings(["digest=周六", "cap=2"])
    ws = place.ws()
    ws.service.add_need(str(place.community), "8", 3, purpose="义诊", start=date(2024, 10, 6))
    ws.service.assign(str(place.community), year=2024)
    ws.wishes.add(str(place.community), "代买药品", received_on=date(2024, 10, 2))
    ws.feedback.record_activity(
        third, date(2024, 10, 2), "自报清扫", 1, "良", self_reported=True, year=2024
    )
    ws.nudges.opt_out(second, ["no_service"])
    plan = ws.nudges.plan()
    assert plan.on == date(2024, 10, 5)
    by = {(n.candidate.kind, str(n.candidate.target)): n.status for n in plan.nudges}
    assert by[(NudgeKind.NEED_TOMORROW, f"member:{first}")] is NudgeStatus.SEND
    assert by[(NudgeKind.NO_SERVICE, f"member:{first}")] is NudgeStatus.SEND
    assert by[(NudgeKind.NO_SERVICE, f"member:{second}")] is NudgeStatus.OPTED_OUT
    community = f"community:{place.community}"
    assert by[(NudgeKind.WISH_UNCLAIMED, community)] is NudgeStatus.SEND
    assert by[(NudgeKind.SELF_REPORT, community)] is NudgeStatus.SEND
    assert by[(NudgeKind.DIGEST, community)] is NudgeStatus.CAPPED  # the third to the community
    assert all("王大妈" not in n.candidate.body for n in plan.nudges)
    _channels(place, http_server)
    _plan, added = ws.nudges.enqueue()
    assert added and ws.nudges.enqueue()[1] == []  # the same day again adds nothing
    again = ws.nudges.plan()
    assert {n.status for n in again.nudges} <= {
        NudgeStatus.QUEUED, NudgeStatus.OPTED_OUT, NudgeStatus.CAPPED,
    }  # fmt: skip
    report = ws.notify.deliver()
    assert report.attempts and all(a.outcome.value == "sent" for a in report.attempts)
    paths = sorted(r.path for r in http_server.requests)
    assert paths.count("/community") == 2
    phones = {r.json()["phone"] for r in http_server.requests if r.path == "/sms"}
    assert len(phones) >= 2  # the members' own mobiles, read when sent
    texts = [r.json()["text"] for r in http_server.requests if r.path == "/sms"]
    assert any("明天" in t and "义诊" in t for t in texts)


def test_quiet_hours_defer_to_their_end(place: Place, http_server: RecordingServer) -> None:
    _channels(place, http_server)
    ws = place.ws(clock=EVENING)
    ws.wishes.add(str(place.community), "修理水管", received_on=date(2024, 10, 2))
    plan = ws.nudges.plan()
    wish = next(n for n in plan.nudges if n.candidate.kind is NudgeKind.WISH_UNCLAIMED)
    assert wish.status is NudgeStatus.DEFERRED
    assert wish.send_at == datetime(2024, 10, 6, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
    _plan, added = ws.nudges.enqueue()
    message = next(m for m in ws.notify.messages(ids=added) if m.event == "nudge.wish_unclaimed")
    assert message.status.value == "pending"
    assert message.next_attempt_at == datetime(2024, 10, 6, 0, 0, tzinfo=UTC)
    assert ws.notify.due(EVENING) == []


def test_retention_blanks_the_residents_of_closed_wishes(place: Place) -> None:
    wish = _loop(place.ws(), place.members[0], place.community)
    city = place.city(clock=datetime(2030, 1, 1, 2, 0, tzinfo=UTC))
    city.admin_login_ok = True
    report = city.run_retention()
    assert wish in report.wish_ids
    assert place.ws().wishes.get(wish).resident_name == ""
    with support.raw_sql(place.store) as conn:
        row = conn.execute(f"SELECT resident_phone, erased_on FROM wishes WHERE id = {wish}")
        phone, erased_on = row.fetchone()
    assert phone == "" and str(erased_on) == "2030-01-01"


def test_an_event_nudges_the_day_before_and_earns_points_when_closed(place: Place) -> None:
    first, second, _third = place.members
    ws = place.ws()
    event = ws.events.add(str(place.community), date(2024, 10, 6), time(9, 0), time(11, 0),
                          "党员奉献日：义务理发", place="社区服务中心")  # fmt: skip
    plan = ws.nudges.plan()  # 2024-10-05, the day before
    told = {n.candidate.member_id for n in plan.nudges
            if n.candidate.kind is NudgeKind.EVENT_TOMORROW}  # fmt: skip
    assert set(place.members) <= told
    text = next(n.candidate.body for n in plan.nudges if n.candidate.member_id == first)
    assert "义务理发" in text and "09:00–11:00" in text
    during = place.ws(clock=datetime(2024, 10, 6, 1, 30, tzinfo=UTC))  # 09:30 in Beijing
    during.events.check_in(first, event.code)
    after = place.ws(clock=datetime(2024, 10, 6, 4, 0, tzinfo=UTC))  # 12:00
    closing = after.events.close(event.id)
    assert [a.member_id for a in closing.attended] == [first]
    entries = after.points.show(first, year=2024).entries
    assert sorted((e.source.value, e.points) for e in entries) == [
        ("activity", 2.0),
        ("event", 2.0),
    ]
    assert after.points.show(second, year=2024).balance == 0
    # the plan of the event's own day no longer announces it (closed)
    assert not [n for n in after.nudges.plan(date(2024, 10, 5)).nudges
                if n.candidate.kind is NudgeKind.EVENT_TOMORROW]  # fmt: skip
