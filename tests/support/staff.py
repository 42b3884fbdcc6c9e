"""Council staff for tests: tokens of the real Keycloak's test users, signed in once per test
session (and renewed before they expire), and the settings that make a service trust them."""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass
from typing import Any

from infra.local import API_AUDIENCE, UNALLOCATED_CASE_TEAM
from infra.sign_in import DISPLAY_NAMES, SignInSettings, StaffSignIn, TestUser
from tests.support.servers import infra_environment

__all__ = [
    "DISPLAY_NAMES",
    "Staff",
    "TestUser",
    "identity_settings",
    "shared_sign_in",
    "staff_sign_in",
]


def staff_sign_in() -> StaffSignIn:
    """A sign-in cache of its own (for tests that run their own event loop)."""
    return StaffSignIn(SignInSettings.from_env(infra_environment()))


@functools.cache
def shared_sign_in() -> StaffSignIn:
    """The test session's sign-in cache: each test user signs in once, renewed near expiry."""
    return staff_sign_in()


def identity_settings() -> dict[str, Any]:
    """Settings that make a service under test trust the test Keycloak's tokens."""
    return {
        "oidc_issuer": SignInSettings.from_env(infra_environment()).issuer,
        "oidc_audience": API_AUDIENCE,
        "unallocated_case_team": UNALLOCATED_CASE_TEAM,
    }


@dataclass(frozen=True)
class Staff:
    """Authorization headers of each test user, fresh for one test."""

    headers: dict[TestUser, dict[str, str]]

    @classmethod
    async def signed_in(cls, sign_in: StaffSignIn | None = None) -> Staff:
        sign_in = sign_in or shared_sign_in()
        return cls({user: await sign_in.headers(user) for user in TestUser})

    def subject(self, user: TestUser) -> str:
        """The `sub` the provider gave the user (what the services record as their id)."""
        token = self.headers[user]["Authorization"].removeprefix("Bearer ")
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["sub"])

    @property
    def practitioner(self) -> dict[str, str]:
        return self.headers[TestUser.PRACTITIONER]

    @property
    def other_practitioner(self) -> dict[str, str]:
        return self.headers[TestUser.OTHER_PRACTITIONER]

    @property
    def manager(self) -> dict[str, str]:
        return self.headers[TestUser.MANAGER]

    @property
    def no_staff_role(self) -> dict[str, str]:
        return self.headers[TestUser.NO_STAFF_ROLE]
