"""Where the real servers are: KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI (set by `make test`),
or the ones a developer started with `make infra-up`."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def server_addresses() -> tuple[str, str]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("MONGODB_URI")
    env_file = ROOT / ".local" / "run" / "infra.env"
    if not (kafka and mongo) and env_file.exists():
        values = {
            key: value.strip("'")
            for key, value in (
                line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line
            )
        }
        kafka = kafka or values.get("KAFKA_BOOTSTRAP_SERVERS")
        mongo = mongo or values.get("MONGODB_URI")
    if not (kafka and mongo):
        raise RuntimeError(
            "Integration tests need the real servers: run `make test`, or `make infra-up` and "
            "export the KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI it prints."
        )
    return kafka, mongo
