"""Who is at the keyboard: the identity a frontend hands to the :class:`Workspace`.

The acting operator is the account tied to the person running partyreg, and that person is
named by something they cannot type: the kernel's record of the process (its user id), a
database login PostgreSQL authenticated, or the authenticated user of an embedding system.
Never by an environment variable (``USER``, ``LOGNAME``: :func:`getpass.getuser` reads those
first) or an option — ``--as`` is a request to act as another account, which only a city
operator may make, and the audit log records both names.

- :class:`OsIdentity` (the CLI and the TUI): ``pwd.getpwuid(os.geteuid())``; refused when the
  real and effective user ids differ (a set-uid wrapper would otherwise pick one silently).
- :class:`FixedIdentity`: an embedding system's own authenticated user, or a test's.
"""

from __future__ import annotations

import os
import pwd
from typing import Protocol, runtime_checkable

import attrs

from partyreg_core.errors import NotPermittedError


@attrs.frozen
class Identity:
    """The person at the keyboard, as an authority vouches for them.

    :param name: the account name the operator is tied to (an OS login name, a DB login).
    :param source: who vouches for it: ``"os"`` (the kernel's user id), ``"postgresql"`` (the
        database login), or an embedder's own word (``"embedder"``).
    :param uid: the OS user id, when the source is the OS.
    """

    name: str
    source: str = "embedder"
    uid: int | None = None


@runtime_checkable
class IdentityProvider(Protocol):
    """Tells the workspace who is acting; asked once per workspace."""

    def identify(self) -> Identity:
        """The identity of the person at the keyboard (raise :class:`NotPermittedError` when it
        cannot be established)."""


class OsIdentity:
    """The OS user running this process, from the kernel's user ids (never the environment)."""

    def identify(self) -> Identity:
        """``pwd.getpwuid(os.geteuid())``, refused if the real user id differs or is unknown."""
        euid, ruid = os.geteuid(), os.getuid()
        if euid != ruid:
            raise NotPermittedError(
                "identity.uid_mismatch",
                f"进程的实际用户（uid {ruid}）与有效用户（uid {euid}）不一致，无法确认操作员身份："
                "请直接以自己的系统账号运行 partyreg（不要经 set-uid 程序）。",
            )
        try:
            entry = pwd.getpwuid(euid)
        except KeyError:
            raise NotPermittedError(
                "identity.unknown_uid",
                f"系统中没有 uid {euid} 的用户，无法确认操作员身份：请系统管理员检查账号设置。",
            ) from None
        return Identity(entry.pw_name, "os", euid)


@attrs.frozen
class FixedIdentity:
    """An identity established elsewhere: an embedding system's authenticated user, or a
    test's. The embedder answers for it."""

    name: str
    source: str = "embedder"

    def identify(self) -> Identity:
        """The name given."""
        return Identity(self.name, self.source)
