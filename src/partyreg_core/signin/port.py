"""What signing in needs of a store."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from partyreg_core.operators.model import Actor
from partyreg_core.signin.model import SigninToken


class SigninStore(Protocol):
    """One-time tokens (kept by digest) and the key that signs sessions."""

    def add_token(self, actor: Actor, token: SigninToken) -> None:
        """Keep ``token`` for a member within the actor's scope (``NotFoundError``
        otherwise); audited as ``signin.link``."""

    def redeem_token(self, actor: Actor, digest: str, now: datetime) -> SigninToken | None:
        """Mark the token of ``digest`` used at ``now`` if it is unused and unexpired — at
        most once, whoever asks at the same moment — and return it as it was before (or as
        found, when it could not be used; ``None`` when unknown or outside the scope). A use
        is audited as ``signin.use`` by ``member:ID``."""

    def session_key(self) -> bytes:
        """The store's secret key that signs the site's session cookies (made on first use)."""
