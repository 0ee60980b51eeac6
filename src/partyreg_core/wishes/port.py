"""What a store provides for residents' wishes (``Store.wishes``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from partyreg_core.batches import Batch
from partyreg_core.feedback.model import ServiceEntry
from partyreg_core.operators.model import Actor
from partyreg_core.wishes.model import NewWish, Verdict, Wish, WishQuery, WishTally


class WishRepository(Protocol):
    """Residents' wishes in a store. Every method is one transaction, within the actor's
    scope: communities (and their instructors) work on their own wishes, a district on its
    communities', the city on all; a unit only reads the wishes its members claimed."""

    def add(
        self, actor: Actor, wishes: Sequence[NewWish], *, batch: Batch | None = None
    ) -> list[int]:
        """Store new wishes (all or none); returns their ids in order. With ``batch`` (an
        import), the batch is recorded with its rows, so ``partyreg undo`` takes back the
        wishes nobody has worked on yet."""
        ...

    def get(self, actor: Actor, wish_id: int) -> Wish:
        """One wish within scope (``wish.not_found`` otherwise), unmasked: the service masks."""
        ...

    def find(self, actor: Actor, query: WishQuery) -> list[Wish]:
        """The wishes within scope matching ``query``, newest first, unmasked."""
        ...

    def claim(self, actor: Actor, wish_id: int, member_id: int, on: date) -> Wish:
        """A member of the wish's community claims it (the member must serve there)."""
        ...

    def done(self, actor: Actor, wish_id: int, note: str, on: date) -> Wish:
        """The claimed wish is done; the member earns the wish's points in the same
        transaction."""
        ...

    def rate(self, actor: Actor, wish_id: int, verdict: Verdict, comment: str, on: date) -> Wish:
        """The resident's verdict; the member earns the rating's points in the same
        transaction."""
        ...

    def cancel(self, actor: Actor, wish_id: int, reason: str, on: date) -> Wish:
        """Cancel an open or claimed wish."""
        ...

    def record_activity(self, actor: Actor, wish_id: int, entry: ServiceEntry) -> int:
        """Record the done wish as an activity of the member who did it, through the store's
        one activity path (scope, closed years, the sheet lock, 24 hours a day), and link it
        to the wish — one transaction. Returns the activity's id."""
        ...

    def tally(self, actor: Actor, by: str, *, year: int | None = None) -> list[WishTally]:
        """Counts per community or district (``by``) of the wishes received in ``year``."""
        ...
