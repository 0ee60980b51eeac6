"""Reading a channel's settings up front, so a bad configuration fails when the channel is built.

A channel's settings are a ``Mapping[str, str]``: the shared part (which channel an org unit
uses, its address) comes from the store, the secrets (passwords, robot keys, signing secrets)
from the deployment's environment or TOML file named by ``PARTYREG_CONFIG``. Every problem is a
:class:`partyreg_core.errors.ValidationError` with code ``notify.settings`` and a Chinese
message that names the setting and the fix. Values of secret settings are never echoed.
"""

from __future__ import annotations

import math
import ssl
import urllib.parse
from collections.abc import Collection, Iterable, Mapping

from partyreg_core.errors import ValidationError

CODE = "notify.settings"
SECRET_HINT = "机密信息请写在 PARTYREG_CONFIG 指定的 TOML 文件或环境变量中，不要写进数据库"

_TRUE = {"true", "yes", "on", "1", "是"}
_FALSE = {"false", "no", "off", "0", "否"}


class SettingsReader:
    """Typed, validated access to one channel's settings.

    :param label: the channel as operators know it, e.g. ``"dingtalk（钉钉群机器人）"``.
    :param settings: the raw settings; values are stripped, and an empty value counts as unset.
    :param known: the setting names this channel understands; any other name is refused
        (a misspelt ``pasword`` must not be silently ignored).
    :param prefixes: name prefixes that are also accepted (``extra.``, ``header.``).
    :param secrets: names whose values must never appear in a message.
    """

    def __init__(
        self,
        label: str,
        settings: Mapping[str, str],
        *,
        known: Collection[str],
        prefixes: Iterable[str] = (),
        secrets: Collection[str] = (),
    ) -> None:
        self.label = label
        self.secrets = frozenset(secrets)
        prefixes = tuple(prefixes)
        self.values: dict[str, str] = {}
        for key, value in settings.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise self.error(f"设置“{key}”的值必须是文字（字符串）")
            if key not in known and not key.startswith(prefixes):
                names = "、".join(sorted(known) + [f"{p}…" for p in prefixes])
                raise self.error(f"不认识设置“{key}”：可用的设置有 {names}，请检查拼写")
            value = value.strip()
            if value:
                self.values[key] = value

    def error(self, detail: str) -> ValidationError:
        """A ``notify.settings`` error for this channel."""
        return ValidationError(CODE, f"通知渠道 {self.label} 的设置有误：{detail}。")

    def shown(self, key: str, value: str) -> str:
        """``value`` as it may appear in a message (secrets hidden)."""
        return "（已隐藏）" if key in self.secrets else f"“{value}”"

    def optional(self, key: str) -> str | None:
        """The value of ``key``, or None when unset or empty."""
        return self.values.get(key)

    def required(self, key: str, hint: str) -> str:
        """The value of ``key``; unset is an error whose message ends with ``hint``."""
        value = self.values.get(key)
        if value is None:
            if key in self.secrets:
                hint = f"{hint}（{SECRET_HINT}）"
            raise self.error(f"缺少“{key}”：{hint}")
        return value

    def with_prefix(self, prefix: str) -> dict[str, str]:
        """Every setting named ``prefix`` + name, as name → value (e.g. ``extra.source``)."""
        found: dict[str, str] = {}
        for key, value in self.values.items():
            if key.startswith(prefix):
                name = key[len(prefix) :]
                if not name:
                    raise self.error(f"设置“{key}”缺少名称：应写成 {prefix}名称")
                found[name] = value
        return found

    def choice(self, key: str, choices: Collection[str], default: str) -> str:
        """One of ``choices`` (case-insensitive), ``default`` when unset."""
        value = self.values.get(key)
        if value is None:
            return default
        if value.lower() not in choices:
            raise self.error(
                f"“{key}”的取值{self.shown(key, value)}无效：应为 {'、'.join(choices)} 之一"
            )
        return value.lower()

    def boolean(self, key: str, default: bool) -> bool:
        """``true``/``false`` (also yes/no, on/off, 1/0, 是/否), ``default`` when unset."""
        value = self.values.get(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise self.error(f"“{key}”的取值{self.shown(key, value)}无效：应为 true 或 false")

    def number(self, key: str, default: float, *, minimum: float, maximum: float) -> float:
        """A number of seconds with ``minimum < value <= maximum``."""
        value = self.values.get(key)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not (minimum < number <= maximum):
            raise self.error(
                f"“{key}”的取值{self.shown(key, value)}无效：应为大于 {minimum:g}、"
                f"不超过 {maximum:g} 的秒数"
            )
        return number

    def integer(self, key: str, default: int, *, minimum: int, maximum: int) -> int:
        """A whole number with ``minimum <= value <= maximum``."""
        value = self.values.get(key)
        if value is None:
            return default
        if not value.isdigit() or not (minimum <= int(value) <= maximum):
            raise self.error(
                f"“{key}”的取值{self.shown(key, value)}无效：应为 {minimum}–{maximum} 之间的整数"
            )
        return int(value)

    def url(self, key: str, default: str | None = None, *, hint: str) -> str:
        """An absolute ``http://`` or ``https://`` URL with a host."""
        value = self.values.get(key, default)
        if value is None:
            return self.required(key, hint)
        parts = urllib.parse.urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or any(ch.isspace() or ord(ch) < 0x20 for ch in value)
        ):
            raise self.error(
                f"“{key}”的取值{self.shown(key, value)}不是有效地址：应为以 http:// 或 https:// "
                "开头的完整地址"
            )
        if parts.username is not None or parts.password is not None:
            raise self.error(
                f"“{key}”里不能写用户名或密码：webhook 可用 header.Authorization 设置认证信息"
            )
        return value

    def tls_context(self, key: str = "ca_file") -> ssl.SSLContext:
        """A verifying TLS context; ``ca_file`` (PEM) adds a private CA, e.g. for an intranet
        server with its own certificate authority."""
        ca_file = self.values.get(key)
        try:
            return ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise self.error(
                f"“{key}”指定的证书文件“{ca_file}”无法读取（{exc}）：应为 PEM 格式的 CA 证书路径"
            ) from exc


def redact_url(url: str) -> str:
    """``url`` without its query, user name or password: robot keys and tokens live there."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
