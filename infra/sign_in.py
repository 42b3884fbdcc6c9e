"""Signing in as the local Keycloak's test users (the realm in infra/keycloak/), for the demo, the
tests and the benchmark: the password grant of the `safeguarding-cli` client, with the client
secret and password `infra/local.py up` made and wrote to infra.env.

A real council's staff sign in through the web app; nothing here is used by the services.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

RENEW_BEFORE_EXPIRY_S = 120.0


class TestUser(StrEnum):
    """The realm's test users (usernames)."""

    __test__ = False  # not a pytest test class

    PRACTITIONER = "asha.patel"
    """A practitioner in the north team."""
    OTHER_PRACTITIONER = "sam.jones"
    """A practitioner in the south team."""
    MANAGER = "alex.morgan"
    """A Safeguarding Adults Manager."""
    NO_STAFF_ROLE = "robin.clerk"
    """Signs in, but holds neither staff role."""


DISPLAY_NAMES = {
    TestUser.PRACTITIONER: "Asha Patel",
    TestUser.OTHER_PRACTITIONER: "Sam Jones",
    TestUser.MANAGER: "Alex Morgan",
    TestUser.NO_STAFF_ROLE: "Robin Clerk",
}


@dataclass(frozen=True)
class SignInSettings:
    issuer: str
    client_id: str
    client_secret: str
    password: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SignInSettings:
        missing = [
            name
            for name in (
                "OIDC_ISSUER",
                "OIDC_TEST_CLIENT_ID",
                "OIDC_TEST_CLIENT_SECRET",
                "OIDC_TEST_USER_PASSWORD",
            )
            if not env.get(name)
        ]
        if missing:
            raise RuntimeError(
                f"Signing in as a test user needs {', '.join(missing)}: start the servers with "
                "`make run` or `make infra-up` (they write them to infra.env)."
            )
        return cls(
            issuer=env["OIDC_ISSUER"],
            client_id=env["OIDC_TEST_CLIENT_ID"],
            client_secret=env["OIDC_TEST_CLIENT_SECRET"],
            password=env["OIDC_TEST_USER_PASSWORD"],
        )

    @property
    def token_endpoint(self) -> str:
        # Keycloak's, so no discovery round trip; the services themselves use discovery.
        return f"{self.issuer}/protocol/openid-connect/token"


@dataclass
class StaffSignIn:
    """Access tokens of the test users, each fetched once and renewed shortly before it expires."""

    settings: SignInSettings
    _tokens: dict[TestUser, tuple[str, float]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def token(self, user: TestUser) -> str:
        async with self._lock:
            cached = self._tokens.get(user)
            if cached is None or cached[1] - time.monotonic() < RENEW_BEFORE_EXPIRY_S:
                cached = await self._sign_in(user)
                self._tokens[user] = cached
            return cached[0]

    async def headers(self, user: TestUser) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(user)}"}

    async def _sign_in(self, user: TestUser) -> tuple[str, float]:
        # The resource owner password grant (RFC 6749 s4.3): one form POST, as the test client.
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                self.settings.token_endpoint,
                data={
                    "grant_type": "password",
                    "username": user.value,
                    "scope": "openid",
                    "password": self.settings.password,
                },
                auth=(self.settings.client_id, self.settings.client_secret),
            )
        if response.status_code != 200:
            raise RuntimeError(
                f"could not sign in as {user.value} at {self.settings.issuer}: "
                f"HTTP {response.status_code} {response.text[:200]}"
            )
        token = response.json()
        return str(token["access_token"]), time.monotonic() + float(token["expires_in"])
