"""The rules of one-time sign-in links and their Chinese messages (decision 0115)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from partyreg_core.errors import NotPermittedError, ValidationError
from partyreg_core.signin.model import SigninToken

#: How long a link works when nobody says otherwise.
DEFAULT_TTL = timedelta(hours=24)
#: The longest a link may be made to work.
MAX_TTL = timedelta(days=7)
#: Random bytes in a token (256 bits, URL-safe base64: 43 characters).
TOKEN_BYTES = 32
#: Where a token is redeemed on the site (``{base}/s/{token}``).
SIGNIN_PATH = "/s/"
#: The setting holding the site's public address (``partyreg serve --public-url``).
BASE_URL_SETTING = "web.base_url"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"

INVALID = "登录链接无效：请检查链接是否完整，或在登录页用姓名和手机号重新获取。"
USED = "这个登录链接已经用过了：每个链接只能用一次，请在登录页用姓名和手机号重新获取。"
EXPIRED = "这个登录链接已过期：请在登录页用姓名和手机号重新获取，或请社区、单位重新发送。"


def new_token() -> str:
    """A fresh random token (URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The SHA-256 digest (hex) under which a token is stored and looked up."""
    return hashlib.sha256(token.strip().encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether ``text`` could be a token at all (43 URL-safe characters)."""
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    return 20 <= len(text) <= 100 and set(text) <= allowed


def check_ttl(ttl: timedelta) -> timedelta:
    """``ttl`` when it is between a minute and :data:`MAX_TTL`."""
    if ttl < timedelta(minutes=1) or ttl > MAX_TTL:
        raise ValidationError(
            "signin.ttl", "登录链接的有效期应在 1 分钟到 7 天之间：如 --hours 24。"
        )
    return ttl


def check_base_url(text: str) -> str:
    """The site's public address as given (``https://dangyuan.example.cn``), without a
    trailing slash; refused unless it is an http(s) URL with a host and no query."""
    value = text.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValidationError(
            "signin.base_url",
            f"网站地址“{text}”不可用：应为 https://域名 形式（如 https://dangyuan.example.cn）。",
        )
    return value


def signin_url(base_url: str, token: str) -> str:
    """The link a member opens: ``{base}/s/{token}``."""
    return f"{base_url.rstrip('/')}{SIGNIN_PATH}{token}"


def judge(found: SigninToken | None, now: datetime) -> int:
    """The member a token signs in, or :class:`NotPermittedError` saying why it does not
    (unknown, used, expired)."""
    if found is None:
        raise NotPermittedError("signin.invalid", INVALID)
    if found.used_at is not None:
        raise NotPermittedError("signin.used", USED)
    if found.expires_at <= now:
        raise NotPermittedError("signin.expired", EXPIRED)
    return found.member_id


def invitation_text(name: str, url: str, expires: datetime) -> tuple[str, str]:
    """The subject and body of the message carrying a link to ``name``."""
    subject = "党员服务网站登录"
    # the link first: an SMS gateway cuts long texts at the end
    body = (
        f"{url} （{name}同志：用此链接登录在职党员服务网站，只能用一次，"
        f"{expires:%m月%d日%H:%M}（UTC）前有效，请勿转发）"
    )
    return subject, body
