"""Staff sign in through the real OpenID Connect provider (the Keycloak `make test` starts): a
service trusts a token only when the provider's published keys verify it and it was issued by
the expected issuer, for this API, is current, not too long-lived, and names a staff member and
their role. Every wrong token is a 401, never a 500; a missing role a 403.

Tokens that are wrong in one way each are signed with a key the test adds to the realm, so that
the provider's JWKS vouches for them and only the one wrong thing can be why they are refused.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from aiokafka import AIOKafkaProducer

from infra.stack import free_port
from services.outcomes.app import assemble
from services.outcomes.settings import OutcomesSettings
from shared.events import Actor, Role
from shared.mongo import Client
from tests.integration.outcomes.conftest import OutcomesService, open_enquiry
from tests.support.provider_keys import KeycloakAdmin, ProviderKey
from tests.support.servers import infra_environment
from tests.support.staff import DISPLAY_NAMES, Staff, TestUser, identity_settings

OLD_DEVELOPMENT_SECRET = "dev-only-staff-token-secret-change-me"
ANY_STAFF_ROUTE = "/cases?concern_id=concern-never-raised"


@pytest.fixture(scope="module")
async def provider_key() -> AsyncIterator[ProviderKey]:
    key = await KeycloakAdmin.from_env(infra_environment()).add_signing_key()
    yield key
    await key.remove()


async def outcomes_app(
    kafka_bootstrap: str, mongodb_uri: str, **identity: Any
) -> tuple[httpx.AsyncClient, Any]:
    settings = OutcomesSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        mongodb_uri=mongodb_uri,
        mongodb_database="sign_in_tests",
        **{**identity_settings(), **identity},
    )
    app, runtime, _ = assemble(settings)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://outcomes")
    return http, runtime


@pytest.fixture
async def service(
    kafka_bootstrap: str, mongodb_uri: str, mongo_client: Client
) -> AsyncIterator[httpx.AsyncClient]:
    """Outcomes' HTTP API trusting the test Keycloak (its workers are not needed here)."""
    http, runtime = await outcomes_app(kafka_bootstrap, mongodb_uri)
    async with http:
        yield http
    await runtime.stop()
    await mongo_client.drop_database("sign_in_tests")


def issuer() -> str:
    return str(identity_settings()["oidc_issuer"])


def audience() -> str:
    return str(identity_settings()["oidc_audience"])


async def test_a_practitioner_signed_in_at_the_provider_is_let_in_under_their_name(
    service: httpx.AsyncClient, staff: Staff
) -> None:
    response = await service.get(ANY_STAFF_ROUTE, headers=staff.practitioner)

    assert response.status_code == 200, response.text
    assert response.json() == []


async def test_a_token_signed_with_the_key_added_to_the_provider_is_trusted(
    service: httpx.AsyncClient, provider_key: ProviderKey
) -> None:
    # The control for every refusal below: the same key and claims, nothing wrong.
    token = provider_key.token(issuer(), audience())

    response = await service.get(ANY_STAFF_ROUTE, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text


def unsigned(token: str) -> str:
    """The token's claims with the header {"alg": "none"} and no signature."""
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{header}.{token.split('.')[1]}."


def refused_tokens(key: ProviderKey) -> dict[str, str]:
    now = int(time.time())
    iss, aud = issuer(), audience()
    old_secret = pyjwt.encode(
        {"sub": "sam", "role": "manager", "name": "Alex Morgan", "iat": now, "exp": now + 600},
        OLD_DEVELOPMENT_SECRET,
        algorithm="HS256",
    )
    same_secret_and_issuer = pyjwt.encode(
        {"iss": iss, "aud": aud, "sub": "sam", "roles": ["manager"], "iat": now, "exp": now + 60},
        OLD_DEVELOPMENT_SECRET,
        algorithm="HS256",
        headers={"kid": key.kid},
    )
    return {
        "signed with the old development secret": old_secret,
        "HS256 naming the provider's key and claims": same_secret_and_issuer,
        "another issuer": key.token(iss.replace("safeguarding", "other-council"), aud),
        "the issuer with a trailing slash": key.token(iss + "/", aud),
        "the issuer over https": key.token(iss.replace("http://", "https://"), aud),
        "another audience": key.token(iss, "account"),
        "no audience": key.token(iss, aud, aud=None),
        "an audience list without this API": key.token(iss, aud, aud=["account", "broker"]),
        "expired": key.token(iss, aud, iat=now - 900, exp=now - 300),
        "not yet valid": key.token(iss, aud, nbf=now + 600, exp=now + 900),
        "issued in the future": key.token(iss, aud, iat=now + 600, exp=now + 900),
        "valid for a hundred years": key.token(iss, aud, lifetime=100 * 365 * 86400),
        "valid for a day": key.token(iss, aud, lifetime=86400),
        "without an expiry": key.token(iss, aud, exp=None),
        "without a subject": key.token(iss, aud, sub=None),
        "a name of 201 characters": key.token(iss, aud, name="A" * 201),
        "a name of 5,000 characters": key.token(iss, aud, name="Asha " * 1000),
        "a subject of 201 characters": key.token(iss, aud, sub="s" * 201),
        "a name that is not text": key.token(iss, aud, name={"first": "Asha"}),
        "an unknown key id": key.token(iss, aud, header={"kid": "no-such-key"}),
        "no key id": pyjwt.encode({"iss": iss}, key.key.as_pem(private=True), algorithm="RS256"),
        "the signature of another token": (
            key.token(iss, aud).rsplit(".", 1)[0]
            + "."
            + key.token(iss, aud, sub="someone-else").rsplit(".", 1)[1]
        ),
        "alg none": unsigned(key.token(iss, aud)),
        "not a token": "not-a-token",
    }


@pytest.mark.parametrize(
    "wrong",
    [
        "signed with the old development secret",
        "HS256 naming the provider's key and claims",
        "another issuer",
        "the issuer with a trailing slash",
        "the issuer over https",
        "another audience",
        "no audience",
        "an audience list without this API",
        "expired",
        "not yet valid",
        "issued in the future",
        "valid for a hundred years",
        "valid for a day",
        "without an expiry",
        "without a subject",
        "a name of 201 characters",
        "a name of 5,000 characters",
        "a subject of 201 characters",
        "a name that is not text",
        "an unknown key id",
        "no key id",
        "the signature of another token",
        "alg none",
        "not a token",
    ],
)
async def test_a_token_wrong_in_one_way_is_refused_with_401(
    service: httpx.AsyncClient, provider_key: ProviderKey, wrong: str
) -> None:
    token = refused_tokens(provider_key)[wrong]

    response = await service.get(ANY_STAFF_ROUTE, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_refusal_names_what_is_wrong_but_not_the_token_s_values(
    service: httpx.AsyncClient, provider_key: ProviderKey
) -> None:
    name = "Margaret Hill " * 20
    token = provider_key.token(issuer(), audience(), name=name)

    response = await service.get(ANY_STAFF_ROUTE, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert "name" in response.json()["detail"]
    assert "Margaret" not in response.text


async def test_a_practitioner_from_the_provider_cannot_do_what_only_a_manager_may(
    outcomes: OutcomesService, kafka_producer: AIOKafkaProducer, staff: Staff
) -> None:
    case_id = await open_enquiry(outcomes, kafka_producer)
    override = {
        "action": "police",
        "grounds": ["crime_or_suspected_crime"],
        "reason": "He is taking money from two other neighbours too.",
        "person_told": True,
    }

    as_practitioner = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides", json=override, headers=staff.practitioner
    )
    as_other_team = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides", json=override, headers=staff.other_practitioner
    )
    as_no_staff_role = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides", json=override, headers=staff.no_staff_role
    )
    as_manager = await outcomes.http.post(
        f"/cases/{case_id}/wishes-overrides", json=override, headers=staff.manager
    )

    assert (
        as_practitioner.status_code,
        as_other_team.status_code,
        as_no_staff_role.status_code,
    ) == (403, 403, 403)
    assert as_manager.status_code == 201, as_manager.text
    [overridden] = as_manager.json()["events"]
    assert overridden["payload"]["overridden_by"] == staff.subject(TestUser.MANAGER)
    *_, recorded = await outcomes.events_of(case_id)
    assert recorded.actor == Actor(
        id=staff.subject(TestUser.MANAGER),
        role=Role.MANAGER,
        agency=DISPLAY_NAMES[TestUser.MANAGER],
    )


@pytest.mark.parametrize(
    ("claim", "manager_allowed"),
    [("roles", True), ("realm_access.roles", True), ("groups", False), ("realm_access", False)],
)
async def test_the_role_comes_from_the_configured_claim(
    kafka_bootstrap: str,
    mongodb_uri: str,
    mongo_client: Client,
    staff: Staff,
    claim: str,
    manager_allowed: bool,
) -> None:
    http, runtime = await outcomes_app(kafka_bootstrap, mongodb_uri, oidc_roles_claim=claim)
    async with http:
        response = await http.get("/admin/projections", headers=staff.manager)
    await runtime.stop()
    await mongo_client.drop_database("sign_in_tests")

    assert response.status_code == (200 if manager_allowed else 403), response.text


@pytest.mark.parametrize(
    ("refresh_seconds", "after_rotation"),
    [
        # A key the provider starts publishing is fetched when a token first names it...
        (0, 200),
        # ...but at most once per interval: within it the token waits for the next fetch, so
        # made-up key ids cannot make the service ask the provider again and again.
        (3600, 401),
    ],
)
async def test_the_provider_s_keys_are_fetched_again_for_a_new_key_id_at_most_once_per_interval(
    kafka_bootstrap: str,
    mongodb_uri: str,
    mongo_client: Client,
    staff: Staff,
    refresh_seconds: float,
    after_rotation: int,
) -> None:
    http, runtime = await outcomes_app(
        kafka_bootstrap, mongodb_uri, oidc_jwks_refresh_seconds=refresh_seconds
    )
    async with http:
        before = await http.get(ANY_STAFF_ROUTE, headers=staff.practitioner)
        rotated = await KeycloakAdmin.from_env(infra_environment()).add_signing_key()
        try:
            token = rotated.token(issuer(), audience())
            after = await http.get(ANY_STAFF_ROUTE, headers={"Authorization": f"Bearer {token}"})
        finally:
            await rotated.remove()
    await runtime.stop()
    await mongo_client.drop_database("sign_in_tests")

    assert (before.status_code, after.status_code) == (200, after_rotation)


async def test_an_unreachable_provider_is_a_503_to_try_again_never_a_500(
    kafka_bootstrap: str, mongodb_uri: str, mongo_client: Client, staff: Staff
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/realms/safeguarding/.well-known/openid-configuration"
    http, runtime = await outcomes_app(kafka_bootstrap, mongodb_uri, oidc_discovery_url=nowhere)
    async with http:
        first = await http.get(ANY_STAFF_ROUTE, headers=staff.practitioner)
        again = await http.get(ANY_STAFF_ROUTE, headers=staff.practitioner)
        garbage = await http.get(ANY_STAFF_ROUTE, headers={"Authorization": "Bearer x.y.z"})
    await runtime.stop()
    await mongo_client.drop_database("sign_in_tests")

    assert (first.status_code, again.status_code) == (503, 503)
    assert first.headers["retry-after"]
    assert first.headers["content-type"] == "application/problem+json"
    # A token that cannot be one is refused without asking the provider.
    assert garbage.status_code == 401
