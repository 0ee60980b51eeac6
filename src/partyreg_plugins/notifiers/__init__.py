"""The built-in notification channels: ``smtp``, ``webhook``, ``wecom``, ``dingtalk`` and
``sms`` (an HTTP SMS gateway, for messages to members).

Each channel type maps to a factory that takes the channel's settings (a ``Mapping[str, str]``:
the store's per-unit channel settings merged with the deployment's secrets) and returns a
:class:`partyreg_core.ports.Notifier`. Settings are checked when the channel is built
(:class:`partyreg_core.errors.ValidationError`, code ``notify.settings``); a failed send raises
a :class:`~partyreg_plugins.notifiers.errors.DeliveryError` whose class says whether to retry.
See ``docs/notifications.md``.
"""

from __future__ import annotations

from collections.abc import Callable

from partyreg_core.hookspecs import hookimpl
from partyreg_core.ports import NotifierFactory
from partyreg_plugins.notifiers.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from partyreg_plugins.notifiers.robots import DingTalkNotifier, WeComNotifier
from partyreg_plugins.notifiers.sms import SmsNotifier
from partyreg_plugins.notifiers.smtp import SmtpNotifier
from partyreg_plugins.notifiers.webhook import WebhookNotifier

__all__ = [
    "DeliveryError",
    "DingTalkNotifier",
    "PermanentDeliveryError",
    "SmsNotifier",
    "SmtpNotifier",
    "TemporaryDeliveryError",
    "WeComNotifier",
    "WebhookNotifier",
]

CHANNELS: dict[str, NotifierFactory] = {
    "smtp": SmtpNotifier,
    "webhook": WebhookNotifier,
    "wecom": WeComNotifier,
    "dingtalk": DingTalkNotifier,
    "sms": SmsNotifier,
}


@hookimpl
def partyreg_register_notifiers(register: Callable[[str, NotifierFactory], None]) -> None:
    """Register the ``smtp``, ``webhook``, ``wecom``, ``dingtalk`` and ``sms`` channels."""
    for channel_type, factory in CHANNELS.items():
        register(channel_type, factory)
