"""Where the real servers are: KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI and OIDC_* (set by
`make test`), or the ones a developer started with `make infra-up` (read from its infra.env)."""

from __future__ import annotations

import os
from pathlib import Path

from infra.local import read_environment

ROOT = Path(__file__).resolve().parents[2]


def infra_environment() -> dict[str, str]:
    """The environment, filled in from `make infra-up`'s infra.env where it says nothing."""
    return {**read_environment(ROOT / ".local" / "run"), **os.environ}


def server_addresses() -> tuple[str, str]:
    env = infra_environment()
    kafka = env.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo = env.get("MONGODB_URI")
    if not (kafka and mongo):
        raise RuntimeError(
            "Integration tests need the real servers: run `make test`, or `make infra-up` and "
            "export the KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI it prints."
        )
    return kafka, mongo
