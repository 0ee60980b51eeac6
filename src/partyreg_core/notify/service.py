"""What the facade offers for notifications (``ws.notify``): the channels, the outbox engine
(queue, deliver, retry) and the deployment's settings.

Every change's messages are written to the outbox first (decision 0033) and then sent at once,
best effort, within a short time budget (decision 0034); ``partyreg notify flush`` sends what
is left, with retries and backoff (decision 0030). A message is claimed (leased) before it is
sent, so two deliveries at once never send it twice.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from partyreg_core.batches import Batch, BatchKind
from partyreg_core.errors import PartyregError, TemporaryError, ValidationError
from partyreg_core.notify.model import (
    Attempt,
    Channel,
    DeliveryReport,
    NewMessage,
    Notice,
    NotifyConfig,
    OutboxMessage,
    OutboxStatus,
    Outcome,
    Target,
    TargetKind,
    TargetPlace,
)
from partyreg_core.notify.port import NotifyRepository
from partyreg_core.notify.rules import (
    channel_kind_missing,
    channel_removed,
    channel_unknown,
    check_channel_name,
    check_new_channel,
    default_channel_name,
    idempotency_key,
    member_channel_targets,
    member_gone,
    message_unknown,
    parse_deployment,
    parse_outbox_status,
    parse_target,
    resolve_settings,
)
from partyreg_core.operators.model import Actor
from partyreg_core.ports import Message, Notifier

log = logging.getLogger(__name__)

#: The environment variable naming the deployment's TOML file.
CONFIG_ENV = "PARTYREG_CONFIG"
#: A test message says when it was sent in the operators' time.
_LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

#: What the service reports to the facade: event, subject, before, after.
Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]
#: Records an audit entry as the actor: action, subject, before, after.
Audit = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], object]
#: A channel type's factory: the channel's resolved settings → a notifier.
NotifierFactory = Callable[[Mapping[str, str]], Notifier]


def _tally() -> dict[str, int]:
    return {"pending": 0, "skipped": 0, "duplicate": 0}


def _target(target: Target | str) -> Target:
    return target if isinstance(target, Target) else parse_target(target)


@attrs.define
class NotifyService:
    """Notifications for one acting operator.

    :param repository: the store's channels and outbox
        (:class:`~partyreg_core.notify.port.NotifyRepository`).
    :param actor: who is acting (asked when needed: the facade resolves it lazily).
    :param now: the current time (UTC).
    :param notifiers: the channel types the plugins provide, by name.
    :param changed: reports each change (audit-side events).
    :param audit: records an audit entry as the actor (action, subject, before, after).
    :param batch: a new batch of a kind, a file text and a row count (not yet stored).
    :param record_batch: stores a batch with the outbox messages it queued (decision 0109).
    :param environ: where ``env:NAME`` settings and ``PARTYREG_CONFIG`` are read.
    """

    repository: NotifyRepository
    actor: Callable[[], Actor]
    now: Callable[[], datetime]
    notifiers: Callable[[], Mapping[str, NotifierFactory]]
    changed: Changed
    audit: Audit
    batch: Callable[[BatchKind, str, int], Batch]
    record_batch: Callable[[Batch, Sequence[int]], None]
    environ: Mapping[str, str] = attrs.field(factory=lambda: os.environ)
    #: what :meth:`queue` has put in the outbox through this service: ``pending`` (to be
    #: sent), ``skipped`` (no channel for the target), ``duplicate`` (already there), so a
    #: command can say what it really queued
    tally: dict[str, int] = attrs.field(init=False, factory=_tally)
    _config: NotifyConfig | None = attrs.field(init=False, default=None)
    #: the outbox ids queued inside :meth:`queued_by` (the messages of its batch)
    _enqueued: list[int] | None = attrs.field(init=False, default=None)
    #: the notices collected inside :meth:`batched`, written at its end
    _buffer: list[Notice] | None = attrs.field(init=False, default=None)
    #: channels that failed temporarily during this service's life: not tried again by it (a
    #: dead channel must not slow every later step of a command)
    _down: set[str] = attrs.field(init=False, factory=set)
    #: seconds spent on best-effort delivery so far (bounded by the immediate budget)
    _spent: float = attrs.field(init=False, default=0.0)

    # -- the deployment's settings ------------------------------------------------------------

    @property
    def config(self) -> NotifyConfig:
        """The deployment's notification settings: the ``[notify]`` section of the TOML file
        named by ``PARTYREG_CONFIG`` (retries, immediate delivery, channels' secrets), or the
        defaults when it is not set (read once)."""
        if self._config is None:
            self._config = self._read_config()
        return self._config

    @config.setter
    def config(self, value: NotifyConfig) -> None:
        # an embedder (or a test) sets the settings instead of a deployment file
        self._config = value

    def _read_config(self) -> NotifyConfig:
        path = self.environ.get(CONFIG_ENV, "").strip()
        if not path:
            return NotifyConfig()
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ValidationError(
                "config.unreadable",
                f"读不了 {CONFIG_ENV} 指定的配置文件 {path}（{reason}）：请检查路径、权限和编码（UTF-8）。",
            ) from None
        return parse_deployment(text, source=path)

    # -- channels -----------------------------------------------------------------------------

    def channel_types(self) -> list[str]:
        """The channel types the plugins provide (``smtp``, ``webhook``, ``wecom``, …)."""
        return sorted(self.notifiers())

    def channels(self, target: Target | str | None = None) -> list[Channel]:
        """The channels configured for targets within the operator's scope (or for one)."""
        found = None if target is None else _target(target)
        return self.repository.channels(self.actor(), found)

    def add_channel(
        self,
        target: Target | str,
        kind: str,
        settings: Mapping[str, str],
        *,
        name: str | None = None,
        enabled: bool = True,
    ) -> Channel:
        """Configure a channel for a target within the operator's scope (audited).

        Settings are checked before anything is stored: the channel is built once with the
        deployment's secrets, so a misspelt setting or a missing environment variable is found
        now, not when the first message fails. A secret given in clear text is refused
        (decision 0031)."""
        found = _target(target)
        stored = check_new_channel(found, kind, settings, list(self.notifiers()))
        channel_name = check_channel_name(name or default_channel_name(found, kind))
        channel = Channel(channel_name, found, kind, stored, enabled)
        self._build_notifier(channel)
        saved = self.repository.save_channel(self.actor(), channel)
        self.changed(
            "notify.channel.add",
            f"channel:{channel_name}",
            None,
            {"target": str(found), "kind": kind},
        )
        return saved

    def remove_channel(self, name: str) -> tuple[Channel, int]:
        """Remove a channel within the operator's scope (audited); its pending messages become
        failed and can be retried once another channel is configured. Returns the channel and
        how many pending messages it had."""
        removed, pending = self.repository.remove_channel(self.actor(), name.strip())
        self.changed(
            "notify.channel.remove",
            f"channel:{removed.name}",
            {"target": str(removed.target), "kind": removed.kind},
            None,
        )
        return removed, pending

    def enable_channel(self, name: str, *, enabled: bool = True) -> Channel:
        """Enable (or disable) a channel within the operator's scope (audited). A disabled
        channel gets no new messages; what is already queued for it is still sent."""
        saved = self.repository.set_channel_enabled(self.actor(), name.strip(), enabled)
        self.changed(
            "notify.channel.enable" if enabled else "notify.channel.disable",
            f"channel:{saved.name}",
            None,
            {"enabled": enabled},
        )
        return saved

    def test_channel(self, name: str) -> Channel:
        """Send a test message through a channel within the operator's scope, directly (not
        through the outbox); a failure raises the channel's error (Chinese, with the fix)."""
        wanted = name.strip()
        for channel in self.repository.channels(self.actor()):
            if channel.name == wanted:
                break
        else:
            raise channel_unknown(wanted)
        at = self.now().astimezone(_LOCAL_ZONE)
        self._build_notifier(channel).send(
            Message(
                "【测试】partyreg 通知渠道测试",
                f"这是 partyreg 发出的测试消息（渠道 {channel.name}，{channel.target.label}，"
                f"{at:%Y-%m-%d %H:%M}）。收到即说明渠道配置正确。",
            )
        )
        self.audit("notify.channel.test", f"channel:{channel.name}", None, {"sent": True})
        return channel

    # -- queueing -----------------------------------------------------------------------------

    def queue(self, notices: Sequence[Notice]) -> list[int]:
        """Write messages to the outbox — one row per enabled channel of each notice's target,
        one ``skipped`` row for a target without a channel (decision 0033) — and then try to
        deliver them at once, best effort (decision 0034). A notice already in the outbox (the
        same event handled twice) is not added again. Returns the ids of the rows added."""
        if not notices:
            return []
        if self._buffer is not None:  # inside batched(): written once at its end
            self._buffer.extend(notices)
            return []
        actor = self.actor()
        located = self.repository.locate_targets((n.target for n in notices), actor)
        by_target = self._channels_of([n.target for n in notices], located)
        rows: list[NewMessage] = []
        for notice in notices:
            place = located.get(str(notice.target), TargetPlace())
            placed = attrs.evolve(
                notice,
                community_id=(
                    notice.community_id if notice.community_id is not None else place.community_id
                ),
                district_code=notice.district_code or place.district_code,
                org_code=notice.org_code or place.org_code,
            )
            channels = by_target.get(str(notice.target), [])
            if not channels:
                rows.append(
                    NewMessage(placed, "", OutboxStatus.SKIPPED, idempotency_key(placed, ""))
                )
            for channel in channels:
                rows.append(
                    NewMessage(
                        placed,
                        channel.name,
                        OutboxStatus.PENDING,
                        idempotency_key(placed, channel.name),
                    )
                )
        added = self.repository.enqueue_messages(actor, rows, self.now())
        self._tally_outbox(rows, added)
        if self._enqueued is not None:
            self._enqueued.extend(added)
        channels_used = {r.channel for r in rows if r.status is OutboxStatus.PENDING}
        # a channel found down earlier in this command is not tried again by it
        if added and channels_used - self._down and self.config.deliver_immediately:
            self._deliver_soon(added)
        return added

    def _tally_outbox(self, rows: Sequence[NewMessage], added: Sequence[int]) -> None:
        tally = self.tally
        if len(added) == len(rows):
            for row in rows:
                tally["skipped" if row.status is OutboxStatus.SKIPPED else "pending"] += 1
            return
        # some were in the outbox already (the same event again): which ones the store knows;
        # the added are counted as pending unless every row was a skip
        skipped_only = all(r.status is OutboxStatus.SKIPPED for r in rows)
        tally["skipped" if skipped_only else "pending"] += len(added)
        tally["duplicate"] += len(rows) - len(added)

    def _channels_of(
        self, targets: Sequence[Target], located: Mapping[str, TargetPlace]
    ) -> dict[str, list[Channel]]:
        """The enabled channels of each target; a member's are those of the nearest
        ``members:`` target above the member's unit that has any (a member not found has
        none)."""
        nearest: dict[str, list[Target]] = {}
        for target in targets:
            unit = located.get(str(target), TargetPlace()).org_code
            if target.kind is TargetKind.MEMBER and unit is not None:
                nearest[str(target)] = member_channel_targets(unit)
        others = [t for t in targets if t.kind is not TargetKind.MEMBER]
        wanted = [*others, *(c for chain in nearest.values() for c in chain)]
        found = self.repository.channels_for(wanted) if wanted else {}
        for key, chain in nearest.items():
            found[key] = next((found[str(c)] for c in chain if found.get(str(c))), [])
        return found

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Collect the messages of every change made inside the block and write them to the
        outbox in one transaction at its end (then send them, best effort, as :meth:`queue`
        does). For code that commits many changes in a loop — a routing run notifying 500
        communities — so the outbox costs one write, not one per event. What was collected
        is written even when the block fails: the changes before the failure are committed.
        """
        if self._buffer is not None:
            yield  # already collecting: the outer block writes
            return
        collected: list[Notice] = []
        self._buffer = collected
        try:
            yield
        finally:
            self._buffer = None
            if collected:
                try:
                    self.queue(collected)
                except Exception:  # the changes are committed; say so, lose nothing silently
                    log.exception("writing %d collected notifications failed", len(collected))

    @contextmanager
    def queued_by(self, batch: Batch) -> Iterator[list[int]]:
        """Collect the outbox messages queued inside the block and record them under
        ``batch`` (an undo withdraws those not yet sent; decision 0109)."""
        outer, self._enqueued = self._enqueued, []
        collected = self._enqueued
        try:
            yield collected
        finally:
            self._enqueued = outer
        if outer is not None:
            outer.extend(collected)
        if collected:
            self.record_batch(batch, collected)

    # -- the outbox ---------------------------------------------------------------------------

    def messages(
        self,
        status: OutboxStatus | str | None = None,
        *,
        limit: int | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[OutboxMessage]:
        """Outbox messages within the operator's scope (of ``ids``), newest first."""
        wanted = None if status is None else parse_outbox_status(status)
        return self.repository.outbox_messages(self.actor(), status=wanted, limit=limit, ids=ids)

    def due(self, now: datetime | None = None) -> list[OutboxMessage]:
        """The pending messages :meth:`deliver` would send at ``now`` (a dry run of ``notify
        flush``; nothing is claimed or written), oldest first."""
        at = now or self.now()
        pending = self.messages(OutboxStatus.PENDING)
        due = [m for m in pending if m.next_attempt_at is None or m.next_attempt_at <= at]
        return sorted(due, key=lambda m: m.id)

    def counts(self) -> dict[OutboxStatus, int]:
        """How many outbox messages within the scope are pending, sent, failed and skipped."""
        return self.repository.outbox_counts(self.actor())

    def deliver(
        self,
        *,
        now: datetime | None = None,
        ids: Sequence[int] | None = None,
        timeout: float | None = None,
        budget: float | None = None,
        down: set[str] | None = None,
    ) -> DeliveryReport:
        """Deliver the pending messages due at ``now`` (default: the clock), within the scope
        (``partyreg notify flush``).

        Each message is claimed first, so two deliveries at once never send it twice. A
        temporary failure schedules the next attempt with backoff (decision 0030), and the
        channel is not tried again in this run; a permanent failure, or the last allowed
        attempt, marks it failed. ``timeout`` shortens each send; a send that could not end
        within ``budget`` seconds (counting its timeout) is not started: the rest stays
        pending, due at once."""
        at = now or self.now()
        actor = self.actor()
        started = time.monotonic()
        attempts: list[Attempt] = []
        deferred = 0
        notifiers: dict[str, Notifier] = {}
        down = set() if down is None else down
        for message in self._claimed(at, ids):
            spent = time.monotonic() - started
            # start a send only if it can end within the budget, even when it times out
            worst = min(timeout, budget) if timeout is not None and budget is not None else 0.0
            if message.channel in down or (budget is not None and spent + worst > budget):
                attempt = Attempt(
                    message.id,
                    Outcome.RETRY,
                    message.attempts,
                    at,
                    message.error_code,
                    message.last_error,
                )
                deferred += 1
            else:
                attempt = self._attempt(message, at, notifiers, timeout)
                if attempt.outcome is Outcome.RETRY:
                    down.add(message.channel)  # not tried again in this run
            self.repository.record_attempts(actor, [attempt], at)
            attempts.append(attempt)
        batch_id = None
        tried = [a.message_id for a in attempts]
        if tried and ids is None:  # a flush: one batch (decision 0109)
            batch = self.batch(BatchKind.FLUSH, "notify flush", len(tried))
            self.record_batch(batch, tried)
            batch_id = batch.id
        return DeliveryReport(tuple(attempts), deferred, batch_id)

    def _claimed(self, at: datetime, ids: Sequence[int] | None) -> Iterator[OutboxMessage]:
        """Due messages, claimed a few at a time (each chunk with a fresh lease, so a long
        flush never holds a message past its lease), in id order."""
        lease = timedelta(seconds=self.config.lease_seconds)
        started = time.monotonic()
        after = 0
        while True:
            elapsed = timedelta(seconds=time.monotonic() - started)
            chunk = self.repository.claim_messages(
                self.actor(), at, at + elapsed + lease, ids=ids, after_id=after
            )
            if not chunk:
                return
            yield from chunk
            after = chunk[-1].id

    def retry(self, message_id: int) -> list[OutboxMessage]:
        """Queue a failed, pending or skipped message again by hand, due now with its attempts
        counted from zero (audited); a skipped one goes out through the channels its target has
        now. Returns the rows queued."""
        actor = self.actor()
        current = self.repository.outbox_messages(actor, ids=[message_id])
        if not current:
            raise message_unknown(message_id)
        names: list[str] = []
        if current[0].status is OutboxStatus.SKIPPED:
            target = current[0].target
            located = self.repository.locate_targets([target], actor)
            names = [c.name for c in self._channels_of([target], located).get(str(target), [])]
        queued = self.repository.requeue_message(actor, message_id, self.now(), names)
        self.changed(
            "notify.retry",
            f"outbox:{message_id}",
            {"status": current[0].status.value},
            {"status": OutboxStatus.PENDING.value, "ids": [m.id for m in queued]},
        )
        return queued

    def _deliver_soon(self, ids: Sequence[int]) -> None:
        """Best-effort delivery right after a committed change: short timeouts, a total time
        budget per service, never an error (what is not sent stays in the outbox)."""
        config = self.config
        spent = self._spent
        if spent >= config.immediate_budget:
            return
        started = time.monotonic()
        try:
            self.deliver(
                ids=ids,
                timeout=config.immediate_timeout,
                budget=config.immediate_budget - spent,
                down=self._down,
            )
        except Exception:  # the change is committed; the messages wait in the outbox
            log.warning("immediate delivery of %d messages failed", len(ids), exc_info=True)
        finally:
            self._spent = spent + time.monotonic() - started

    # -- sending ------------------------------------------------------------------------------

    def _build_notifier(self, channel: Channel, timeout: float | None = None) -> Notifier:
        factories = self.notifiers()
        if channel.kind not in factories:
            raise channel_kind_missing(channel)
        settings = resolve_settings(
            channel.settings,
            self.config.channels.get(channel.name, {}),
            self.environ,
            channel=channel.name,
        )
        if timeout is not None:
            try:
                current = float(settings.get("timeout", "10"))
            except ValueError:
                current = timeout
            shortened = {**settings, "timeout": f"{min(current, timeout):g}"}
            try:
                return factories[channel.kind](shortened)
            except ValidationError:
                pass  # a plugin's channel without a timeout setting: build it as configured
        return factories[channel.kind](settings)

    def _recipients(self, message: OutboxMessage) -> tuple[str, ...]:
        """Whom a message goes to beyond its channel's own settings: a member's own phone."""
        target = message.target
        if target.kind is not TargetKind.MEMBER:
            return ()
        assert target.id is not None
        phone = self.repository.member_recipients(self.actor(), [target.id]).get(target.id)
        if phone is None:
            raise member_gone(target.id)
        return (phone,)

    def _attempt(
        self,
        message: OutboxMessage,
        at: datetime,
        notifiers: dict[str, Notifier],
        timeout: float | None,
    ) -> Attempt:
        policy = self.config.policy
        number = message.attempts + 1
        try:
            notifier = notifiers.get(message.channel)
            if notifier is None:
                channel = self.repository.channel_by_name(message.channel)
                if channel is None:
                    raise channel_removed(message.channel)
                notifier = notifiers[message.channel] = self._build_notifier(channel, timeout)
            notifier.send(Message(message.subject, message.body, self._recipients(message)))
        except TemporaryError as exc:
            outcome, next_at = policy.after_failure(
                number, at, temporary=True, retry_after=getattr(exc, "retry_after", None)
            )
            return Attempt(message.id, outcome, number, next_at, exc.code, exc.message)
        except PartyregError as exc:
            return Attempt(message.id, Outcome.FAILED, number, None, exc.code, exc.message)
        except Exception as exc:  # a plugin's unexpected error: retried, as if temporary
            log.warning("channel %s raised %r", message.channel, exc)
            outcome, next_at = policy.after_failure(number, at, temporary=True)
            detail = f"渠道插件出错（{type(exc).__name__}）：{exc}"
            return Attempt(message.id, outcome, number, next_at, "notify.plugin", detail)
        return Attempt(message.id, Outcome.SENT, number)
