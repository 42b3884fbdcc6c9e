"""Staff bearer tokens from the council's OpenID Connect provider, checked the way the provider
means them to be: signed (RS256 or ES256 only) by a key it publishes, by the expected issuer, for
this API's audience, current, not too long-lived, and naming who the user is and their role.

Missing or invalid credentials answer 401; a valid token without the role a route needs, 403.
When the provider cannot be reached and the token names a key we have not yet fetched, the
answer is 503 with Retry-After: the token may well be good, so asking the user to sign in again
(401) would not help, and a 500 would hide what is wrong. Keys already fetched keep working
while the provider is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Protocol

import httpx
from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import Key, KeySet
from joserfc.jwt import JWTClaimsRegistry
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.access import AccessGate, StaffMember
from shared.events import Actor, Role
from shared.identity.problems import forbidden, sign_in_unavailable, unauthorised
from shared.identity.settings import IdentitySettings

log = logging.getLogger(__name__)

STAFF_ROLES = (Role.PRACTITIONER, Role.MANAGER)
ALGORITHMS = ("RS256", "ES256")
MAX_TOKEN_BYTES = 16_384
"""Far above any provider's access token; a longer one is refused before it is parsed."""


class ProviderUnreachable(Exception):
    """The provider's keys could not be fetched."""


class KeySource(Protocol):
    async def key(self, kid: str) -> Key:
        """The provider's signing key with this id; KeyError when it publishes none, or
        ProviderUnreachable when it cannot be asked."""
        ...


class ProviderKeys:
    """The provider's signing keys, read from the JWKS its discovery document names, cached,
    and fetched again when a token names a key not seen yet — at most once per `refresh_seconds`,
    so that tokens with made-up key ids cannot make us hammer the provider."""

    def __init__(self, discovery_url: str, http: httpx.AsyncClient, refresh_seconds: float) -> None:
        self.discovery_url = discovery_url
        self.http = http
        self.refresh_seconds = refresh_seconds
        self._keys: dict[str, Key] = {}
        self._last_attempt: float | None = None
        self._last_failed = False
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Key:
        if kid not in self._keys:
            await self._refresh()
        if kid in self._keys:
            return self._keys[kid]
        if self._last_failed:
            raise ProviderUnreachable
        raise KeyError(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._last_attempt is not None and now - self._last_attempt < self.refresh_seconds:
                return
            self._last_attempt = now
            try:
                self._keys = await self._fetch()
                self._last_failed = False
            except (httpx.HTTPError, ValueError, KeyError, TypeError, JoseError) as error:
                self._last_failed = True
                log.warning(
                    "could not fetch the identity provider's keys",
                    extra={"error_type": type(error).__name__},
                )

    async def _fetch(self) -> dict[str, Key]:
        discovery = await self.http.get(self.discovery_url)
        discovery.raise_for_status()
        jwks = await self.http.get(str(discovery.json()["jwks_uri"]))
        jwks.raise_for_status()
        keys: dict[str, Key] = {}
        for published in jwks.json()["keys"]:
            # Only signing keys with an id: providers also publish encryption keys (use=enc).
            if published.get("use", "sig") != "sig" or not published.get("kid"):
                continue
            try:
                [key] = KeySet.import_key_set({"keys": [published]}).keys
            except (JoseError, ValueError, TypeError):
                # A kind of key we cannot use must not cost us the ones we can.
                log.warning(
                    "skipped a key the identity provider publishes",
                    extra={"kty": published.get("kty")},
                )
                continue
            keys[str(published["kid"])] = key
        return keys


class StaffClaims(BaseModel):
    """Who the token says the user is, bounded like every other input."""

    model_config = ConfigDict(frozen=True)

    sub: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)


def claim_at(claims: Mapping[str, object], path: str) -> object:
    """The value at a dotted path (`realm_access.roles`), or None."""
    node: object = claims
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def staff_role(claims: Mapping[str, object], settings: IdentitySettings) -> Role | None:
    """The user's staff role from the configured claim; a manager when it says both."""
    value = claim_at(claims, settings.oidc_roles_claim)
    if isinstance(value, str):
        values = set(value.split())
    elif isinstance(value, list):
        values = {v for v in value if isinstance(v, str)}
    else:
        return None
    if settings.oidc_manager_role in values:
        return Role.MANAGER
    if settings.oidc_practitioner_role in values:
        return Role.PRACTITIONER
    return None


def staff_teams(claims: Mapping[str, object], settings: IdentitySettings) -> frozenset[str]:
    """The teams the claim at OIDC_TEAMS_CLAIM names (a list, or one space-separated string)."""
    value = claim_at(claims, settings.oidc_teams_claim)
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str) and 0 < len(v) <= 200)
    return frozenset()


class StaffTokens:
    """Checks staff bearer tokens against the provider; one per service process."""

    def __init__(
        self,
        settings: IdentitySettings,
        keys: KeySource | None = None,
        gate: AccessGate | None = None,
    ) -> None:
        self.settings = settings
        self.gate = gate
        self._http: httpx.AsyncClient | None = None
        if keys is None and settings.discovery_url is not None:
            self._http = httpx.AsyncClient(timeout=5.0)
            keys = ProviderKeys(
                settings.discovery_url, self._http, settings.oidc_jwks_refresh_seconds
            )
        self.keys = keys

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def actor(
        self, authorization: str | None, allowed: tuple[Role, ...] = STAFF_ROLES
    ) -> Actor:
        """The signed-in staff member, if the token is good and their role is allowed."""
        return (await self.staff_member(authorization, allowed)).actor

    async def admit(self, request: Request, allowed: tuple[Role, ...] = STAFF_ROLES) -> Actor:
        """The signed-in staff member, admitted to this request's route by the access gate
        (recorded in the audit of access; refused outside their team without a reason). Every
        staff route of a service goes through here."""
        return (await self.admit_member(request, allowed)).actor

    async def admit_member(
        self, request: Request, allowed: tuple[Role, ...] = STAFF_ROLES
    ) -> StaffMember:
        """As `admit`, with the teams the token names (for lists that show a team its own)."""
        staff = await self.staff_member(request.headers.get("Authorization"), allowed)
        if self.gate is not None:
            await self.gate.admit(request, staff)
        return staff

    def sees(self, staff: StaffMember, allocated: str | None) -> bool:
        """Whether a list shows `staff` work of a case allocated to `allocated` (None: nobody
        yet): the gate's own rule for a single read, so a list never offers what a read would
        refuse."""
        return self.gate is None or self.gate.sees(staff, allocated)

    async def staff_member(
        self, authorization: str | None, allowed: tuple[Role, ...] = STAFF_ROLES
    ) -> StaffMember:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorised("Send a staff bearer token in the Authorization header.")
        claims = await self.verified_claims(token.strip())
        try:
            who = StaffClaims.model_validate(
                {"sub": claims.get("sub"), "name": claim_at(claims, self.settings.oidc_name_claim)}
            )
        except ValidationError as error:
            fields = sorted({str(e["loc"][0]) for e in error.errors()})
            raise unauthorised(
                f"The token's {' and '.join(fields)} claim is not acceptable: a string of at "
                "most 200 characters is expected."
            ) from error
        role = staff_role(claims, self.settings)
        if role is None:
            raise forbidden(
                f"The token carries no staff role in its {self.settings.oidc_roles_claim!r} claim."
            )
        if role not in allowed:
            raise forbidden(
                f"This needs the role {' or '.join(r.value for r in allowed)}; you are a {role.value}."
            )
        return StaffMember(
            actor=Actor(id=who.sub, role=role, agency=who.name or None),
            teams=staff_teams(claims, self.settings),
        )

    async def verified_claims(self, token: str) -> dict[str, object]:
        settings = self.settings
        if self.keys is None or settings.oidc_issuer is None or settings.oidc_audience is None:
            raise sign_in_unavailable(
                "Staff sign-in is not set up on this service (OIDC_ISSUER, OIDC_AUDIENCE)."
            )
        if len(token) > MAX_TOKEN_BYTES:
            raise unauthorised("The bearer token is too long to be a token.")
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError, UnicodeError) as error:
            raise unauthorised("The bearer token is not a signed JWT.") from error
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS:
            raise unauthorised(
                f"The bearer token must be signed with {' or '.join(ALGORITHMS)} by the "
                "identity provider."
            )
        if not isinstance(kid, str) or not kid:
            raise unauthorised("The bearer token names no signing key (kid).")
        try:
            key = await self.keys.key(kid)
        except ProviderUnreachable as error:
            raise sign_in_unavailable(
                "The identity provider's keys could not be fetched to check the token; try again "
                "shortly."
            ) from error
        except KeyError as error:
            raise unauthorised(
                "The bearer token is signed with a key the provider does not publish."
            ) from error
        try:
            claims: dict[str, object] = jwt.decode(token, key, algorithms=[algorithm]).claims
        except (JoseError, ValueError) as error:
            raise unauthorised("The bearer token's signature is not valid.") from error
        registry = JWTClaimsRegistry(
            leeway=settings.oidc_clock_skew_seconds,
            iss={"essential": True, "value": settings.oidc_issuer},
            aud={"essential": True, "value": settings.oidc_audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as error:
            raise unauthorised("The bearer token has expired; sign in again.") from error
        except MissingClaimError as error:
            raise unauthorised(f"The bearer token lacks the claims: {error.claim}.") from error
        except ClaimError as error:
            raise unauthorised(
                f"The bearer token's {error.claim!r} claim is not acceptable."
            ) from error
        self._check_lifetime(claims)
        return claims

    def _check_lifetime(self, claims: Mapping[str, object]) -> None:
        # The registry has checked that these are numbers; nbf, when given, may start it later.
        exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf")
        if not (isinstance(exp, int | float) and isinstance(iat, int | float)):
            raise unauthorised("The bearer token's exp and iat claims must be numbers.")
        valid_from = min(iat, nbf) if isinstance(nbf, int | float) else iat
        if exp - valid_from > self.settings.oidc_max_token_lifetime_seconds:
            raise unauthorised(
                "The bearer token is valid for longer than this service accepts "
                f"({self.settings.oidc_max_token_lifetime_seconds} s)."
            )

    def requires(self, *allowed: Role) -> Callable[..., Awaitable[Actor]]:
        """A FastAPI dependency: the signed-in staff member in one of `allowed` roles (any
        staff role when none is given)."""
        roles = allowed or STAFF_ROLES

        async def staff_member(
            request: Request,
            _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
        ) -> Actor:
            return await self.admit(request, roles)

        return staff_member

    def requires_member(self, *allowed: Role) -> Callable[..., Awaitable[StaffMember]]:
        """As `requires`, giving the staff member with their teams."""
        roles = allowed or STAFF_ROLES

        async def staff_member(
            request: Request,
            _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
        ) -> StaffMember:
            return await self.admit_member(request, roles)

        return staff_member


BEARER = HTTPBearer(
    scheme_name="StaffToken",
    auto_error=False,
    description="An access token from the council's identity provider (OpenID Connect), for a "
    "practitioner or a manager.",
)
