"""The web app's settings, read from the environment.

It signs staff in at the council's OpenID Connect provider (OIDC_ISSUER) as the confidential
client OIDC_WEB_CLIENT_ID, and calls the three services at their URLs with the user's access
token. Sessions are cookies encrypted and signed with SESSION_SECRET. Outside development mode it
refuses to start without a client secret and a session secret of its own, and sends cookies only
over HTTPS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.identity import IdentitySettings, Insecurity, secret_insecurity

ROOT: Final = Path(__file__).resolve().parents[2]
DEVELOPMENT_SESSION_SECRET: Final = "development-only-session-secret-not-for-real-use"


class WebSettings(IdentitySettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    http_host: str = "127.0.0.1"
    http_port: int = 8004
    log_level: str = "INFO"
    public_url: str | None = Field(
        default=None,
        description="Where browsers reach the web app (for the sign-in redirect), e.g. "
        "https://safeguarding.council.example; default http://<host>:<port>.",
    )
    intake_url: str = "http://127.0.0.1:8001"
    outcomes_url: str = "http://127.0.0.1:8002"
    notification_url: str = "http://127.0.0.1:8003"
    oidc_web_client_id: str = Field(
        default="safeguarding-web", description="The web app's client id at the provider."
    )
    oidc_web_client_secret: str | None = Field(
        default=None, description="The web app's client secret at the provider."
    )
    session_secret: str | None = Field(
        default=None,
        description="Encrypts and signs the session cookie (at least 32 characters); changing "
        "it signs everyone out.",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, gt=0, description="A session ends after this long at the most."
    )
    assets_dir: Path = Field(
        default=ROOT / "node_modules",
        description="Where npm installed govuk-frontend and @ministryofjustice/frontend.",
    )
    council_name: str = "Worcestershire County Council"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return not self.development_mode

    @property
    def cookie_secret(self) -> str:
        return self.session_secret or DEVELOPMENT_SESSION_SECRET

    def insecurities(self) -> list[Insecurity]:
        found = super().insecurities()
        for problem in (
            secret_insecurity("OIDC_WEB_CLIENT_SECRET", self.oidc_web_client_secret),
            secret_insecurity(
                "SESSION_SECRET",
                self.session_secret,
                development_values={DEVELOPMENT_SESSION_SECRET},
            ),
        ):
            if problem is not None:
                found.append(problem)
        return found
