"""The values of signing in: a stored one-time token and an invitation."""

from __future__ import annotations

from datetime import datetime

import attrs


@attrs.frozen
class SigninToken:
    """A one-time sign-in token as the store keeps it: its digest (never the token itself),
    whose it is, when it was made and expires, when it was used, who asked for it
    (``created_by``: an operator's account, or ``member:ID`` for a link a member asked for)."""

    digest: str
    member_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    created_by: str = ""


@attrs.frozen
class Invitation:
    """A sign-in link just made: the URL (holding the token: shown once, never stored), when
    it expires, and how many messages carrying it were queued in the outbox (0: no channel
    reaches the member; the operator hands the link over themself)."""

    member_id: int
    url: str
    expires_at: datetime
    queued: int = 0
