"""Intake's settings, read from the environment (see shared.config for the ones every service
reads, including STAFF_TOKEN_SECRET).

PARTNER_API_KEYS (like STAFF_TOKEN_SECRET) has a development default so `make run` works on one
machine. Anyone can read it here: a real installation must set its own.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.auth import hash_api_key
from shared.config import ServiceSettings

DEV_PARTNER: Final = "dev-partner"
DEV_PARTNER_KEY: Final = "dev-only-partner-key"
"""The development partner signs in with `X-API-Key: dev-only-partner-key`."""


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongodb_database: str = "intake"
    http_port: int = 8001
    partner_api_keys: dict[str, str] = Field(
        default_factory=lambda: {DEV_PARTNER: hash_api_key(DEV_PARTNER_KEY)},
        description="JSON object: partner agency -> SHA-256 hex of its API key. The default "
        f"lets the agency {DEV_PARTNER!r} in with the key {DEV_PARTNER_KEY!r}: override it.",
    )
