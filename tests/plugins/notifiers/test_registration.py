"""The channels are found through the ``partyreg`` entry point, and their errors classify."""

from __future__ import annotations

import pytest

from partyreg_core.errors import PartyregError, TemporaryError
from partyreg_core.plugins import collect_notifiers, make_plugin_manager
from partyreg_core.ports import Notifier
from partyreg_plugins import notifiers
from partyreg_plugins.notifiers import (
    DeliveryError,
    DingTalkNotifier,
    PermanentDeliveryError,
    SmsNotifier,
    SmtpNotifier,
    TemporaryDeliveryError,
    WebhookNotifier,
    WeComNotifier,
)

SETTINGS = {
    "smtp": {"host": "smtp.example.gov.cn", "from": "noreply@example.gov.cn"},
    "webhook": {"url": "https://example.org/hook"},
    "wecom": {"key": "k"},
    "dingtalk": {"access_token": "t", "secret": "SECx"},
    "sms": {"url": "https://sms.example.gov.cn/send"},
}


def test_entry_point_registers_five_channels() -> None:
    factories = collect_notifiers(make_plugin_manager(only=["notifiers"]))

    assert factories == {
        "smtp": SmtpNotifier,
        "webhook": WebhookNotifier,
        "wecom": WeComNotifier,
        "dingtalk": DingTalkNotifier,
        "sms": SmsNotifier,
    }


def test_module_registers_through_the_hook() -> None:
    pm = make_plugin_manager([notifiers], load_entrypoints=False)
    assert set(collect_notifiers(pm)) == {"smtp", "webhook", "wecom", "dingtalk", "sms"}


@pytest.mark.parametrize("channel", sorted(SETTINGS))
def test_each_factory_builds_a_notifier(channel: str) -> None:
    factory = notifiers.CHANNELS[channel]
    assert isinstance(factory(SETTINGS[channel]), Notifier)


@pytest.mark.parametrize("channel", sorted(SETTINGS))
def test_unknown_settings_are_refused_naming_the_known_ones(channel: str) -> None:
    from partyreg_core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        notifiers.CHANNELS[channel]({**SETTINGS[channel], "tiemout": "5"})
    assert "“tiemout”" in caught.value.message and "timeout" in caught.value.message


def test_classification_is_visible_through_core_types() -> None:
    temporary = TemporaryDeliveryError("notify.timeout", "超时", channel="smtp", retry_after=5)
    permanent = PermanentDeliveryError("notify.auth", "拒绝登录", channel="smtp")

    # The outbox needs only partyreg_core.errors to decide: retry a TemporaryError, give up
    # on any other PartyregError.
    assert isinstance(temporary, TemporaryError) and temporary.exit_code == 3
    assert not isinstance(permanent, TemporaryError) and permanent.exit_code == 2
    assert all(isinstance(e, DeliveryError | PartyregError) for e in (temporary, permanent))
    assert temporary.retryable and not permanent.retryable
    assert temporary.retry_after == 5 and permanent.retry_after is None
    assert str(permanent) == "拒绝登录" and permanent.channel == "smtp"
