"""Issued documents and the store's check-code key (:mod:`partyreg_core.documents`)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from partyreg_core.documents import DocumentStatus, IssuedDocument, certificate_revision, new_key
from partyreg_core.errors import ConflictError, NotFoundError
from partyreg_core.operators.model import Actor
from partyreg_plugins.sqlstore.schema import document_keys, documents


def _document(row: sa.Row[Any]) -> IssuedDocument:
    m = row._mapping
    return IssuedDocument(
        m["serial"],
        m["kind"],
        m["issued_on"],
        m["content"],
        m["summary"],
        status=DocumentStatus(m["status"]),
        replaced_by=m["replaced_by"],
        revoked_on=m["revoked_on"],
        reason=m["reason"],
        member_id=m["member_id"],
    )


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

    def issue_document(
        self, actor: Actor, document: IssuedDocument, *, replaces: str | None = None
    ) -> IssuedDocument:
        """Record ``document`` as issued; a serial issued before with other content (a sheet
        reopened and confirmed again) is replaced, so the earlier paper no longer verifies.
        ``replaces``: the serial of an earlier document it supersedes (that one then verifies
        as superseded by this one). Returns the document as recorded."""
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
                "member_id": document.member_id,
            }
            if replaces is not None:
                done = conn.execute(
                    sa.update(documents)
                    .where(documents.c.serial == replaces, documents.c.status == "valid")
                    .values(
                        status=DocumentStatus.SUPERSEDED.value,
                        replaced_by=document.serial,
                        changed_by=actor.real_name,
                    )
                ).rowcount
                if done != 1:
                    raise ConflictError(
                        "document.changed", f"文书 {replaces} 已不是有效状态：请重新出具。"
                    )
            if row is None:
                conn.execute(sa.insert(documents).values(serial=document.serial, **values))
            elif row.content != document.content:
                conn.execute(
                    sa.update(documents)
                    .where(documents.c.serial == document.serial)
                    .values(**values)
                )
            else:
                return _document(row)
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
        return None if row is None else _document(row)

    def latest_document(self, member_id: int, kind: str) -> IssuedDocument | None:
        """The newest revision of a member's document of ``kind`` (certificates), or ``None``."""
        with self._tx(None) as conn:
            rows = conn.execute(
                sa.select(documents).where(
                    documents.c.member_id == member_id, documents.c.kind == kind
                )
            ).all()
        found = [_document(r) for r in rows]
        return max(found, key=lambda d: certificate_revision(d.serial), default=None)

    def revoke_document(self, actor: Actor, serial: str, reason: str, on: date) -> IssuedDocument:
        """Revoke the valid document ``serial`` (it verifies as revoked from now on)."""
        with self._tx(actor, write=True) as conn:
            row = conn.execute(sa.select(documents).where(documents.c.serial == serial)).first()
            if row is None:
                raise NotFoundError("document.not_found", f"系统没有出具过编号为 {serial} 的文书。")
            if row.status != DocumentStatus.VALID.value:
                raise ConflictError(
                    "document.not_valid",
                    f"文书 {serial} {DocumentStatus(row.status).label}，不用再作废。",
                )
            conn.execute(
                sa.update(documents)
                .where(documents.c.serial == serial)
                .values(
                    status=DocumentStatus.REVOKED.value,
                    revoked_on=on,
                    reason=reason,
                    changed_by=actor.real_name,
                )
            )
            self._audit(
                conn, actor, "document.revoke", f"document:{serial}",
                before={"summary": row.summary}, after={"reason": reason, "on": on.isoformat()},
            )  # fmt: skip
            revoked = conn.execute(sa.select(documents).where(documents.c.serial == serial)).one()
        return _document(revoked)
