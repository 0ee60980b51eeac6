"""The shipped pytest plugin: without a backend's own ``harness``, the contracts run on the
in-memory reference store (what a county team starts from)."""

from __future__ import annotations

from partyreg_core.testing.harness import Harness
from partyreg_core.testing.memory import MemoryHarness


def test_the_default_harness_is_a_fresh_memory_store(harness: Harness) -> None:
    assert isinstance(harness, MemoryHarness)
    city = harness.city()
    assert [o.name for o in harness.operators.operators(city)] == [city.name]
