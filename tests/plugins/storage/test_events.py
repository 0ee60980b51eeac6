"""Community events in both backends: who may announce and close, a check-in audited as the
member, attendance read within scope, closing records the activities and marks the event in
one transaction (decision 0125)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time

import attrs
import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.events.model import Event, EventStatus
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.operators.model import Role
from partyreg_core.records import Rating
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district, registration

_codes = itertools.count(100_000)


def _event(community_id: int, day: date = date(2024, 10, 12)) -> Event:
    return Event(community_id, day, time(9), time(11, 30), "清理楼道", f"{next(_codes)}", "三号楼")


def _setup(store: SqlStore):  # type: ignore[no-untyped-def]
    d = make_district(store)
    ids = support.register(
        store, support.city(store), [registration(d.units[0], d.communities[0]) for _ in range(3)]
    )
    support.route(store, ids, d, 0)
    return d, ids


def test_events_are_written_by_the_communitys_operators_and_read_by_all(store: SqlStore) -> None:
    d, _ids = _setup(store)
    other = make_district(store)
    cid = d.communities[0].id
    community = support.add_operator(store, Role.COMMUNITY, communities=[cid])
    event = store.events.add_event(community, _event(cid))
    assert event.id is not None and event.status is EventStatus.OPEN
    assert (event.created_by, event.start, event.end) == (
        community.real_name,
        time(9),
        time(11, 30),
    )
    assert d.communities[0].name in event.community_name
    outsider = support.add_operator(store, Role.DISTRICT, other.code)
    with pytest.raises(NotPermittedError):
        store.events.add_event(outsider, _event(cid))
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    with pytest.raises(NotPermittedError):
        store.events.add_event(unit, _event(cid))
    # the same code twice among the community's open events is refused (the service draws again)
    with pytest.raises(ConflictError) as clash:
        store.events.add_event(
            community, Event(cid, date(2024, 10, 13), time(9), time(10), "x", event.code)
        )
    assert clash.value.code == "event.code_taken"
    assert [e.id for e in store.events.list_events(outsider, community_id=cid)] == [event.id]
    assert store.events.get_event(event.id) == event
    assert [e.id for e in store.events.open_events(community, cid)] == [event.id]
    with pytest.raises(NotFoundError):
        store.events.get_event(10**9)


def test_check_in_out_and_close_in_one_transaction(store: SqlStore) -> None:
    d, ids = _setup(store)
    cid = d.communities[0].id
    district = support.add_operator(store, Role.DISTRICT, d.code)
    event = store.events.add_event(district, _event(cid))
    at = datetime(2024, 10, 12, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    # the members' site acts through its own account for the signed-in member (member:ID)
    site = attrs.evolve(district, member=ids[0])
    came = store.events.record_check(site, ids[0], event, at, out=False)
    assert came.checked_in_at == at and came.checked_out_at is None
    later = datetime(2024, 10, 12, 2, 30, tzinfo=UTC)
    assert store.events.record_check(site, ids[0], event, later, out=True).checked_out_at == later
    store.events.record_check(district, ids[1], event, at, out=False)
    seen = store.events.attendance(district, event.id or 0)
    assert [(a.member_id, bool(a.name)) for a in seen] == [(ids[0], True), (ids[1], True)]
    other = support.add_operator(store, Role.DISTRICT, make_district(store).code)
    assert store.events.attendance(other, event.id or 0) == []  # no one outside the scope
    entries = [
        ServiceEntry(
            member_id=m, day=event.day, content=event.content, hours=2.5, rating=Rating.GOOD
        )
        for m in ids[:2]
    ]
    # a unit may not record activities: nothing is written, the event stays open
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    with pytest.raises(NotPermittedError):
        store.events.close_event(unit, event, entries, date(2024, 10, 12))
    assert store.events.get_event(event.id or 0).status is EventStatus.OPEN
    # an activity the store refuses (25 hours in one day) leaves the event open too
    too_long = [*entries[:1], ServiceEntry(ids[1], event.day, "x", 24.0, Rating.GOOD), entries[1]]
    with pytest.raises(ValidationError):
        store.events.close_event(district, event, too_long, date(2024, 10, 12))
    assert store.events.get_event(event.id or 0).status is EventStatus.OPEN
    new_ids = store.events.close_event(district, event, entries, date(2024, 10, 12))
    assert len(new_ids) == 2
    closed = store.events.get_event(event.id or 0)
    assert (closed.status, closed.closed_on) == (EventStatus.CLOSED, date(2024, 10, 12))
    with pytest.raises(ConflictError):
        store.events.close_event(district, event, entries, date(2024, 10, 12))
    assert {a.member_id for a in store.events.roster(district, cid)} == set(ids)
    actions = [
        (e.action, e.actor)
        for e in store.audit(support.city(store), AuditQuery())
        if e.subject == f"event:{event.id}"
    ]
    assert ("event.check_in", f"member:{ids[0]}") in actions
    assert ("event.check_out", f"member:{ids[0]}") in actions
    assert ("event.check_in", district.real_name) in actions  # ids[1], recorded by the district
    assert ("event.close", district.real_name) in actions
