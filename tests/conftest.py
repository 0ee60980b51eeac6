"""Test-wide settings.

Hypothesis: no per-example deadline. The suite runs on two shared cores (CI runs beside other
work), where a single example of a file-writing property can take several times its usual
time; a deadline there fails a correct test. Slowness is measured by the benchmarks under
``bench/``, not by tests.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("partyreg", deadline=None)
settings.load_profile("partyreg")
