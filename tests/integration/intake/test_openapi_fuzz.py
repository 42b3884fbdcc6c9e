"""Fuzz every operation of intake's OpenAPI document with generated requests (valid and invalid),
sent with valid partner and manager credentials: nothing may answer with a server error, and
every answer must match what the document promises."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from pymongo import MongoClient
from schemathesis import APIOperation, BaseSchema, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.types import Receive, Scope, Send

from services.intake.app import build
from services.intake.domain.submission import EXAMPLE
from services.intake.settings import IntakeSettings
from shared.auth import hash_api_key, issue_staff_token
from shared.events import Role
from shared.mongo import Document
from tests.integration.intake.conftest import start_at_the_end

# The service's Kafka clients use `random` in the serving thread while Hypothesis generates.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

AGENCY = "fuzzing-agency"
API_KEY = "fuzzing-agency-key"
STAFF_SECRET = "fuzzing-staff-token-secret-of-32-bytes-or-more"


@dataclass
class BuiltWhereItIsServed:
    """Intake built afresh each time its lifespan starts, inside the event loop that serves it:
    the Kafka producer and MongoDB client belong to the loop they are created in, and a stopped
    runtime cannot be started again (schemathesis ends the lifespan after every test)."""

    settings: IntakeSettings
    app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or self.app is None:
            self.app, _ = build(self.settings)
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def intake_schema(kafka_bootstrap: str, mongodb_uri: str) -> Iterator[BaseSchema]:
    suffix = uuid.uuid4().hex[:10]
    intake_settings = IntakeSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        mongodb_uri=mongodb_uri,
        mongodb_database=f"intake_fuzz_{suffix}",
        consumer_group_prefix=f"fuzz-{suffix}",
        staff_token_secret=STAFF_SECRET,
        partner_api_keys={AGENCY: hash_api_key(API_KEY)},
    )
    for name, topics in (
        ("concern-submissions", ["safeguarding.concerns.submitted"]),
        ("partner-view", ["safeguarding.intake.events", "safeguarding.outcomes.events"]),
        ("triage-queue", ["safeguarding.intake.events"]),
    ):
        asyncio.run(start_at_the_end(kafka_bootstrap, intake_settings.consumer_group(name), topics))
    app = BuiltWhereItIsServed(intake_settings)
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()
        mongo: MongoClient[Document] = MongoClient(mongodb_uri)
        try:
            mongo.drop_database(intake_settings.mongodb_database)
        finally:
            mongo.close()


@pytest.fixture(scope="module")
def raised_concern(intake_schema: BaseSchema) -> str:
    """A concern raised from the documented example, for the staff routes to work on."""
    body = {**EXAMPLE, "partner_reference": f"FUZZ-{uuid.uuid4().hex[:8]}"}
    with asgi.get_client(intake_schema.app) as client:
        response = client.post("/concerns", json=body, headers=CREDENTIALS)
    assert response.status_code == 202, response.text
    concern_id: str = response.json()["concern_id"]
    return concern_id


CREDENTIALS = {
    "X-API-Key": API_KEY,
    "Authorization": "Bearer "
    + issue_staff_token(STAFF_SECRET, sub="fuzz-manager", role=Role.MANAGER, name="Fuzz Manager"),
}
INTAKE_OPERATIONS = [
    ("POST", "/concerns"),
    ("GET", "/partner/concerns"),
    ("GET", "/partner/concerns/{reference}"),
    ("GET", "/partner/rejected-submissions"),
    ("GET", "/triage"),
    ("GET", "/concerns/{concern_id}"),
    ("POST", "/concerns/{concern_id}/information"),
    ("POST", "/concerns/{concern_id}/decision"),
    ("POST", "/concerns/{concern_id}/referrer-feedback"),
    ("POST", "/concerns/{concern_id}/link"),
    ("POST", "/concerns/{concern_id}/unlink"),
]
OPERATIONS_EVERY_SERVICE_HAS = [
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/admin/projections"),
    ("GET", "/admin/held-streams"),
    ("POST", "/admin/projections/{name}/rebuild"),
]


def fuzz(
    schema: BaseSchema,
    method: str,
    path: str,
    mode: GenerationMode,
    checks: list[CheckFunction] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> None:
    operation = schema[path][method]

    @given(case=operation.as_strategy(mode, headers=CREDENTIALS, path_parameters=path_parameters))
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case[APIOperation[Any, Any, Any, Any]]) -> None:
        response = case.call_and_validate(
            checks=checks,
            # Schema-valid is not always valid: an NHS number's check digit, or a referrer with
            # neither email nor phone, cannot be said in JSON Schema, and is rightly refused.
            excluded_checks=[positive_data_acceptance],
        )
        assert response.status_code < 500

    call()


def test_every_operation_in_the_document_is_fuzzed(intake_schema: BaseSchema) -> None:
    documented = {
        (result.ok().method.upper(), result.ok().path)
        for result in intake_schema.get_all_operations()
        if isinstance(result, Ok)
    }

    assert documented == {*INTAKE_OPERATIONS, *OPERATIONS_EVERY_SERVICE_HAS}


@pytest.mark.parametrize("mode", list(GenerationMode))
@pytest.mark.parametrize(("method", "path"), INTAKE_OPERATIONS)
def test_no_generated_request_causes_a_server_error_or_breaks_the_document(
    intake_schema: BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    fuzz(intake_schema, method, path, mode)


@pytest.mark.parametrize(
    ("method", "path"), [o for o in INTAKE_OPERATIONS if "{concern_id}" in o[1]]
)
def test_no_generated_change_to_a_raised_concern_causes_a_server_error(
    intake_schema: BaseSchema, raised_concern: str, method: str, path: str
) -> None:
    fuzz(
        intake_schema,
        method,
        path,
        GenerationMode.POSITIVE,
        path_parameters={"concern_id": raised_concern},
    )


@pytest.mark.parametrize(("method", "path"), OPERATIONS_EVERY_SERVICE_HAS)
def test_no_operational_request_causes_a_server_error(
    intake_schema: BaseSchema, method: str, path: str
) -> None:
    # These routes come with every service (shared.http); only their failure modes are
    # checked here.
    fuzz(intake_schema, method, path, GenerationMode.POSITIVE, checks=[not_a_server_error])
