"""Notifications as values: who a message is for (:class:`Target`), the channels configured for
a target (:class:`Channel`), what waits in the outbox (:class:`OutboxMessage`), how failed
deliveries are retried (:class:`RetryPolicy`) and the deployment's settings
(:class:`NotifyConfig`).

Pure: no I/O and no clock. See ``docs/notifications.md`` and decisions 0030–0034.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.orgcodes import OrgCode, parse_code

# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------


class TargetKind(StrEnum):
    """What a message is addressed to."""

    ORG = "org"
    COMMUNITY = "community"
    INSTRUCTOR = "instructor"
    #: one member (``member:12``): messages go through the channels for members of the
    #: member's unit, to the member's own mobile
    MEMBER = "member"
    #: the members of the units under an org code (``members:008.003``): where the channels
    #: that reach members one by one are configured (an SMS gateway)
    MEMBERS = "members"

    @property
    def label(self) -> str:
        """The kind in Chinese."""
        return {
            "org": "单位",
            "community": "社区",
            "instructor": "指导员",
            "member": "党员",
            "members": "党员（按单位）",
        }[self.value]

    @property
    def has_code(self) -> bool:
        """Whether targets of this kind are named by an org code (else by an id)."""
        return self in (TargetKind.ORG, TargetKind.MEMBERS)


@attrs.frozen
class Target:
    """An org unit (``org:008.001``), a community (``community:12``), an instructor
    (``instructor:3``), a member (``member:12``) or the members of an org subtree
    (``members:008.003``): whoever a channel is configured for and a message is addressed to.

    Messages to a member go through the channels configured for ``members:<code>`` of the
    nearest org unit above the member's unit that has one (:func:`member_channel_targets`)."""

    kind: TargetKind
    code: OrgCode | None = None
    id: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind.has_code != (self.code is not None):
            raise ValueError("an org or members target has a code and nothing else")
        if self.kind.has_code == (self.id is not None):
            raise ValueError("a community, instructor or member target has an id")

    @classmethod
    def org(cls, code: OrgCode | str) -> Target:
        """The org unit ``code``."""
        return cls(TargetKind.ORG, code=code if isinstance(code, OrgCode) else parse_code(code))

    @classmethod
    def community(cls, community_id: int) -> Target:
        """The community ``community_id``."""
        return cls(TargetKind.COMMUNITY, id=community_id)

    @classmethod
    def instructor(cls, instructor_id: int) -> Target:
        """The instructor ``instructor_id``."""
        return cls(TargetKind.INSTRUCTOR, id=instructor_id)

    @classmethod
    def member(cls, member_id: int) -> Target:
        """The member ``member_id``."""
        return cls(TargetKind.MEMBER, id=member_id)

    @classmethod
    def members(cls, code: OrgCode | str) -> Target:
        """The members of the units under ``code`` (where member channels are configured)."""
        return cls(TargetKind.MEMBERS, code=code if isinstance(code, OrgCode) else parse_code(code))

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.code if self.kind.has_code else self.id}"

    @property
    def label(self) -> str:
        """The target in Chinese (``单位 008.001``, ``社区 12``, ``党员 12``)."""
        return f"{self.kind.label} {self.code if self.kind.has_code else self.id}"


@attrs.frozen
class Channel:
    """A notification channel configured for a target: its unique ``name`` (which also names
    its table in the deployment file), the channel type (``kind``: smtp, webhook, wecom,
    dingtalk, or a plugin's), the settings kept in the store (secrets only as ``env:NAME``),
    whether it is enabled, and who added it when.

    ``district_code`` and ``community_id`` say where the target lies, for scoping."""

    name: str
    target: Target
    kind: str
    settings: Mapping[str, str] = attrs.field(factory=dict)
    enabled: bool = True
    id: int | None = None
    created_by: str = ""
    created_at: datetime | None = None
    district_code: OrgCode | None = None
    community_id: int | None = None


# ---------------------------------------------------------------------------------------------
# Messages and the outbox
# ---------------------------------------------------------------------------------------------


class OutboxStatus(StrEnum):
    """Where a message stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    #: the target had no enabled channel when the message was made (decision 0033)
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        """The status in Chinese."""
        return {"pending": "待发送", "sent": "已发送", "failed": "失败", "skipped": "无渠道"}[
            self.value
        ]


@attrs.frozen
class Notice:
    """A message an event produces for one target, before channels are chosen.

    ``identity`` names the event so that handling it twice yields the same outbox rows
    (decision 0032); ``community_id``/``district_code`` say what the message is about, for
    scoping who may read it."""

    event: str
    target: Target
    subject: str
    body: str
    identity: str
    community_id: int | None = None
    district_code: OrgCode | None = None
    #: the org unit the message is about, for scoping (an org target's own code; a member's
    #: unit for a member target)
    org_code: OrgCode | None = None
    #: not to be sent before this time (a nudge planned in quiet hours waits for their end)
    not_before: datetime | None = None


@attrs.frozen
class TargetPlace:
    """Where a target lies, for scoping its messages: the district, the community and the org
    unit (an org target's own code, a member's unit)."""

    district_code: OrgCode | None = None
    community_id: int | None = None
    org_code: OrgCode | None = None


@attrs.frozen
class OutboxMessage:
    """One message in the outbox: for one target through one channel (none when skipped)."""

    id: int
    target: Target
    channel: str
    event: str
    subject: str
    body: str
    status: OutboxStatus
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    error_code: str | None = None
    created_by: str = ""
    key: str = ""
    community_id: int | None = None
    district_code: OrgCode | None = None


@attrs.frozen
class NewMessage:
    """A row to add to the outbox."""

    notice: Notice
    channel: str
    status: OutboxStatus
    key: str


class Outcome(StrEnum):
    """What one delivery attempt did."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@attrs.frozen
class Attempt:
    """The result of one delivery attempt, as the outbox records it."""

    message_id: int
    outcome: Outcome
    attempts: int
    next_attempt_at: datetime | None = None
    error_code: str | None = None
    error: str | None = None


@attrs.frozen
class DeliveryReport:
    """What one ``notify flush`` (or the best-effort delivery after a change) did."""

    attempts: tuple[Attempt, ...] = ()
    #: messages left pending because their channel was found down earlier in this run or the
    #: time budget was spent
    deferred: int = 0
    #: the batch that ``partyreg undo`` takes back (``None``: nothing written)
    batch_id: str | None = None

    def count(self, outcome: Outcome) -> int:
        """How many attempts ended with ``outcome``."""
        return sum(1 for a in self.attempts if a.outcome is outcome)


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with a cap, and a maximum number of attempts (decision 0030).

    After the ``n``-th failed attempt the next one is ``base * 2**(n-1)`` seconds later, at most
    ``cap``; a channel's own ``retry_after`` (a robot saying "wait 10 minutes") is honoured up
    to ``cap``. After ``max_attempts`` failed attempts the message is ``failed``."""

    max_attempts: int = 8
    base_seconds: float = 60.0
    cap_seconds: float = 3600.0

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_seconds <= 0 or self.cap_seconds < self.base_seconds:
            raise ValidationError(
                "config.notify",
                "通知重试设置有误：max_attempts 至少为 1，backoff_base 大于 0，"
                "backoff_cap 不小于 backoff_base。",
            )

    def delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        """How long to wait after ``attempts`` failed attempts."""
        seconds = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.cap_seconds)
        if retry_after is not None and retry_after > seconds:
            seconds = min(retry_after, self.cap_seconds)
        return timedelta(seconds=seconds)

    def after_failure(
        self, attempts: int, now: datetime, *, temporary: bool, retry_after: float | None = None
    ) -> tuple[Outcome, datetime | None]:
        """The outcome and next attempt time after failed attempt number ``attempts``."""
        if not temporary or attempts >= self.max_attempts:
            return Outcome.FAILED, None
        return Outcome.RETRY, now + self.delay(attempts, retry_after)


@attrs.frozen
class NotifyConfig:
    """Deployment settings for notifications (``[notify]`` of the ``PARTYREG_CONFIG`` file).

    ``channels`` maps a channel name to the settings the deployment adds to it (its secrets);
    ``deliver_immediately`` says whether a committed change tries to send its messages at
    once, each send with at most ``immediate_timeout`` seconds and all of a command's sends
    within ``immediate_budget`` seconds (decision 0034)."""

    policy: RetryPolicy = RetryPolicy()
    channels: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    deliver_immediately: bool = True
    immediate_timeout: float = 2.0
    immediate_budget: float = 3.0
    #: a claimed message not finished within this many seconds may be claimed again
    lease_seconds: float = 600.0
