"""Intake's settings, read from the environment (see shared.config for the ones every service
reads, including how staff sign in).

PARTNER_API_KEYS registers the partner agencies: there is no default. `make run` registers the
development partner below (with DEVELOPMENT_MODE on); outside development mode intake refuses to
start with it, or with no partner at all.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings
from shared.identity import Insecurity, hash_api_key
from shared.identity.partners import SHA256_HEX

DEV_PARTNER: Final = "dev-partner"
DEV_PARTNER_KEY: Final = "dev-only-partner-key"
"""The development partner (`make run`, the demo, the benchmark) signs in with this key."""
DEVELOPMENT_KEYS: Final = frozenset({DEV_PARTNER_KEY})
"""Keys published in this repository: their hashes are refused outside development mode."""


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mongodb_database: str = "intake"
    http_port: int = 8001
    partner_api_keys: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object: partner agency -> SHA-256 hex of its API key.",
    )

    def insecurities(self) -> list[Insecurity]:
        found = super().insecurities()
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
        return found
