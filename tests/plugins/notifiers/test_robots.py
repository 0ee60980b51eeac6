"""The WeCom and DingTalk group robots against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.errors import TemporaryError, ValidationError
from partyreg_core.ports import Message
from partyreg_plugins.notifiers import (
    DingTalkNotifier,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    WeComNotifier,
)
from partyreg_plugins.notifiers.robots import TRUNCATION_MARK, truncate_utf8

from .conftest import RecordingServer

SUBJECT = "【截止提醒】距报到截止还有 3 天"
BODY = "清河区委：\n尚有 2 个单位未完成报到：\n1. 区财政局（5 人）\n2. 区教育局（3 人）"
KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
TOKEN = "ff6cd723bdb4455fe18aba30dbeff007f5"
SECRET = "SEC1234567890abcdef+/="
NOW_MS = 1_726_000_000_123


def query(path: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)


# ---------------------------------------------------------------------------------------------
# WeCom
# ---------------------------------------------------------------------------------------------


def test_wecom_markdown(http_server: RecordingServer) -> None:
    notifier = WeComNotifier({"url": f"{http_server.url}/cgi-bin/webhook/send", "key": KEY})

    notifier.send(Message(SUBJECT, BODY, ("13912345678",)))

    (request,) = http_server.requests
    assert request.path == f"/cgi-bin/webhook/send?key={KEY}"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    # Markdown has no mention lists in WeCom's format.
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"content": f"### {SUBJECT}\n{BODY}"},
    }


def test_robots_keep_the_subject_on_one_line(http_server: RecordingServer) -> None:
    message = Message("报到进度\n通报", BODY)
    WeComNotifier({"url": http_server.url, "key": KEY}).send(message)
    DingTalkNotifier({"url": http_server.url, "access_token": TOKEN}).send(message)

    wecom, dingtalk = (r.json()["markdown"] for r in http_server.requests)
    assert wecom["content"].startswith("### 报到进度 通报\n")
    assert dingtalk["title"] == "报到进度 通报"


def test_wecom_text_mentions_recipients(http_server: RecordingServer) -> None:
    notifier = WeComNotifier(
        {
            "url": f"{http_server.url}/cgi-bin/webhook/send?key={KEY}",
            "msgtype": "text",
            "mention_all": "true",
        }
    )

    notifier.send(Message(SUBJECT, BODY, ("139-1234-5678", "+8613800001111", "wangqing")))

    (request,) = http_server.requests
    assert query(request.path) == {"key": [KEY]}
    assert request.json() == {
        "msgtype": "text",
        "text": {
            "content": f"{SUBJECT}\n{BODY}",
            "mentioned_list": ["wangqing", "@all"],
            "mentioned_mobile_list": ["13912345678", "13800001111"],
        },
    }


@pytest.mark.parametrize(("msgtype", "limit"), [("markdown", 4096), ("text", 2048)])
def test_wecom_long_content_is_truncated_to_its_byte_limit(
    http_server: RecordingServer, msgtype: str, limit: int
) -> None:
    body = "\n".join(f"{i}. 某某单位党组织 尚有 3 名党员未报到" for i in range(1, 400))
    notifier = WeComNotifier({"url": http_server.url, "key": KEY, "msgtype": msgtype})

    notifier.send(Message(SUBJECT, body))

    content = http_server.requests[0].json()[msgtype]["content"]
    assert len(content.encode("utf-8")) <= limit
    assert content.endswith(TRUNCATION_MARK)
    kept = content.removesuffix(TRUNCATION_MARK)
    # Cut on a line break: every kept line is a whole line of the original.
    assert kept.split("\n")[-1] in body.split("\n")


def test_wecom_errcode_is_permanent_with_errmsg_and_hides_key(http_server: RecordingServer) -> None:
    http_server.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [xxx]"})
    notifier = WeComNotifier({"url": http_server.url, "key": KEY})

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))

    error = caught.value
    assert error.code == "notify.robot" and error.channel == "wecom"
    assert "errcode 93000" in error.message and "invalid webhook url" in error.message
    assert KEY not in error.message and KEY not in str(error)


def test_wecom_rate_limit_is_temporary(http_server: RecordingServer) -> None:
    http_server.answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})

    with pytest.raises(TemporaryDeliveryError) as caught:
        WeComNotifier({"url": http_server.url, "key": KEY}).send(Message(SUBJECT, BODY))

    assert isinstance(caught.value, TemporaryError)
    assert caught.value.code == "notify.busy" and caught.value.retry_after == 60
    assert "api freq out of limit" in caught.value.message


def test_wecom_answer_that_is_not_a_robot_is_permanent(http_server: RecordingServer) -> None:
    http_server.answer(200, b"<html>login portal</html>", {"Content-Type": "text/html"})

    with pytest.raises(PermanentDeliveryError) as caught:
        WeComNotifier({"url": http_server.url, "key": KEY}).send(Message(SUBJECT, BODY))

    assert caught.value.code == "notify.response"


def test_wecom_http_failures(http_server: RecordingServer, closed_port: int) -> None:
    http_server.answer(502, b"bad gateway")
    with pytest.raises(TemporaryDeliveryError):
        WeComNotifier({"url": http_server.url, "key": KEY}).send(Message(SUBJECT, BODY))

    http_server.answer(404, b"not found")
    with pytest.raises(PermanentDeliveryError):
        WeComNotifier({"url": http_server.url, "key": KEY}).send(Message(SUBJECT, BODY))

    with pytest.raises(TemporaryDeliveryError) as caught:
        WeComNotifier({"url": f"http://127.0.0.1:{closed_port}/", "key": KEY}).send(
            Message(SUBJECT, BODY)
        )
    assert caught.value.code == "notify.unreachable"


def test_wecom_defaults_to_the_official_endpoint() -> None:
    notifier = WeComNotifier({"key": KEY})
    assert notifier.url == f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    assert notifier.msgtype == "markdown"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "key"),
        ({"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "key"),
        ({"url": f"https://example.org/send?key={KEY}", "key": KEY}, "key"),
        ({"key": KEY, "msgtype": "news"}, "msgtype"),
        ({"key": KEY, "mention_all": "maybe"}, "mention_all"),
        ({"key": KEY, "url": "not a url"}, "url"),
        ({"key": KEY, "secret": "x"}, "secret"),
    ],
)
def test_wecom_bad_settings_fail_up_front(settings: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WeComNotifier(settings)

    assert caught.value.code == "notify.settings"
    assert f"“{named}”" in caught.value.message
    assert KEY not in caught.value.message


def test_wecom_missing_key_points_to_the_deployment_config() -> None:
    with pytest.raises(ValidationError) as caught:
        WeComNotifier({})
    assert "PARTYREG_CONFIG" in caught.value.message and "key=" in caught.value.message


# ---------------------------------------------------------------------------------------------
# DingTalk
# ---------------------------------------------------------------------------------------------


def expected_sign(secret: str, timestamp: int) -> str:
    """DingTalk's documented algorithm, written out independently of the notifier."""
    string_to_sign = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_dingtalk_signed_markdown(http_server: RecordingServer) -> None:
    notifier = DingTalkNotifier(
        {"url": f"{http_server.url}/robot/send", "access_token": TOKEN, "secret": SECRET},
        clock=lambda: NOW_MS,
    )

    notifier.send(Message(SUBJECT, BODY))

    (request,) = http_server.requests
    params = query(request.path)
    assert params == {
        "access_token": [TOKEN],
        "timestamp": [str(NOW_MS)],
        "sign": [expected_sign(SECRET, NOW_MS)],
    }
    # On the wire the base64 signature is URL-encoded exactly once, as DingTalk's sample does.
    raw = urllib.parse.urlsplit(request.path).query
    assert f"sign={urllib.parse.quote_plus(expected_sign(SECRET, NOW_MS))}" in raw.split("&")
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {
            "title": SUBJECT,
            "text": f"### {SUBJECT}\n\n" + BODY.replace("\n", "  \n"),
        },
    }


def test_dingtalk_signature_follows_the_clock(http_server: RecordingServer) -> None:
    times = iter([NOW_MS, NOW_MS + 61_000])
    notifier = DingTalkNotifier(
        {"url": http_server.url, "access_token": TOKEN, "secret": SECRET},
        clock=lambda: next(times),
    )
    notifier.send(Message(SUBJECT, BODY))
    notifier.send(Message(SUBJECT, BODY))

    first, second = (query(r.path) for r in http_server.requests)
    assert second["timestamp"] == [str(NOW_MS + 61_000)]
    assert second["sign"] == [expected_sign(SECRET, NOW_MS + 61_000)] != first["sign"]


def test_dingtalk_text_with_mentions_and_no_secret(http_server: RecordingServer) -> None:
    notifier = DingTalkNotifier(
        {"url": f"{http_server.url}/robot/send?access_token={TOKEN}", "msgtype": "text"}
    )

    notifier.send(Message(SUBJECT, BODY, ("13912345678", "manager001")))

    (request,) = http_server.requests
    assert query(request.path) == {"access_token": [TOKEN]}
    assert request.json() == {
        "msgtype": "text",
        "text": {"content": f"{SUBJECT}\n{BODY}\n\n@13912345678 @manager001"},
        "at": {"atMobiles": ["13912345678"], "atUserIds": ["manager001"], "isAtAll": False},
    }


def test_dingtalk_security_mismatch_is_permanent(http_server: RecordingServer) -> None:
    http_server.answer(200, {"errcode": 310000, "errmsg": "sign not match"})
    notifier = DingTalkNotifier(
        {"url": http_server.url, "access_token": TOKEN, "secret": SECRET}, clock=lambda: NOW_MS
    )

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))

    error = caught.value
    assert error.code == "notify.robot" and error.channel == "dingtalk"
    assert "errcode 310000" in error.message and "sign not match" in error.message
    assert "secret" in error.message
    for hidden in (TOKEN, SECRET, expected_sign(SECRET, NOW_MS)):
        assert hidden not in error.message


def test_dingtalk_too_fast_is_temporary(http_server: RecordingServer) -> None:
    http_server.answer(200, {"errcode": 130101, "errmsg": "send too fast"})

    with pytest.raises(TemporaryDeliveryError) as caught:
        DingTalkNotifier({"url": http_server.url, "access_token": TOKEN}).send(
            Message(SUBJECT, BODY)
        )

    assert caught.value.retry_after == 600 and "send too fast" in caught.value.message


def test_dingtalk_server_error_and_timeout_are_temporary(
    http_server: RecordingServer, silent_port: int
) -> None:
    http_server.answer(500, b"oops")
    with pytest.raises(TemporaryDeliveryError) as caught:
        DingTalkNotifier({"url": http_server.url, "access_token": TOKEN}).send(
            Message(SUBJECT, BODY)
        )
    assert caught.value.code == "notify.server"

    slow = DingTalkNotifier(
        {"url": f"http://127.0.0.1:{silent_port}/", "access_token": TOKEN, "timeout": "0.3"}
    )
    with pytest.raises(TemporaryDeliveryError) as caught:
        slow.send(Message(SUBJECT, BODY))
    assert caught.value.code == "notify.timeout"


def test_dingtalk_bad_request_is_permanent(http_server: RecordingServer) -> None:
    http_server.answer(400, b"bad request")
    with pytest.raises(PermanentDeliveryError) as caught:
        DingTalkNotifier({"url": http_server.url, "access_token": TOKEN}).send(
            Message(SUBJECT, BODY)
        )
    assert caught.value.code == "notify.rejected"


def test_dingtalk_defaults_to_the_official_endpoint() -> None:
    notifier = DingTalkNotifier({"access_token": TOKEN})
    assert notifier.url == f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"
    assert notifier.signed_url() == notifier.url


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "access_token"),
        ({"access_token": TOKEN, "msgtype": "actionCard"}, "msgtype"),
        ({"access_token": TOKEN, "timeout": "301"}, "timeout"),
        ({"access_token": TOKEN, "key": "k"}, "key"),
    ],
)
def test_dingtalk_bad_settings_fail_up_front(settings: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DingTalkNotifier(settings)

    assert caught.value.code == "notify.settings"
    assert f"“{named}”" in caught.value.message


# ---------------------------------------------------------------------------------------------
# Truncation
# ---------------------------------------------------------------------------------------------


def test_short_text_is_untouched() -> None:
    assert truncate_utf8("报到", 6) == "报到"


@given(st.text(), st.integers(min_value=len(TRUNCATION_MARK.encode()) + 1, max_value=400))
def test_truncation_fits_and_keeps_a_prefix(text: str, limit: int) -> None:
    result = truncate_utf8(text, limit)

    assert len(result.encode("utf-8")) <= limit
    if result != text:
        assert result.endswith(TRUNCATION_MARK)
        assert text.startswith(result.removesuffix(TRUNCATION_MARK))
