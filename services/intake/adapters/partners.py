"""The partner agencies registered with the council: one registry for both ways a partner
submits. Over HTTP a partner is the agency whose API key it sends (PARTNER_API_KEYS); over Kafka a
submission names its agency in the `agency` header and is signed with that agency's key, whose
public half is registered here (PARTNER_SIGNING_KEYS). A submission naming an agency not
registered, or not signed by it, is refused: parked with the reason, it reaches no partner's view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Request

from services.intake.domain.signature import read_public_key, verifies
from services.intake.settings import IntakeSettings
from shared.events import Actor
from shared.identity import partner_from_api_key


@dataclass(frozen=True)
class PartnerRegistry:
    hashed_keys: Mapping[str, str]
    """Agency -> SHA-256 hex of its API key."""
    signing_keys: Mapping[str, Ed25519PublicKey] = field(default_factory=dict)
    """Agency -> the public key its Kafka submissions are signed with."""

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> PartnerRegistry:
        return cls(
            dict(settings.partner_api_keys),
            {agency: read_public_key(key) for agency, key in settings.partner_signing_keys.items()},
        )

    def knows(self, agency: str) -> bool:
        """Whether `agency` is a registered partner, exactly as registered."""
        return agency in self.hashed_keys or agency in self.signing_keys

    def signs(self, agency: str) -> bool:
        """Whether the council holds a signing key for `agency` (so it may publish on Kafka)."""
        return agency in self.signing_keys

    def signed_by(self, agency: str, value: bytes, signature: bytes | None) -> bool:
        """Whether `signature` is `agency`'s own over `value` sent in its name."""
        key = self.signing_keys.get(agency)
        return key is not None and verifies(key, agency, value, signature)

    def partner_signing_in(self, request: Request) -> Actor:
        """The partner whose API key the request carries (401 otherwise)."""
        return partner_from_api_key(request, dict(self.hashed_keys))
