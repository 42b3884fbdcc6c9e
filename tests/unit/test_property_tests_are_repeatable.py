"""Property tests draw the same cases on every run and never fail on a slow example, so a run of
the suite on a busy machine passes or fails as one on a quiet machine does."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_the_suite_profile_is_repeatable_untimed_and_loaded_unless_another_is_asked_for() -> None:
    suite = settings.get_profile("suite")
    assert suite.derandomize is True
    assert suite.deadline is None
    assert HealthCheck.too_slow in suite.suppress_health_check
    loaded = settings.default
    assert loaded is not None
    assert loaded == settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


drawn: list[list[int]] = []


@settings(max_examples=25)
@given(st.lists(st.integers()))
def _draw(values: list[int]) -> None:
    drawn[-1].append(hash(tuple(values)))


def test_two_runs_of_a_property_draw_the_same_cases() -> None:
    for _ in range(2):
        drawn.append([])
        _draw()
    assert drawn[0] == drawn[1]
    assert len(set(drawn[0])) > 1
