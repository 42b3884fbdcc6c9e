"""`X-Access-Reason` ("break the glass") is in the OpenAPI document of every route that checks
access, with its description and limits, so API users can find it; and the access gate accepts
exactly the values the documents say it does."""

from __future__ import annotations

import asyncio
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.requests import Request

from shared.access import REASON_HEADER, REASON_MAX, REASON_MIN, _reason
from shared.problems import ProblemError
from tests.support.openapi import openapi_documents

OPEN = {"/health", "/metrics"}


def reason_parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        p
        for p in operation.get("parameters", [])
        if p["in"] == "header" and p["name"].lower() == REASON_HEADER.lower()
    ]


async def test_every_staff_route_of_every_service_declares_the_reason_header() -> None:
    documents = await openapi_documents()
    staff_routes = 0
    for service, document in documents.items():
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                where = f"{service} {method.upper()} {path}"
                schemes = {name for need in operation.get("security", []) for name in need}
                declared = reason_parameters(operation)
                if path in OPEN or schemes - {"StaffToken"}:
                    # Open to anyone, or a partner's own route: no staff access is checked.
                    assert declared == [], where
                    continue
                staff_routes += 1
                assert len(declared) == 1, where
                [parameter] = declared
                assert parameter["required"] is False, where
                assert "audit of access" in parameter["description"], where
                assert str(REASON_MIN) in parameter["description"], where
                schema = parameter["schema"]
                assert schema["type"] == "string", where
                assert (schema["minLength"], schema["maxLength"]) == (REASON_MIN, REASON_MAX)
                assert schema["pattern"], where
    # Every service has staff routes: reads of cases, people and logs among them.
    assert staff_routes > 60
    for service, path in (
        ("intake", "/people/{person_id}"),
        ("outcomes", "/cases/{case_id}"),
        ("outcomes", "/cases/{case_id}/timeline"),
        ("notification", "/people/{person_id}/communications"),
        ("notification", "/people/{person_id}/subject-access"),
    ):
        assert reason_parameters(documents[service]["paths"][path]["get"]), (service, path)
    partner = documents["intake"]["paths"]["/concerns"]["post"]
    assert reason_parameters(partner) == []


@pytest.fixture(scope="module")
def documented() -> dict[str, Any]:
    documents = asyncio.run(openapi_documents())
    [parameter] = reason_parameters(documents["outcomes"]["paths"]["/cases/{case_id}"]["get"])
    schema: dict[str, Any] = parameter["schema"]
    return schema


def gate_accepts(value: str) -> bool:
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(REASON_HEADER.lower().encode(), value.encode("latin-1"))],
        }
    )
    try:
        return _reason(request) == value
    except ProblemError as refused:
        refusal = refused.problem
    # Refused as bad input, naming the header.
    assert (refusal.status, [e.field for e in refusal.errors]) == (400, [REASON_HEADER])
    return False


# A header value reaches the service as Latin-1 text.
HEADER_TEXT = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=520)


@given(value=HEADER_TEXT | st.from_regex(r"\A[a-z]{1,30}( {1,3}[a-z]{1,30}){0,20}\Z"))
@example(value="Covering the duty desk for the north team today")
@example(value="because it")  # ten characters exactly
@example(value="because")
@example(value="x" * REASON_MAX)
@example(value="x" * (REASON_MAX + 1))
@example(value=" Covering the duty desk")
@example(value="Covering the duty desk ")
@example(value="Covering the\tduty desk")
@example(value="Covering the\xa0duty desk")
@example(value="Covering the\x85duty desk")
@example(value="Covering the  duty desk")
@example(value="          ")
def test_the_gate_accepts_exactly_what_the_documents_say(
    documented: dict[str, Any], value: str
) -> None:
    try:
        jsonschema.validate(value, documented)
        valid = True
    except jsonschema.ValidationError:
        valid = False
    assert gate_accepts(value) is valid
