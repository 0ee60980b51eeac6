"""What a store provides for the points ledger (``Store.points``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode
from partyreg_core.points.model import PointsEntry
from partyreg_core.points.rules import RuleVersion


class PointsRepository(Protocol):
    """The points ledger in a store: append-only entries (earned ones are written by the
    store in the transaction that wrote what earned them), and the rule versions."""

    def entries(
        self, actor: Actor, member_id: int, *, year: int | None, on: date | None
    ) -> list[PointsEntry]:
        """A member's entries within scope, of ``year`` (all years: ``None``) dated up to
        ``on`` (``None``: all), oldest first."""
        ...

    def adjust(
        self, actor: Actor, member_id: int, points: float, reason: str, day: date
    ) -> PointsEntry:
        """Append a hand adjustment (community or unit side, or above; audited)."""
        ...

    def balances(
        self, actor: Actor, year: int, *, on: date | None = None, unit: OrgCode | None = None
    ) -> dict[int, float]:
        """Each member's balance in ``year`` (dated up to ``on``), within scope (and the
        unit's subtree)."""
        ...

    def versions(self) -> list[RuleVersion]:
        """Every rule version, oldest first."""
        ...

    def add_version(
        self,
        actor: Actor,
        district: OrgCode | None,
        effective_from: date,
        values: Mapping[str, Any],
    ) -> RuleVersion:
        """Store a new rule version (the city's, or a district's; audited)."""
        ...

    def member_names(self, actor: Actor, member_ids: Sequence[int]) -> dict[int, str]:
        """The names of members within scope."""
        ...
