"""The contract suite's pytest plugin: ``pytest_plugins = ["partyreg_core.testing.plugin"]``.

It gives the contract classes their ``harness`` fixture — by default the in-memory reference
store, fresh for each test. A backend overrides ``harness`` in its own ``conftest.py`` (a
fixture of the same name there wins) to run the same classes on itself.
"""

from __future__ import annotations

import pytest

from partyreg_core.testing.harness import Harness
from partyreg_core.testing.memory import MemoryHarness


@pytest.fixture
def memory_harness() -> MemoryHarness:
    """A fresh in-memory reference store with the built-in code table."""
    return MemoryHarness()


@pytest.fixture
def harness(memory_harness: MemoryHarness) -> Harness:
    """The store under test (override it to test another backend)."""
    return memory_harness
