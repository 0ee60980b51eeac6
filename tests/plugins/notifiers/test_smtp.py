"""The smtp channel against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

import pytest

from partyreg_core.errors import TemporaryError, ValidationError
from partyreg_core.ports import Message
from partyreg_plugins.notifiers import (
    PermanentDeliveryError,
    SmtpNotifier,
    TemporaryDeliveryError,
)

from .conftest import PASSWORD, USER, Tls

SUBJECT = "【提醒】清江浦区 2024 年在职党员报到截止日期临近"
BODY = "各单位党组织：\n距 9月20日 报到截止还有 3 天，贵单位尚有 12 名党员未报到。\n请抓紧督促。\n淮安市委组织部"
SENDER = "淮安市委组织部 <noreply@huaian.example.gov.cn>"


def received(server: Any) -> EmailMessage:
    (envelope,) = server.inbox.envelopes
    parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def settings(port: int, **more: str) -> dict[str, str]:
    return {"host": "127.0.0.1", "port": str(port), "security": "none", "from": SENDER, **more}


def test_plain_relay_delivers_chinese_subject_body_and_recipients(smtp_server: Any) -> None:
    server = smtp_server("plain")
    notifier = SmtpNotifier(settings(server.port, to="办公室 <office@unit.example.cn>"))

    notifier.send(Message(SUBJECT, BODY, ("community@sq.example.cn", "OFFICE@unit.example.cn")))

    (envelope,) = server.inbox.envelopes
    assert envelope.mail_from == "noreply@huaian.example.gov.cn"
    # The configured address and the message's, once each (addresses compare case-blind).
    assert envelope.rcpt_tos == ["office@unit.example.cn", "community@sq.example.cn"]
    mail = received(server)
    assert mail["Subject"] == SUBJECT
    assert mail["From"].addresses[0].display_name == "淮安市委组织部"
    assert [a.addr_spec for a in mail["To"].addresses] == envelope.rcpt_tos
    assert mail["To"].addresses[0].display_name == "办公室"
    assert mail.get_content().rstrip("\n") == BODY
    assert mail.get_content_charset() == "utf-8"
    assert mail["Message-ID"] and mail["Date"]
    # On the wire everything is 7-bit: encoded words and base64.
    assert envelope.original_content.isascii()


def test_long_subject_and_line_breaks_in_subject(smtp_server: Any) -> None:
    server = smtp_server("plain")
    subject = "关于" + "淮安经济技术开发区党工委所属单位" * 6 + "\n报到进度的通报"

    SmtpNotifier(settings(server.port, to="a@b.example.cn")).send(Message(subject, "正文"))

    mail = received(server)
    assert mail["Subject"] == " ".join(subject.split())
    assert "报到进度的通报" in mail["Subject"]


def test_starttls_with_login(smtp_server: Any, tls: Tls) -> None:
    server = smtp_server("starttls", auth=True, tls=tls)
    notifier = SmtpNotifier(
        settings(
            server.port,
            security="starttls",
            ca_file=str(tls.ca_file),
            username=USER,
            password=PASSWORD,
            to="a@b.example.cn",
        )
    )

    notifier.send(Message(SUBJECT, BODY))

    assert server.inbox.logins == [USER]
    assert received(server).get_content().rstrip("\n") == BODY


def test_implicit_tls(smtp_server: Any, tls: Tls) -> None:
    server = smtp_server("tls", tls=tls)
    notifier = SmtpNotifier(
        settings(server.port, security="tls", ca_file=str(tls.ca_file), to="a@b.example.cn")
    )

    notifier.send(Message(SUBJECT, BODY))

    assert received(server)["Subject"] == SUBJECT


def test_wrong_password_is_permanent(smtp_server: Any, tls: Tls) -> None:
    server = smtp_server("starttls", auth=True, tls=tls)
    notifier = SmtpNotifier(
        settings(
            server.port,
            security="starttls",
            ca_file=str(tls.ca_file),
            username=USER,
            password="wrong",
            to="a@b.example.cn",
        )
    )

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))

    assert caught.value.code == "notify.auth"
    assert not caught.value.retryable
    assert "535" in caught.value.message and "password" in caught.value.message
    assert "wrong" not in caught.value.message
    assert server.inbox.envelopes == []


def test_untrusted_certificate_is_permanent(smtp_server: Any, tls: Tls) -> None:
    server = smtp_server("starttls", tls=tls)
    # No ca_file: the test CA is not in the system store.
    notifier = SmtpNotifier(settings(server.port, security="starttls", to="a@b.example.cn"))

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))

    assert caught.value.code == "notify.tls"
    assert "ca_file" in caught.value.message


def test_starttls_not_offered_is_permanent(smtp_server: Any, tls: Tls) -> None:
    server = smtp_server("plain")
    notifier = SmtpNotifier(
        settings(server.port, security="starttls", ca_file=str(tls.ca_file), to="a@b.example.cn")
    )

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))

    assert caught.value.code == "notify.unsupported"
    assert "STARTTLS" in caught.value.message


def test_connection_refused_is_temporary(closed_port: int) -> None:
    notifier = SmtpNotifier(settings(closed_port, to="a@b.example.cn"))

    with pytest.raises(TemporaryDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))

    assert isinstance(caught.value, TemporaryError)
    assert caught.value.retryable and caught.value.code == "notify.unreachable"
    assert "拒绝连接" in caught.value.message


def test_server_that_never_answers_is_temporary(silent_port: int) -> None:
    notifier = SmtpNotifier(settings(silent_port, to="a@b.example.cn", timeout="0.3"))

    with pytest.raises(TemporaryDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))

    assert caught.value.code == "notify.timeout"
    assert "0.3 秒" in caught.value.message


def test_recipients_refused_permanently(smtp_server: Any) -> None:
    server = smtp_server("plain")
    notifier = SmtpNotifier(settings(server.port))

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY, ("nobody@unit.example.cn",)))

    assert caught.value.code == "notify.recipient"
    assert "nobody@unit.example.cn" in caught.value.message and "550" in caught.value.message


def test_recipients_refused_for_now_is_temporary(smtp_server: Any) -> None:
    server = smtp_server("plain")
    notifier = SmtpNotifier(settings(server.port))

    with pytest.raises(TemporaryDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY, ("busy@unit.example.cn",)))

    assert caught.value.code == "notify.busy" and "450" in caught.value.message


def test_some_recipients_refused_is_permanent_and_says_who_got_it(smtp_server: Any) -> None:
    server = smtp_server("plain")
    notifier = SmtpNotifier(settings(server.port))

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY, ("ok@unit.example.cn", "nobody@unit.example.cn")))

    assert caught.value.code == "notify.partial"
    assert caught.value.delivered_to == ("ok@unit.example.cn",)
    assert server.inbox.envelopes[0].rcpt_tos == ["ok@unit.example.cn"]


def test_bad_or_missing_recipient_is_permanent_and_sends_nothing(smtp_server: Any) -> None:
    server = smtp_server("plain")
    notifier = SmtpNotifier(settings(server.port))

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY, ("不是邮箱",)))
    assert caught.value.code == "notify.recipient" and "不是邮箱" in caught.value.message

    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.send(Message(SUBJECT, BODY))
    assert caught.value.code == "notify.recipient" and "“to”" in caught.value.message

    assert server.inbox.envelopes == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"host": ""}, "host"),
        ({"from": ""}, "from"),
        ({"from": "not an address"}, "from"),
        ({"to": "a@b.example.cn, 错误地址"}, "to"),
        ({"security": "ssl"}, "security"),
        ({"port": "70000"}, "port"),
        ({"timeout": "0"}, "timeout"),
        ({"timeout": "abc"}, "timeout"),
        ({"username": "u"}, "password"),
        ({"password": "p"}, "username"),
        ({"pasword": "p"}, "pasword"),
        ({"username": "u", "password": "授权码"}, "password"),
        ({"ca_file": "/nonexistent/ca.pem"}, "ca_file"),
    ],
)
def test_bad_settings_fail_up_front(change: dict[str, str], named: str) -> None:
    values = {"host": "smtp.example.gov.cn", "from": SENDER, **change}

    with pytest.raises(ValidationError) as caught:
        SmtpNotifier(values)

    assert caught.value.code == "notify.settings"
    assert f"“{named}”" in caught.value.message
    assert caught.value.message.startswith("通知渠道 smtp（电子邮件） 的设置有误：")


def test_login_in_clear_text_is_refused_except_to_this_machine() -> None:
    login = {"from": SENDER, "security": "none", "username": "u", "password": "p"}
    with pytest.raises(ValidationError) as caught:
        SmtpNotifier({"host": "smtp.example.gov.cn", **login})
    assert "明文" in caught.value.message and "starttls" in caught.value.message

    assert SmtpNotifier({"host": "127.0.0.1", **login}).port == 25


def test_missing_password_message_points_to_the_deployment_config() -> None:
    with pytest.raises(ValidationError) as caught:
        SmtpNotifier({"host": "smtp.example.gov.cn", "from": SENDER, "username": "u"})
    assert "PARTYREG_CONFIG" in caught.value.message


def test_default_ports_follow_security() -> None:
    base = {"host": "smtp.example.gov.cn", "from": SENDER}
    assert SmtpNotifier(base).port == 587
    assert SmtpNotifier({**base, "security": "TLS"}).port == 465
    assert SmtpNotifier({**base, "security": "none"}).port == 25
