"""What counts as insecure, before any process starts: a secret that is missing, too short or
published in this repository; sign-in that is not set up. (Starting with them:
tests/e2e/test_refusing_to_start.py.)"""

from __future__ import annotations

import pytest

from shared.identity import IdentitySettings, Insecurity, refuse_to_start_insecurely
from shared.identity.startup import RefusedToStart, secret_insecurity

DEVELOPMENT = {"dev-only-session-secret-change-me-0123456789"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("dev-only-session-secret-change-me-0123456789", "is a development value"),
        ("x" * 31, "is shorter than 32 characters"),
    ],
)
def test_a_secret_that_is_missing_published_or_short_is_insecure(
    value: str | None, problem: str
) -> None:
    found = secret_insecurity("SESSION_SECRET", value, development_values=DEVELOPMENT)

    assert found is not None
    assert found.setting == "SESSION_SECRET"
    assert found.problem.startswith(problem)


def test_a_long_secret_of_ones_own_is_fine() -> None:
    assert secret_insecurity("SESSION_SECRET", "k" * 32, development_values=DEVELOPMENT) is None


def test_sign_in_without_issuer_or_audience_is_insecure() -> None:
    settings = IdentitySettings(oidc_issuer=None, oidc_audience="  ")

    assert [i.setting for i in settings.insecurities()] == ["OIDC_ISSUER", "OIDC_AUDIENCE"]


def test_outside_development_mode_insecure_settings_stop_the_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(RefusedToStart) as refused:
        refuse_to_start_insecurely(
            "intake", [Insecurity("PARTNER_API_KEYS", "is not set")], development_mode=False
        )

    assert refused.value.code == 78
    assert "intake refuses to start" in capsys.readouterr().err


def test_in_development_mode_they_are_only_reported(capsys: pytest.CaptureFixture[str]) -> None:
    refuse_to_start_insecurely(
        "intake", [Insecurity("PARTNER_API_KEYS", "is not set")], development_mode=True
    )

    assert "PARTNER_API_KEYS is not set" in capsys.readouterr().err
