"""An SMS gateway over HTTP: one POST per recipient's mobile, for messages to members.

Government deployments reach SMS through a gateway of their own (the city's 政务短信平台 or a
provider's HTTP API behind it), so the channel speaks a small, configurable JSON protocol
rather than one vendor's: ``{"phone": "139…", "text": "【签名】主题：正文", ...extra}`` in UTF-8.
With a ``token`` the request carries ``Authorization: Bearer <token>``; with a ``secret`` the
header ``X-Partyreg-Signature-256`` carries the body's HMAC-SHA256, as the webhook channel does.
A gateway that answers 200 with an error in its JSON (many do) is recognised through
``ok_field`` and ``ok_value`` (e.g. ``ok_field=code``, ``ok_value=0``).

Messages reach this channel for members (target ``member:ID``); the member's own mobile is the
message's recipient. A message without a mobile recipient cannot be sent by SMS and fails at
once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping

from partyreg_core.ports import Message
from partyreg_plugins.notifiers.errors import PermanentDeliveryError
from partyreg_plugins.notifiers.http import post
from partyreg_plugins.notifiers.settings import SettingsReader
from partyreg_plugins.notifiers.webhook import SIGNATURE_HEADER

CHANNEL = "sms"
LABEL = "短信网关"
#: Longer texts are cut: five SMS segments of 67 characters, the usual concatenation limit.
MAX_TEXT = 335
RESERVED_FIELDS = frozenset({"phone", "text"})
_MOBILE = re.compile(r"1[3-9]\d{9}")


class SmsNotifier:
    """Delivers a message as one SMS per mobile recipient through an HTTP gateway.

    Settings: ``url`` (required), ``token`` (sent as a bearer token), ``secret`` (signs the
    body), ``sign`` (the SMS signature, printed as 【sign】 in front of the text), ``timeout``
    (seconds, default 10), ``ca_file`` (PEM CA for an intranet gateway), ``ok_field`` and
    ``ok_value`` (a 2xx answer whose JSON field differs is a refusal), ``extra.NAME`` (a static
    field added to every body, e.g. a template or account id).
    """

    def __init__(self, settings: Mapping[str, str]) -> None:
        reader = SettingsReader(
            LABEL,
            settings,
            known={"url", "token", "secret", "sign", "timeout", "ca_file", "ok_field", "ok_value"},
            prefixes=("extra.",),
            secrets={"token", "secret"},
        )
        self.url = reader.url(
            "url", hint="填写短信网关的接收地址，如 https://sms.example.gov.cn/send"
        )
        self.token = reader.optional("token")
        self.secret = reader.optional("secret")
        self.sign = (reader.optional("sign") or "").strip("【】[] ")
        self.timeout = reader.number("timeout", 10.0, minimum=0, maximum=300)
        self.context = reader.tls_context()
        self.ok_field = reader.optional("ok_field")
        self.ok_value = reader.optional("ok_value")
        if (self.ok_field is None) != (self.ok_value is None):
            raise reader.error("ok_field 和 ok_value 要一起设置（如 ok_field=code、ok_value=0）")
        self.extra = reader.with_prefix("extra.")
        clash = RESERVED_FIELDS & self.extra.keys()
        if clash:
            name = sorted(clash)[0]
            raise reader.error(f"“extra.{name}”与短信本身的字段 {name} 重名：请换一个名称")

    def text(self, message: Message) -> str:
        """The SMS text: the signature, the subject and the body, cut to :data:`MAX_TEXT`."""
        head = f"【{self.sign}】" if self.sign else ""
        text = f"{head}{message.subject}：{message.body}".replace("\r", "")
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"

    def payload(self, phone: str, message: Message) -> bytes:
        """The exact bytes POSTed for ``message`` to ``phone``."""
        document = {"phone": phone, "text": self.text(message), **self.extra}
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    def send(self, message: Message) -> None:
        """POST one SMS per mobile recipient; raise a ``DeliveryError`` on any refusal."""
        phones = [r for r in message.recipients if _MOBILE.fullmatch(r)]
        if not phones:
            raise PermanentDeliveryError(
                "notify.no_mobile",
                "短信只能发到手机号：这条消息没有手机号收件人（座机或没有登记手机），"
                "请为它的对象配置其他渠道。",
                channel=CHANNEL,
            )
        for phone in phones:
            self._post(phone, message)

    def _post(self, phone: str, message: Message) -> None:
        body = self.payload(phone, message)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.secret is not None:
            digest = hmac.new(self.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        answer = post(
            self.url,
            body,
            channel=CHANNEL,
            label=LABEL,
            headers=headers,
            timeout=self.timeout,
            context=self.context,
        )
        if self.ok_field is None:
            return
        try:
            said = json.loads(answer.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            said = None
        value = said.get(self.ok_field) if isinstance(said, dict) else None
        if value is None or str(value) != self.ok_value:
            shown = answer.body[:200].decode("utf-8", "replace")
            raise PermanentDeliveryError(
                "notify.rejected",
                f"{LABEL}没有接受短信（答复中 {self.ok_field} 不是 {self.ok_value}：{shown}）："
                "请检查网关的账号、签名和模板设置。",
                channel=CHANNEL,
            )
