"""The partner agencies registered with the council (PARTNER_API_KEYS): one registry for both ways
a partner submits. Over HTTP a partner is the agency whose API key it sends; over Kafka a
submission names its agency in the `agency` header, and an agency not registered here is refused
(the submission is parked with the reason and reaches no partner's view).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request

from services.intake.settings import IntakeSettings
from shared.events import Actor
from shared.identity import partner_from_api_key


@dataclass(frozen=True)
class PartnerRegistry:
    hashed_keys: Mapping[str, str]
    """Agency -> SHA-256 hex of its API key."""

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> PartnerRegistry:
        return cls(dict(settings.partner_api_keys))

    def knows(self, agency: str) -> bool:
        """Whether `agency` is a registered partner, exactly as registered."""
        return agency in self.hashed_keys

    def partner_signing_in(self, request: Request) -> Actor:
        """The partner whose API key the request carries (401 otherwise)."""
        return partner_from_api_key(request, dict(self.hashed_keys))
