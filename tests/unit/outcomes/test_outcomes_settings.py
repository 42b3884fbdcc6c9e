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


def test_outcomes_reads_the_scheduler_interval_and_sign_in_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEDULER_INTERVAL_SECONDS", "5")
    monkeypatch.setenv("OIDC_ISSUER", "https://login.example/tenant/v2.0")
    monkeypatch.setenv("OIDC_ROLES_CLAIM", "realm_access.roles")

    settings = OutcomesSettings()

    assert (
        settings.scheduler_interval_seconds,
        settings.oidc_issuer,
        settings.oidc_roles_claim,
        settings.discovery_url,
    ) == (
        5,
        "https://login.example/tenant/v2.0",
        "realm_access.roles",
        "https://login.example/tenant/v2.0/.well-known/openid-configuration",
    )


def test_a_scheduler_interval_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER_INTERVAL_SECONDS", "0")

    with pytest.raises(ValidationError, match="scheduler_interval_seconds"):
        OutcomesSettings()
