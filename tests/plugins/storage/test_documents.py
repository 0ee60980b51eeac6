"""Issued documents and the check-code key in both backends: the key is made with the store,
the same on every read; an operator of any role issues and anyone verifies (decision 0068)."""

from __future__ import annotations

import uuid
from datetime import date

from partyreg_core.documents import IssuedDocument, verify
from partyreg_core.operators import Role
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support


def test_documents_are_issued_replaced_and_verified(store: SqlStore) -> None:
    key = store.document_key()
    assert len(key) == 32 and store.document_key() == key
    district = support.make_district(store)
    by = support.add_operator(store, Role.DISTRICT, district.code)  # a district issues
    serial = f"2014-{uuid.uuid4().hex[:8]}"
    first = IssuedDocument(serial, "form3", date(2014, 12, 18), '{"hours":"3"}', "3 小时")
    assert store.issue_document(by, first) == first
    code = first.code(key)
    assert verify(key, store.find_document(serial), code)
    # confirmed again with other content: the earlier paper no longer verifies
    second = IssuedDocument(serial, "form3", date(2014, 12, 19), '{"hours":"4"}', "4 小时")
    store.issue_document(by, second)
    assert not verify(key, store.find_document(serial), code)
    assert verify(key, store.find_document(serial), second.code(key))
    assert store.find_document("2099-none") is None
