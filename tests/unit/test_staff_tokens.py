"""The staff token check on its own, with keys made here: every near miss of a good token is a
401 (never a 500), the role comes from the configured claim and nothing else, and the provider's
keys are fetched once, again only for a new key id (at most once per interval), and kept while
the provider is down. The same rules against the real Keycloak:
tests/integration/outcomes/test_staff_sign_in.py."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

from shared.events import Actor, Role
from shared.identity import IdentitySettings, StaffTokens
from shared.identity.tokens import ProviderKeys, ProviderUnreachable, claim_at
from shared.problems import ProblemError

ISSUER = "https://login.council.example/tenant-1/v2.0"
AUDIENCE = "api://safeguarding"
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
OTHER_RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})


class PublishedKeys:
    """The provider's keys, as a KeySource: what ProviderKeys gives the verifier."""

    def __init__(self, *keys: Key, reachable: bool = True) -> None:
        self.keys = {str(k.kid): k for k in keys}
        self.reachable = reachable

    async def key(self, kid: str) -> Key:
        if kid in self.keys:
            return self.keys[kid]
        if not self.reachable:
            raise ProviderUnreachable
        raise KeyError(kid)


def identity(**changes: Any) -> IdentitySettings:
    return IdentitySettings(oidc_issuer=ISSUER, oidc_audience=AUDIENCE, **changes)


def verifier(**changes: Any) -> StaffTokens:
    return StaffTokens(identity(**changes), PublishedKeys(RSA, EC))


def token(
    key: Key = RSA, *, alg: str = "RS256", header: dict[str, Any] | None = None, **claims: Any
) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "00u1a2b3c4",
        "name": "Asha Patel",
        "roles": ["practitioner"],
        "iat": now,
        "exp": now + 3600,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": key.kid, **(header or {})}, body, key)


async def status_of(tokens: StaffTokens, value: str, allowed: tuple[Role, ...] = ()) -> int:
    try:
        await tokens.actor(f"Bearer {value}", allowed or (Role.PRACTITIONER, Role.MANAGER))
    except ProblemError as problem:
        return problem.problem.status
    return 200


async def test_a_good_rs256_token_names_the_practitioner() -> None:
    actor = await verifier().actor(f"Bearer {token()}")

    assert actor == Actor(id="00u1a2b3c4", role=Role.PRACTITIONER, agency="Asha Patel")


async def test_a_good_es256_token_is_accepted() -> None:
    assert await status_of(verifier(), token(EC, alg="ES256")) == 200


@pytest.mark.parametrize(
    ("why", "changes"),
    [
        ("another issuer", lambda now: {"iss": "https://login.council.example/tenant-2/v2.0"}),
        ("the issuer with a trailing slash", lambda now: {"iss": ISSUER + "/"}),
        ("the issuer in other case", lambda now: {"iss": ISSUER.upper()}),
        ("another audience", lambda now: {"aud": "api://safeguarding-web"}),
        ("an audience that only starts the same", lambda now: {"aud": AUDIENCE + "-test"}),
        ("no audience", lambda now: {"aud": None}),
        ("no issuer", lambda now: {"iss": None}),
        ("no subject", lambda now: {"sub": None}),
        ("an empty subject", lambda now: {"sub": ""}),
        ("a subject that is a number", lambda now: {"sub": 42}),
        ("no expiry", lambda now: {"exp": None}),
        ("no issued-at", lambda now: {"iat": None}),
        ("an expiry that is text", lambda now: {"exp": "tomorrow"}),
        # Five seconds past the 60 s of skew allowed, so that a slow test cannot cross it.
        ("expired just past the allowed skew", lambda now: {"exp": now - 65}),
        ("not yet valid beyond the skew", lambda now: {"nbf": now + 65}),
        ("issued in the future beyond the skew", lambda now: {"iat": now + 65, "exp": now + 600}),
        ("valid for a second too long", lambda now: {"iat": now, "exp": now + 7201}),
        ("valid for a hundred years", lambda now: {"exp": now + 100 * 365 * 86400}),
        ("a name of 201 characters", lambda now: {"name": "A" * 201}),
        ("a subject of 201 characters", lambda now: {"sub": "s" * 201}),
        ("a name that is a list", lambda now: {"name": ["Asha", "Patel"]}),
    ],
)
async def test_a_near_miss_of_a_good_token_is_a_401(
    why: str, changes: Callable[[int], dict[str, Any]]
) -> None:
    # Times are made when the test runs, not when it is collected minutes earlier.
    assert await status_of(verifier(), token(**changes(int(time.time())))) == 401, why


async def test_a_token_valid_for_exactly_the_maximum_is_accepted() -> None:
    now = int(time.time())

    assert await status_of(verifier(), token(iat=now, exp=now + 7200)) == 200


async def test_a_token_expired_within_the_allowed_skew_is_still_accepted() -> None:
    now = int(time.time())

    assert await status_of(verifier(), token(iat=now - 600, exp=now - 30)) == 200


@pytest.mark.parametrize(
    ("why", "value"),
    [
        ("signed with a shared secret", "HS256"),
        ("RS384", "RS384"),
        ("PS256", "PS256"),
        ("ES384", "ES384"),
    ],
)
async def test_only_rs256_and_es256_are_trusted(why: str, value: str) -> None:
    # A good token's claims and signature under a header naming another algorithm.
    forged = ".".join([_header(value), *token().split(".")[1:]])

    assert await status_of(verifier(), forged) == 401, why


async def test_a_token_signed_with_the_old_development_secret_is_a_401() -> None:
    signed = pyjwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "sam",
            "roles": ["manager"],
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "dev-only-staff-token-secret-change-me",
        algorithm="HS256",
        headers={"kid": "rsa-1"},
    )

    assert await status_of(verifier(), signed) == 401


def _header(alg: str) -> str:
    raw = json.dumps({"alg": alg, "kid": "rsa-1", "typ": "JWT"}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_an_unsigned_token_is_a_401() -> None:
    body = token().split(".")[1]

    assert await status_of(verifier(), f"{_header('none')}.{body}.") == 401


async def test_a_token_signed_by_another_key_with_the_same_id_is_a_401() -> None:
    assert await status_of(verifier(), token(OTHER_RSA)) == 401


async def test_a_token_naming_a_key_the_provider_does_not_publish_is_a_401() -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})

    assert await status_of(verifier(), token(stranger)) == 401


async def test_a_new_key_id_while_the_provider_is_unreachable_is_a_503_to_retry() -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})
    tokens = StaffTokens(identity(), PublishedKeys(RSA, reachable=False))

    assert await status_of(tokens, token(stranger)) == 503
    assert await status_of(tokens, token()) == 200


async def test_without_sign_in_settings_staff_requests_are_a_503_not_a_500() -> None:
    tokens = StaffTokens(IdentitySettings(oidc_issuer=None, oidc_audience=None))

    assert await status_of(tokens, token()) == 503


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer " + "a" * 20_000],
)
async def test_missing_or_malformed_credentials_are_a_401(authorization: str | None) -> None:
    with pytest.raises(ProblemError) as refused:
        await verifier().actor(authorization)

    assert refused.value.problem.status == 401


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=3000))
async def test_no_bearer_text_whatever_it_is_causes_anything_but_a_401(value: str) -> None:
    assert await status_of(verifier(), value.strip() or "x") == 401


@settings(max_examples=50, deadline=None)
@given(name=st.text(min_size=201, max_size=2000))
async def test_any_name_longer_than_200_characters_is_a_401(name: str) -> None:
    assert await status_of(verifier(), token(name=name)) == 401


@settings(max_examples=50, deadline=None)
@given(name=st.text(min_size=1, max_size=200))
async def test_any_name_of_at_most_200_characters_is_kept(name: str) -> None:
    actor = await verifier().actor(f"Bearer {token(name=name)}")

    assert actor.agency == name


@pytest.mark.parametrize(
    ("claim", "claims", "role"),
    [
        ("roles", {"roles": ["practitioner"]}, Role.PRACTITIONER),
        ("roles", {"roles": ["practitioner", "manager"]}, Role.MANAGER),
        ("roles", {"roles": "manager practitioner"}, Role.MANAGER),
        ("realm_access.roles", {"realm_access": {"roles": ["manager"]}}, Role.MANAGER),
        ("groups", {"groups": ["north-team", "practitioner"]}, Role.PRACTITIONER),
    ],
)
async def test_the_role_comes_from_the_configured_claim(
    claim: str, claims: dict[str, Any], role: Role
) -> None:
    actor = await verifier(oidc_roles_claim=claim).actor(
        f"Bearer {token(**{'roles': None, **claims})}"
    )

    assert actor.role is role


@pytest.mark.parametrize(
    "roles",
    [
        None,
        [],
        ["Manager"],
        ["managers"],
        [" manager"],
        ["practitioner-north"],
        "manager-practitioner",
        {"manager": True},
        [["manager"]],
        42,
    ],
)
async def test_a_token_without_a_staff_role_in_the_claim_is_a_403(roles: object) -> None:
    assert await status_of(verifier(), token(roles=roles)) == 403


async def test_a_role_only_in_another_claim_does_not_count() -> None:
    assert await status_of(verifier(), token(roles=None, groups=["manager"])) == 403


async def test_the_role_values_can_be_a_provider_s_group_ids() -> None:
    managers = "6f1c2b9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
    tokens = verifier(oidc_roles_claim="groups", oidc_manager_role=managers)

    assert (await tokens.actor(f"Bearer {token(groups=[managers])}")).role is Role.MANAGER
    assert await status_of(tokens, token(groups=["manager"])) == 403


async def test_a_practitioner_may_not_do_what_needs_a_manager() -> None:
    assert await status_of(verifier(), token(), (Role.MANAGER,)) == 403
    assert await status_of(verifier(), token(roles=["manager"]), (Role.MANAGER,)) == 200


def test_a_claim_path_that_goes_nowhere_is_none() -> None:
    claims = {"realm_access": {"roles": ["manager"]}, "roles": "x"}

    assert claim_at(claims, "realm_access.roles") == ["manager"]
    assert claim_at(claims, "roles.more") is None
    assert claim_at(claims, "resource_access.api.roles") is None


# ---------------------------------------------------------------- the provider's keys


class Provider:
    """Answers discovery and JWKS like a provider would, counting JWKS fetches."""

    def __init__(self, *keys: Key) -> None:
        self.keys = list(keys)
        self.up = True
        self.jwks_fetches = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/keys"})
        self.jwks_fetches += 1
        published = [k.as_dict(private=False) | {"use": "sig"} for k in self.keys]
        encryption = RSAKey.generate_key(2048, parameters={"kid": "enc-1", "use": "enc"})
        unusable = {"kty": "RSA", "kid": "broken-1", "use": "sig", "n": "AQAB"}
        return httpx.Response(
            200, json={"keys": [unusable, *published, encryption.as_dict(private=False)]}
        )


def provider_keys(provider: Provider, refresh_seconds: float) -> ProviderKeys:
    http = httpx.AsyncClient(transport=httpx.MockTransport(provider.handle))
    return ProviderKeys(f"{ISSUER}/.well-known/openid-configuration", http, refresh_seconds)


async def test_keys_are_fetched_once_and_kept() -> None:
    provider = Provider(RSA, EC)
    keys = provider_keys(provider, refresh_seconds=0)

    await keys.key("rsa-1")
    await keys.key("ec-1")
    await keys.key("rsa-1")

    assert provider.jwks_fetches == 1


async def test_a_published_key_that_cannot_be_read_does_not_cost_the_others() -> None:
    keys = provider_keys(Provider(RSA, EC), refresh_seconds=0)

    assert await keys.key("ec-1") is not None
    with pytest.raises(KeyError):
        await keys.key("broken-1")


async def test_encryption_keys_are_not_trusted_for_signatures() -> None:
    keys = provider_keys(Provider(RSA), refresh_seconds=0)

    with pytest.raises(KeyError):
        await keys.key("enc-1")


async def test_made_up_key_ids_fetch_the_keys_at_most_once_per_interval() -> None:
    provider = Provider(RSA)
    keys = provider_keys(provider, refresh_seconds=3600)
    await keys.key("rsa-1")

    for n in range(20):
        with pytest.raises(KeyError):
            await keys.key(f"made-up-{n}")

    assert provider.jwks_fetches == 1


async def test_a_rotated_key_is_fetched_when_a_token_first_names_it() -> None:
    provider = Provider(RSA)
    keys = provider_keys(provider, refresh_seconds=0)
    await keys.key("rsa-1")
    provider.keys.append(EC)

    assert await keys.key("ec-1") is not None
    assert provider.jwks_fetches == 2


async def test_known_keys_keep_working_while_the_provider_is_down() -> None:
    provider = Provider(RSA)
    keys = provider_keys(provider, refresh_seconds=0)
    await keys.key("rsa-1")
    provider.up = False

    assert await keys.key("rsa-1") is not None
    with pytest.raises(ProviderUnreachable):
        await keys.key("ec-1")


async def test_a_provider_down_from_the_start_is_unreachable_not_an_unknown_key() -> None:
    provider = Provider(RSA)
    provider.up = False
    keys = provider_keys(provider, refresh_seconds=3600)

    with pytest.raises(ProviderUnreachable):
        await keys.key("rsa-1")
    # Within the interval it is not asked again, and still reported as unreachable.
    with pytest.raises(ProviderUnreachable):
        await keys.key("rsa-1")
