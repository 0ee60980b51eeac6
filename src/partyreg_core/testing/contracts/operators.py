"""The operator port's contract (:class:`~partyreg_core.operators.port.OperatorRepository`)."""

from __future__ import annotations

import attrs
import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError
from partyreg_core.operators.model import Login, LoginKind, Operator, Role, Scope
from partyreg_core.orgcodes import OrgCode
from partyreg_core.testing.harness import OS_USER, Harness, operator_name


class OperatorRepositoryContract:
    """What every store does with operator accounts."""

    def test_the_store_names_its_login(self, harness: Harness) -> None:
        login = harness.operators.login()
        assert isinstance(login, Login)
        assert isinstance(login.kind, LoginKind)
        if login.kind is LoginKind.OPERATOR:
            assert login.operator is not None

    def test_the_first_city_operator_is_found_by_name(self, harness: Harness) -> None:
        found = harness.operators.find_operator(OS_USER)
        assert found is not None
        assert (found.name, found.role, found.disabled) == (OS_USER, Role.CITY, False)
        assert found.id is not None
        assert harness.operators.find_operator(operator_name()) is None

    def test_an_added_operator_is_stored_and_audited(self, harness: Harness) -> None:
        district = harness.make_district()
        city, name = harness.city(), operator_name()
        saved = harness.operators.save_operator(
            city, Operator(name, Scope(Role.UNIT, district.units[0]))
        )
        assert saved.id is not None
        assert (saved.name, saved.scope, saved.disabled) == (
            name,
            Scope(Role.UNIT, district.units[0]),
            False,
        )
        assert saved.created_by == city.real_name
        assert harness.operators.find_operator(name) == saved
        assert saved in harness.operators.operators(city)
        [entry] = harness.audit(city, AuditQuery(action="operator", subject=f"operator:{name}"))
        assert (entry.action, entry.before) == ("operator.add", None)
        assert entry.after == {
            "name": name,
            "role": "unit",
            "code": str(district.units[0]),
            "communities": [],
            "disabled": False,
        }

    def test_a_change_keeps_the_account_and_records_both_sides(self, harness: Harness) -> None:
        district = harness.make_district()
        city = harness.city()
        added = harness.add_operator(Role.COMMUNITY, communities=[district.communities[0].id])
        wider = Scope(Role.COMMUNITY, communities=frozenset(c.id for c in district.communities))
        changed = harness.operators.save_operator(city, attrs.evolve(added.operator, scope=wider))
        assert changed.id == added.operator.id
        assert changed.scope == wider
        disabled = harness.operators.save_operator(city, attrs.evolve(changed, disabled=True))
        assert disabled.disabled
        found = harness.operators.find_operator(added.name)
        assert found is not None and found.disabled
        query = AuditQuery(action="operator.change", subject=f"operator:{added.name}")
        first, second = harness.audit(city, query)
        assert first.before is not None and first.after is not None
        assert first.before["communities"] == [district.communities[0].id]
        assert first.after["communities"] == sorted(c.id for c in district.communities)
        assert second.after is not None and second.after["disabled"] is True

    def test_operator_names_come_in_order(self, harness: Harness) -> None:
        city = harness.city()
        for _ in range(3):
            harness.add_operator(Role.CITY)
        names = [o.name for o in harness.operators.operators(city)]
        assert names == sorted(names)
        assert OS_USER in names

    def test_only_the_city_manages_operators(self, harness: Harness) -> None:
        district = harness.make_district()
        unit = harness.add_operator(Role.UNIT, district.units[0])
        with pytest.raises(NotPermittedError) as caught:
            harness.operators.operators(unit)
        assert caught.value.code == "operator.denied"
        new = Operator(operator_name(), Scope(Role.UNIT, district.units[0]))
        with pytest.raises(NotPermittedError):
            harness.operators.save_operator(unit, new)
        assert harness.operators.find_operator(new.name) is None

    def test_a_scope_must_name_known_codes_and_communities(self, harness: Harness) -> None:
        city = harness.city()
        unknown_code = Operator(operator_name(), Scope(Role.UNIT, OrgCode(("008", "999", "999"))))
        with pytest.raises(NotFoundError) as caught:
            harness.operators.save_operator(city, unknown_code)
        assert caught.value.code == "code.unknown"
        unknown_community = Operator(
            operator_name(), Scope(Role.COMMUNITY, communities=frozenset({2**31 - 3}))
        )
        with pytest.raises(NotFoundError) as caught:
            harness.operators.save_operator(city, unknown_community)
        assert caught.value.code == "community.unknown"
        assert harness.operators.find_operator(unknown_code.name) is None

    def test_a_city_operator_is_disabled_only_while_another_remains(self, harness: Harness) -> None:
        city = harness.city()
        second = harness.add_operator(Role.CITY)
        off = harness.operators.save_operator(city, attrs.evolve(second.operator, disabled=True))
        assert off.disabled
        others = [
            o
            for o in harness.operators.operators(city)
            if o.role is Role.CITY and not o.disabled and o.name != OS_USER
        ]
        if others:  # a shared store: other tests' city operators remain
            return
        with pytest.raises(ConflictError) as caught:
            harness.operators.save_operator(city, attrs.evolve(city.operator, disabled=True))
        assert caught.value.code == "operator.last_city"
        found = harness.operators.find_operator(OS_USER)
        assert found is not None and not found.disabled

    def test_a_refusal_is_recorded_where_the_store_lets_it(self, harness: Harness) -> None:
        subject = f"operator:{operator_name()}"
        harness.operators.record_refusal(
            os_user="intruder", action="operator.refused", subject=subject, details={"as": "x"}
        )
        entries = list(harness.audit(harness.city(), AuditQuery(subject=subject)))
        # a PostgreSQL login that is no operator's own role may not append to the log
        assert len(entries) <= 1
        for entry in entries:
            assert (entry.action, entry.os_user) == ("operator.refused", "intruder")
            assert entry.after == {"as": "x"}
