"""A service started outside development mode with a secret anyone can read, or without one, or
without staff sign-in set up, exits at once with a non-zero status and the reason, and never
prints the secret itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.intake.settings import DEV_PARTNER, DEV_PARTNER_KEY
from shared.identity import hash_api_key

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SIGN_IN = {"OIDC_ISSUER": "https://login.council.example/t/v2.0", "OIDC_AUDIENCE": "api://sg"}
REAL_PARTNERS = json.dumps({"West Mercia Police": hash_api_key("a key only they know")})


def start(service: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Nothing to connect to: a refusal must come before the service reaches for anything.
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OIDC_", "PARTNER_", "DEVELOPMENT_", "KAFKA_", "MONGODB_"))
    }
    return subprocess.run(
        [str(BIN / f"safeguarding-{service}")],
        env={**base, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_intake_with_the_development_partner_key_refuses_to_start() -> None:
    development = hash_api_key(DEV_PARTNER_KEY)
    result = start("intake", PARTNER_API_KEYS=json.dumps({DEV_PARTNER: development}), **SIGN_IN)

    assert result.returncode == 78
    assert "PARTNER_API_KEYS" in result.stderr
    assert "development key published in the source code" in result.stderr
    assert development not in result.stderr + result.stdout
    assert DEV_PARTNER_KEY not in result.stderr + result.stdout


def test_intake_without_any_partner_refuses_to_start() -> None:
    result = start("intake", **SIGN_IN)

    assert result.returncode == 78
    assert "PARTNER_API_KEYS is not set" in result.stderr


def test_a_partner_registry_that_cannot_be_read_is_named_but_not_printed() -> None:
    unreadable = '{"West Mercia Police": "s3cr3t-k3y-in-the-wrong-place"'
    result = start("intake", PARTNER_API_KEYS=unreadable, **SIGN_IN)

    assert result.returncode == 78
    assert "PARTNER_API_KEYS cannot be read" in result.stderr
    assert "s3cr3t" not in result.stderr + result.stdout


@pytest.mark.parametrize("service", ["intake", "outcomes", "notification"])
def test_a_service_without_staff_sign_in_refuses_to_start(service: str) -> None:
    result = start(service, PARTNER_API_KEYS=REAL_PARTNERS)

    assert result.returncode == 78
    assert "OIDC_ISSUER is not set" in result.stderr
    assert "OIDC_AUDIENCE is not set" in result.stderr


def test_in_development_mode_it_only_warns_and_goes_on_to_start() -> None:
    # It then reaches for Kafka, which is not there, and stops: far past the check.
    result = start(
        "outcomes",
        DEVELOPMENT_MODE="true",
        MONGODB_URI="mongodb://127.0.0.1:1/?replicaSet=none",
        HTTP_PORT="0",
    )

    assert "DEVELOPMENT_MODE is on, so it starts although" in result.stderr
    assert "OIDC_ISSUER is not set" in result.stderr
    assert "refuses to start" not in result.stderr
    assert "Waiting for application startup" in result.stdout + result.stderr
    assert result.returncode != 78
