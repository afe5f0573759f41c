"""Hypothesis profiles of the fuzzing suite.

``ci`` (the default): a bounded budget that CI runs on every push (a few minutes on 2 cores).
``nightly``: the longer run, ``DALIL_FUZZ_PROFILE=nightly pytest tests/fuzz`` (README:
"Fuzzing"). Every failure prints the example that caused it, which hypothesis replays first
on the next run (its database in ``.hypothesis/``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=SLOW_OK)
settings.register_profile(
    "nightly", max_examples=3000, deadline=None, suppress_health_check=SLOW_OK
)
settings.load_profile(os.environ.get("DALIL_FUZZ_PROFILE", "ci"))
