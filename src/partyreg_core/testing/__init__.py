"""The storage contract suite, shipped for backends: what every store must do, per port.

A backend passes the suite by giving it a :class:`~partyreg_core.testing.harness.Harness`
(its ports and the few set-up steps the tests arrange data with) as the ``harness`` fixture,
and collecting the contract classes of :mod:`partyreg_core.testing.contracts`::

    # conftest.py
    pytest_plugins = ["partyreg_core.testing.plugin"]

    @pytest.fixture
    def harness():
        return MyHarness(...)

    # test_contracts.py
    from partyreg_core.testing.contracts.members import MemberRepositoryContract

    class TestMembers(MemberRepositoryContract):
        pass

:mod:`partyreg_core.testing.memory` is the small in-memory reference store written for the
suite: the plugin's default ``harness``, and the example a county team follows for its own
backend. partyreg's own suite runs the contracts on it, on SQLite and on PostgreSQL
(``tests/contracts``). Needs pytest (a development dependency).
"""
