"""Test-wide settings.

Hypothesis: no per-example deadline. The suite runs on two shared cores (CI runs beside other
work), where a single example of a file-writing property can take several times its usual
time; a deadline there fails a correct test. Slowness is measured by the benchmarks under
``bench/``, not by tests.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

# the shipped contract suite's fixtures (``harness``: the in-memory store unless a conftest
# further down, such as tests/contracts', gives every backend)
pytest_plugins = ["partyreg_core.testing.plugin"]

settings.register_profile("partyreg", deadline=None)
settings.load_profile("partyreg")


@pytest.fixture(autouse=True)
def _no_inherited_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI tables fit ``COLUMNS`` when it is set; a test that wants a width passes it itself,
    so a width left in the environment (by the shell, or by a terminal library in another test
    of the same worker) never decides what a test sees."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
