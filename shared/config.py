"""Settings every service reads from its environment (pydantic-settings).

When KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI are set (docker compose, a managed cluster, or the
servers `make infra-up` printed), services and tests use those servers. How staff sign in
(OIDC_*) and DEVELOPMENT_MODE are in shared.identity.settings.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.identity import Insecurity
from shared.identity.settings import IdentitySettings
from shared.identity.startup import secret_insecurity
from shared.kafka import KafkaConnection, SaslMechanism, SecurityProtocol

PUBLISHED_KAFKA_PASSWORDS = frozenset({"admin-secret", "alice-secret", "kafka-secret"})
"""Passwords of the SASL examples in Apache Kafka's documentation."""


class KafkaSettings(BaseSettings):
    """How a service (or the ops CLI) reaches Kafka and who it is there."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma separated."
    )
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT",
        description="PLAINTEXT (no authentication: the local test broker only), SASL_PLAINTEXT "
        "or SASL_SSL (the service signs in as KAFKA_SASL_USERNAME).",
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        default="SCRAM-SHA-512", description="How the service signs in to Kafka (SASL)."
    )
    kafka_sasl_username: str | None = Field(
        default=None,
        description="This service's own Kafka user: the broker's ACLs say what it may read "
        "and write.",
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="That user's password (at least 32 characters)."
    )
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="With SASL_SSL: the CA certificate file the brokers' certificates are "
        "checked against; unset, the system's.",
    )

    @field_validator(
        "kafka_sasl_username", "kafka_sasl_password", "kafka_ssl_cafile", mode="before"
    )
    @classmethod
    def _blank_kafka_setting_is_unset(cls, value: object) -> object:
        # Compose passes an unset host variable through as an empty string.
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def kafka(self) -> KafkaConnection:
        password = self.kafka_sasl_password
        return KafkaConnection(
            self.kafka_bootstrap_servers,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_sasl_username,
            password=None if password is None else password.get_secret_value(),
            ssl_cafile=self.kafka_ssl_cafile,
        )

    def kafka_insecurities(self) -> list[Insecurity]:
        """Signing in to Kafka needs a user and a strong password."""
        if self.kafka_security_protocol == "PLAINTEXT":
            return []
        found = []
        if not self.kafka_sasl_username:
            found.append(Insecurity("KAFKA_SASL_USERNAME", "is not set"))
        password = self.kafka_sasl_password
        weak = secret_insecurity(
            "KAFKA_SASL_PASSWORD",
            None if password is None else password.get_secret_value(),
            development_values=PUBLISHED_KAFKA_PASSWORDS,
        )
        if weak is not None:
            found.append(weak)
        if self.kafka_sasl_mechanism == "PLAIN" and self.kafka_security_protocol != "SASL_SSL":
            found.append(
                Insecurity(
                    "KAFKA_SASL_MECHANISM", "is PLAIN without TLS: the password goes in clear"
                )
            )
        return found


DEVELOPMENT_KEY_ENCRYPTION_KEY = "dev-only-key-encryption-key-not-for-real-data"
"""Published here: refused outside development mode, like every other development secret."""


class KeyringSettings(BaseSettings):
    """Where the data keys of personal data are kept (`shared.keyring`), and the key that wraps
    them."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    keyring_database: str = Field(
        default="keyring",
        description="The MongoDB database of the data keys, one for every service.",
    )
    key_encryption_key: SecretStr | None = Field(
        default=None,
        description="The secret the data keys are wrapped with (at least 32 characters). Unset: "
        "a published development value, in development mode only.",
    )

    @field_validator("key_encryption_key", mode="before")
    @classmethod
    def _blank_key_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def key_encryption_secret(self) -> str:
        key = self.key_encryption_key
        return DEVELOPMENT_KEY_ENCRYPTION_KEY if key is None else key.get_secret_value()

    def keyring_insecurities(self) -> list[Insecurity]:
        key = self.key_encryption_key
        weak = secret_insecurity(
            "KEY_ENCRYPTION_KEY",
            None if key is None else key.get_secret_value(),
            development_values={DEVELOPMENT_KEY_ENCRYPTION_KEY},
        )
        return [] if weak is None else [weak]


class ServiceSettings(IdentitySettings, KafkaSettings, KeyringSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

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

    outbox_keep_published_seconds: float = Field(
        default=7 * 24 * 3600.0,
        gt=0,
        description="An outbox entry published for longer than this is deleted (the event stays "
        "in the event store and on Kafka); meanwhile an operator can look into a relay problem.",
    )

    api_docs: bool | None = Field(
        default=None,
        description="Serve the API documentation (/docs, /redoc) and its OpenAPI document "
        "(/openapi.json). Unset: on in development mode only.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="The bearer token Prometheus sends to scrape /metrics (at least 32 "
        "characters). Unset: /metrics answers in development mode only.",
    )

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def serves_api_docs(self) -> bool:
        return self.development_mode if self.api_docs is None else self.api_docs

    def insecurities(self) -> list[Insecurity]:
        found = [
            *super().insecurities(),
            *self.kafka_insecurities(),
            *self.keyring_insecurities(),
        ]
        if self.metrics_token is not None:
            weak = secret_insecurity("METRICS_TOKEN", self.metrics_token.get_secret_value())
            if weak is not None:
                found.append(weak)
        return found

    def consumer_group(self, name: str) -> str:
        return f"{self.consumer_group_prefix}.{self.mongodb_database}.{name}"
