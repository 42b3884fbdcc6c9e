"""Who is calling: partner agencies by API key, council staff by bearer token with a role.

Partner keys are stored only as SHA-256 hashes (PARTNER_API_KEYS = {"agency": "<sha256 hex>"}).
Staff tokens are HS256 JWTs (claims: sub, role = practitioner|manager, name) signed with
STAFF_TOKEN_SECRET; in production they come from the council's identity provider.
Missing or wrong credentials answer 401; a valid caller in the wrong role answers 403.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt
from fastapi import Request

from shared.events import Actor, Role
from shared.problems import ProblemError

STAFF_ROLES = (Role.PRACTITIONER, Role.MANAGER)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def unauthorised(detail: str, scheme: str = "Bearer") -> ProblemError:
    return ProblemError(401, "Not authenticated", detail, headers={"WWW-Authenticate": scheme})


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "Not permitted", detail)


def partner_from_api_key(request: Request, hashed_keys: dict[str, str]) -> Actor:
    key = request.headers.get("X-API-Key", "")
    if not key:
        raise unauthorised("Send your agency's API key in the X-API-Key header.", "ApiKey")
    digest = hash_api_key(key)
    for agency, expected in hashed_keys.items():
        if hmac.compare_digest(digest, expected.lower()):
            return Actor(id=f"partner:{agency}", role=Role.PARTNER, agency=agency)
    raise unauthorised("The API key is not recognised.", "ApiKey")


def issue_staff_token(
    secret: str, *, sub: str, role: Role, name: str, ttl_seconds: int = 8 * 3600
) -> str:
    """Mint a staff token (for local runs, the demo and tests)."""
    now = int(time.time())
    claims = {"sub": sub, "role": role.value, "name": name, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def staff_from_bearer(
    request: Request, secret: str, allowed: tuple[Role, ...] = STAFF_ROLES
) -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorised("Send a staff bearer token in the Authorization header.")
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]}
        )
    except jwt.PyJWTError as error:
        raise unauthorised(f"The bearer token is not valid: {error}.") from error
    try:
        role = Role(claims.get("role", ""))
    except ValueError as error:
        raise forbidden("The token carries no staff role.") from error
    if role not in allowed:
        raise forbidden(
            f"This needs the role {' or '.join(r.value for r in allowed)}; you are a {role.value}."
        )
    return Actor(id=str(claims["sub"]), role=role, agency=str(claims.get("name") or "") or None)
