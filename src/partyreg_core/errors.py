"""The exceptions partyreg raises, each with a stable dotted code and a Chinese message.

Frontends turn them into exit codes: :class:`ValidationError`, :class:`NotFoundError`,
:class:`ConflictError` and :class:`NotPermittedError` are the operator's to fix (exit 2);
:class:`TemporaryError` means "try again" (exit 3).
"""

from __future__ import annotations


class PartyregError(Exception):
    """Base class: ``code`` is a stable dotted identifier, ``message`` Chinese text with the fix."""

    exit_code = 2

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(PartyregError):
    """A value given by the operator (an option, a field, a file) cannot be used."""


class NotFoundError(PartyregError):
    """The thing named does not exist (or is outside the operator's scope)."""


class ConflictError(PartyregError):
    """The change would contradict what is already stored; operators must resolve it."""


class NotPermittedError(PartyregError):
    """The acting operator may not do this.

    ``recorded`` is set once the refusal is in the audit log, so it is recorded only once."""

    recorded = False


class PluginError(PartyregError):
    """Plugins disagree or misbehave (for example two plugins define the same post code)."""


class TemporaryError(PartyregError):
    """The store is busy or unreachable: the same command may succeed when tried again."""

    exit_code = 3
