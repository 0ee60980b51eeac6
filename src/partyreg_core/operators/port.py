"""What a store provides for operators (the operator part of :class:`partyreg_core.ports.Store`):
its login, the accounts, and the record of a refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from partyreg_core.operators.model import Actor, Login, Operator


class OperatorRepository(Protocol):
    """Operator accounts in a store."""

    def login(self) -> Login:
        """Who this store's connections log in as."""
        ...

    def find_operator(self, name: str) -> Operator | None:
        """The operator account ``name`` (enabled or not), or ``None``. Not scoped: deciding
        who is acting comes before any scoped call."""
        ...

    def operators(self, actor: Actor) -> list[Operator]:
        """Every operator account, by name (city operators only)."""
        ...

    def save_operator(self, actor: Actor, operator: Operator) -> Operator:
        """Add ``operator`` or change an existing one's scope or disabled flag (by name; city
        operators only). Returns it as stored (with its id and database role)."""
        ...

    def record_refusal(
        self, *, os_user: str, action: str, subject: str, details: Mapping[str, Any]
    ) -> None:
        """Record that ``os_user`` was refused (an unknown or disabled account, a forbidden
        ``--as``) in the audit log, where the store's permissions let that user append to it."""
        ...
