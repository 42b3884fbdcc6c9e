"""A partner's submission to start from: the documented example (police, an older woman, her son)."""

from __future__ import annotations

import copy

import pytest
from pydantic import JsonValue

from services.intake.domain.submission import EXAMPLE, ConcernSubmission


@pytest.fixture
def example() -> dict[str, JsonValue]:
    """A fresh copy of the example, safe to change."""
    return copy.deepcopy(EXAMPLE)


@pytest.fixture
def submission() -> ConcernSubmission:
    return ConcernSubmission.model_validate(EXAMPLE)
