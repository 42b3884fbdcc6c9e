"""The outcomes service's settings, read from the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.outcomes.settings import OutcomesSettings


def test_outcomes_defaults_to_its_own_database_port_and_a_one_minute_scheduler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("MONGODB_DATABASE", "HTTP_PORT", "SCHEDULER_INTERVAL_SECONDS"):
        monkeypatch.delenv(variable, raising=False)

    settings = OutcomesSettings()

    assert (settings.mongodb_database, settings.http_port) == ("outcomes", 8002)
    assert settings.scheduler_interval_seconds == 60


def test_outcomes_reads_the_scheduler_interval_and_staff_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEDULER_INTERVAL_SECONDS", "5")
    monkeypatch.setenv("STAFF_TOKEN_SECRET", "a-real-secret")

    settings = OutcomesSettings()

    assert (settings.scheduler_interval_seconds, settings.staff_token_secret) == (
        5,
        "a-real-secret",
    )


def test_a_scheduler_interval_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER_INTERVAL_SECONDS", "0")

    with pytest.raises(ValidationError, match="scheduler_interval_seconds"):
        OutcomesSettings()
