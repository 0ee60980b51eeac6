"""The audit log as the store keeps it: who, when, what, before and after.

The log is append-only: stores refuse to update or delete an entry (triggers in both SQLite and
PostgreSQL), and nothing in partyreg edits it. A bulk import is one entry for its batch; every
later change is an entry of its own (DESIGN.md §9).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import attrs


@attrs.frozen
class Change:
    """A committed change, as the audit log records it."""

    actor: str
    at: datetime
    action: str
    subject: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    on_behalf_of: str | None = None


@attrs.frozen
class AuditEntry:
    """One entry: ``actor`` is the account of the person at the keyboard, ``on_behalf_of`` the
    account acted as with ``--as`` (``None`` otherwise), ``os_user`` the OS login; ``action`` a
    dotted verb (``member.add``, ``import.registrations``), ``subject`` what it was done to."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    on_behalf_of: str | None = None
    os_user: str = ""
    batch_id: str | None = None

    @property
    def change(self) -> Change:
        """The entry as the ``partyreg_on_changed`` event carries it."""
        return Change(
            actor=self.actor,
            at=self.at,
            action=self.action,
            subject=self.subject,
            before=self.before,
            after=self.after,
            on_behalf_of=self.on_behalf_of,
        )


@attrs.frozen
class AuditQuery:
    """Which entries to read (within the operator's scope): from ``since`` on, oldest first —
    or newest first with ``newest_first``; ``before`` keeps entries with a smaller id (the next
    page of a newest-first listing starts before the last id shown); ``subject`` keeps the
    entries about exactly that subject (``member:12``)."""

    since: date | None = None
    action: str | None = None
    limit: int | None = None
    newest_first: bool = False
    before: int | None = None
    subject: str | None = None
