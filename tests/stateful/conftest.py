"""Hypothesis profiles for the state machines: a bounded `ci` one, and `soak` for long runs.

`SYNCD_SOAK=1` selects soak. The profile is given to each machine's TestCase rather than
loaded globally, so the other test folders keep hypothesis' defaults.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# ci: both machines together take about 75 s on an idle 2-core box, about 2.5 min under
# make test's branch coverage (which also traces the crash tests' subprocesses).
# Derandomized, so CI explores the same sequences on every run and a red build is
# reproducible. soak (`SYNCD_SOAK=1`, about ten times the steps) draws new
# sequences on every run; hypothesis' example database replays any it found failing.
settings.register_profile(
    "ci", deadline=None, derandomize=True, max_examples=15, stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile(
    "soak", deadline=None, max_examples=200, stateful_step_count=50,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True)


def profile() -> settings:
    """The settings for a state machine in this run."""
    return settings.get_profile("soak" if os.environ.get("SYNCD_SOAK") == "1" else "ci")


# The in-process machine on the memory backends (test_memory_machine.py): a few seconds in
# make test; soak is the 200 examples x 30 steps the contract suite's issue asks of it.
settings.register_profile(
    "memory-ci", deadline=None, derandomize=True, max_examples=25, stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile(
    "memory-soak", deadline=None, max_examples=200, stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True)


def memory_profile() -> settings:
    """The settings for the in-process memory machine in this run."""
    return settings.get_profile(
        "memory-soak" if os.environ.get("SYNCD_SOAK") == "1" else "memory-ci")
