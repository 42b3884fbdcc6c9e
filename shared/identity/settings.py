"""How staff sign in: the council's OpenID Connect provider (Entra ID, Okta, Keycloak, ...).

A service trusts a bearer token only when the provider's published keys (JWKS, found through
its discovery document) verify it, and it was issued by OIDC_ISSUER for OIDC_AUDIENCE, is
current, and lives no longer than OIDC_MAX_TOKEN_LIFETIME_SECONDS. The staff role comes from the
claim at OIDC_ROLES_CLAIM (a dotted path): the value OIDC_MANAGER_ROLE there makes a manager,
OIDC_PRACTITIONER_ROLE a practitioner.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.identity.startup import Insecurity


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    development_mode: bool = Field(
        default=False,
        description="Lets a service start with missing or development values of its secrets "
        "and sign-in settings (`make run` and `make test` set it). Never in a real installation.",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="The provider's issuer, exactly as in its tokens' `iss`, e.g. "
        "https://login.microsoftonline.com/<tenant id>/v2.0.",
    )
    oidc_audience: str | None = Field(
        default=None,
        description="The audience (`aud`) tokens must be issued for: the API's client id or "
        "application ID URI at the provider.",
    )
    oidc_discovery_url: str | None = Field(
        default=None,
        description="Where to read the provider's discovery document, when not at "
        "<issuer>/.well-known/openid-configuration (e.g. the provider's internal address).",
    )
    oidc_roles_claim: str = Field(
        default="roles",
        min_length=1,
        description="Dotted path of the claim listing the user's roles or groups: `roles` "
        "(Entra ID app roles, this project's Keycloak realm), `groups` (Okta), "
        "`realm_access.roles` (Keycloak's own).",
    )
    oidc_practitioner_role: str = Field(
        default="practitioner",
        min_length=1,
        description="The value in the roles claim that makes a practitioner (e.g. an Entra ID "
        "group's object id when the claim is `groups`).",
    )
    oidc_manager_role: str = Field(
        default="manager",
        min_length=1,
        description="The value in the roles claim that makes a Safeguarding Adults Manager.",
    )
    oidc_teams_claim: str = Field(
        default="groups",
        min_length=1,
        description="Dotted path of the claim naming the user's teams (groups), e.g. `groups` "
        "(this project's Keycloak realm: north-team, south-team).",
    )
    unallocated_case_team: str | None = Field(
        default=None,
        max_length=200,
        description="The team whose practitioners may read a case nobody has allocated yet "
        "(cases are not yet allocated, so today: every case); unset, only managers and a "
        "break-the-glass read with a reason may.",
    )
    oidc_name_claim: str = Field(
        default="name", min_length=1, description="The claim with the user's display name."
    )
    oidc_max_token_lifetime_seconds: int = Field(
        default=7200,
        gt=0,
        le=86400,
        description="A token valid for longer than this (exp - iat) is refused.",
    )
    oidc_clock_skew_seconds: int = Field(
        default=60,
        ge=0,
        le=300,
        description="How far the provider's clock may be from ours.",
    )
    oidc_jwks_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        description="At most one fetch of the provider's keys in this time, however many "
        "tokens name a key it does not know.",
    )

    @field_validator("oidc_issuer", "oidc_audience", "oidc_discovery_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # Compose passes an unset host variable through as an empty string.
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def discovery_url(self) -> str | None:
        if self.oidc_discovery_url:
            return self.oidc_discovery_url
        if self.oidc_issuer:
            return f"{self.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
        return None

    def insecurities(self) -> list[Insecurity]:
        """What would make this service unsafe to run; each service adds its own secrets."""
        found = []
        if not self.oidc_issuer:
            found.append(Insecurity("OIDC_ISSUER", "is not set, so no staff member could sign in"))
        if not self.oidc_audience:
            found.append(
                Insecurity("OIDC_AUDIENCE", "is not set, so tokens for any application would do")
            )
        return found
