"""schemathesis hooks for the API conformance run (SCHEMATHESIS_HOOKS): the formats our schemas
name, and a manager signed in at the identity provider the environment names (OIDC_*), signed in
again every minute — a run lasts longer than an access token, and an expired one would make every
later operation answer 401 and test nothing."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.auths import AuthContext

import tests.support.formats  # noqa: F401  (registers the formats)
from infra.sign_in import SignInSettings, StaffSignIn, TestUser


@schemathesis.auth(refresh_interval=60)
class ManagerSignIn:
    """A manager may call every operation, so no operation is refused for its role alone."""

    def get(self, case: Case[Any], context: AuthContext) -> str:
        sign_in = StaffSignIn(SignInSettings.from_env(os.environ))
        return asyncio.run(sign_in.token(TestUser.MANAGER))

    def set(self, case: Case[Any], data: str, context: AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"
