"""A signing key the test adds to the real Keycloak realm (through its admin API), so that a test
can make tokens the provider's JWKS vouches for and yet are wrong in one chosen way: another
issuer or audience, expired, not yet valid, too long-lived, an over-long name.

The key is imported with the lowest priority, so Keycloak itself keeps signing with its own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from infra.local import REALM


@dataclass(frozen=True)
class KeycloakAdmin:
    url: str
    username: str
    password: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KeycloakAdmin:
        return cls(
            env["KEYCLOAK_URL"], env["KEYCLOAK_ADMIN_USERNAME"], env["KEYCLOAK_ADMIN_PASSWORD"]
        )

    async def _headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        response = await http.post(
            f"{self.url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": self.username,
                "password": self.password,
            },
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def add_signing_key(self) -> ProviderKey:
        key = RSAKey.generate_key(2048)
        async with httpx.AsyncClient(timeout=30) as http:
            headers = await self._headers(http)
            realm = await http.get(f"{self.url}/admin/realms/{REALM}", headers=headers)
            realm.raise_for_status()
            created = await http.post(
                f"{self.url}/admin/realms/{REALM}/components",
                headers=headers,
                json={
                    "name": f"test-key-{uuid.uuid4().hex[:8]}",
                    "providerId": "rsa",
                    "providerType": "org.keycloak.keys.KeyProvider",
                    "parentId": realm.json()["id"],
                    "config": {
                        "priority": ["1"],
                        "enabled": ["true"],
                        "active": ["true"],
                        "algorithm": ["RS256"],
                        "privateKey": [key.as_pem(private=True).decode()],
                    },
                },
            )
            assert created.status_code == 201, created.text
            component = created.headers["Location"].rsplit("/", 1)[1]
            keys = await http.get(f"{self.url}/admin/realms/{REALM}/keys", headers=headers)
            keys.raise_for_status()
        [kid] = [k["kid"] for k in keys.json()["keys"] if k.get("providerId") == component]
        return ProviderKey(self, component, kid, key)

    async def remove(self, component: str) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.delete(
                f"{self.url}/admin/realms/{REALM}/components/{component}",
                headers=await self._headers(http),
            )
            response.raise_for_status()


@dataclass(frozen=True)
class ProviderKey:
    admin: KeycloakAdmin
    component: str
    kid: str
    key: RSAKey

    def token(
        self,
        issuer: str,
        audience: str,
        *,
        lifetime: int = 300,
        header: Mapping[str, object] | None = None,
        **claims: object,
    ) -> str:
        """A token signed with this key: valid for `issuer` and `audience` unless `claims`
        (None removes one) or `header` say otherwise."""
        now = int(time.time())
        body: dict[str, object] = {
            "iss": issuer,
            "aud": audience,
            "sub": "f3d1c6a2-2b1e-4a51-9d55-0c1f7e3a9b10",
            "name": "Asha Patel",
            "roles": ["practitioner"],
            "iat": now,
            "exp": now + lifetime,
        }
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not None}
        return jwt.encode({"alg": "RS256", "kid": self.kid, **(header or {})}, body, self.key)

    async def remove(self) -> None:
        await self.admin.remove(self.component)
