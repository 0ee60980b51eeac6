"""Issued documents and the store's check-code key (:mod:`partyreg_core.documents`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.documents import IssuedDocument, new_key
from partyreg_core.operators import Actor
from partyreg_plugins.sqlstore.schema import document_keys, documents


class DocumentsStoreMixin:
    """The key of check codes and the documents issued (decision 0068)."""

    if TYPE_CHECKING:

        def _tx(
            self, actor: Actor | None, *, write: bool = False
        ) -> AbstractContextManager[sa.Connection]: ...

        def _audit(self, conn: sa.Connection, actor: Actor | None, action: str, subject: str,
                   **kwargs: Any) -> Any: ...  # fmt: skip

    def document_key(self) -> bytes:
        """The store's secret key of check codes (made on first use if a store lacks it)."""
        with self._tx(None) as conn:
            secret = conn.execute(sa.select(document_keys.c.secret)).scalar()
        if secret is not None:
            return bytes(secret)
        with self._tx(None, write=True) as conn:
            conn.execute(sa.insert(document_keys).values(id=1, secret=new_key()))
            return bytes(conn.execute(sa.select(document_keys.c.secret)).scalar_one())

    def issue_document(self, actor: Actor, document: IssuedDocument) -> IssuedDocument:
        """Record ``document`` as issued; a serial issued before with other content (a sheet
        reopened and confirmed again) is replaced, so the earlier paper no longer verifies.
        Returns the document as recorded."""
        with self._tx(actor, write=True) as conn:
            row = conn.execute(
                sa.select(documents).where(documents.c.serial == document.serial)
            ).first()
            values = {
                "kind": document.kind,
                "issued_on": document.issued_on,
                "content": document.content,
                "summary": document.summary,
                "issued_by": actor.real_name,
            }
            if row is None:
                conn.execute(sa.insert(documents).values(serial=document.serial, **values))
            elif row.content != document.content:
                conn.execute(
                    sa.update(documents)
                    .where(documents.c.serial == document.serial)
                    .values(**values)
                )
            else:
                return IssuedDocument(row.serial, row.kind, row.issued_on, row.content, row.summary)
            self._audit(
                conn, actor, "document.issue", f"document:{document.serial}",
                before=None if row is None else {"summary": row.summary},
                after={"kind": document.kind, "summary": document.summary},
            )  # fmt: skip
        return document

    def find_document(self, serial: str) -> IssuedDocument | None:
        """The issued document ``serial``, or ``None``."""
        with self._tx(None) as conn:
            row = conn.execute(sa.select(documents).where(documents.c.serial == serial)).first()
        if row is None:
            return None
        return IssuedDocument(row.serial, row.kind, row.issued_on, row.content, row.summary)
