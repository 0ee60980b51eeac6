"""Notification channels and the outbox in the store, on SQLite and PostgreSQL alike: scope of
channel configuration, audit, idempotent enqueueing, who sees which message, claiming with a
lease, recording attempts, requeueing by hand; and, on PostgreSQL, the same rules inside the
database (row-level security)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError
from partyreg_core.notify.model import (
    Attempt,
    Channel,
    NewMessage,
    Notice,
    OutboxStatus,
    Outcome,
    Target,
)
from partyreg_core.notify.rules import idempotency_key
from partyreg_core.operators.model import Role
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district

NOW = datetime(2024, 9, 8, 2, 0, tzinfo=UTC)


def _channel(target: Target, name: str | None = None) -> Channel:
    name = name or f"c{support.person()[1]}"
    return Channel(name, target, "webhook", {"url": "http://127.0.0.1:9/hook"})


def _notice(target: Target, identity: str = "1", community: int | None = None) -> Notice:
    return Notice(
        "route.routed", target, "【新分流】测试", "正文", identity, community_id=community
    )


def _enqueue(store: SqlStore, actor, notice: Notice, channel: str = "") -> list[int]:  # type: ignore[no-untyped-def]
    status = OutboxStatus.PENDING if channel else OutboxStatus.SKIPPED
    row = NewMessage(notice, channel, status, idempotency_key(notice, channel))
    return store.notify.enqueue_messages(actor, [row], NOW)


def test_channels_are_configured_within_scope_and_audited(store: SqlStore) -> None:
    a, b = make_district(store), make_district(store)
    district_a = support.add_operator(store, Role.DISTRICT, a.code)
    unit_a = support.add_operator(store, Role.UNIT, a.units[0])
    community_a = support.add_operator(store, Role.COMMUNITY, communities=[a.communities[0].id])
    # a district configures its own units and communities, not another district's
    saved = store.notify.save_channel(district_a, _channel(Target.org(a.units[1])))
    assert saved.id is not None and saved.district_code == a.code
    store.notify.save_channel(district_a, _channel(Target.community(a.communities[1].id)))
    with pytest.raises(NotPermittedError):
        store.notify.save_channel(district_a, _channel(Target.org(b.units[0])))
    with pytest.raises(NotPermittedError):
        store.notify.save_channel(district_a, _channel(Target.community(b.communities[0].id)))
    # a unit its own subtree only; a community its own community only
    store.notify.save_channel(unit_a, _channel(Target.org(a.units[0])))
    with pytest.raises(NotPermittedError):
        store.notify.save_channel(unit_a, _channel(Target.org(a.units[1])))
    with pytest.raises(NotPermittedError):
        store.notify.save_channel(unit_a, _channel(Target.community(a.communities[0].id)))
    store.notify.save_channel(community_a, _channel(Target.community(a.communities[0].id)))
    with pytest.raises(NotPermittedError):
        store.notify.save_channel(community_a, _channel(Target.community(a.communities[1].id)))
    # targets that do not exist, and names in use
    with pytest.raises(NotFoundError):
        store.notify.save_channel(support.city(store), _channel(Target.community(10**9)))
    with pytest.raises(ConflictError):
        store.notify.save_channel(support.city(store), _channel(Target.org(a.code), saved.name))
    # listing is scoped the same way
    listed_a = {c.target for c in store.notify.channels(district_a)}
    assert Target.org(a.units[1]) in listed_a and Target.org(a.units[0]) in listed_a
    assert {c.target for c in store.notify.channels(unit_a)} == {Target.org(a.units[0])}
    assert {c.target for c in store.notify.channels(community_a)} == {
        Target.community(a.communities[0].id)
    }
    city_sees = {c.name for c in store.notify.channels(support.city(store))}
    assert {c.name for c in store.notify.channels(district_a)} <= city_sees
    # disabling: no new messages go through it; only within scope; audited
    target = Target.org(a.units[1])
    assert [c.name for c in store.notify.channels_for([target])[str(target)]] == [saved.name]
    with pytest.raises(NotFoundError):
        store.notify.set_channel_enabled(unit_a, saved.name, False)
    assert store.notify.set_channel_enabled(district_a, saved.name, False).enabled is False
    assert store.notify.channels_for([target])[str(target)] == []
    assert store.notify.set_channel_enabled(district_a, saved.name, True).enabled is True
    # removing: only within scope; it is audited
    with pytest.raises(NotFoundError):
        store.notify.remove_channel(unit_a, saved.name)
    removed, pending = store.notify.remove_channel(district_a, saved.name)
    assert removed.name == saved.name and pending == 0
    assert store.notify.channel_by_name(saved.name) is None
    actions = [
        e.action for e in store.audit(district_a, AuditQuery(subject=f"channel:{saved.name}"))
    ]
    assert actions == [
        "notify.channel.add",
        "notify.channel.disable",
        "notify.channel.enable",
        "notify.channel.remove",
    ]


def test_an_event_handled_twice_is_enqueued_once(store: SqlStore) -> None:
    a = make_district(store)
    city = support.city(store)
    channel = store.notify.save_channel(city, _channel(Target.org(a.units[0])))
    notice = _notice(Target.org(a.units[0]), identity="same-event")
    first = _enqueue(store, city, notice, channel.name)
    again = _enqueue(store, city, notice, channel.name)
    assert len(first) == 1 and again == []
    other = _enqueue(store, city, _notice(Target.org(a.units[0]), identity="next"), channel.name)
    assert len(other) == 1
    with support.raw_sql(store) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM outbox WHERE channel = ?"
            if store.dialect == "sqlite"
            else "SELECT count(*) FROM outbox WHERE channel = %s",
            (channel.name,),
        ).fetchone()[0]
    assert rows == 2


def test_who_sees_which_message(store: SqlStore) -> None:
    a, b = make_district(store), make_district(store)
    city = support.city(store)
    district_a = support.add_operator(store, Role.DISTRICT, a.code)
    unit_a = support.add_operator(store, Role.UNIT, a.units[0])
    unit_b = support.add_operator(store, Role.UNIT, b.units[0])
    community_a = support.add_operator(store, Role.COMMUNITY, communities=[a.communities[0].id])
    to_unit_a = _enqueue(store, city, _notice(Target.org(a.units[0]), "u"))[0]
    comm = a.communities[0]
    to_comm_a = store.notify.enqueue_messages(
        city,
        [
            NewMessage(
                Notice("x", Target.community(comm.id), "s", "b", "c", comm.id, a.code),
                "",
                OutboxStatus.SKIPPED,
                "k-comm-a-" + str(comm.id),
            )
        ],
        NOW,
    )[0]
    # made by unit B but addressed to A's community: B sees what it made
    by_unit_b = store.notify.enqueue_messages(
        unit_b,
        [
            NewMessage(
                Notice("x", Target.community(comm.id), "s", "b", "d", comm.id, a.code),
                "",
                OutboxStatus.SKIPPED,
                "k-by-b-" + str(comm.id),
            )
        ],
        NOW,
    )[0]

    def seen(actor) -> set[int]:  # type: ignore[no-untyped-def]
        return {m.id for m in store.notify.outbox_messages(actor)}

    assert {to_unit_a, to_comm_a, by_unit_b} <= seen(city)
    assert {to_unit_a, to_comm_a, by_unit_b} <= seen(district_a)
    assert seen(unit_a) & {to_unit_a, to_comm_a, by_unit_b} == {to_unit_a}
    assert seen(community_a) & {to_unit_a, to_comm_a, by_unit_b} == {to_comm_a, by_unit_b}
    assert seen(unit_b) & {to_unit_a, to_comm_a, by_unit_b} == {by_unit_b}
    counts = store.notify.outbox_counts(unit_a)
    assert counts[OutboxStatus.SKIPPED] == len(
        store.notify.outbox_messages(unit_a, status=OutboxStatus.SKIPPED)
    )
    with pytest.raises(NotFoundError):
        store.notify.requeue_message(unit_b, to_unit_a, NOW)


def test_claims_lease_attempts_and_requeue(store: SqlStore) -> None:
    a = make_district(store)
    city = support.city(store)
    channel = store.notify.save_channel(city, _channel(Target.org(a.units[0])))
    notice = _notice(Target.org(a.units[0]), identity=f"claim-{channel.name}")
    [message_id] = _enqueue(store, city, notice, channel.name)
    lease = NOW + timedelta(minutes=10)
    claimed = store.notify.claim_messages(city, NOW, lease, ids=[message_id])
    assert [m.id for m in claimed] == [message_id]
    # a second flush at the same time does not get it; after the lease it does
    assert store.notify.claim_messages(city, NOW, lease, ids=[message_id]) == []
    retry_at = NOW + timedelta(minutes=1)
    store.notify.record_attempts(
        city,
        [Attempt(message_id, Outcome.RETRY, 1, retry_at, "notify.unreachable", "连不上")],
        NOW,
    )
    assert store.notify.claim_messages(city, NOW, lease, ids=[message_id]) == []
    [again] = store.notify.claim_messages(city, retry_at, lease, ids=[message_id])
    assert again.attempts == 1 and again.error_code == "notify.unreachable"
    store.notify.record_attempts(
        city, [Attempt(message_id, Outcome.FAILED, 2, None, "notify.auth", "拒绝")], retry_at
    )
    [failed] = store.notify.outbox_messages(city, ids=[message_id])
    assert failed.status is OutboxStatus.FAILED and failed.attempts == 2
    assert (
        store.notify.claim_messages(city, retry_at + timedelta(days=1), lease, ids=[message_id])
        == []
    )
    # by hand: due again, attempts from zero, audited
    [queued] = store.notify.requeue_message(city, message_id, retry_at)
    assert queued.status is OutboxStatus.PENDING and queued.attempts == 0
    [sent] = store.notify.claim_messages(city, retry_at, lease, ids=[message_id])
    store.notify.record_attempts(city, [Attempt(sent.id, Outcome.SENT, 1)], retry_at)
    [done] = store.notify.outbox_messages(city, ids=[message_id])
    assert done.status is OutboxStatus.SENT and done.sent_at == retry_at
    with pytest.raises(ConflictError):
        store.notify.requeue_message(city, message_id, retry_at)
    audit = list(store.audit(city, AuditQuery(subject=f"outbox:{message_id}")))
    assert [e.action for e in audit] == ["notify.retry"]


def test_a_skipped_message_goes_out_through_channels_configured_later(store: SqlStore) -> None:
    a = make_district(store)
    city = support.city(store)
    target = Target.org(a.units[1])
    [skipped] = _enqueue(store, city, _notice(target, identity="later"))
    with pytest.raises(ConflictError):
        store.notify.requeue_message(city, skipped, NOW)
    one = store.notify.save_channel(city, _channel(target))
    two = store.notify.save_channel(city, _channel(target))
    queued = store.notify.requeue_message(city, skipped, NOW, [one.name, two.name])
    assert sorted(m.channel for m in queued) == sorted([one.name, two.name])
    assert all(m.status is OutboxStatus.PENDING for m in queued)
    assert {m.subject for m in queued} == {"【新分流】测试"}
    # removing a channel fails its pending messages, which stay listed
    _removed, pending = store.notify.remove_channel(city, two.name)
    assert pending == 1
    [failed] = [m for m in store.notify.outbox_messages(city) if m.channel == two.name]
    assert failed.status is OutboxStatus.FAILED and failed.error_code == "notify.channel_removed"


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[SqlStore]:
    """The session's PostgreSQL store."""
    store = SqlStore(support.pg_url(pg_database))
    yield store
    store.close()


@pytest.mark.postgres
def test_row_level_security_on_channels_and_the_outbox(pg_store: SqlStore) -> None:
    import psycopg

    store = pg_store

    a, b = make_district(store), make_district(store)
    city = support.city(store)
    unit_a = support.add_operator(store, Role.UNIT, a.units[0])
    to_a = _enqueue(store, city, _notice(Target.org(a.units[0]), "rls-a"))[0]
    to_b = _enqueue(store, city, _notice(Target.org(b.units[0]), "rls-b"))[0]
    store.notify.save_channel(city, _channel(Target.org(b.units[0])))
    role = unit_a.operator.db_role
    assert role is not None
    with support.raw_sql(store) as conn:
        conn.execute(f'SET ROLE "{role}"')
        seen = {r[0] for r in conn.execute("SELECT id FROM partyreg.outbox")}
        assert to_a in seen and to_b not in seen
        assert (
            conn.execute("UPDATE partyreg.outbox SET attempts = 9 WHERE id = %s", (to_b,)).rowcount
            == 0
        )
        # channels are readable by all, written only within scope
        assert conn.execute("SELECT count(*) FROM partyreg.channels").fetchone()[0] >= 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO partyreg.channels (name, target, kind, settings, org_code,"
                " created_at) VALUES ('x-rls', %s, 'webhook', '{}', %s, now())",
                (f"org:{b.units[0]}", str(b.units[0])),
            )


@pytest.mark.postgres
def test_a_unit_operators_change_notifies_communities_beyond_its_scope_under_rls(
    pg_store: SqlStore, pg_database: str
) -> None:
    from partyreg_core.notify.model import NotifyConfig
    from partyreg_core.workspace import Workspace
    from tests.plugins.notifiers.conftest import RecordingServer, _serve

    a, b = make_district(pg_store), make_district(pg_store)
    unit_a = support.add_operator(pg_store, Role.UNIT, a.units[0])
    for server in _serve(RecordingServer()):
        channel = pg_store.notify.save_channel(
            support.city(pg_store),
            Channel(f"b-{b.communities[0].id}", Target.community(b.communities[0].id), "webhook",
                    {"url": server.url + "/b"}),
        )  # fmt: skip
        url = support.login_url(support.pg_url(pg_database), pg_store, unit_a.name)
        ws = Workspace(url, os_user=unit_a.name, clock=lambda: NOW)
        ws.notify.config = NotifyConfig(deliver_immediately=True)
        ws._changed(
            "change.requested",
            "change:1",
            None,
            {
                "id": 10**6 + b.communities[0].id,
                "member_id": 1,
                "name": "张三",
                "unit_code": str(a.units[0]),
                "from_community_id": a.communities[0].id,
                "to_community_id": b.communities[0].id,
                "to": "测试区 第1街道 第1社区",
                "reason": "搬家",
                "decided_by": None,
            },
        )
        assert [r.path for r in server.requests] == ["/b"]  # sent by the unit's own command
        mine = {(str(m.target), m.status.value) for m in ws.notify.messages()}
        assert (f"community:{b.communities[0].id}", "sent") in mine
        assert (f"org:{a.units[0]}", "skipped") in mine
        ws.close()
    # the other district's operator sees the message to its community, not the unit's
    district_b = support.add_operator(pg_store, Role.DISTRICT, b.code)
    seen = {str(m.target) for m in pg_store.notify.outbox_messages(district_b)}
    assert f"community:{b.communities[0].id}" in seen and f"org:{a.units[0]}" not in seen
    assert channel.name


def test_members_are_located_and_reached_only_within_the_scope(store: SqlStore) -> None:
    a, b = make_district(store), make_district(store)
    city = support.city(store)
    in_a, in_b = support.register(
        store,
        city,
        [
            support.registration(a.units[0], a.communities[0]),
            support.registration(b.units[0], b.communities[0]),
        ],
    )
    district_a = support.add_operator(store, Role.DISTRICT, a.code)
    member_a, member_b = Target.member(in_a), Target.member(in_b)
    # the city finds both, with their unit (for the members: channels) and district
    places = store.notify.locate_targets([member_a, member_b, Target.member(10**9)], city)
    assert places[str(member_a)].org_code == a.units[0]
    assert places[str(member_a)].district_code == a.code
    assert places[str(member_b)].org_code == b.units[0]
    assert str(Target.member(10**9)) not in places
    # a district operator learns nothing of another district's member
    assert set(store.notify.locate_targets([member_a, member_b], district_a)) == {str(member_a)}
    phones = store.notify.member_recipients(city, [in_a, in_b])
    assert set(phones) == {in_a, in_b} and all(len(p) == 11 for p in phones.values())
    assert set(store.notify.member_recipients(district_a, [in_a, in_b])) == {in_a}
    # a channel for the members of a unit is configured like one for the unit itself
    saved = store.notify.save_channel(district_a, _channel(Target.members(a.units[0])))
    assert saved.district_code == a.code
    with pytest.raises(NotPermittedError):
        store.notify.save_channel(district_a, _channel(Target.members(b.units[0])))
    assert [
        c.name
        for c in store.notify.channels_for([Target.members(a.units[0])])[
            str(Target.members(a.units[0]))
        ]
    ] == [saved.name]
