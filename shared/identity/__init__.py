"""Who is calling: partner agencies by API key, council staff by a token from the council's
OpenID Connect provider; and the refusal to start with secrets anyone could know."""

from shared.identity.partners import hash_api_key, partner_from_api_key
from shared.identity.problems import forbidden, sign_in_unavailable, unauthorised
from shared.identity.settings import IdentitySettings
from shared.identity.startup import (
    Insecurity,
    refuse_to_start_insecurely,
    secret_insecurity,
    settings_to_start,
)
from shared.identity.tokens import STAFF_ROLES, StaffTokens

__all__ = [
    "STAFF_ROLES",
    "IdentitySettings",
    "Insecurity",
    "StaffTokens",
    "forbidden",
    "hash_api_key",
    "partner_from_api_key",
    "refuse_to_start_insecurely",
    "secret_insecurity",
    "settings_to_start",
    "sign_in_unavailable",
    "unauthorised",
]
