"""A generic JSON webhook: POST the message as JSON to a URL of the deployment's choosing.

The body is ``{"subject", "body", "recipients", ...extra}`` in UTF-8 (Chinese as is, not
``\\u`` escapes). With a ``secret``, the header ``X-Partyreg-Signature-256`` carries
``sha256=`` + the hex HMAC-SHA256 of the exact body bytes under that secret, so the receiver
can check the message came from partyreg (compare with ``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

from partyreg_core.ports import Message
from partyreg_plugins.notifiers.http import post
from partyreg_plugins.notifiers.settings import SettingsReader

CHANNEL = "webhook"
LABEL = "webhook（JSON 回调）"
SIGNATURE_HEADER = "X-Partyreg-Signature-256"
RESERVED_FIELDS = frozenset({"subject", "body", "recipients"})
#: Headers the channel sets itself; a ``header.`` setting may not replace them.
RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", SIGNATURE_HEADER.lower()})


class WebhookNotifier:
    """Delivers a message by POSTing it as JSON.

    Settings: ``url`` (required), ``secret`` (signs the body), ``timeout`` (seconds, default
    10), ``ca_file`` (PEM CA for an intranet HTTPS server), ``extra.NAME`` (a static string
    field ``NAME`` added to every body), ``header.NAME`` (a static request header, e.g.
    ``header.Authorization``; its value is treated as a secret).
    """

    def __init__(self, settings: Mapping[str, str]) -> None:
        reader = SettingsReader(
            LABEL,
            settings,
            known={"url", "secret", "timeout", "ca_file"},
            prefixes=("extra.", "header."),
            secrets={"secret"} | {k for k in settings if k.startswith("header.")},
        )
        self.url = reader.url("url", hint="填写接收通知的地址，如 https://example.org/partyreg")
        self.secret = reader.optional("secret")
        self.timeout = reader.number("timeout", 10.0, minimum=0, maximum=300)
        self.context = reader.tls_context()
        self.extra = reader.with_prefix("extra.")
        clash = RESERVED_FIELDS & self.extra.keys()
        if clash:
            name = sorted(clash)[0]
            raise reader.error(f"“extra.{name}”与消息本身的字段 {name} 重名：请换一个名称")
        self.headers = reader.with_prefix("header.")
        for name, value in self.headers.items():
            if name.lower() in RESERVED_HEADERS:
                raise reader.error(f"“header.{name}”由 partyreg 自己设置，不能在设置中指定")
            if not name.isascii() or not all(c.isalnum() or c in "-_" for c in name):
                raise reader.error(
                    f"“header.{name}”不是有效的 HTTP 头名称：只能用英文字母、数字和 -"
                )
            if any(ord(c) < 0x20 for c in value) or not value.isascii():
                raise reader.error(f"“header.{name}”的值含有换行、控制字符或非 ASCII 字符")

    def payload(self, message: Message) -> bytes:
        """The exact bytes POSTed for ``message``."""
        document = {
            "subject": message.subject,
            "body": message.body,
            "recipients": list(message.recipients),
            **self.extra,
        }
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    def send(self, message: Message) -> None:
        """POST ``message``; any 2xx is success, anything else raises a ``DeliveryError``."""
        body = self.payload(message)
        headers = {"Content-Type": "application/json; charset=utf-8", **self.headers}
        if self.secret is not None:
            digest = hmac.new(self.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        post(
            self.url,
            body,
            channel=CHANNEL,
            label=LABEL,
            headers=headers,
            timeout=self.timeout,
            context=self.context,
        )
