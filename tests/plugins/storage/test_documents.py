"""Issued documents and the check-code key in both backends: the key is made with the store,
the same on every read; an operator of any role issues and anyone verifies (decision 0068)."""

from __future__ import annotations

import uuid
from datetime import date

from partyreg_core.documents import IssuedDocument, verify
from partyreg_core.operators.model import Role
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


def test_a_document_is_superseded_by_its_next_revision_and_revoked_by_another_operator(
    store: SqlStore,
) -> None:
    from partyreg_core.documents import DocumentStatus

    district = support.make_district(store)
    first_by = support.add_operator(store, Role.DISTRICT, district.code)
    other_by = support.add_operator(store, Role.CITY)  # another login changes its standing
    member = 10_000 + int(uuid.uuid4().int % 1000)
    base = f"BD2014-{uuid.uuid4().hex[:6]}"
    first = IssuedDocument(
        f"{base}-1", "report_in", date(2014, 9, 5), '{"a":1}', "1", member_id=member
    )
    store.issue_document(first_by, first)
    assert store.latest_document(member, "report_in") == first
    second = IssuedDocument(
        f"{base}-2", "report_in", date(2014, 9, 6), '{"a":2}', "2", member_id=member
    )
    store.issue_document(other_by, second, replaces=first.serial)
    old = store.find_document(first.serial)
    assert old is not None and old.status is DocumentStatus.SUPERSEDED
    assert old.replaced_by == second.serial and not old.holds
    assert store.latest_document(member, "report_in") == second
    revoked = store.revoke_document(first_by, second.serial, "调离本市", date(2014, 10, 1))
    assert (revoked.status, revoked.reason, revoked.revoked_on) == (
        DocumentStatus.REVOKED,
        "调离本市",
        date(2014, 10, 1),
    )
    assert "作废" in revoked.standing() and "调离本市" in revoked.standing()
    import pytest

    from partyreg_core.errors import ConflictError

    with pytest.raises(ConflictError):
        store.revoke_document(first_by, second.serial, "again", date(2014, 10, 2))
