"""The key that wraps every data key is a secret of the council's own: missing, published or
short, a service refuses to start outside development mode (where the published one is used)."""

from __future__ import annotations

import pytest

from shared.config import DEVELOPMENT_KEY_ENCRYPTION_KEY, KeyringSettings


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "is not set"),
        ("  ", "is not set"),
        (DEVELOPMENT_KEY_ENCRYPTION_KEY, "is a development value"),
        ("k" * 31, "is shorter than 32 characters"),
    ],
)
def test_a_missing_published_or_short_key_encryption_key_is_insecure(
    value: str | None, problem: str
) -> None:
    [found] = KeyringSettings(key_encryption_key=value).keyring_insecurities()

    assert found.setting == "KEY_ENCRYPTION_KEY"
    assert found.problem.startswith(problem)


def test_a_long_key_of_ones_own_is_used() -> None:
    settings = KeyringSettings(key_encryption_key="k" * 32)

    assert settings.keyring_insecurities() == []
    assert settings.key_encryption_secret == "k" * 32


def test_unset_the_published_development_key_is_used() -> None:
    assert KeyringSettings(key_encryption_key=None).key_encryption_secret == (
        DEVELOPMENT_KEY_ENCRYPTION_KEY
    )
