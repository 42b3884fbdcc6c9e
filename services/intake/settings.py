"""Intake's settings, read from the environment (see shared.config for the ones every service
reads, including how staff sign in).

PARTNER_API_KEYS registers the partner agencies: there is no default. `make run` registers the
development partner below (with DEVELOPMENT_MODE on); outside development mode intake refuses to
start with it, or with no partner at all. PARTNER_SIGNING_KEYS holds the public key each partner
that publishes on Kafka signs its submissions with (`domain/signature.py`). MATCHING_KEY keys the
hashes the person index keeps instead of NHS numbers, names, dates of birth and postcodes
(`application/person_index.py`).
"""

from __future__ import annotations

import hashlib
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.intake.domain.signature import public_key_text, read_public_key
from shared.config import ServiceSettings
from shared.identity import Insecurity, hash_api_key
from shared.identity.partners import SHA256_HEX
from shared.identity.startup import secret_insecurity

DEV_PARTNER: Final = "dev-partner"
DEV_PARTNER_KEY: Final = "dev-only-partner-key"
"""The development partner (`make run`, the demo, the benchmark) signs in with this key."""
DEVELOPMENT_KEYS: Final = frozenset({DEV_PARTNER_KEY})
"""Keys published in this repository: their hashes are refused outside development mode."""
DEV_PARTNER_SIGNING_KEY: Final = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"dev-only-partner-signing-key").digest()
)
"""The development partner signs what it publishes on Kafka with this key (published here, so
its public half is refused outside development mode)."""
DEV_PARTNER_PUBLIC_KEY: Final = public_key_text(DEV_PARTNER_SIGNING_KEY.public_key())
DEVELOPMENT_MATCHING_KEY: Final = "dev-only-person-matching-key-not-for-real-data"
"""Published here: refused outside development mode, like every other development secret."""


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongodb_database: str = "intake"
    http_port: int = 8001
    partner_api_keys: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object: partner agency -> SHA-256 hex of its API key.",
    )
    partner_signing_keys: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object: partner agency -> the Ed25519 public key (32 bytes, base64) "
        "it signs its Kafka submissions with. A partner without one can submit over HTTP only.",
    )

    matching_key: SecretStr | None = Field(
        default=None,
        description="The secret the person index's matching keys are hashed with (at least 32 "
        "characters). Unset: a published development value, in development mode only. "
        "Changing it makes every person already on record unrecognisable.",
    )

    @field_validator("matching_key", mode="before")
    @classmethod
    def _blank_matching_key_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def matching_secret(self) -> str:
        key = self.matching_key
        return DEVELOPMENT_MATCHING_KEY if key is None else key.get_secret_value()

    retention_after_closure_days: int = Field(
        default=2920,
        gt=0,
        description="How long after the last of a person's concerns closed her records are "
        "kept before the retention job erases them (unless under a legal hold). 2920 days "
        "(8 years after last contact) is a common council schedule for adult social care records.",
    )
    retention_check_seconds: float = Field(
        default=86_400,
        gt=0,
        description="How often the retention job looks for people to erase. Each pass reads "
        "only the closures whose period has run since the last pass, and the people it found "
        "under a legal hold or with a concern still open; a period counted in years loses "
        "nothing to a day's wait.",
    )

    @field_validator("partner_signing_keys")
    @classmethod
    def _keys_are_keys(cls, keys: dict[str, str]) -> dict[str, str]:
        for agency, key in keys.items():
            try:
                read_public_key(key)
            except ValueError as error:
                raise ValueError(f"the key for {agency!r} {error}") from None
        return keys

    def insecurities(self) -> list[Insecurity]:
        found = super().insecurities()
        matching = self.matching_key
        weak = secret_insecurity(
            "MATCHING_KEY",
            None if matching is None else matching.get_secret_value(),
            development_values={DEVELOPMENT_MATCHING_KEY},
        )
        if weak is not None:
            found.append(weak)
        if not self.partner_api_keys:
            found.append(Insecurity("PARTNER_API_KEYS", "is not set, so no partner could sign in"))
        development = {hash_api_key(key) for key in DEVELOPMENT_KEYS}
        for agency, digest in self.partner_api_keys.items():
            if not SHA256_HEX.fullmatch(digest):
                found.append(
                    Insecurity(
                        "PARTNER_API_KEYS",
                        f"has a value for {agency!r} that is not the SHA-256 hex of a key",
                    )
                )
            elif digest.lower() in development:
                found.append(
                    Insecurity(
                        "PARTNER_API_KEYS",
                        f"gives {agency!r} a development key published in the source code",
                    )
                )
        for agency, key in self.partner_signing_keys.items():
            if key == DEV_PARTNER_PUBLIC_KEY:
                found.append(
                    Insecurity(
                        "PARTNER_SIGNING_KEYS",
                        f"gives {agency!r} a development key published in the source code",
                    )
                )
        return found
