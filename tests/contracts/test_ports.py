"""The contract classes of ``partyreg_core.testing``, collected for every backend (the
``harness`` fixture of conftest.py)."""

from __future__ import annotations

from partyreg_core.testing.contracts.members import MemberRepositoryContract
from partyreg_core.testing.contracts.operators import OperatorRepositoryContract


class TestMemberRepository(MemberRepositoryContract):
    """The member port."""


class TestOperatorRepository(OperatorRepositoryContract):
    """The operator port."""
