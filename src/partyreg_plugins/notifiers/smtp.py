"""E-mail through an SMTP server, with the standard library's smtplib and email packages.

The message is an :class:`email.message.EmailMessage`: the Chinese subject and display names
are RFC 2047 encoded, the body is UTF-8 in base64 (safe through any relay, 8BITMIME or not),
with ``Date`` and ``Message-ID`` headers that spam filters expect.

Security: ``starttls`` (the default; port 587), ``tls`` (implicit TLS, port 465) or ``none``
(port 25, for a relay on the same machine or network). Certificates are verified against the
system's CA store, or ``ca_file`` for an intranet CA. A login over ``none`` is refused unless
the server is on this machine: it would send the password in clear text.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

from partyreg_core.ports import Message
from partyreg_plugins.notifiers.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from partyreg_plugins.notifiers.settings import SettingsReader

CHANNEL = "smtp"
LABEL = "邮件服务器"
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def parse_address(value: str) -> Address:
    """``"名字 <a@b.cn>"`` or ``"a@b.cn"`` as an :class:`Address`; ValueError if it is not one."""
    if any(ch in value for ch in "\r\n"):
        raise ValueError("line break in an address")
    parsed = getaddresses([value])
    if len(parsed) != 1:
        raise ValueError("not exactly one address")
    name, spec = parsed[0]
    local, at, domain = spec.rpartition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in spec):
        raise ValueError("not an e-mail address")
    return Address(display_name=name, addr_spec=spec)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpNotifier:
    """Sends each message as one e-mail to the configured and the message's recipients.

    Settings: ``host`` (required), ``port`` (default by ``security``), ``security``
    (``starttls``/``tls``/``none``, default ``starttls``), ``username`` and ``password`` (both
    or neither; the password is a secret), ``from`` (required, ``"名字 <addr>"`` allowed),
    ``to`` (comma-separated addresses added to every message), ``timeout`` (seconds, default
    10), ``ca_file`` (PEM CA for an intranet server), ``local_hostname`` (name given in EHLO).
    """

    def __init__(self, settings: Mapping[str, str]) -> None:
        reader = SettingsReader(
            "smtp（电子邮件）",
            settings,
            known={
                "host",
                "port",
                "security",
                "username",
                "password",
                "from",
                "to",
                "timeout",
                "ca_file",
                "local_hostname",
            },
            secrets={"password"},
        )
        self.host = reader.required("host", "填写邮件服务器地址，如 smtp.example.gov.cn")
        self.security = reader.choice("security", tuple(DEFAULT_PORTS), "starttls")
        self.port = reader.integer("port", DEFAULT_PORTS[self.security], minimum=1, maximum=65535)
        self.username = reader.optional("username")
        self.password = reader.optional("password")
        if self.username is not None and self.password is None:
            reader.required("password", "设置了 username 就必须同时提供邮箱密码或授权码")
        if self.password is not None and self.username is None:
            reader.required("username", "设置了 password 就必须同时提供登录用户名")
        for key, value in (("username", self.username), ("password", self.password)):
            if value is not None and not value.isascii():
                # smtplib sends AUTH in ASCII only; mail providers' 授权码 are ASCII anyway.
                raise reader.error(
                    f"“{key}”含有中文或其他非 ASCII 字符，无法用于 SMTP 登录：请改用邮箱的授权码"
                    "或纯英文数字的账号密码"
                )
        if self.username is not None and self.security == "none" and not _is_loopback(self.host):
            raise reader.error(
                "security 为 none 时登录会以明文发送密码：请把 security 设为 starttls 或 tls"
            )
        sender = reader.required(
            "from", "填写发件人地址，如 淮安市委组织部 <noreply@example.gov.cn>"
        )
        try:
            self.sender = parse_address(sender)
        except ValueError:
            raise reader.error(
                f"“from”的取值“{sender}”不是有效的邮件地址：应写成 名字 <地址> 或 地址"
            ) from None
        self.to: list[Address] = []
        for item in _split_list(reader.optional("to") or ""):
            try:
                self.to.append(parse_address(item))
            except ValueError:
                raise reader.error(
                    f"“to”中的“{item}”不是有效的邮件地址：多个地址用英文逗号分隔"
                ) from None
        self.timeout = reader.number("timeout", 10.0, minimum=0, maximum=300)
        self.context = reader.tls_context()
        self.local_hostname = reader.optional("local_hostname")

    def recipients(self, message: Message) -> list[Address]:
        """The configured ``to`` plus the message's recipients, without duplicates."""
        found = list(self.to)
        seen = {a.addr_spec.lower() for a in found}
        for value in message.recipients:
            try:
                address = parse_address(value)
            except ValueError:
                raise PermanentDeliveryError(
                    "notify.recipient",
                    f"收件人“{value}”不是有效的邮件地址：请修正该收件人的邮箱。",
                    channel=CHANNEL,
                ) from None
            if address.addr_spec.lower() not in seen:
                seen.add(address.addr_spec.lower())
                found.append(address)
        if not found:
            raise PermanentDeliveryError(
                "notify.recipient",
                "这封邮件没有收件人：请在渠道设置“to”中填写收件地址，或为接收单位登记邮箱。",
                channel=CHANNEL,
            )
        return found

    def build(self, message: Message) -> EmailMessage:
        """The e-mail for ``message``."""
        mail = EmailMessage()
        # A line break in a header would let a subject inject headers; the policy refuses it.
        mail["Subject"] = " ".join(message.subject.split())
        mail["From"] = self.sender
        mail["To"] = self.recipients(message)
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain=self.sender.domain or None)
        mail.set_content(message.body, charset="utf-8", cte="base64")
        return mail

    def send(self, message: Message) -> None:
        """Send ``message``; raise a ``DeliveryError`` saying whether a retry can help.

        When the server takes the message for some recipients and refuses others, the error
        is permanent (retrying would send the others a second copy) and lists both.
        """
        mail = self.build(message)
        to = [a.addr_spec for a in mail["To"].addresses]
        try:
            refused = self._deliver(mail, to)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._classify(exc) from exc
        if refused:
            delivered = tuple(a for a in to if a not in refused)
            raise PermanentDeliveryError(
                "notify.partial",
                f"{LABEL}拒收了部分收件人：{_refusals(refused)}；其余收件人"
                f"（{'、'.join(delivered)}）已收到。请修正被拒收的地址。",
                channel=CHANNEL,
                delivered_to=delivered,
            )

    def _deliver(self, mail: EmailMessage, to: list[str]) -> dict[str, tuple[int, bytes]]:
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self.context,
            )
        else:
            smtp = smtplib.SMTP(
                self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
            )
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=self.context)
            if self.username is not None and self.password is not None:
                smtp.login(self.username, self.password)
            return smtp.send_message(mail, from_addr=self.sender.addr_spec, to_addrs=to)

    def _classify(self, exc: BaseException) -> DeliveryError:
        where = f"{LABEL} {self.host}:{self.port}"
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return PermanentDeliveryError(
                "notify.unsupported",
                f"{where} 不支持所需的功能（{exc}）：security 为 starttls 时服务器须支持 "
                "STARTTLS，设置了 username 时须支持登录；请按服务器说明调整设置。",
                channel=CHANNEL,
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError) and exc.smtp_code >= 500:
            return PermanentDeliveryError(
                "notify.auth",
                f"{where} 拒绝登录（{exc.smtp_code} {_text(exc.smtp_error)}）：请检查 username "
                "和 password（部分邮箱须用授权码代替密码）。",
                channel=CHANNEL,
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _text_ in exc.recipients.values()]
            text = f"{where} 拒收了全部收件人：{_refusals(exc.recipients)}"
            if codes and all(400 <= code < 500 for code in codes):
                return TemporaryDeliveryError(
                    "notify.busy", f"{text}（暂时性拒收）：稍后会自动重试。", channel=CHANNEL
                )
            return PermanentDeliveryError(
                "notify.recipient", f"{text}：请修正收件地址。", channel=CHANNEL
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                return TemporaryDeliveryError(
                    "notify.busy",
                    f"{where} 暂时不接收（{reply}）：稍后会自动重试。",
                    channel=CHANNEL,
                )
            return PermanentDeliveryError(
                "notify.rejected",
                f"{where} 拒绝了邮件（{reply}）：请按服务器的说明检查发件人、收件人和设置。",
                channel=CHANNEL,
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            return PermanentDeliveryError(
                "notify.tls",
                f"{where} 的证书无法验证（{exc.verify_message}）：请确认 host 与证书上的名称一致；"
                "内网自签证书请用 ca_file 设置指定 CA 证书。",
                channel=CHANNEL,
            )
        if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLEOFError):
            return PermanentDeliveryError(
                "notify.tls",
                f"{where} 的加密连接无法建立（{exc.reason or exc}）：请检查 security 与端口是否"
                "匹配（465 端口用 tls，587 端口用 starttls）。",
                channel=CHANNEL,
            )
        if _timed_out(exc):
            return TemporaryDeliveryError(
                "notify.timeout",
                f"{where} 在 {self.timeout:g} 秒内没有应答：稍后会自动重试。",
                channel=CHANNEL,
            )
        if isinstance(exc, ConnectionRefusedError):
            what = "拒绝连接（服务未运行或端口不对）"
        elif isinstance(exc, socket.gaierror):
            what = "地址无法解析"
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            what = "中途断开了连接"
        else:
            what = f"连接失败（{exc}）"
        return TemporaryDeliveryError(
            "notify.unreachable",
            f"{where} {what}：稍后会自动重试；若一直如此，请检查 host、port 和网络。",
            channel=CHANNEL,
        )


def _timed_out(exc: BaseException) -> bool:
    # smtplib reports a timeout while reading a reply as SMTPServerDisconnected, raised while
    # handling the TimeoutError.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError | socket.timeout):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _split_list(value: str) -> list[str]:
    return [
        item.strip()
        for item in value.replace("；", ",").replace(";", ",").split(",")
        if item.strip()
    ]


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "、".join(f"{addr}（{code} {_text(text)}）" for addr, (code, text) in refused.items())
