"""The rules of notifications and their Chinese messages: parsing a target, keeping secrets
out of the store (:func:`check_stored_settings`, :func:`resolve_settings`), a channel's name,
the outbox key of a notice, the deployment file's ``[notify]`` section
(:func:`parse_deployment`), and the refusals the store only guards (a channel name in use, a
message already sent, a skipped message with no channel yet).

Pure: no I/O and no clock. The facade reads the environment and the file named by
``PARTYREG_CONFIG`` and hands their contents in.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.masking import mask_phone
from partyreg_core.notify.model import (
    Channel,
    Notice,
    NotifyConfig,
    OutboxMessage,
    OutboxStatus,
    RetryPolicy,
    Target,
    TargetKind,
)
from partyreg_core.operators.model import Actor, Role, Scope
from partyreg_core.orgcodes import OrgCode, parse_code
from partyreg_core.records import MAX_RECORD_ID


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


def idempotency_key(notice: Notice, channel: str) -> str:
    """The outbox key of ``notice`` sent through ``channel`` ('' when it has none): the same
    event, target and channel always give the same key."""
    text = "\x1f".join((notice.event, notice.identity, str(notice.target), channel))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


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


# ---------------------------------------------------------------------------------------------
# Channels: who may configure one, what a new one needs
# ---------------------------------------------------------------------------------------------


def channel_write_allowed(scope: Scope, channel: Channel) -> bool:
    """Whether ``scope`` may configure a channel for ``channel``'s target (its
    ``district_code``/``community_id`` say where the target lies): the city any; an operator
    with a code the targets under it; a district the communities and instructors in it; a
    community its own community. A member's channel is never configured one by one."""
    target = channel.target
    if scope.role is Role.CITY:
        return True
    if target.kind.has_code:
        assert target.code is not None
        return scope.code is not None and target.code.is_within(scope.code)
    if target.kind is TargetKind.MEMBER:
        return False  # a member is reached through the channels for members of their unit
    if scope.role is Role.DISTRICT:
        return channel.district_code is not None and channel.district_code == scope.code
    if scope.role is Role.COMMUNITY and target.kind is TargetKind.COMMUNITY:
        return target.id in scope.communities
    return False


def channel_denied(actor: Actor, target: Target) -> NotPermittedError:
    """The refusal of a channel for a target outside the actor's scope."""
    return NotPermittedError(
        "scope.denied",
        f"{actor.name} 的管理范围（{actor.scope.label}）不包括 {target.label}："
        "只能为自己范围内的单位、社区配置通知渠道。",
    )


def check_new_channel(
    target: Target, kind: str, settings: Mapping[str, str], kinds: Sequence[str]
) -> dict[str, str]:
    """The settings a new channel of ``kind`` for ``target`` keeps in the store (secrets only
    as ``env:NAME``), or the refusal: a member's own channel, a type no plugin provides, a
    mail channel without recipients, a secret in clear text."""
    if target.kind is TargetKind.MEMBER:
        raise ValidationError(
            "notify.member_channel",
            "党员个人的通知渠道按所在单位配置：请为 members:单位代码 添加渠道"
            "（如 partyreg notify channel add members:008 --type sms …），"
            "消息发到党员本人登记的手机。",
        )
    if kind not in kinds:
        known = "、".join(sorted(kinds)) or "（没有加载通知插件）"
        raise ValidationError("notify.kind", f"没有名为 {kind} 的通知渠道类型：可用的有 {known}。")
    stored = check_stored_settings(settings)
    if kind == "smtp" and not stored.get("to"):
        raise ValidationError(
            "notify.settings",
            "邮件渠道需要收件人：请加上 --set to=地址（多个用逗号分隔）。",
        )
    return stored


def default_channel_name(target: Target, kind: str) -> str:
    """A channel's name when none is given: ``wecom-org-008-001``, ``smtp-community-12``."""
    text = str(target).replace(":", "-").replace(".", "-")
    return f"{kind}-{text}"[:64]


def channel_exists(name: str) -> ConflictError:
    """The refusal of a channel name already in use (the store's unique name guards it)."""
    return ConflictError(
        "notify.channel_exists",
        f"渠道名 {name} 已被使用：请换一个名字（--name），"
        f"或先 partyreg notify channel remove {shlex.quote(name)}。",
    )


def channel_unknown(name: str) -> NotFoundError:
    """No channel of that name within the actor's scope."""
    return NotFoundError(
        "notify.channel_unknown",
        f"没有名为 {name} 的通知渠道（或不在你的管理范围内）：用 partyreg notify channel list 查看。",
    )


def channel_kind_missing(channel: Channel) -> ValidationError:
    """A stored channel whose type no loaded plugin provides."""
    return ValidationError(
        "notify.kind",
        f"渠道 {channel.name} 的类型 {channel.kind} 没有插件提供：请安装提供它的插件，或删除这个渠道。",
    )


#: The error code of a message whose channel was removed before it was sent.
CHANNEL_REMOVED = "notify.channel_removed"


def channel_removed_text(name: str) -> str:
    """Why a message of a removed channel was not sent, and the fix."""
    return f"渠道 {name} 已删除：配置新渠道后可用 partyreg notify retry 重新发送。"


def channel_removed(name: str) -> NotFoundError:
    """A queued message whose channel was removed before it was sent."""
    return NotFoundError(CHANNEL_REMOVED, channel_removed_text(name))


# ---------------------------------------------------------------------------------------------
# The outbox: listing, retrying by hand
# ---------------------------------------------------------------------------------------------


def parse_outbox_status(status: OutboxStatus | str) -> OutboxStatus:
    """A status as typed (``pending``, ``sent``, ``failed``, ``skipped``)."""
    if isinstance(status, OutboxStatus):
        return status
    try:
        return OutboxStatus(status.strip().lower())
    except ValueError:
        names = "、".join(s.value for s in OutboxStatus)
        raise ValidationError(
            "notify.status", f"未知的状态“{status}”：应为 {names} 之一。"
        ) from None


def message_unknown(message_id: int) -> NotFoundError:
    """No outbox message of that id within the actor's scope."""
    return NotFoundError(
        "notify.message_unknown",
        f"发送队列中没有编号为 {message_id} 的消息（或不在你的管理范围内）：用 partyreg notify list 查看。",
    )


def check_retry(message: OutboxMessage, channel_names: Sequence[str]) -> None:
    """Whether ``message`` may be sent again by hand through ``channel_names`` (its own
    channel when empty): a sent one never; a skipped one only once its target has a channel."""
    if message.status is OutboxStatus.SENT:
        raise ConflictError(
            "notify.already_sent",
            f"消息 {message.id} 已于 {message.sent_at:%Y-%m-%d %H:%M} 发送成功，不再重发。",
        )
    if (message.status is OutboxStatus.SKIPPED or message.channel == "") and not channel_names:
        raise ConflictError(
            "notify.no_channel",
            f"{message.target.label} 仍没有启用的通知渠道：请先用 partyreg notify channel add "
            f"{message.target} … 配置渠道，再重发。",
        )


def member_gone(member_id: int) -> NotFoundError:
    """A message to a member who left, was anonymised or is outside the sender's scope."""
    return NotFoundError(
        "notify.member_gone",
        f"党员 {member_id} 已退出活动、已匿名化或不在你的管理范围内：消息不再发送。",
    )
