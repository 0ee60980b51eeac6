"""Operators and their scopes; the audit log (append-only, scoped)."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError
from partyreg_core.operators.model import Actor, Operator, Role, Scope
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import batch, make_district, registration


def test_operators_are_added_listed_rescoped_and_disabled(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    saved = store.operators.save_operator(city, Operator("li", Scope(Role.DISTRICT, d.code)))
    assert saved.id is not None and saved.scope == Scope(Role.DISTRICT, d.code)
    assert store.operators.find_operator("li") == saved
    assert "li" in [o.name for o in store.operators.operators(city)]
    communities = frozenset(c.id for c in d.communities)
    moved = store.operators.save_operator(
        city, attrs.evolve(saved, scope=Scope(Role.INSTRUCTOR, communities=communities))
    )
    assert moved.scope.communities == communities and moved.role is Role.INSTRUCTOR
    off = store.operators.save_operator(city, attrs.evolve(moved, disabled=True))
    assert off.disabled
    entries = [
        e for e in store.audit(city, AuditQuery(action="operator")) if e.subject == "operator:li"
    ]
    assert [e.action for e in entries] == ["operator.add", "operator.change", "operator.change"]
    assert entries[1].before["role"] == "district" and entries[1].after["role"] == "instructor"


def test_only_city_operators_manage_operators(store: SqlStore) -> None:
    d = make_district(store)
    district = support.add_operator(store, Role.DISTRICT, d.code)
    with pytest.raises(NotPermittedError):
        store.operators.save_operator(district, Operator("x", Scope(Role.UNIT, d.units[0])))
    with pytest.raises(NotPermittedError):
        store.operators.operators(district)


def test_the_last_city_operator_cannot_be_disabled(store: SqlStore, backend: str) -> None:
    city = support.city(store)
    others = [o for o in store.operators.operators(city) if o.role is Role.CITY and not o.disabled]
    for other in others:
        if other.name != city.name:
            store.operators.save_operator(city, attrs.evolve(other, disabled=True))
    with pytest.raises(ConflictError, match="最后一个市级操作员"):
        store.operators.save_operator(city, attrs.evolve(city.operator, disabled=True))


def test_a_scope_must_name_known_codes_and_communities(store: SqlStore) -> None:
    from partyreg_core.orgcodes import OrgCode

    city = support.city(store)
    with pytest.raises(NotFoundError):
        store.operators.save_operator(
            city, Operator("y", Scope(Role.UNIT, OrgCode(("008", "998", "001"))))
        )
    with pytest.raises(NotFoundError):
        store.operators.save_operator(
            city, Operator("y", Scope(Role.COMMUNITY, communities=frozenset({10**9})))
        )


def test_the_audit_log_refuses_update_and_delete_even_in_plain_sql(store: SqlStore) -> None:
    d = make_district(store)
    store.write_registrations(
        support.city(store), batch(rows=1), [registration(d.units[0], d.communities[0])]
    )
    before = support.count_rows(store, "audit_log")
    with support.raw_sql(store) as conn:
        for statement in (
            "UPDATE audit_log SET actor = 'forged'",
            "DELETE FROM audit_log",
        ):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(statement)
    assert support.count_rows(store, "audit_log") == before
    with support.raw_sql(store) as conn:
        forged = conn.execute("SELECT count(*) FROM audit_log WHERE actor = 'forged'").fetchone()
    assert forged[0] == 0


def test_the_audit_log_is_scoped_and_filtered_by_date(store: SqlStore) -> None:
    a, b = make_district(store), make_district(store)
    city = support.city(store)
    unit_a = support.add_operator(store, Role.UNIT, a.units[0])
    unit_b = support.add_operator(store, Role.UNIT, b.units[0])
    district_a = support.add_operator(store, Role.DISTRICT, a.code)
    ra = store.write_registrations(
        unit_a, batch(rows=1), [registration(a.units[0], a.communities[0])]
    )
    rb = store.write_registrations(
        unit_b, batch(rows=1), [registration(b.units[0], b.communities[0])]
    )
    seen_a = {e.batch_id for e in store.audit(unit_a, AuditQuery())}
    assert ra.batch_id in seen_a and rb.batch_id not in seen_a
    seen_district = {e.batch_id for e in store.audit(district_a, AuditQuery())}
    assert ra.batch_id in seen_district and rb.batch_id not in seen_district
    seen_city = {e.batch_id for e in store.audit(city, AuditQuery())}
    assert {ra.batch_id, rb.batch_id} <= seen_city
    tomorrow = date.today() + timedelta(days=2)
    assert list(store.audit(city, AuditQuery(since=tomorrow))) == []
    assert len(list(store.audit(city, AuditQuery(limit=2)))) == 2


def test_acting_as_another_operator_is_audited_with_both_names(store: SqlStore) -> None:
    d = make_district(store)
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    city = support.city(store)
    acting = Actor(unit.operator, os_user="root", real=city.operator)
    result = store.write_registrations(
        acting, batch(rows=1), [registration(d.units[0], d.communities[0])]
    )
    [entry] = [e for e in store.audit(unit, AuditQuery()) if e.batch_id == result.batch_id]
    assert entry.actor == city.name and entry.on_behalf_of == unit.name and entry.os_user == "root"
    [made] = [b for b in store.batches(unit) if b.id == result.batch_id]
    assert made.operator == city.name and made.on_behalf_of == unit.name


def test_settings_are_shared_and_only_the_city_changes_them(store: SqlStore) -> None:
    city = support.city(store)
    key = f"calendar.{support.person()[1]}"
    assert store.get_setting(key) is None
    store.set_setting(city, key, {"deadline": "08-30"})
    store.set_setting(city, key, {"deadline": "08-31"})
    assert store.get_setting(key) == {"deadline": "08-31"}
    d = make_district(store)
    district = support.add_operator(store, Role.DISTRICT, d.code)
    with pytest.raises(NotPermittedError):
        store.set_setting(district, key, 1)
