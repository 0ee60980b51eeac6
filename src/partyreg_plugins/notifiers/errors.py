"""Why a notification was not delivered, and whether trying again can help.

Every failed ``send`` raises a :class:`DeliveryError`. The outbox needs one question answered:
retry later or give up? The answer is in the class, so the outbox can decide with core types
alone (partyreg_core never imports this package):

- :class:`TemporaryDeliveryError` is also a :class:`partyreg_core.errors.TemporaryError`:
  timeouts, refused or dropped connections, HTTP 5xx/408/429, SMTP 4xx replies, a robot's
  "busy" or "too fast" errcode. Retry with backoff; ``retry_after`` (seconds) is set when the
  other side said how long to wait.
- :class:`PermanentDeliveryError` is a plain :class:`partyreg_core.errors.PartyregError`:
  HTTP 4xx, SMTP 5xx replies, rejected logins, certificate mismatches, a robot errcode for a bad
  key or signature. The same message will fail the same way: stop retrying and show
  ``message`` (Chinese, with the fix) to the operator.

``retryable`` says the same as the class, for code that prefers an attribute.
Messages never contain passwords, keys, tokens or signing secrets.
"""

from __future__ import annotations

from partyreg_core.errors import PartyregError, TemporaryError


class DeliveryError(PartyregError):
    """A channel could not deliver a message.

    :ivar channel: the channel type (``smtp``, ``webhook``, ``wecom``, ``dingtalk``).
    :ivar retryable: whether the same message may succeed later.
    :ivar retry_after: seconds the other side asked us to wait, if it said.
    """

    retryable: bool = False

    def __init__(
        self, code: str, message: str, *, channel: str, retry_after: float | None = None
    ) -> None:
        super().__init__(code, message)
        self.channel = channel
        self.retry_after = retry_after


class TemporaryDeliveryError(DeliveryError, TemporaryError):
    """The channel is down, slow or busy: the outbox should try again later."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """The channel refused the message or its settings are wrong: retrying will not help.

    :ivar delivered_to: for e-mail refused for only some recipients, those who did get it
        (retrying would send them a second copy).
    """

    retryable = False

    def __init__(
        self,
        code: str,
        message: str,
        *,
        channel: str,
        delivered_to: tuple[str, ...] = (),
    ) -> None:
        super().__init__(code, message, channel=channel)
        self.delivered_to = delivered_to
