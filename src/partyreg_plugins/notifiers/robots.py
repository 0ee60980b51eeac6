"""Group robots: WeCom (企业微信) and DingTalk (钉钉) custom robots.

Both take a JSON POST to a webhook URL and answer HTTP 200 with ``{"errcode", "errmsg"}``;
errcode 0 is success, anything else is a failure carrying errmsg. The robot's key
(WeCom ``key``, DingTalk ``access_token``) is a secret: it may be given as its own setting so
that the URL in the store stays harmless, and it is never shown in an error message.

Formats, as the robots document them:

- WeCom ``text``: ``{"msgtype": "text", "text": {"content", "mentioned_list",
  "mentioned_mobile_list"}}``, content at most 2048 bytes of UTF-8;
  ``markdown``: ``{"msgtype": "markdown", "markdown": {"content"}}``, at most 4096 bytes,
  no mention lists.
- DingTalk ``text``: ``{"msgtype": "text", "text": {"content"}, "at": {"atMobiles",
  "atUserIds", "isAtAll"}}``; ``markdown``: ``{"msgtype": "markdown", "markdown": {"title",
  "text"}, "at": {...}}``. A mention shows only when ``@mobile`` also appears in the text.
  Signing (加签): ``timestamp`` (ms) and ``sign`` = URL-encoded base64 of
  HMAC-SHA256(secret, ``f"{timestamp}\\n{secret}"``) appended to the URL's query.

Long messages are truncated, not split: a message is one POST, so a retry can never deliver
half of it twice, and the robots allow only 20 messages a minute. The cut falls on a line
break where possible and ends with :data:`TRUNCATION_MARK`; the full text stays in the outbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from partyreg_core.ports import Message
from partyreg_plugins.notifiers.errors import PermanentDeliveryError, TemporaryDeliveryError
from partyreg_plugins.notifiers.http import Response, post
from partyreg_plugins.notifiers.settings import SettingsReader, redact_url

TRUNCATION_MARK = "\n……（内容过长，已截断；完整内容请在 partyreg 中查看）"

#: A mainland mobile number: mentioned by mobile; any other recipient is taken as a user id.
MOBILE = re.compile(r"1[3-9]\d{9}")

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
WECOM_LIMITS = {"text": 2048, "markdown": 4096}
#: errcodes that mean "try later": -1 system busy, 45009 rate limit (20 a minute),
#: 45033 too many concurrent calls.
WECOM_TEMPORARY = {-1: None, 45009: 60.0, 45033: 60.0}
WECOM_HINTS = {
    93000: "机器人地址或 key 无效（机器人可能已被移出群）：请在群里复制新的 webhook 地址",
    40008: "消息类型无效：msgtype 应为 markdown 或 text",
}

DINGTALK_URL = "https://oapi.dingtalk.com/robot/send"
#: DingTalk documents no length for custom robots; 15,000 bytes is the cap it documents for
#: its robot message API, so a message within it is not refused for length.
DINGTALK_LIMIT = 15_000
#: -1 system busy; 130101 more than 20 messages a minute, throttled for 10 minutes.
DINGTALK_TEMPORARY = {-1: None, 130101: 600.0}
DINGTALK_HINTS = {
    310000: "钉钉安全设置不符：请检查加签密钥 secret、自定义关键词或 IP 白名单",
    300001: "access_token 无效：请在群里复制机器人的 webhook 地址",
    300005: "access_token 无效：请在群里复制机器人的 webhook 地址",
    400101: "access_token 无效或机器人已停用：请在群里复制机器人的 webhook 地址",
}


def truncate_utf8(text: str, limit: int, mark: str = TRUNCATION_MARK) -> str:
    """``text`` if it fits in ``limit`` UTF-8 bytes, else a prefix ending in ``mark`` that does.

    The cut is at the last line break of the kept part when that keeps at least half of it,
    and never inside a character.
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(mark.encode("utf-8"))
    if room <= 0:
        raise ValueError("limit smaller than the truncation mark")
    kept = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    newline = kept.rfind("\n")
    if newline >= len(kept) // 2:
        kept = kept[:newline]
    return kept.rstrip() + mark


def one_line(subject: str) -> str:
    """``subject`` with every run of whitespace (line breaks too) as one space: a subject is a
    heading and a title, and a line break would end it early."""
    return " ".join(subject.split())


def split_recipients(recipients: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(mobiles, user ids): mobiles by :data:`MOBILE` after removing spaces, hyphens and
    ``+86``; everything else is a user id. Duplicates are dropped, order kept."""
    mobiles: list[str] = []
    users: list[str] = []
    for recipient in recipients:
        value = recipient.strip()
        digits = re.sub(r"[\s-]", "", value).removeprefix("+86")
        if MOBILE.fullmatch(digits):
            if digits not in mobiles:
                mobiles.append(digits)
        elif value and value not in users:
            users.append(value)
    return mobiles, users


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query.extend(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _credential_url(reader: SettingsReader, default_url: str, param: str, hint: str) -> str:
    url = reader.url("url", default_url, hint=hint)
    in_url = param in dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    given = reader.optional(param)
    if in_url and given is not None:
        raise reader.error(f"“{param}”既写在 url 里又单独设置了：请只保留一处（建议单独设置）")
    if not in_url and given is None:
        reader.required(param, hint)
    return url if given is None else _with_query(url, {param: given})


class _Robot:
    """What both robots share: POST JSON, read ``errcode``/``errmsg``."""

    channel: str
    label: str
    temporary: Mapping[int, float | None]
    hints: Mapping[int, str]

    url: str
    timeout: float
    context: ssl.SSLContext

    def _post(self, url: str, document: Mapping[str, Any]) -> None:
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        response = post(
            url,
            body,
            channel=self.channel,
            label=self.label,
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=self.timeout,
            context=self.context,
        )
        self._check(response)

    def _check(self, response: Response) -> None:
        where = redact_url(self.url)
        try:
            answer = json.loads(response.body.decode("utf-8"))
            errcode = int(answer["errcode"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentDeliveryError(
                "notify.response",
                f"{self.label} {where} 的答复不是机器人接口的格式：请检查 url 设置是否为机器人的"
                "webhook 地址。",
                channel=self.channel,
            ) from exc
        if errcode == 0:
            return
        errmsg = str(answer.get("errmsg", "")).strip()
        said = f"errcode {errcode}：{errmsg}" if errmsg else f"errcode {errcode}"
        if errcode in self.temporary:
            raise TemporaryDeliveryError(
                "notify.busy",
                f"{self.label}暂时不接收消息（{said}）：稍后会自动重试。",
                channel=self.channel,
                retry_after=self.temporary[errcode],
            )
        hint = self.hints.get(errcode, "请按错误说明检查机器人设置，重试不会成功")
        raise PermanentDeliveryError(
            "notify.robot",
            f"{self.label}拒绝了消息（{said}）：{hint}。",
            channel=self.channel,
        )


class WeComNotifier(_Robot):
    """Posts to a WeCom (企业微信) group robot.

    Settings: ``key`` (the robot's key, a secret; or leave it in ``url``), ``url`` (default
    the WeCom endpoint), ``msgtype`` (``markdown``, the default, or ``text``),
    ``mention_all`` (``true`` adds @all to text messages), ``timeout`` (seconds, default 10),
    ``ca_file``. Recipients of a text message are mentioned: mobile numbers through
    ``mentioned_mobile_list``, anything else as a WeCom user id through ``mentioned_list``.
    """

    channel = "wecom"
    label = "企业微信群机器人"
    temporary = WECOM_TEMPORARY
    hints = WECOM_HINTS

    def __init__(self, settings: Mapping[str, str]) -> None:
        reader = SettingsReader(
            "wecom（企业微信群机器人）",
            settings,
            known={"url", "key", "msgtype", "mention_all", "timeout", "ca_file"},
            secrets={"key"},
        )
        self.url = _credential_url(
            reader, WECOM_URL, "key", "填写群机器人 webhook 地址中 key= 后面的部分"
        )
        self.msgtype = reader.choice("msgtype", ("markdown", "text"), "markdown")
        self.mention_all = reader.boolean("mention_all", False)
        self.timeout = reader.number("timeout", 10.0, minimum=0, maximum=300)
        self.context = reader.tls_context()

    def payload(self, message: Message) -> dict[str, Any]:
        """The JSON document posted for ``message``."""
        limit = WECOM_LIMITS[self.msgtype]
        subject = one_line(message.subject)
        if self.msgtype == "markdown":
            content = truncate_utf8(f"### {subject}\n{message.body}", limit)
            return {"msgtype": "markdown", "markdown": {"content": content}}
        text: dict[str, Any] = {"content": truncate_utf8(f"{subject}\n{message.body}", limit)}
        mobiles, users = split_recipients(message.recipients)
        if self.mention_all:
            users.append("@all")
        if users:
            text["mentioned_list"] = users
        if mobiles:
            text["mentioned_mobile_list"] = mobiles
        return {"msgtype": "text", "text": text}

    def send(self, message: Message) -> None:
        """Post ``message``; a nonzero errcode raises a ``DeliveryError`` with errmsg."""
        self._post(self.url, self.payload(message))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (before URL encoding): base64 of
    HMAC-SHA256(key=secret, message=f"{timestamp}\\n{secret}")."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def _milliseconds() -> int:
    return time.time_ns() // 1_000_000


class DingTalkNotifier(_Robot):
    """Posts to a DingTalk (钉钉) custom group robot.

    Settings: ``access_token`` (a secret; or leave it in ``url``), ``url`` (default the
    DingTalk endpoint), ``secret`` (the robot's 加签 secret, ``SEC…``; when set each request is
    signed), ``msgtype`` (``markdown``, the default, or ``text``), ``mention_all``,
    ``timeout`` (seconds, default 10), ``ca_file``. Recipients are mentioned: mobile numbers
    through ``atMobiles``, anything else as a DingTalk user id through ``atUserIds``.

    :param clock: milliseconds since the epoch, for the signature's timestamp (tests fix it).
    """

    channel = "dingtalk"
    label = "钉钉群机器人"
    temporary = DINGTALK_TEMPORARY
    hints = DINGTALK_HINTS

    def __init__(
        self, settings: Mapping[str, str], *, clock: Callable[[], int] = _milliseconds
    ) -> None:
        reader = SettingsReader(
            "dingtalk（钉钉群机器人）",
            settings,
            known={"url", "access_token", "secret", "msgtype", "mention_all", "timeout", "ca_file"},
            secrets={"access_token", "secret"},
        )
        self.url = _credential_url(
            reader,
            DINGTALK_URL,
            "access_token",
            "填写机器人 webhook 地址中 access_token= 后面的部分",
        )
        self.secret = reader.optional("secret")
        self.msgtype = reader.choice("msgtype", ("markdown", "text"), "markdown")
        self.mention_all = reader.boolean("mention_all", False)
        self.timeout = reader.number("timeout", 10.0, minimum=0, maximum=300)
        self.context = reader.tls_context()
        self.clock = clock

    def payload(self, message: Message) -> dict[str, Any]:
        """The JSON document posted for ``message``."""
        subject = one_line(message.subject)
        mobiles, users = split_recipients(message.recipients)
        # DingTalk highlights a mention only when "@mobile" / "@userid" is also in the text.
        tags = " ".join(f"@{who}" for who in (*mobiles, *users))
        suffix = f"\n\n{tags}" if tags else ""
        limit = DINGTALK_LIMIT - len(suffix.encode("utf-8"))
        document: dict[str, Any]
        if self.msgtype == "markdown":
            # A lone newline does not break a line in DingTalk's markdown; two trailing
            # spaces do.
            text = f"### {subject}\n\n" + message.body.replace("\n", "  \n")
            document = {
                "msgtype": "markdown",
                "markdown": {"title": subject, "text": truncate_utf8(text, limit) + suffix},
            }
        else:
            text = f"{subject}\n{message.body}"
            document = {"msgtype": "text", "text": {"content": truncate_utf8(text, limit) + suffix}}
        if mobiles or users or self.mention_all:
            at: dict[str, Any] = {}
            if mobiles:
                at["atMobiles"] = mobiles
            if users:
                at["atUserIds"] = users
            at["isAtAll"] = self.mention_all
            document["at"] = at
        return document

    def signed_url(self) -> str:
        """The URL to post to now: with ``timestamp`` and ``sign`` when a secret is set."""
        if self.secret is None:
            return self.url
        timestamp = self.clock()
        sign = dingtalk_sign(self.secret, timestamp)
        return _with_query(self.url, {"timestamp": str(timestamp), "sign": sign})

    def send(self, message: Message) -> None:
        """Post ``message``; a nonzero errcode raises a ``DeliveryError`` with errmsg."""
        self._post(self.signed_url(), self.payload(message))
