"""Signing staff in at the council's OpenID Connect provider: the authorization code flow with
PKCE (S256) through authlib's Starlette client, which also checks the ID token (signature
against the provider's keys, issuer, audience, nonce). Signing out is RP-initiated logout at the
provider's end_session_endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request
from starlette.responses import RedirectResponse

from services.practitioner_web.settings import WebSettings
from shared.events import Role
from shared.identity.tokens import staff_role

__all__ = ["OAuthError", "SignIn", "SignedIn"]


@dataclass(frozen=True)
class SignedIn:
    subject: str
    name: str
    role: Role | None
    """None when the user holds no staff role: they get the "no access" page."""
    access_token: str
    id_token: str
    expires_at: float
    teams: tuple[str, ...] = ()
    """The directory's groups they are in (the `groups` claim), which name their teams."""


class SignIn:
    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        oauth = OAuth()
        oauth.register(
            name="council",
            client_id=settings.oidc_web_client_id,
            client_secret=settings.oidc_web_client_secret,
            server_metadata_url=settings.discovery_url,
            client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
        )
        client = oauth.create_client("council")
        assert client is not None
        self.client: Any = client

    @property
    def callback_url(self) -> str:
        return f"{self.settings.base_url}/sign-in/callback"

    async def redirect(self, request: Request) -> RedirectResponse:
        response: RedirectResponse = await self.client.authorize_redirect(
            request, self.callback_url
        )
        return response

    async def complete(self, request: Request) -> SignedIn:
        token = await self.client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        name = str(claims.get(self.settings.oidc_name_claim) or claims.get("sub", ""))
        return SignedIn(
            subject=str(claims["sub"]),
            name=name[:200],
            role=staff_role(claims, self.settings),
            access_token=str(token["access_token"]),
            id_token=str(token.get("id_token", "")),
            expires_at=float(token.get("expires_at", 0)),
            teams=tuple(str(g)[:200] for g in claims.get("groups") or () if g)[:20],
        )

    async def sign_out_url(self, id_token: str | None) -> str:
        """Where the browser goes to end the provider's session, then comes back signed out."""
        metadata = await self.client.load_server_metadata()
        end_session = metadata.get("end_session_endpoint")
        back = f"{self.settings.base_url}/signed-out"
        if not end_session:
            return back
        query = {"post_logout_redirect_uri": back, "client_id": self.settings.oidc_web_client_id}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{end_session}?{urlencode(query)}"
