"""The outbox end to end: events fired through the workspace, delivered to real servers on
127.0.0.1 (HTTP and SMTP), under a channel that is down, slow or refusing; retries with backoff,
permanent errors, the maximum number of attempts, idempotency. Time is the workspace's clock."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from partyreg_core.errors import ValidationError
from partyreg_core.notify.model import NotifyConfig, OutboxStatus, RetryPolicy
from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.notifiers.conftest import RecordingServer, _Handler, _serve
from tests.plugins.storage import support

START = datetime(2024, 9, 8, 2, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class PortServer(RecordingServer):
    """A recording server on a given port (to bring a "down" channel back up)."""

    def __init__(self, port: int) -> None:
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", port), _Handler)
        self.scheme = "http"
        self.requests = []
        self.answers = deque()


def serve_on(port: int) -> Iterator[RecordingServer]:
    return _serve(PortServer(port))


class World:
    """A store with one district, a workspace on it acting as the city, and its clock."""

    def __init__(self, tmp_path: Path, config: NotifyConfig) -> None:
        self.url = f"sqlite:///{tmp_path / 'store.db'}"
        store = SqlStore(self.url)
        support.init_store(store)
        self.district = support.make_district(store, units=2, communities=2)
        store.close()
        self.clock = Clock(START)
        self.ws = Workspace(self.url, os_user=support.OS_USER, clock=self.clock)
        self.ws.notify.config = config

    @property
    def community(self) -> int:
        return self.district.communities[0].id

    def routed(self, member_ids: tuple[int, ...] = (1, 2)) -> None:
        """Fire ``route.routed`` for the first community, exactly as the contract says."""
        c = self.district.communities[0]
        self.ws._changed(
            "route.routed",
            f"community:{c.id}",
            None,
            {
                "community_id": c.id,
                "community": f"{c.district} {c.street} {c.name}",
                "district_code": str(self.district.code),
                "instructor_ids": [],
                "count": len(member_ids),
                "members": [
                    {"id": i, "name": f"党员{i}", "unit_code": str(self.district.units[0])}
                    for i in member_ids
                ],
            },
        )

    def webhook(self, url: str, target: str | None = None) -> str:
        target = target or f"community:{self.community}"
        return self.ws.notify.add_channel(target, "webhook", {"url": url}).name

    def messages(self, status: OutboxStatus | None = None) -> list[Any]:
        return self.ws.notify.messages(status)


def config(**changes: Any) -> NotifyConfig:
    values: dict[str, Any] = {"deliver_immediately": False, **changes}
    return NotifyConfig(**values)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path, config())
    yield made
    made.ws.close()


def test_a_channel_that_is_down_loses_nothing_and_delivers_once_when_back(
    world: World, http_server: RecordingServer
) -> None:
    port = http_server.server_address[1]
    world.webhook(f"http://127.0.0.1:{port}/hook")
    http_server.shutdown()
    http_server.server_close()  # the channel is down
    world.routed()
    [message] = world.messages()
    assert message.status is OutboxStatus.PENDING and message.attempts == 0

    first = world.ws.notify.deliver()
    assert [a.outcome.value for a in first.attempts] == ["retry"]
    [message] = world.messages()
    assert message.attempts == 1 and message.error_code == "notify.unreachable"
    assert message.next_attempt_at == START + timedelta(seconds=60)

    world.clock.advance(seconds=59)
    assert world.ws.notify.deliver().attempts == ()  # not due yet
    world.clock.advance(seconds=1)
    world.ws.notify.deliver()
    [message] = world.messages()
    assert message.attempts == 2
    assert message.next_attempt_at == world.clock.now + timedelta(seconds=120)  # doubled

    for server in serve_on(port):  # back up, on the same port
        world.clock.advance(seconds=120)
        report = world.ws.notify.deliver()
        assert [a.outcome.value for a in report.attempts] == ["sent"]
        world.clock.advance(hours=5)
        assert world.ws.notify.deliver().attempts == ()
        world.routed()  # the same event again: nothing new to send
        assert world.ws.notify.deliver().attempts == ()
        assert len(server.requests) == 1
        body = server.requests[0].json()
        assert body["subject"].startswith("【新分流】2 名在职党员到")
        assert "党员1" in body["body"] and "党员2" in body["body"]
    [message] = world.messages()
    assert message.status is OutboxStatus.SENT and message.attempts == 3
    assert message.sent_at == world.clock.now - timedelta(hours=5)


def test_backoff_is_capped_and_the_last_attempt_marks_the_message_failed(
    tmp_path: Path, closed_port: int
) -> None:
    policy = RetryPolicy(max_attempts=5, base_seconds=60, cap_seconds=200)
    world = World(tmp_path, config(policy=policy))
    world.webhook(f"http://127.0.0.1:{closed_port}/")
    world.routed()
    waits = []
    for _ in range(4):
        world.ws.notify.deliver()
        [message] = world.messages()
        waits.append((message.next_attempt_at - world.clock.now).total_seconds())
        world.clock.now = message.next_attempt_at
    assert waits == [60, 120, 200, 200]
    world.ws.notify.deliver()
    [message] = world.messages()
    assert message.status is OutboxStatus.FAILED and message.attempts == 5
    world.clock.advance(days=30)
    assert world.ws.notify.deliver().attempts == ()  # failed stays failed
    assert [m.id for m in world.messages(OutboxStatus.FAILED)] == [message.id]
    # retried by hand once the channel is back
    for server in serve_on(closed_port):
        [queued] = world.ws.notify.retry(message.id)
        assert queued.attempts == 0 and queued.status is OutboxStatus.PENDING
        world.ws.notify.deliver()
        assert len(server.requests) == 1
    assert world.messages()[0].status is OutboxStatus.SENT
    world.ws.close()


def test_a_permanent_error_fails_at_once(world: World, http_server: RecordingServer) -> None:
    world.webhook(http_server.url + "/hook")
    http_server.answer(403, {"error": "forbidden"})
    world.routed()
    report = world.ws.notify.deliver()
    assert [a.outcome.value for a in report.attempts] == ["failed"]
    [message] = world.messages()
    assert message.status is OutboxStatus.FAILED and message.attempts == 1
    assert message.error_code == "notify.auth"
    world.clock.advance(days=1)
    assert world.ws.notify.deliver().attempts == ()
    assert len(http_server.requests) == 1


def test_retry_after_from_a_busy_server_is_honoured(
    world: World, http_server: RecordingServer
) -> None:
    world.webhook(http_server.url + "/hook")
    http_server.answer(429, {"error": "slow down"}, headers={"Retry-After": "600"})
    world.routed()
    world.ws.notify.deliver()
    [message] = world.messages()
    assert message.error_code == "notify.busy"
    assert message.next_attempt_at == START + timedelta(seconds=600)


def test_every_channel_of_a_target_gets_the_message_and_targets_without_one_are_counted(
    world: World, http_server: RecordingServer
) -> None:
    world.webhook(http_server.url + "/a")
    world.ws.notify.add_channel(
        f"community:{world.community}", "webhook", {"url": http_server.url + "/b"}, name="second"
    )
    other = world.district.communities[1]
    world.routed()
    world.ws._changed(
        "needs.published",
        f"community:{other.id}",
        None,
        {"community_id": other.id, "community": other.name, "year": 2024, "needs": []},
    )
    world.ws.notify.deliver()
    assert sorted(r.path for r in http_server.requests) == ["/a", "/b"]
    counts = world.ws.notify.counts()
    assert counts[OutboxStatus.SENT] == 2 and counts[OutboxStatus.SKIPPED] == 1
    [skipped] = world.messages(OutboxStatus.SKIPPED)
    assert skipped.target.id == other.id and skipped.channel == ""
    # configure a channel for it later, and send it by hand
    world.webhook(http_server.url + "/c", target=f"community:{other.id}")
    world.ws.notify.retry(skipped.id)
    world.ws.notify.deliver()
    assert sorted(r.path for r in http_server.requests) == ["/a", "/b", "/c"]


def test_email_through_a_real_smtp_server(world: World, smtp_server: Any) -> None:
    server = smtp_server("plain")
    unit = world.district.units[0]
    world.ws.notify.add_channel(
        f"org:{unit}",
        "smtp",
        {
            "host": "127.0.0.1",
            "port": str(server.port),
            "security": "none",
            "from": "partyreg <noreply@example.gov.cn>",
            "to": "dangjian@example.gov.cn",
        },
    )
    world.ws._changed(
        "feedback.confirmed",
        "feedback:2024-000007",
        None,
        {
            "number": "2024-000007",
            "member_id": 7,
            "name": "张三",
            "unit_code": str(unit),
            "year": 2024,
            "community_id": world.community,
            "confirmed_by": "李书记",
        },
    )
    world.ws.notify.deliver()
    [envelope] = server.inbox.envelopes
    assert envelope.rcpt_tos == ["dangjian@example.gov.cn"]
    mail = message_from_bytes(envelope.original_content)
    assert str(make_header(decode_header(mail["Subject"]))) == (
        "【反馈单已确认】张三 2024 年度实绩反馈单"
    )
    text = mail.get_payload(decode=True).decode("utf-8")
    assert "2024-000007" in text and "李书记" in text and "台帐" in text


def test_immediate_delivery_sends_at_once_and_a_hanging_channel_does_not_slow_the_command(
    tmp_path: Path, http_server: RecordingServer, silent_port: int
) -> None:
    world = World(
        tmp_path,
        NotifyConfig(deliver_immediately=True, immediate_timeout=0.3, immediate_budget=1.0),
    )
    world.webhook(http_server.url + "/now")
    world.routed((1,))
    assert len(http_server.requests) == 1  # delivered by the change itself
    assert world.messages()[0].status is OutboxStatus.SENT
    world.ws.notify.remove_channel(world.ws.notify.channels()[0].name)
    world.webhook(f"http://127.0.0.1:{silent_port}/")
    started = time.monotonic()
    for i in range(2, 12):
        world.routed((i,))
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed  # ten events, one hanging channel: one short timeout in all
    pending = world.messages(OutboxStatus.PENDING)
    assert len(pending) == 10  # nothing lost
    assert sum(m.attempts for m in pending) == 1  # the dead channel was tried once
    world.ws.close()


def test_a_missing_environment_variable_is_found_when_the_channel_is_added(
    world: World, http_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTYREG_TEST_HOOK_SECRET", raising=False)
    with pytest.raises(ValidationError, match="PARTYREG_TEST_HOOK_SECRET"):
        world.ws.notify.add_channel(
            f"community:{world.community}",
            "webhook",
            {"url": http_server.url, "secret": "env:PARTYREG_TEST_HOOK_SECRET"},
        )
    with pytest.raises(ValidationError, match="机密"):
        world.ws.notify.add_channel(
            f"community:{world.community}", "webhook", {"url": http_server.url, "secret": "abc"}
        )
    monkeypatch.setenv("PARTYREG_TEST_HOOK_SECRET", "shared-hmac-secret")
    channel = world.ws.notify.add_channel(
        f"community:{world.community}",
        "webhook",
        {"url": http_server.url, "secret": "env:PARTYREG_TEST_HOOK_SECRET"},
    )
    assert channel.settings["secret"] == "env:PARTYREG_TEST_HOOK_SECRET"
    world.routed()
    world.ws.notify.deliver()
    [request] = http_server.requests
    import hashlib
    import hmac

    expected = hmac.new(b"shared-hmac-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Partyreg-Signature-256"] == f"sha256={expected}"


def test_batched_notifications_write_once_at_the_end_and_lose_nothing_on_failure(
    tmp_path: Path, http_server: RecordingServer
) -> None:
    world = World(tmp_path, NotifyConfig(deliver_immediately=True))
    world.webhook(http_server.url + "/batch")
    with world.ws.notify.batched():
        for i in range(3):
            world.routed((i,))
        assert world.messages() == [] and http_server.requests == []
    assert len(world.messages(OutboxStatus.SENT)) == 3 and len(http_server.requests) == 3
    with pytest.raises(RuntimeError), world.ws.notify.batched():
        world.routed((10,))
        raise RuntimeError("the loop failed after one committed change")
    assert len(world.messages()) == 4  # the committed change's message is there
    world.ws.close()


def test_a_long_flush_claims_in_chunks_and_ends_with_the_channel_down(
    world: World, closed_port: int
) -> None:
    world.webhook(f"http://127.0.0.1:{closed_port}/")
    with world.ws.notify.batched():
        for i in range(60):
            world.routed((i,))
    report = world.ws.notify.deliver()
    assert len(report.attempts) == 60  # every message seen once, none twice
    assert report.deferred == 59 and len({a.message_id for a in report.attempts}) == 60
    pending = world.messages(OutboxStatus.PENDING)
    assert sorted(m.attempts for m in pending) == [0] * 59 + [1]
    # the deferred ones are due at once; the one tried waits for its backoff
    again = world.ws.notify.deliver()
    assert len(again.attempts) == 59


def _member_notice(member_id: int, identity: str = "1") -> Any:
    from partyreg_core.notify.model import Notice, Target

    return Notice(
        "nudge.test", Target.member(member_id), "【提醒】明天义诊", "请准时到场。", identity
    )


def test_a_member_is_reached_on_their_own_mobile_through_the_nearest_members_channel(
    world: World, http_server: RecordingServer
) -> None:
    store = world.ws.store
    unit = world.district.units[0]
    (name, phone), other = support.person(), support.person()
    first, second = support.register(
        store,
        support.city(store),
        [
            support.registration(unit, world.district.communities[0], (name, phone)),
            support.registration(world.district.units[1], world.district.communities[0], other),
        ],
    )
    # nothing configured for members: the message is kept as skipped, counted
    world.ws.notify.queue([_member_notice(first, "a")])
    [skipped] = world.messages(OutboxStatus.SKIPPED)
    assert str(skipped.target) == f"member:{first}"
    # the city's gateway serves every member; the first unit's district runs its own
    world.ws.notify.add_channel("members:008", "sms", {"url": http_server.url + "/city"})
    world.ws.notify.add_channel(
        f"members:{unit}", "sms", {"url": http_server.url + "/unit", "sign": "测试"}
    )
    world.ws.notify.queue([_member_notice(first, "b"), _member_notice(second, "b")])
    world.ws.notify.deliver()
    sent = {r.path: r.json() for r in http_server.requests}
    assert sent["/unit"] == {"phone": phone, "text": "【测试】【提醒】明天义诊：请准时到场。"}
    assert sent["/city"]["phone"] == other[1]
    # the skipped one goes out through the channel that serves the member now
    world.ws.notify.retry(skipped.id)
    world.ws.notify.deliver()
    assert [r.path for r in http_server.requests].count("/unit") == 2
    # the outbox row is about the member's unit, district and community (scoping)
    latest = world.messages(OutboxStatus.SENT)[0]
    assert latest.district_code == world.district.code
    assert latest.community_id is None or latest.community_id == world.district.communities[0].id


def test_a_member_who_left_is_not_messaged_and_member_channels_are_set_per_unit(
    world: World, http_server: RecordingServer
) -> None:
    store = world.ws.store
    [member] = support.register(
        store,
        support.city(store),
        [support.registration(world.district.units[0], world.district.communities[0])],
    )
    world.ws.notify.add_channel("members:008", "sms", {"url": http_server.url})
    world.ws.notify.queue([_member_notice(member)])
    world.ws.members.leave(member, reason="调离本市", on=START.date())
    world.ws.notify.deliver()
    assert http_server.requests == []
    [failed] = world.messages(OutboxStatus.FAILED)
    assert failed.error_code == "notify.member_gone" and "已退出" in (failed.last_error or "")
    with pytest.raises(ValidationError) as caught:
        world.ws.notify.add_channel(f"member:{member}", "sms", {"url": http_server.url})
    assert "members:单位代码" in caught.value.message
