"""One HTTP POST, with every failure classified as temporary or permanent.

The standard library's urllib is used rather than a third-party client: it honours the usual
``HTTPS_PROXY`` / ``NO_PROXY`` variables (government intranets often reach WeCom and DingTalk
only through a proxy) and verifies certificates with the system's CA store. Redirects are not
followed: a webhook that moved is a configuration problem, and following a redirect would turn
the POST into a GET and lose the message.
"""

from __future__ import annotations

import email.message
import http.client
import socket
import ssl
import urllib.error
import urllib.request
from importlib import metadata

import attrs

from partyreg_plugins.notifiers.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from partyreg_plugins.notifiers.settings import redact_url

#: Bytes of a response kept: enough for any robot's JSON answer or an error page's first lines.
MAX_RESPONSE_BYTES = 64 * 1024

#: Statuses that mean "not now" rather than "never".
TEMPORARY_STATUSES = frozenset({408, 425, 429})


def user_agent() -> str:
    """``partyreg/<version>``, so receivers can tell our requests in their logs."""
    try:
        return f"partyreg/{metadata.version('partyreg')}"
    except metadata.PackageNotFoundError:
        return "partyreg"


@attrs.frozen
class Response:
    """A 2xx answer: status, headers and (at most :data:`MAX_RESPONSE_BYTES` of) the body."""

    status: int
    headers: email.message.Message
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


def post(
    url: str,
    body: bytes,
    *,
    channel: str,
    label: str,
    headers: dict[str, str],
    timeout: float,
    context: ssl.SSLContext,
) -> Response:
    """POST ``body`` to ``url``; return the 2xx response or raise a :class:`DeliveryError`.

    :param channel: the channel type, recorded on the error.
    :param label: how operators know the channel, for messages (``"钉钉群机器人"``).
    """
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("User-Agent", user_agent())
    for name, value in headers.items():
        request.add_header(name, value)
    opener = urllib.request.build_opener(
        _NoRedirect(), urllib.request.HTTPSHandler(context=context)
    )
    where = redact_url(url)
    try:
        with opener.open(request, timeout=timeout) as answer:
            return Response(answer.status, answer.headers, answer.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as exc:
        with exc:
            detail = _excerpt(exc.read(MAX_RESPONSE_BYTES))
        raise _status_error(exc.code, exc.headers, detail, channel, label, where) from exc
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, BaseException) else OSError(exc.reason)
        raise _network_error(reason, channel, label, where, timeout) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _network_error(exc, channel, label, where, timeout) from exc


def _status_error(
    status: int,
    headers: email.message.Message,
    detail: str,
    channel: str,
    label: str,
    where: str,
) -> DeliveryError:
    said = f"（服务器答复：{detail}）" if detail else ""
    if status >= 500 or status in TEMPORARY_STATUSES:
        return TemporaryDeliveryError(
            "notify.busy" if status in (429, 503) else "notify.server",
            f"{label} {where} 暂时无法接收（HTTP {status}）{said}：稍后会自动重试。",
            channel=channel,
            retry_after=_retry_after(headers),
        )
    if 300 <= status < 400:
        location = headers.get("Location") if headers else None
        target = f"新地址 {redact_url(location)}" if location else "正确的地址"
        return PermanentDeliveryError(
            "notify.redirected",
            f"{label} {where} 要求转到别的地址（HTTP {status}，未跟随）：请把设置中的地址改为{target}。",
            channel=channel,
        )
    if status in (401, 403):
        return PermanentDeliveryError(
            "notify.auth",
            f"{label} {where} 拒绝了请求（HTTP {status}，未授权）{said}：请检查密钥、令牌或签名设置。",
            channel=channel,
        )
    return PermanentDeliveryError(
        "notify.rejected",
        f"{label} {where} 拒绝了消息（HTTP {status}）{said}：请检查地址和设置，重试不会成功。",
        channel=channel,
    )


def _network_error(
    exc: BaseException, channel: str, label: str, where: str, timeout: float
) -> DeliveryError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentDeliveryError(
            "notify.tls",
            f"{label} {where} 的证书无法验证（{exc.verify_message}）：请确认地址正确；"
            "内网自签证书请用 ca_file 设置指定 CA 证书。",
            channel=channel,
        )
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLEOFError):
        return PermanentDeliveryError(
            "notify.tls",
            f"{label} {where} 的加密连接无法建立（{exc.reason or exc}）：请确认地址的 http/https "
            "和端口是否正确。",
            channel=channel,
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return TemporaryDeliveryError(
            "notify.timeout",
            f"{label} {where} 在 {timeout:g} 秒内没有应答：稍后会自动重试。",
            channel=channel,
        )
    if isinstance(exc, ConnectionRefusedError):
        what = "拒绝连接（服务未运行或端口不对）"
    elif isinstance(exc, socket.gaierror):
        what = "域名无法解析"
    else:
        what = f"连接失败（{exc}）"
    return TemporaryDeliveryError(
        "notify.unreachable",
        f"{label} {where} {what}：稍后会自动重试；若一直如此，请检查地址和网络。",
        channel=channel,
    )


def _retry_after(headers: email.message.Message) -> float | None:
    value = (headers.get("Retry-After") or "").strip() if headers else ""
    return float(value) if value.isdigit() else None


def _excerpt(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
