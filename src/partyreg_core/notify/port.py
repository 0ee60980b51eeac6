"""What a store provides for notifications (``Store.notify``): where targets lie, the
channels configured for them, and the outbox with its leases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from partyreg_core.notify.model import (
    Attempt,
    Channel,
    NewMessage,
    OutboxMessage,
    OutboxStatus,
    Target,
    TargetPlace,
)
from partyreg_core.operators.model import Actor


class NotifyRepository(Protocol):
    """Channels and the outbox in a store. Every method is one transaction. Channels are
    written within the actor's scope and read by all (they hold no secret: decision 0031);
    outbox rows are visible to the city, to their maker and to the operators whose scope
    covers their target. A claim leases a message, so two deliveries at once never send it
    twice."""

    def locate_targets(
        self, targets: Iterable[Target], actor: Actor | None = None
    ) -> dict[str, TargetPlace]:
        """Where each notification target lies (district, community, org unit), by the
        target's text; targets that do not exist are left out. Not scoped, but for members,
        who are looked up as ``actor`` (a member outside its scope is left out)."""

    def member_recipients(self, actor: Actor, member_ids: Sequence[int]) -> dict[int, str]:
        """The phone each message to a member goes to: members within the actor's scope who
        are still in the campaign and not anonymised, by id (the others are left out)."""

    def save_channel(self, actor: Actor, channel: Channel) -> Channel:
        """Add a notification channel for a target within the actor's scope (audited); a name
        in use is a :class:`ConflictError`. Returns it as stored."""

    def remove_channel(self, actor: Actor, name: str) -> tuple[Channel, int]:
        """Remove a channel within the actor's scope (audited); its pending messages become
        failed. Returns the channel and how many pending messages it had."""

    def set_channel_enabled(self, actor: Actor, name: str, enabled: bool) -> Channel:
        """Enable or disable a channel within the actor's scope (audited)."""

    def channels(self, actor: Actor, target: Target | None = None) -> list[Channel]:
        """The channels for targets within the actor's scope (or of ``target``)."""

    def channel_by_name(self, name: str) -> Channel | None:
        """One channel by name, or ``None`` (not scoped: delivery reads any channel)."""

    def channels_for(self, targets: Iterable[Target]) -> dict[str, list[Channel]]:
        """The enabled channels of each target, by the target's text (not scoped)."""

    def enqueue_messages(
        self, actor: Actor, messages: Sequence[NewMessage], now: datetime
    ) -> list[int]:
        """Add messages to the outbox, due at ``now``; one whose idempotency key is already
        there is left out. Returns the ids added."""

    def outbox_messages(
        self,
        actor: Actor,
        *,
        status: OutboxStatus | None = None,
        ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> list[OutboxMessage]:
        """Outbox messages within the scope (the city: all; others: those they made and those
        addressed within their scope), newest first."""

    def outbox_counts(self, actor: Actor) -> dict[OutboxStatus, int]:
        """How many outbox messages within the scope have each status."""

    def claim_messages(
        self,
        actor: Actor,
        now: datetime,
        lease_until: datetime,
        *,
        ids: Sequence[int] | None = None,
        after_id: int = 0,
        limit: int = 50,
    ) -> list[OutboxMessage]:
        """Claim up to ``limit`` pending messages due at ``now`` (of ``ids``; with an id above
        ``after_id``), oldest first, each leased until ``lease_until`` so that no other
        delivery takes it."""

    def record_attempts(self, actor: Actor, attempts: Sequence[Attempt], now: datetime) -> None:
        """Record delivery attempts: sent, retry at a time, or failed."""

    def requeue_message(
        self, actor: Actor, message_id: int, now: datetime, channel_names: Sequence[str] = ()
    ) -> list[OutboxMessage]:
        """Send a failed, pending or skipped message again by hand (audited); a skipped one
        goes through ``channel_names``."""
