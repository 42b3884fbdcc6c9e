"""Settings every service reads from its environment (pydantic-settings).

When KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI are set (docker compose, a managed cluster, or the
servers `make infra-up` printed), services and tests use those servers. How staff sign in
(OIDC_*) and DEVELOPMENT_MODE are in shared.identity.settings.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.identity.settings import IdentitySettings


class ServiceSettings(IdentitySettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma separated."
    )
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27017/?replicaSet=secantus&retryWrites=false",
        description="MongoDB connection string; must reach a replica set (transactions).",
    )
    mongodb_database: str = Field(description="This service's own database.")
    http_host: str = "127.0.0.1"
    http_port: int
    log_level: str = "INFO"
    consumer_group_prefix: str = Field(
        default="safeguarding", description="Prefix of every Kafka consumer group id."
    )

    worker_stuck_after_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A worker on the same message, batch or entry for longer than this makes "
        "/health answer 503.",
    )

    def consumer_group(self, name: str) -> str:
        return f"{self.consumer_group_prefix}.{self.mongodb_database}.{name}"
