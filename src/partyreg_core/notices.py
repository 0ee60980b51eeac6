"""Notifications as values: who a message is for (:class:`Target`), the channels configured for
a target (:class:`Channel`), what waits in the outbox (:class:`OutboxMessage`), how failed
deliveries are retried (:class:`RetryPolicy`), how secrets are kept out of the store
(:func:`check_stored_settings`, :func:`resolve_settings`) and the deployment file's ``[notify]``
section (:func:`parse_deployment`).

Pure: no I/O and no clock. The facade reads the environment and the file named by
``PARTYREG_CONFIG`` and hands their contents in; "now" is always a parameter.
See ``docs/notifications.md`` and decisions 0030–0034.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.masking import mask_phone
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_core.records import MAX_RECORD_ID

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


def member_channel_targets(unit: OrgCode) -> list[Target]:
    """Where the channels that reach a member of ``unit`` may be configured, nearest first:
    ``members:`` of the unit itself, then of each org unit above it up to the city. The
    first of these with an enabled channel is used (a district may run its own SMS gateway
    while the city's serves the rest)."""
    return [Target.members(unit), *(Target.members(a) for a in unit.ancestors)]


_TARGET_ALIASES = {
    "org": TargetKind.ORG,
    "unit": TargetKind.ORG,
    "单位": TargetKind.ORG,
    "community": TargetKind.COMMUNITY,
    "社区": TargetKind.COMMUNITY,
    "instructor": TargetKind.INSTRUCTOR,
    "指导员": TargetKind.INSTRUCTOR,
    "member": TargetKind.MEMBER,
    "党员": TargetKind.MEMBER,
    "members": TargetKind.MEMBERS,
    "全体党员": TargetKind.MEMBERS,
}


def parse_target(text: str) -> Target:
    """A target as typed: ``org:008.001``, ``community:12``, ``instructor:3``, ``member:12``,
    ``members:008.003`` (full-width colon and the Chinese kinds 单位/社区/指导员/党员/全体党员
    also accepted)."""
    value = text.strip().replace("：", ":")
    kind_text, sep, rest = value.partition(":")
    kind = _TARGET_ALIASES.get(kind_text.strip().lower())
    rest = rest.strip()
    if not sep or kind is None or not rest:
        raise ValidationError(
            "notify.target",
            f"通知对象“{text}”写法不对：应为 org:单位代码（如 org:008.001）、community:社区编号、"
            "instructor:指导员编号、member:党员编号 或 members:单位代码（该单位党员的短信等渠道）。",
        )
    if kind is TargetKind.ORG:
        return Target.org(parse_code(rest))
    if kind is TargetKind.MEMBERS:
        return Target.members(parse_code(rest))
    if not rest.isascii() or not rest.isdigit() or not 0 < int(rest) <= MAX_RECORD_ID:
        raise ValidationError(
            "notify.target",
            f"通知对象“{text}”中的编号应是正整数（如 {kind.value}:12）。",
        )
    return Target(kind, id=int(rest))


# ---------------------------------------------------------------------------------------------
# Channels and their settings
# ---------------------------------------------------------------------------------------------

#: A stored value ``env:NAME`` stands for the environment variable ``NAME`` (decision 0031).
ENV_PREFIX = "env:"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_NAMES = frozenset({"password", "secret", "key", "token", "access_token", "api_key"})
_SECRET_QUERY = frozenset({"key", "access_token", "token", "secret", "sign", "password"})
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def is_secret_setting(name: str) -> bool:
    """Whether a setting holds a secret: a password, key, token or signing secret (by name, for
    every channel type, third-party ones too) or a request header (``header.…``)."""
    lowered = name.lower()
    return (
        lowered in _SECRET_NAMES
        or lowered.endswith(("_password", "_secret", "_key", "_token"))
        or lowered.startswith("header.")
    )


def check_channel_name(name: str) -> str:
    """A channel name: letters, digits, ``_ . -``, at most 64 characters (it names the channel's
    table in the deployment file)."""
    value = name.strip()
    if not _CHANNEL_NAME.fullmatch(value):
        raise ValidationError(
            "notify.channel_name",
            f"渠道名“{name}”不可用：只能用英文字母、数字和 _ . -（不超过 64 个字符），如 qjp-wecom。",
        )
    return value


def check_stored_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """The settings a channel may keep in the store: no secret in clear text (a secret setting
    must be ``env:NAME``), no credential in a URL's query, names and values as text."""
    checked: dict[str, str] = {}
    for raw_key, raw_value in settings.items():
        key = raw_key.strip()
        value = raw_value.strip()
        if not key:
            raise ValidationError("notify.settings", "设置名不能为空：应写成 --set 名称=值。")
        if value.startswith(ENV_PREFIX):
            if not _ENV_NAME.fullmatch(value[len(ENV_PREFIX) :]):
                raise ValidationError(
                    "notify.settings",
                    f"设置“{key}”引用的环境变量名不对：应写成 env:变量名（如 env:QJP_WECOM_KEY）。",
                )
        elif is_secret_setting(key) and value:
            raise ValidationError(
                "notify.secret_in_store",
                f"设置“{key}”是机密信息，不能写进数据库：请写成 {key}=env:环境变量名，"
                f"或写在 PARTYREG_CONFIG 指定的 TOML 文件中该渠道的表里。",
            )
        elif key.lower().endswith("url") and _url_has_credentials(value):
            raise ValidationError(
                "notify.secret_in_store",
                f"设置“{key}”的地址里带有密钥（key=、access_token= 等）：请去掉地址中的密钥，"
                "改用对应的设置（如 key=env:变量名）。",
            )
        checked[key] = value
    return checked


def _url_has_credentials(url: str) -> bool:
    """Whether ``url`` carries a credential: a secret-named query parameter or a password."""
    rest = url.partition("://")[2] if "://" in url else url
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    query = rest.partition("?")[2].partition("#")[0]
    names = {part.partition("=")[0].strip().lower() for part in query.split("&") if part}
    userinfo = netloc.rpartition("@")[0]
    return bool(names & _SECRET_QUERY) or ":" in userinfo


def resolve_settings(
    stored: Mapping[str, str],
    deployment: Mapping[str, str],
    environ: Mapping[str, str],
    *,
    channel: str,
) -> dict[str, str]:
    """The settings a channel is built from: the store's, overlaid by the deployment file's
    table for the channel, with every ``env:NAME`` replaced by that environment variable.

    A variable that is not set is a :class:`ValidationError` naming the variable (never a
    value)."""
    merged = {**stored, **deployment}
    resolved: dict[str, str] = {}
    for key, value in merged.items():
        if value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :]
            if name not in environ:
                raise ValidationError(
                    "notify.env_missing",
                    f"渠道 {channel} 的设置“{key}”引用的环境变量 {name} 没有设置："
                    f"请在运行 partyreg 的环境中设置 {name}（或写进 PARTYREG_CONFIG 的 TOML 文件）。",
                )
            value = environ[name]
        resolved[key] = value
    return resolved


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


def idempotency_key(notice: Notice, channel: str) -> str:
    """The outbox key of ``notice`` sent through ``channel`` ('' when it has none): the same
    event, target and channel always give the same key."""
    text = "\x1f".join((notice.event, notice.identity, str(notice.target), channel))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


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


# ---------------------------------------------------------------------------------------------
# The deployment file's [notify] section
# ---------------------------------------------------------------------------------------------


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


_NOTIFY_KEYS = {
    "max_attempts",
    "backoff_base",
    "backoff_cap",
    "deliver_immediately",
    "immediate_timeout",
    "immediate_budget",
    "lease",
    "channels",
}


def _config_error(detail: str, source: str) -> ValidationError:
    return ValidationError("config.invalid", f"配置文件 {source} 有误：{detail}。")


def _number(section: Mapping[str, Any], key: str, default: float, source: str) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _config_error(f"[notify] {key} 应为大于 0 的数（现为 {value!r}）", source)
    return float(value)


def parse_deployment(text: str, *, source: str = "PARTYREG_CONFIG") -> NotifyConfig:
    """The ``[notify]`` section of a deployment TOML file (other sections are left to the
    parts of partyreg that read them). Unknown keys in ``[notify]`` are refused, so a misspelt
    setting is not silently ignored."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _config_error(f"不是有效的 TOML（{exc}）", source) from None
    section = data.get("notify", {})
    if not isinstance(section, dict):
        raise _config_error("[notify] 应是一个表", source)
    unknown = sorted(set(section) - _NOTIFY_KEYS)
    if unknown:
        raise _config_error(
            f"[notify] 中不认识的设置 {'、'.join(unknown)}：可用的有 {'、'.join(sorted(_NOTIFY_KEYS))}",
            source,
        )
    attempts = section.get("max_attempts", 8)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise _config_error(f"[notify] max_attempts 应为正整数（现为 {attempts!r}）", source)
    base = _number(section, "backoff_base", 60.0, source)
    cap = _number(section, "backoff_cap", 3600.0, source)
    if cap < base:
        raise _config_error("[notify] backoff_cap 不能小于 backoff_base", source)
    immediate = section.get("deliver_immediately", True)
    if not isinstance(immediate, bool):
        raise _config_error("[notify] deliver_immediately 应为 true 或 false", source)
    channels_raw = section.get("channels", {})
    if not isinstance(channels_raw, dict):
        raise _config_error("[notify.channels] 应是一个表", source)
    channels: dict[str, dict[str, str]] = {}
    for name, values in channels_raw.items():
        if not isinstance(values, dict):
            raise _config_error(f'[notify.channels."{name}"] 应是一个表', source)
        settings: dict[str, str] = {}
        for key, value in values.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float):
                value = str(value)
            if not isinstance(value, str):
                raise _config_error(
                    f'[notify.channels."{name}"] 的 {key} 应是文字、数字或 true/false', source
                )
            settings[str(key)] = value
        channels[str(name)] = settings
    return NotifyConfig(
        policy=RetryPolicy(max_attempts=attempts, base_seconds=base, cap_seconds=cap),
        channels=channels,
        deliver_immediately=immediate,
        immediate_timeout=_number(section, "immediate_timeout", 2.0, source),
        immediate_budget=_number(section, "immediate_budget", 3.0, source),
        lease_seconds=_number(section, "lease", 600.0, source),
    )


# ---------------------------------------------------------------------------------------------
# Message text helpers
# ---------------------------------------------------------------------------------------------

_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


def mask_phones_in_text(text: str) -> str:
    """Free text (a reason, a purpose) with every phone number in it masked: messages leave
    partyreg for group chats and mailboxes, so they never carry a full phone number."""
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def name_list(names: Sequence[str], limit: int = 20) -> str:
    """``张三、李四…等 N 人``: at most ``limit`` names."""
    shown = "、".join(names[:limit])
    if len(names) > limit:
        return f"{shown}等 {len(names)} 人"
    return shown
