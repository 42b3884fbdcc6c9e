"""Intake's HTTP answers that need no database: partner credentials, and how an invalid request
or a refusal is explained (in the same words as over Kafka). Staff credentials need the real
identity provider: see tests/integration/intake/test_access_and_decisions.py."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka.structs import ConsumerRecord
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import JsonValue

from services.intake.adapters.partners import PartnerRegistry
from services.intake.api import refusal
from services.intake.app import build
from services.intake.application.submissions import AGENCY_HEADER, refusal_reasons
from services.intake.domain.concern import (
    AlreadyDecided,
    ConcernRefused,
    DecidedWithOriginal,
    DecisionIncomplete,
    LinkUnchanged,
    NotPermitted,
    NotRaised,
)
from services.intake.domain.signature import SIGNATURE_HEADER, sign
from services.intake.settings import IntakeSettings
from shared.identity import hash_api_key
from shared.topics import CONCERN_SUBMISSIONS

PARTNER_KEY = "unit-test-partner-key"
PARTNER = {"X-API-Key": PARTNER_KEY}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # Nothing here reaches the database or the broker: requests are answered before that.
    app, runtime = build(
        IntakeSettings(
            mongodb_uri="mongodb://127.0.0.1:1/?replicaSet=none",
            partner_api_keys={"unit-test-partner": hash_api_key(PARTNER_KEY)},
        )
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://intake"
    ) as client:
        yield client
    await runtime.stop()


async def test_a_registered_partner_key_is_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post("/concerns", json={}, headers=PARTNER)

    assert response.status_code == 422


async def test_without_an_api_key_a_submission_is_refused_before_it_is_read(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/concerns", json={})

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_staff_route_without_a_token_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.get("/triage")

    assert response.status_code == 401


async def test_http_and_kafka_explain_a_bad_submission_in_the_same_words(
    http: httpx.AsyncClient, example: dict[str, JsonValue]
) -> None:
    person = example["person"]
    assert isinstance(person, dict)
    person["nhs_number"] = "943 476 5918"
    person["gender"] = "woman"
    del example["referrer"]
    raw = json.dumps(example).encode()
    key = Ed25519PrivateKey.generate()
    headers = [(AGENCY_HEADER, b"a"), (SIGNATURE_HEADER, sign(key, "a", raw))]
    over_kafka = refusal_reasons(
        ConsumerRecord(CONCERN_SUBMISSIONS, 0, 0, 0, 0, None, raw, None, 0, len(raw), headers),
        PartnerRegistry({"a": "ab" * 32}, {"a": key.public_key()}),
    )

    response = await http.post(
        "/concerns",
        content=raw,
        headers={**PARTNER, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json()["title"] == "The concern submission is not valid"
    assert response.json()["errors"] == [reason.model_dump() for reason in over_kafka]


async def test_a_body_that_is_not_json_is_explained(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/concerns", content=b"{not json", headers={**PARTNER, "Content-Type": "application/json"}
    )

    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["field"] == "(submission)"
    assert problem["problem"].startswith("is not valid JSON")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotPermitted("a practitioner may not make the s42 decision"), 403),
        (NotRaised("there is no concern"), 404),
        (AlreadyDecided("decided"), 409),
        (DecidedWithOriginal("decide the original"), 409),
        (LinkUnchanged("already about them"), 409),
        (DecisionIncomplete("a no_further_action decision needs a route"), 422),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_each_refusal_answers_with_its_status(error: ConcernRefused, status: int) -> None:
    assert refusal(error).problem.status == status


def test_an_incomplete_decision_names_the_missing_field_and_what_is_allowed() -> None:
    [problem] = refusal(
        DecisionIncomplete("a no_further_action decision needs a route")
    ).problem.errors

    assert problem.field == "route"
    assert problem.allowed is not None
    assert "care_act_assessment" in problem.allowed
