"""The SMS gateway channel against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from partyreg_core.errors import ValidationError
from partyreg_core.ports import Message
from partyreg_plugins.notifiers import PermanentDeliveryError, SmsNotifier, TemporaryDeliveryError
from partyreg_plugins.notifiers.sms import MAX_TEXT

from .conftest import RecordingServer

MESSAGE = Message(
    "【活动提醒】明天上午 9:00", "请到长东社区参加义诊，地点：社区服务中心。", ("13912345678",)
)


def test_one_post_per_mobile_with_sign_token_signature_and_extra(
    http_server: RecordingServer,
) -> None:
    notifier = SmsNotifier(
        {
            "url": f"{http_server.url}/send",
            "token": "t0ken",
            "secret": "s3cret",
            "sign": "【淮安组工】",
            "extra.template": "SMS_001",
        }
    )
    notifier.send(Message(MESSAGE.subject, MESSAGE.body, ("13912345678", "13800001111")))

    first, second = http_server.requests
    assert first.path == "/send"
    assert first.json() == {
        "phone": "13912345678",
        "text": f"【淮安组工】{MESSAGE.subject}：{MESSAGE.body}",
        "template": "SMS_001",
    }
    assert second.json()["phone"] == "13800001111"
    assert first.headers["Authorization"] == "Bearer t0ken"
    expected = hmac.new(b"s3cret", first.body, hashlib.sha256).hexdigest()
    assert first.headers["X-Partyreg-Signature-256"] == f"sha256={expected}"
    assert "淮安组工".encode() in first.body  # UTF-8, not \u escapes


def test_long_text_is_cut_to_the_concatenation_limit(http_server: RecordingServer) -> None:
    SmsNotifier({"url": http_server.url}).send(Message("主题", "很" * 1000, ("13912345678",)))
    text = http_server.requests[0].json()["text"]
    assert len(text) == MAX_TEXT and text.endswith("…")


def test_without_a_mobile_recipient_it_fails_at_once_without_posting(
    http_server: RecordingServer,
) -> None:
    notifier = SmsNotifier({"url": http_server.url})
    for recipients in ((), ("0517-83601234",), ("长东社区",)):
        with pytest.raises(PermanentDeliveryError) as caught:
            notifier.send(Message("主题", "正文", recipients))
        assert caught.value.code == "notify.no_mobile" and "手机号" in caught.value.message
    assert http_server.requests == []


def test_a_gateway_that_answers_200_with_an_error_is_a_refusal(
    http_server: RecordingServer,
) -> None:
    notifier = SmsNotifier({"url": http_server.url, "ok_field": "code", "ok_value": "0"})
    http_server.answer(200, b'{"code": 0, "msg": "ok"}')
    notifier.send(MESSAGE)
    http_server.answer(200, '{"code": 40012, "msg": "签名未报备"}'.encode())
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(MESSAGE)
    assert "签名未报备" in caught.value.message and "ok_field" not in caught.value.message
    http_server.answer(200, b"<html>not json</html>")
    with pytest.raises(PermanentDeliveryError):
        notifier.send(MESSAGE)


def test_busy_gateway_is_temporary(http_server: RecordingServer) -> None:
    http_server.answer(503, b"busy", {"Retry-After": "30"})
    with pytest.raises(TemporaryDeliveryError) as caught:
        SmsNotifier({"url": http_server.url}).send(MESSAGE)
    assert caught.value.retry_after == 30


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ({}, "url"),
        ({"url": "ftp://x"}, "url"),
        ({"url": "http://127.0.0.1:9", "ok_field": "code"}, "ok_value"),
        ({"url": "http://127.0.0.1:9", "extra.phone": "1"}, "extra.phone"),
        ({"url": "http://127.0.0.1:9", "colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_refused_in_chinese(settings: dict[str, str], said: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SmsNotifier(settings)
    assert said in caught.value.message
