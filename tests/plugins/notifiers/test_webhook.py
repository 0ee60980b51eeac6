"""The webhook channel against a real HTTP(S) server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from partyreg_core.errors import TemporaryError, ValidationError
from partyreg_core.ports import Message
from partyreg_plugins.notifiers import (
    PermanentDeliveryError,
    TemporaryDeliveryError,
    WebhookNotifier,
)

from .conftest import RecordingServer, Tls

MESSAGE = Message(
    "【已分流】3 名在职党员分到 清江浦区/长东街道/长东社区",
    "社区党组织：\n市级机关工委所属单位的 3 名党员已分到贵社区，请在 9月20日 前确认报到。",
    ("长东社区", "13912345678"),
)
SECRET = "共享密钥-shared-secret"


def test_posts_exact_json_with_signature_and_static_fields(http_server: RecordingServer) -> None:
    notifier = WebhookNotifier(
        {
            "url": f"{http_server.url}/hooks/partyreg?src=ha",
            "secret": SECRET,
            "extra.source": "partyreg",
            "extra.district": "清江浦区",
            "header.Authorization": "Bearer t0ken",
        }
    )

    notifier.send(MESSAGE)

    (request,) = http_server.requests
    assert request.path == "/hooks/partyreg?src=ha"
    assert request.json() == {
        "subject": MESSAGE.subject,
        "body": MESSAGE.body,
        "recipients": ["长东社区", "13912345678"],
        "source": "partyreg",
        "district": "清江浦区",
    }
    # Chinese travels as UTF-8, not as \u escapes.
    assert "长东社区".encode() in request.body
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["User-Agent"].startswith("partyreg")
    expected = hmac.new(SECRET.encode("utf-8"), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Partyreg-Signature-256"] == f"sha256={expected}"


def test_without_secret_there_is_no_signature(http_server: RecordingServer) -> None:
    WebhookNotifier({"url": http_server.url}).send(Message("主题", "正文"))

    (request,) = http_server.requests
    assert "X-Partyreg-Signature-256" not in request.headers
    assert json.loads(request.body) == {"subject": "主题", "body": "正文", "recipients": []}


def test_any_2xx_is_success(http_server: RecordingServer) -> None:
    http_server.answer(204, b"")
    http_server.answer(202, b"accepted")
    notifier = WebhookNotifier({"url": http_server.url})
    notifier.send(MESSAGE)
    notifier.send(MESSAGE)
    assert len(http_server.requests) == 2


def test_server_error_is_temporary(http_server: RecordingServer) -> None:
    http_server.answer(500, b"<h1>Internal Server Error</h1>", {"Content-Type": "text/html"})

    with pytest.raises(TemporaryDeliveryError) as caught:
        WebhookNotifier({"url": http_server.url}).send(MESSAGE)

    assert isinstance(caught.value, TemporaryError) and caught.value.retryable
    assert caught.value.code == "notify.server"
    assert "HTTP 500" in caught.value.message and "Internal Server Error" in caught.value.message


def test_throttled_is_temporary_with_retry_after(http_server: RecordingServer) -> None:
    http_server.answer(429, b"slow down", {"Retry-After": "30"})

    with pytest.raises(TemporaryDeliveryError) as caught:
        WebhookNotifier({"url": http_server.url}).send(MESSAGE)

    assert caught.value.code == "notify.busy" and caught.value.retry_after == 30


def test_client_error_is_permanent(http_server: RecordingServer) -> None:
    http_server.answer(400, {"error": "field subject too long"})

    with pytest.raises(PermanentDeliveryError) as caught:
        WebhookNotifier({"url": http_server.url}).send(MESSAGE)

    assert not isinstance(caught.value, TemporaryError) and not caught.value.retryable
    assert caught.value.code == "notify.rejected"
    assert "HTTP 400" in caught.value.message and "field subject too long" in caught.value.message


def test_unauthorised_is_permanent_and_hides_the_token(http_server: RecordingServer) -> None:
    http_server.answer(401, b"bad token")
    notifier = WebhookNotifier(
        {"url": f"{http_server.url}/in?token=TOPSECRET", "header.Authorization": "Bearer x"}
    )

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(MESSAGE)

    assert caught.value.code == "notify.auth"
    assert "TOPSECRET" not in caught.value.message
    assert f"{http_server.url}/in" in caught.value.message


def test_redirect_is_not_followed(http_server: RecordingServer) -> None:
    http_server.answer(302, b"", {"Location": f"{http_server.url}/new?key=K"})

    with pytest.raises(PermanentDeliveryError) as caught:
        WebhookNotifier({"url": http_server.url}).send(MESSAGE)

    assert caught.value.code == "notify.redirected"
    assert f"{http_server.url}/new" in caught.value.message and "key=K" not in caught.value.message
    assert len(http_server.requests) == 1


def test_connection_refused_is_temporary(closed_port: int) -> None:
    with pytest.raises(TemporaryDeliveryError) as caught:
        WebhookNotifier({"url": f"http://127.0.0.1:{closed_port}/"}).send(MESSAGE)

    assert caught.value.code == "notify.unreachable" and "拒绝连接" in caught.value.message


def test_server_that_never_answers_is_temporary(silent_port: int) -> None:
    notifier = WebhookNotifier({"url": f"http://127.0.0.1:{silent_port}/", "timeout": "0.3"})

    with pytest.raises(TemporaryDeliveryError) as caught:
        notifier.send(MESSAGE)

    assert caught.value.code == "notify.timeout" and "0.3 秒" in caught.value.message


def test_https_with_private_ca(https_server: RecordingServer, tls: Tls) -> None:
    WebhookNotifier({"url": https_server.url, "ca_file": str(tls.ca_file)}).send(MESSAGE)

    assert https_server.requests[0].json()["subject"] == MESSAGE.subject


def test_https_with_untrusted_certificate_is_permanent(https_server: RecordingServer) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        WebhookNotifier({"url": https_server.url}).send(MESSAGE)

    assert caught.value.code == "notify.tls" and "ca_file" in caught.value.message
    assert https_server.requests == []


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "url"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"url": "example.org/hook"}, "url"),
        ({"url": "https://user:pw@example.org/hook"}, "url"),
        ({"url": "https://example.org/", "timeout": "-1"}, "timeout"),
        ({"url": "https://example.org/", "extra.subject": "x"}, "extra.subject"),
        ({"url": "https://example.org/", "extra.": "x"}, "extra."),
        (
            {"url": "https://example.org/", "header.Content-Type": "text/plain"},
            "header.Content-Type",
        ),
        ({"url": "https://example.org/", "header.X-A": "a\r\nX-B: b"}, "header.X-A"),
        ({"url": "https://example.org/", "signature": "s"}, "signature"),
    ],
)
def test_bad_settings_fail_up_front(settings: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookNotifier(settings)

    assert caught.value.code == "notify.settings"
    assert f"“{named}" in caught.value.message
